"""The model IR that every front end produces and every rule consumes.

A :class:`Graph` is a list of :class:`Node` objects (one per call of a layer or op) in an order where
every node comes after the nodes that produce its inputs. Nested models are :class:`Layer` objects whose
``graph`` holds their own inner graph; wrappers (``Bidirectional``, ``TimeDistributed``) keep the wrapped
layers in ``inner``. Tensors are edges: a :class:`Tensor` is output ``index`` of ``node``.
"""
from __future__ import annotations

from ._record import factory, record

# Layer kinds
LAYER = "layer"  # a keras.layers layer (built-in or custom)
OP = "op"  # a keras.ops pseudo-layer (module keras.src.ops.*) or a tf.keras TFOpLambda
INPUT = "input"  # an InputLayer, or the implicit input of a Sequential
MODEL = "model"  # a nested Sequential/Functional model
#: a pseudo-layer for a call that prepares data (``pad_sequences``, ``np.pad``, ``padded_batch``...): the
#: origin of a :class:`PaddingFact`, for locations (set by the source front end, ``frontends/source``)
DATA = "data"


@record
class Layer:
    name: str
    path: str
    class_name: str
    module: str | None = None
    registered_name: str | None = None
    config: dict = factory(dict)
    kind: str = LAYER
    inner: list["Layer"] = factory(list)
    graph: "Graph | None" = None
    build_config: dict | None = None  # Keras 3 `build_config` (holds the input shape once built)
    # where the layer is built in source code (filled by the source front end)
    line: int | None = None
    column: int | None = None
    # set by the source front end (``frontends/source``) and dropped once a file is linted: the libcst
    # ``Call`` node that builds the layer (for positions and ``--fix``), and for a
    # ``Lambda(lambda t: ...)`` without ``mask=`` its libcst ``Lambda`` (followed as ops on its input)
    cst: object = None
    source_lambda: object = None
    #: why masklint could not follow this layer (an unknown node: an untranslated construct, a third-party
    #: class, a custom layer whose ``call`` was not followed); shown by ``masklint models``
    why: str | None = None
    #: a user ``Layer`` subclass read from source: its declared mask behaviour (:class:`CustomMask`)
    custom: "CustomMask | None" = None
    #: the source file whose code built this layer when it is not the file being linted (a helper
    #: imported from another linted file of the run, ``frontends/source/modules.py``); None otherwise
    file: str | None = None

    @property
    def is_builtin(self) -> bool:
        """Built-in Keras layer (by module), as opposed to a custom/third-party class."""
        mod = self.module
        if mod is None:  # legacy h5 entries have no module; built-ins are matched by name
            return self.registered_name is None or self.registered_name == self.class_name
        return mod == "keras" or mod.startswith("keras.") or mod.startswith("tf_keras") or mod.startswith(
            "tensorflow.python.keras"
        )

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Layer({self.path!r}, {self.class_name})"


@record
class Tensor:
    node: "Node"
    index: int
    shape: tuple | None = None  # None = rank unknown; dims may be None (unknown/variable)
    dtype: str | None = None

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    def __repr__(self) -> str:  # pragma: no cover
        return f"Tensor({self.node.layer.path}[{self.index}], {self.shape})"


@record
class Node:
    layer: Layer
    args: list[Tensor] = factory(list)  # data tensors, flattened in call order
    tensor_kwargs: dict[str, list[Tensor]] = factory(dict)  # e.g. value=, initial_state=
    masks: dict[str, list[Tensor | None]] = factory(dict)  # recorded mask kwargs
    consts: list[object] = factory(list)  # non-tensor positional args (ops)
    kwargs: dict[str, object] = factory(dict)  # non-tensor kwargs
    outputs: dict[int, Tensor] = factory(dict)
    plumbing: bool = False  # an op that only computes a mask fed to `mask=` kwargs

    def output(self, index: int = 0) -> Tensor:
        t = self.outputs.get(index)
        if t is None:
            t = self.outputs[index] = Tensor(self, index)
        return t

    @property
    def path(self) -> str:
        return self.layer.path


@record
class PaddingFact:
    """How the data fed to a model input is padded (from code, and later from a data sample)."""

    value: object = None  # the pad value, None when unknown
    side: str | None = None  # "pre" | "post" | None (unknown)
    dtype: str | None = None
    origin: "Layer | None" = None  # pseudo-layer for the call that pads (pad_sequences), for locations
    how: str = "pad_sequences"
    ids_start: int | None = None  # the first token id of the vocabulary the sequences come from


@record
class Unknown:
    """A part of a model masklint could not follow: ``what`` (the code, shortened), ``why``, and where."""

    what: str
    why: str
    cst: object = None  # libcst node (source front end), for the line
    line: int | None = None


@record
class CustomMask:
    """What a user ``Layer`` subclass declares about masks (source front end): ``supports`` is Keras'
    ``supports_masking`` (True, False, or None when unreadable); ``compute`` is what ``compute_mask``
    returns: ``"absent"`` (not overridden), ``"none"``, ``"previous"`` (the incoming mask), ``"create"``
    (a new mask from the inputs) or ``"unknown"``; ``call_mask``: ``call`` takes a ``mask`` argument.
    The layer's ``graph`` (kind ``"custom layer"``) is its ``call`` when followed; its last input is then
    the ``mask`` argument when ``call_mask`` (the ops that compute with it are ``plumbing``: the layer
    handles its mask itself)."""

    supports: bool | None = False
    compute: str = "absent"
    call_mask: bool = False
    mask_uses: list = factory(list)  # (Node, kwarg) where the ``mask`` argument is passed as ``mask=``


@record
class Graph:
    name: str
    path: str  # "" for the top level, "outer/" prefix style otherwise
    kind: str  # "sequential", "functional", "subclass" (a Model subclass), "custom layer" (a Layer's call)
    nodes: list[Node] = factory(list)
    inputs: list[Tensor] = factory(list)
    outputs: list[Tensor] = factory(list)
    padding: list[PaddingFact] = factory(list)  # facts about the data fed to inputs[0]
    target_padding: list[PaddingFact] = factory(list)  # facts about the targets (y) it is trained on
    # where the model is built (source front end): the libcst node (dropped once the file is linted) and
    # its line; ``unknown`` lists the parts masklint could not follow (``masklint models`` shows them)
    cst: object = None
    line: int | None = None
    unknown: list["Unknown"] = factory(list)

    def walk_layers(self):
        """Every layer of this graph and of nested graphs and wrappers, depth first."""
        seen = set()
        for node in self.nodes:
            lay = node.layer
            if id(lay) in seen:
                continue
            seen.add(id(lay))
            yield from _walk_layer(lay)


def _walk_layer(lay: Layer):
    yield lay
    for sub in lay.inner:
        yield from _walk_layer(sub)
    if lay.graph is not None:
        yield from lay.graph.walk_layers()


@record
class ModelIR:
    """A model as the rules see it: the top-level graph plus where it came from."""

    graph: Graph
    source: str  # "model" (saved file), "source" (code), "live" (built model)
    path: str
    format: str | None = None  # "keras", "h5", "json", "py"
    keras_version: str | None = None
    backend: str | None = None  # the backend a saved file records (knowledge/versions.py)
