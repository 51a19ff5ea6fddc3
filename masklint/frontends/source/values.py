"""The abstract values of the source front end's interpreter: what a Python expression in model code
evaluates to (a constant, an imported name, a layer, a tensor, a data array, a model under construction,
a user function or class...), or :data:`UNKNOWN`."""
from __future__ import annotations

from ...ir import Layer, Tensor


class Unknown:
    __slots__ = ()

    def __repr__(self):
        return "UNKNOWN"


UNKNOWN = Unknown()


class Const:
    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v


class Ref:
    """A module or an object reached through imports: a canonical dotted name."""

    __slots__ = ("q",)

    def __init__(self, q: str):
        self.q = q


class LayerObj:
    __slots__ = ("layer", "cst")

    def __init__(self, layer: Layer, cst):
        self.layer = layer
        self.cst = cst


class Tens:
    __slots__ = ("t",)

    def __init__(self, t: Tensor):
        self.t = t


class Arr:
    """A data array: its shape (dims may be None), dtype, and how it is padded (if known)."""

    __slots__ = ("shape", "dtype", "pad", "fill", "node", "ids_start", "fill_how")

    def __init__(self, shape, dtype, pad=None, fill=None, node=None, ids_start=None):
        self.shape = shape
        self.dtype = dtype
        self.pad = pad
        self.fill = fill  # np.full/np.zeros: the fill value, padding once rows are written per sequence
        self.node = node
        self.ids_start = ids_start  # token ids from a hand-built vocabulary that starts at this id
        self.fill_how = "np.full"


class Vocab:
    """A hand-built vocabulary ``{w: i for i, w in enumerate(words, start)}``."""

    __slots__ = ("start", "node")

    def __init__(self, start, node):
        self.start = start
        self.node = node


class Seq:
    """A ``Sequential`` under construction."""

    __slots__ = ("layers", "input", "cst", "data_shape", "build_shape", "padding", "target_padding", "name",
                 "nested")

    def __init__(self, cst):
        self.name: str | None = None  # name= or the variable it is assigned to
        self.nested = False  # used as a layer of another model (analysed there)
        self.layers: list = []
        self.input: Tensor | None = None
        self.cst = cst
        self.data_shape = None
        self.build_shape = None
        self.padding: list = []
        self.target_padding: list = []


class FuncModel:
    __slots__ = ("inputs", "outputs", "cst", "padding", "target_padding", "name", "kind", "nested")

    def __init__(self, inputs, outputs, cst, kind="functional"):
        self.name: str | None = None
        self.kind = kind  # "functional" or "subclass"
        self.nested = False
        self.inputs = inputs
        self.outputs = outputs
        self.cst = cst
        self.padding: list = []
        self.target_padding: list = []


class Tokenizer:
    """A Keras ``Tokenizer``: its ``word_index`` is 1-based (0 is kept for padding)."""

    __slots__ = ("num_words", "node")

    def __init__(self, num_words, node):
        self.num_words = num_words
        self.node = node


class WordIndex:
    __slots__ = ("tok", "text")

    def __init__(self, tok, text):
        self.tok = tok
        self.text = text


class VocabLen:
    """``len(tokenizer.word_index) + plus``."""

    __slots__ = ("index", "plus")

    def __init__(self, index, plus=0):
        self.index = index
        self.plus = plus


class Func:
    __slots__ = ("node", "scope")

    def __init__(self, node, scope):
        self.node = node
        self.scope = scope


class ClassVal:
    __slots__ = ("node", "bases", "scope")

    def __init__(self, node, bases, scope):
        self.node = node
        self.bases = bases
        self.scope = scope


class Instance:
    """An instance of a user class (a subclassed model): attributes set in ``__init__``."""

    __slots__ = ("cls", "attrs", "model")

    def __init__(self, cls):
        self.cls = cls
        self.model = None  # a subclassed model's graph (FuncModel), for fit/predict
        self.attrs: dict = {}


class _Bound:
    """A method of a model or an array (``model.fit``, ``x.astype``), looked up, not yet called."""

    __slots__ = ("obj", "name")

    def __init__(self, obj, name):
        self.obj = obj
        self.name = name


def _tensors(v) -> list[Tensor]:
    """The IR tensors a value holds (a tensor, or a list/tuple of tensors only), else []."""
    if isinstance(v, Tens):
        return [v.t]
    if isinstance(v, Const) and isinstance(v.v, (list, tuple)):
        out = []
        for x in v.v:
            if isinstance(x, Tens):
                out.append(x.t)
            else:
                return []
        return out
    return []


def _plain(v):
    """A list of abstract values as a plain config value (unknown items, tensors... -> None)."""
    if isinstance(v, (list, tuple)):
        return [_plain(x) if isinstance(x, (list, tuple)) else x.v if isinstance(x, Const)
                else x if x is None or isinstance(x, (int, float, str, dict)) else None for x in v]
    return v
