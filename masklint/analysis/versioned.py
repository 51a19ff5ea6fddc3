"""The mask-flow behaviours that depend on the target Keras version and backend
(:mod:`masklint.knowledge.versions`): a mixin of :class:`~masklint.analysis.flow.Analysis`."""
from __future__ import annotations

from .. import knowledge as K
from .._record import replace
from ..ir import Node
from ..knowledge import versions
from .state import Lost, Mask


class VersionedFlow:
    """``target``: the :class:`~masklint.knowledge.versions.Target` the model runs on, resolved on first
    use (models without an RNN or wrapper never read the installation's metadata)."""

    _target = None  # a Target, or a zero-argument callable that gives one

    @property
    def target(self) -> versions.Target:
        t = self._target
        if not isinstance(t, versions.Target):
            t = self._target = t() if callable(t) else versions.target_for(None)
        return t

    def versioned_outputs(self, node: Node) -> None:
        """Keras >= 3.16: an RNN, Bidirectional or TimeDistributed still takes its input's mask, but its
        output has none (``supports_masking = False``): a masked output becomes a lost mask."""
        lay = node.layer
        name = K.canonical(lay.class_name)
        if name not in versions.NO_OUTPUT_MASK.classes or not lay.is_builtin:
            return
        if versions.drops_output_mask(name, self.target, self.keras_major) is None:
            return
        for t in node.outputs.values():
            st = self.states.get(id(t))
            if st is not None and isinstance(st.mask, Mask):
                self.states[id(t)] = replace(st, mask=None, lost=Lost(st.mask.origin, lay, "keras316"))

    def cudnn_applies(self) -> bool:
        """Whether the cuDNN right-padding rule (cudnn-padding) holds on the target backend and version."""
        return versions.cudnn_right_padding(self.target, self.keras_major)
