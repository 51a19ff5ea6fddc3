"""Front end: Python model code -> :mod:`masklint.ir`, with libcst, never importing or running it.

A small abstract interpreter walks each module and each function body in order. It resolves names
through imports and aliases (``keras``, ``tensorflow.keras``, ``tf.keras``, ``keras.layers as L``,
``from ... import LSTM``), simple constants (``PAD = -1``), and builds the same IR the saved-model
front end builds: ``Sequential([...])``, ``Sequential()`` + ``.add(...)``, the functional API
(``x = LSTM(...)(x)``, ``keras.Model(inputs, outputs)``), ``keras.ops``/operators on tensors, helper
functions (inlined at their call sites) and the plain subclassed model (layers made in ``__init__``,
used in ``call``) and user ``Layer`` subclasses (``call`` followed with the sublayers of ``__init__``,
``supports_masking``/``compute_mask`` read). Values it cannot resolve are unknown: a layer whose mask-relevant argument is
unknown becomes an unknown layer, so the rules stay silent about it.

Positions (``line``/``column`` of the call that builds each layer) are resolved only for files that
have findings: libcst's position metadata costs more than the parse itself.

The package, in layers (each module imports only those before it): :mod:`.values` (the abstract
values), :mod:`.names` (imports, aliases, canonical Keras names), :mod:`.keras_calls` and
:mod:`.padding` (Keras calls and data facts), :mod:`.custom_decl` and :mod:`.custom_layers` (user
``Layer`` subclasses: their mask declarations and their ``call``), :mod:`.graphs` (models found -> IR graphs),
:mod:`.unknowns` (unknown nodes for what is not followed, nested models, keyword calls),
:mod:`.more_calls` (merge functions, third-party layers), :mod:`.classes` (models in classes),
:mod:`.lambda_nodes` (an inlined Lambda kept as the Lambda node),
:mod:`.interpreter` (the statement/expression walker); :mod:`.parse_guard` (parsing safely) and
:mod:`.positions` (line/column of each layer) stand apart. :mod:`.evidence` (more padding evidence, a
mixin of the interpreter) and :mod:`.modules` (imports between the linted files of a run) come just
before :mod:`.interpreter`.
"""
from __future__ import annotations

from ...errors import LintError
from .interpreter import Extractor
from .parse_guard import parse, parse_task
from .positions import resolve_positions

__all__ = ["extract", "mentions_keras", "parse_task", "resolve_positions"]


def mentions_keras(raw: bytes) -> bool:
    """The pre-filter: a file that never mentions keras or tensorflow is not parsed."""
    return b"keras" in raw or b"tensorflow" in raw


def extract(text: str, path: str, project=None):
    """Parse ``text`` and return (graphs, module, layers, extra issues); raises LintError on a syntax
    error. ``project``: the run's :class:`~.modules.ProjectIndex`, for imports of other linted files. A
    file the pre-filter (:mod:`.prefilter`) rules out is not parsed: ([], None, [], [])."""
    from .prefilter import keep

    module = parse(text, keep)
    if module is None:
        return [], None, [], []
    ex = Extractor(module, project=project)
    ex.path = path
    try:
        graphs = ex.run()
    except RecursionError:
        raise LintError("source is nested too deeply to analyse") from None
    return graphs, module, ex.layers, ex.extra_issues

