"""The padding probe: feed padded batches to a live model and prove whether padding leaks.

Method (the padding-leak rule's document in ``rules/`` describes it for users):

1. **Inputs.** A sequence input is one with a time axis that is padded: rank >= 3 (``(batch, time,
   features...)``), or rank 2 token ids (integer dtype, or fed to an ``Embedding``); with a variable time
   axis, or a fixed one that a mask producer reads (or ``--pad-value`` / ``--data`` says it is padded).
   Its pad value: ``--pad-value``, else the one inferred from ``--data``, else the ``mask_value`` of the
   first ``Masking`` it reaches (0 for ``Embedding(mask_zero=True)``), else 0. Other inputs are held
   constant per sample.
2. **Base batch.** ``BASE_SAMPLES`` sequences of real length ``L`` (5, or one less than the shortest
   padded length): rows of ``--data`` (their real steps), or synthetic values -- token ids in
   ``[1, vocab)`` avoiding the pad id; floats kept at least 0.25 away from the pad value, half of the
   features entirely below it and half entirely above (so that padding can win a max or a min).
3. **Weights.** Trainable weights are perturbed in place with seeded noise (biases included: fresh
   zero biases hide pre-padding bugs, reference §5) and restored afterwards; ``weights="trained"`` keeps
   them as they are.
4. **Batches.** One reference batch (the unpadded sequences, ``(B, L)``), then one batch per padded
   length ``T`` holding every base sequence padded post and pre, rows shuffled (seeded); and one
   all-padding sample (empty-sequence-nan). Fixed-length inputs (``Input((T0, ...))``) cannot vary their length:
   the reference is post-padded to ``T0`` and the variant batch holds post and pre copies, shuffled.
   Each batch runs once eagerly (``model(x, training=False)``) and once through compiled ``predict``;
   the all-padding sample runs eagerly. Default: 5 eager + 4 predict = 9 forward passes.
5. **Taps.** The batches run through a functional view of the model whose outputs are the model's
   outputs *and* every intermediate tensor of its graph (same layers, same weights), so one pass also
   gives the intermediate outputs and their runtime masks for localisation.
6. **Comparison.** Sequence tensors (the time axis follows the padded length) are compared at the real
   positions only, aligned per side (post: ``[0, L)``, pre: ``[T - L, T)``); others as a whole, row by
   row against the reference of the same base sequence. A tensor changes when
   ``max |variant - reference| > tolerance``, ``tolerance = rtol * max(scale, 1e-3)`` with ``scale`` the
   largest ``|value|`` of the reference tensor at the real positions and ``rtol = 1e-5``
   (:data:`DEFAULT_RTOL`, ``--tolerance``). A value that becomes NaN/inf where the reference is finite is
   an infinite difference.
7. **Findings.** padding-leak when a model output changes at the post-padded rows (the mask contract:
   post-padding and batch-composition invariance, :mod:`.contract`; a change of the pre-padded rows alone
   counts only for data known to be pre-padded, or for fixed-length inputs unless the positions shift); the finding names the first layer (in graph
   order, among the output's ancestors) whose real outputs change, the largest difference and the
   variant, and, from the runtime masks of the same pass, where the mask was lost or went wrong.
   runtime-mask-lost when an output has a symbolic mask but no runtime mask. empty-sequence-nan when
   the all-padding sample gives NaN/inf (or raises). probe-crash when a correctly padded batch raises.

Modules, in layer order (each imports only those above it):

* :mod:`.graph`        the live layer graph: nodes in topological order, producers and consumers
* :mod:`.producers`    mask producers, vocabularies, position tables and merged inputs, from the live layers
* :mod:`.plan`         which inputs are padded and with what value, the lengths, the taps
* :mod:`.batches`      base sequences and the padded probe batches
* :mod:`.runs`         the intermediate-output view, eager and ``predict`` runs, weight perturbation
* :mod:`.comparison`   tolerances and per-tap differences at the real positions
* :mod:`.report`       :class:`ProbeReport`: what one probe did and found, as text
* :mod:`.localisation` the first layer that changes, where the runtime mask was lost, a crash's layer
* :mod:`.contract`     the mask contract: post-padded rows, and what a change under pre-padding alone means
* :mod:`.nested`       localisation inside a nested model (its graph run on the same inputs)
* :mod:`.rules`        the runtime rules' records from the runs
* :mod:`.data_checks`  the ``--data`` checks (mask-value mismatch, real values masked, cuDNN padding)
* :mod:`.driver`       one probe from start to end
* :mod:`.api`          the entry points: :func:`probe_report`, :func:`probe_file`, :func:`probe_file_report`
"""
from .api import probe_file, probe_file_report, probe_report
from .comparison import DEFAULT_RTOL
from .report import ProbeReport

__all__ = ["DEFAULT_RTOL", "ProbeReport", "probe_file", "probe_file_report", "probe_report"]
