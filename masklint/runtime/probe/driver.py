"""One probe from start to end: check the options, plan, build the batches, run them, apply the rules.

The :class:`_Probe` holds the state the steps share (the other modules take it as ``p``).
"""
from __future__ import annotations

from ... import ir
from ...errors import LintError
from ...findings import Finding
from ..loading import import_keras, one_line
from .batches import build_batches
from .comparison import default_rtol
from .graph import LiveGraph
from .localisation import Localiser
from .plan import check_data_shape, match_data, output_taps, plan_inputs, plan_lengths, plan_taps, resolve_pads
from .report import ProbeReport
from .rules import run_rules
from .runs import run_batches, tap_view


class _Probe:
    def __init__(self, model, label, *, pad_value=None, data=None, data_path=None, seed=0, tolerance=None,
                 lengths=None, weights="perturbed", live=None, padding_side=None):
        self.keras = import_keras()
        self.model = model
        self.label = label
        # the live front end's IR of the model (None when it was not built): the records' culprit layers
        graph = getattr(live, "graph", None)
        self.ir_layers = {lay.path: lay for lay in graph.walk_layers()} if graph is not None else {}
        self.pad_value = pad_value
        if padding_side not in (None, "pre", "post"):
            raise LintError("padding_side must be 'pre' or 'post'")
        self.padding_side = padding_side  # how the real data is padded, when the caller knows (the contract)
        self.arrays = data
        self.data_path = data_path
        self.seed = int(seed) if seed is not None else 0
        weights = weights or "perturbed"
        self.rtol = float(tolerance) if tolerance is not None else default_rtol(model)
        if not self.rtol > 0:
            raise LintError("--tolerance must be a positive number")
        if weights not in ("perturbed", "trained"):
            raise LintError("--weights must be 'perturbed' or 'trained'")
        self.weights = weights
        self.lengths = sorted({int(x) for x in lengths}) if lengths else None
        if self.lengths is not None and (not self.lengths or self.lengths[0] < 2):
            raise LintError("--lengths: every padded length must be at least 2")
        self.report = ProbeReport(label=label, weights=weights, seed=self.seed, rtol=self.rtol)

    def layer_of(self, name: str, class_name: str) -> ir.Layer:
        """The IR layer of the live layer ``name`` (a top-level layer or op of the model), or a minimal one
        with its name and class when the model has no IR."""
        lay = self.ir_layers.get(name)
        return lay if lay is not None else ir.Layer(name=name, path=name, class_name=class_name)

    # -- setup ------------------------------------------------------------------------------------
    def setup(self):
        keras = self.keras
        if not isinstance(self.model, keras.Model):
            raise LintError(f"expected a keras.Model, got {type(self.model).__name__}")
        self.g = LiveGraph(self.model)
        if self.g.functional is None:
            raise LintError(f"{type(self.model).__name__} is a subclassed model without a layer graph: the probe "
                            f"needs a Functional or Sequential model (build it on keras.Input)")
        seqs, others, notes = plan_inputs(self.g, self.pad_value, self.arrays)
        self.report.notes.extend(notes)
        if self.arrays is not None:
            match_data(self.arrays, seqs, others, self.data_path or "data")
            from ..data import infer_padding

            for s in seqs:
                if s.data is not None:
                    check_data_shape(s, self.data_path or "data")
                    s.padding = infer_padding(s.data, self.pad_value)
        resolve_pads(seqs, self.pad_value)
        self.seqs, self.others = seqs, others
        self.report.inputs = seqs
        taps = plan_taps(self.g)
        self.taps = taps
        self.tap_of = {id(tp.tensor): tp for tp in taps}
        self.out_taps = [self.tap_of[id(t)] for t in self.g.outputs if id(t) in self.tap_of]
        try:
            self.tap_model = tap_view(keras, self.model, self.g.inputs, taps)
        except Exception as exc:  # noqa: BLE001 - an unusual graph: probe the outputs only (no localisation)
            self.taps = self.out_taps = output_taps(self.g)
            self.tap_of = {id(tp.tensor): tp for tp in self.taps}
            self.tap_model = self.model
            # a note, not a warning: the probe runs with warnings silenced
            self.report.notes.append(f"could not build the intermediate-output view ({one_line(exc)}): "
                                     f"no localisation")
        self.report.taps = len(self.taps)
        self.where = Localiser(self.g, self.taps, self.tap_of)

    # -- batches ----------------------------------------------------------------------------------
    def make_batches(self):
        plan = plan_lengths(self.seqs, self.lengths, self.report.notes)
        self.fixed, self.L = plan.fixed, plan.L
        self.report.real_length, self.report.lengths, self.report.fixed = plan.L, list(plan.lengths), plan.fixed
        self.ref, self.variants, self.empty = build_batches(len(self.g.inputs), self.seqs, self.others, plan,
                                                            self.seed)
        self.report.rows_per_batch = len(self.variants[0].rows) if self.variants else 0

    # -- running ----------------------------------------------------------------------------------
    def run(self):
        self.eager, self.pred = run_batches(self.keras, self.model, self.tap_model, len(self.taps), self.ref,
                                            self.variants, self.empty, weights=self.weights, seed=self.seed,
                                            counts=self.report)

    def go(self) -> ProbeReport:
        self.setup()
        if not self.seqs:
            self.report.notes.append("no padded sequence input to probe (a fixed-length input without a mask is "
                                     "not padded; pass --pad-value or --data to probe it)")
            return self.report
        self.make_batches()
        self.run()
        self.report.probed = True
        run_rules(self)
        self.report.findings.sort(key=Finding.sort_key)
        return self.report
