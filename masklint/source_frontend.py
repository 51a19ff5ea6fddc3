"""Front end: Python model code -> :mod:`masklint.ir`, with libcst, never importing or running it.

A small abstract interpreter walks each module and each function body in order. It resolves names
through imports and aliases (``keras``, ``tensorflow.keras``, ``tf.keras``, ``keras.layers as L``,
``from ... import LSTM``), simple constants (``PAD = -1``), and builds the same IR the saved-model
front end builds: ``Sequential([...])``, ``Sequential()`` + ``.add(...)``, the functional API
(``x = LSTM(...)(x)``, ``keras.Model(inputs, outputs)``), ``keras.ops``/operators on tensors, helper
functions (inlined at their call sites) and the plain subclassed model (layers made in ``__init__``,
used in ``call``). Values it cannot resolve are unknown: a layer whose mask-relevant argument is
unknown becomes an unknown layer, so the rules stay silent about it.

Positions (``line``/``column`` of the call that builds each layer) are resolved only for files that
have findings: libcst's position metadata costs more than the parse itself.
"""
from __future__ import annotations

import re

from . import knowledge as K
from .errors import LintError
from .ir import INPUT, LAYER, OP, Graph, Layer, Node, PaddingFact, Tensor
from .rules import EmbeddingWithoutPaddingSlot, RealValuesMasked

MAX_INLINE_DEPTH = 8
MAX_STEPS = 20_000  # abstract-interpretation budget per entry (module body or one function)


class _Budget(Exception):
    """This entry is too large to follow: its partial results are dropped, the file is still linted."""

# -- abstract values ---------------------------------------------------------------------------


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

    __slots__ = ("layers", "input", "cst", "data_shape", "build_shape", "padding", "target_padding")

    def __init__(self, cst):
        self.layers: list = []
        self.input: Tensor | None = None
        self.cst = cst
        self.data_shape = None
        self.build_shape = None
        self.padding: list = []
        self.target_padding: list = []


class FuncModel:
    __slots__ = ("inputs", "outputs", "cst", "padding", "target_padding")

    def __init__(self, inputs, outputs, cst):
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

    __slots__ = ("cls", "attrs")

    def __init__(self, cls):
        self.cls = cls
        self.attrs: dict = {}


# -- names ---------------------------------------------------------------------------------------

_PREFIXES = (("tensorflow.python.keras.", "keras."), ("tensorflow.keras.", "keras."), ("tf_keras.", "keras."),
             ("keras.src.", "keras."), ("tensorflow.compat.v1.keras.", "keras."), ("tensorflow.compat.v2.keras.",
                                                                                      "keras."))


def canonical_name(q: str) -> str:
    for old, new in _PREFIXES:
        if q.startswith(old):
            return new + q[len(old):]
    if q == "tensorflow.keras":
        return "keras"
    return q


def _snake(name: str) -> str:
    """Keras' own default-name rule (``Conv1D`` -> ``conv1d``, ``GlobalAveragePooling1D`` ->
    ``global_average_pooling1d``), so names match those in saved models."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


MODEL_NAMES = {"keras.Sequential", "keras.models.Sequential"}
FUNCTIONAL_NAMES = {"keras.Model", "keras.models.Model", "keras.Functional", "keras.models.Functional"}
INPUT_NAMES = {"keras.Input", "keras.layers.Input", "keras.layers.InputLayer", "keras.Input"}
TOKENIZER_NAMES = {"keras.preprocessing.text.Tokenizer", "keras.legacy.preprocessing.text.Tokenizer"}
PAD_NAMES = {"keras.utils.pad_sequences", "keras.preprocessing.sequence.pad_sequences",
             "keras.utils.data_utils.pad_sequences"}


def layer_class(q: str) -> str | None:
    """``keras.layers.LSTM`` (any spelling) -> ``LSTM`` if it is a Keras layer class."""
    if not q.startswith("keras."):
        return None
    parts = q.split(".")
    if "layers" not in parts[:-1]:
        return None
    cls = parts[-1]
    return K.canonical(cls) if K.lookup(cls) is not None else None


# -- the interpreter -----------------------------------------------------------------------------


class Extractor:
    def __init__(self, module):
        self.module = module
        self.models: list[tuple[object, Graph]] = []
        self.layers: list[Layer] = []
        self.names: dict[str, int] = {}
        self.steps = 0
        self.depth = 0
        self.seqs: list[Seq] = []
        self.funcs: list[FuncModel] = []
        self.stack: list = []  # functions being inlined (recursion is not followed)
        self._lambda_globals: dict = {}
        self.extra_issues: list = []  # rule records that need no graph (a vocabulary size, a pad dtype)
        self.closures: list = []  # Func/ClassVal values: each sits in the scope it closes over (a cycle)

    # ---- entry
    def run(self) -> list[Graph]:
        import libcst as cst

        self.cst = cst
        glob: dict = {}
        self.entry(lambda: self.exec_body(self.module.body, glob))
        # model code usually lives in functions: run each function body once as its own entry
        for stmt in self._all_defs(self.module.body):
            scope = dict(glob)
            if isinstance(stmt, cst.FunctionDef):
                self.entry(lambda: self.run_function(stmt, scope, args=None))
        for c in self.closures:  # break the scope cycles so the libcst tree is freed by refcounting
            c.scope = None
        self.closures = []
        graphs = []
        for s in self.seqs:
            g = self.seq_graph(s)
            if g is not None:
                graphs.append(g)
        for fm in self.funcs:
            g = self.func_graph(fm)
            if g is not None:
                graphs.append(g)
        return graphs

    def entry(self, fn) -> None:
        n_seqs, n_funcs = len(self.seqs), len(self.funcs)
        self.steps, self.depth, self.stack = 0, 0, []
        try:
            fn()
        except _Budget:
            del self.seqs[n_seqs:], self.funcs[n_funcs:]

    def _all_defs(self, body):
        cst = self.cst
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                yield stmt
            elif isinstance(stmt, cst.ClassDef):
                for s in stmt.body.body:
                    if isinstance(s, cst.FunctionDef) and s.name.value not in ("__init__", "call"):
                        yield s

    #: loops over range(N) are unrolled up to this many iterations (model blocks are stacked in loops)
    MAX_UNROLL = 16

    def range_count(self, stmt, scope):
        """The values of ``for x in range(...)`` when its arguments are known ints and few, else None."""
        cst = self.cst
        it = stmt.iter
        if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "range"
                and 1 <= len(it.args) <= 3 and all(a.keyword is None and a.star == "" for a in it.args)):
            return None
        if scope.get("range", None) is not None:  # shadowed
            return None
        vals = [self.eval(a.value, scope) for a in it.args]
        vals = [v.v if isinstance(v, Const) else None for v in vals]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            return None
        try:
            r = range(*vals)
        except ValueError:
            return None
        return list(r) if len(r) <= self.MAX_UNROLL else None

    def tick(self):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Budget()

    # ---- statements
    def exec_body(self, body, scope) -> object:
        """Execute statements; returns the value of a ``return`` (or None)."""
        cst = self.cst
        for stmt in body:
            self.tick()
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    r = self.exec_small(small, scope)
                    if r is not None:
                        return r
            elif isinstance(stmt, cst.FunctionDef):
                scope[stmt.name.value] = Func(stmt, scope)
                self.closures.append(scope[stmt.name.value])
            elif isinstance(stmt, cst.ClassDef):
                bases = [self.eval(a.value, scope) for a in stmt.bases]
                scope[stmt.name.value] = ClassVal(stmt, bases, scope)
                self.closures.append(scope[stmt.name.value])
            elif isinstance(stmt, cst.If):
                r = self.exec_body(stmt.body.body, scope)
                if r is not None:
                    return r
                orelse = stmt.orelse
                while orelse is not None:
                    if isinstance(orelse, cst.If):
                        r = self.exec_body(orelse.body.body, scope)
                        orelse = orelse.orelse
                    else:
                        r = self.exec_body(orelse.body.body, scope)
                        orelse = None
                    if r is not None:
                        return r
            elif isinstance(stmt, (cst.For, cst.While)):
                counts = self.range_count(stmt, scope) if isinstance(stmt, cst.For) else None
                if counts is None:  # unknown iterations: the body once, the loop variable unknown
                    if isinstance(stmt, cst.For):
                        self.assign(stmt.target, UNKNOWN, scope)
                    r = self.exec_body(stmt.body.body, scope)
                    if r is not None:
                        return r
                else:  # `for i in range(N)` with a known small N (stacked blocks): every iteration
                    for i in counts:
                        self.assign(stmt.target, Const(i), scope)
                        r = self.exec_body(stmt.body.body, scope)
                        if r is not None:
                            return r
            elif isinstance(stmt, cst.With):
                r = self.exec_body(stmt.body.body, scope)
                if r is not None:
                    return r
            elif isinstance(stmt, cst.Try):
                r = self.exec_body(stmt.body.body, scope)
                if r is not None:
                    return r
        return None

    def exec_small(self, small, scope):
        cst = self.cst
        if isinstance(small, cst.Assign):
            val = self.eval(small.value, scope)
            for t in small.targets:
                self.assign(t.target, val, scope)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            self.assign(small.target, self.eval(small.value, scope), scope)
        elif isinstance(small, cst.AugAssign):
            self.assign(small.target, UNKNOWN, scope)
        elif isinstance(small, cst.Expr):
            self.eval(small.value, scope)
        elif isinstance(small, cst.Return):
            return self.eval(small.value, scope) if small.value is not None else Const(None)
        elif isinstance(small, cst.Import):
            for alias in small.names:
                full = self._dotted(alias.name)
                if alias.asname is not None:
                    scope[alias.asname.name.value] = Ref(canonical_name(full))
                else:
                    top = full.split(".")[0]
                    scope[top] = Ref(top)
        elif isinstance(small, cst.ImportFrom):
            if small.module is None or small.relative:
                return None
            mod = self._dotted(small.module)
            if isinstance(small.names, cst.ImportStar):
                return None
            for alias in small.names:
                name = self._dotted(alias.name)
                local = alias.asname.name.value if alias.asname is not None else name
                scope[local] = Ref(canonical_name(f"{mod}.{name}"))
        return None

    def _dotted(self, node) -> str:
        cst = self.cst
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            return f"{self._dotted(node.value)}.{node.attr.value}"
        return ""

    def assign(self, target, val, scope):
        cst = self.cst
        if isinstance(target, cst.Name):
            scope[target.value] = val
        elif isinstance(target, (cst.Tuple, cst.List)):
            elems = [e.value for e in target.elements]
            if isinstance(val, Tens):  # out, h, c = LSTM(return_state=True)(x)
                for i, e in enumerate(elems):
                    self.assign(e, Tens(val.t.node.output(i)), scope)
            elif isinstance(val, Const) and isinstance(val.v, (list, tuple)) and len(val.v) == len(elems):
                for e, v in zip(elems, val.v):
                    self.assign(e, v if not isinstance(v, (int, float, str)) else Const(v), scope)
            else:
                for e in elems:
                    self.assign(e, UNKNOWN, scope)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            obj = scope.get(target.value.value)
            if isinstance(obj, Instance):
                obj.attrs[target.attr.value] = val
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            arr = scope.get(target.value.value)
            if isinstance(arr, Arr) and arr.fill is not None and arr.pad is None:
                side = self._row_fill_side(target)
                if side is not None:
                    arr.pad = self.pad_fact(arr.fill, side, arr.dtype, arr.node, arr.fill_how)

    # ---- expressions
    def eval(self, node, scope):
        cst = self.cst
        self.tick()
        if isinstance(node, cst.Name):
            if node.value in ("None", "True", "False"):
                return Const({"None": None, "True": True, "False": False}[node.value])
            v = scope.get(node.value)
            if v is None:
                return Ref(node.value) if node.value in _BUILTINS else UNKNOWN
            return v
        if isinstance(node, cst.Integer):
            try:
                return Const(int(node.value.replace("_", ""), 0))
            except ValueError:
                return UNKNOWN
        if isinstance(node, cst.Float):
            try:
                return Const(float(node.value.replace("_", "")))
            except ValueError:
                return UNKNOWN
        if isinstance(node, cst.SimpleString):
            try:
                return Const(node.evaluated_value)
            except Exception:
                return UNKNOWN
        if isinstance(node, cst.UnaryOperation):
            v = self.eval(node.expression, scope)
            if isinstance(v, Const) and isinstance(v.v, (int, float)) and not isinstance(v.v, bool):
                if isinstance(node.operator, cst.Minus):
                    return Const(-v.v)
                if isinstance(node.operator, cst.Plus):
                    return v
            return UNKNOWN
        if isinstance(node, (cst.List, cst.Tuple)):
            items = []
            for e in node.elements:
                if isinstance(e, cst.StarredElement):
                    return UNKNOWN
                items.append(self.eval(e.value, scope))
            if all(isinstance(i, Const) for i in items):
                vals = [i.v for i in items]
                return Const(tuple(vals) if isinstance(node, cst.Tuple) else vals)
            return Const(items if isinstance(node, cst.List) else tuple(items))
        if isinstance(node, cst.Attribute):
            base = self.eval(node.value, scope)
            attr = node.attr.value
            if isinstance(base, Ref):
                return Ref(canonical_name(f"{base.q}.{attr}"))
            if isinstance(base, Instance):
                return base.attrs.get(attr, UNKNOWN)
            if isinstance(base, Tokenizer) and attr == "word_index":
                return WordIndex(base, self.cst.Module([]).code_for_node(node))
            if isinstance(base, Arr) and attr == "shape":
                return Const(tuple(base.shape)) if base.shape is not None else UNKNOWN
            if isinstance(base, (Seq, FuncModel, Arr)):
                return _Bound(base, attr)
            return UNKNOWN
        if isinstance(node, cst.Call):
            return self.eval_call(node, scope)
        if isinstance(node, cst.DictComp):
            return self.vocab_comp(node, scope)
        if isinstance(node, (cst.ListComp, cst.GeneratorExp)):
            return self.ids_comp(node, scope)
        if isinstance(node, cst.BinaryOperation):
            left = self.eval(node.left, scope)
            right = self.eval(node.right, scope)
            if isinstance(left, Tens) or isinstance(right, Tens):
                op = _BINOPS.get(type(node.operator).__name__, "Multiply")
                args = [x for x in (left, right)]
                return self.op_node(op, args, {}, node, module="keras.src.ops.numpy")
            if isinstance(left, VocabLen) and isinstance(right, Const) and isinstance(right.v, int) and isinstance(
                    node.operator, (cst.Add, cst.Subtract)):
                return VocabLen(left.index, left.plus + (right.v if isinstance(node.operator, cst.Add) else -right.v))
            if isinstance(left, Const) and isinstance(right, Const) and isinstance(node.operator, cst.Add):
                try:
                    return Const(left.v + right.v)
                except TypeError:
                    return UNKNOWN
            return UNKNOWN
        if isinstance(node, cst.Subscript):
            base = self.eval(node.value, scope)
            key = self.slice_key(node, scope)
            if isinstance(base, Tens):
                return self.op_node("GetItem", [base, Const(key)], {}, node, module="keras.src.ops.numpy")
            if isinstance(base, Const) and isinstance(base.v, (tuple, list)) and isinstance(key, list) \
                    and len(key) == 1:
                k = key[0]
                try:
                    if isinstance(k, dict) and k.get("class_name") == "__slice__":
                        c = k["config"]
                        return Const(base.v[c["start"]:c["stop"]:c["step"]])
                    if isinstance(k, int):
                        return Const(base.v[k])
                except (TypeError, IndexError, ValueError):
                    return UNKNOWN
            if isinstance(base, Arr):
                return self.arr_index(base, key)
            return UNKNOWN
        return UNKNOWN

    def vocab_comp(self, node, scope):
        """``{w: i for i, w in enumerate(words[, start])}``: a vocabulary whose first id is ``start``."""
        cst = self.cst
        it = node.for_in.iter
        if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Name) and it.func.value == "enumerate"):
            return UNKNOWN
        target = node.for_in.target
        if not (isinstance(target, cst.Tuple) and len(target.elements) == 2):
            return UNKNOWN
        idx = target.elements[0].value
        if not (isinstance(idx, cst.Name) and isinstance(node.value, cst.Name) and node.value.value == idx.value):
            return UNKNOWN
        start = 0
        for a in it.args[1:]:
            if a.keyword is None or a.keyword.value == "start":
                v = self.eval(a.value, scope)
                start = v.v if isinstance(v, Const) and isinstance(v.v, int) else None
        return Vocab(start, node) if start is not None else UNKNOWN

    def ids_comp(self, node, scope):
        """``[[vocab[w] for w in s] for s in texts]``: token ids from a known vocabulary."""
        cst = self.cst
        inner = node.elt
        while isinstance(inner, (cst.ListComp, cst.GeneratorExp)):
            inner = inner.elt
        if isinstance(inner, cst.Subscript) and isinstance(inner.value, cst.Name):
            v = scope.get(inner.value.value)
            if isinstance(v, Vocab):
                return Arr(None, "int64", ids_start=v.start)
        if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and inner.func.attr.value == "get" \
                and isinstance(inner.func.value, cst.Name):
            v = scope.get(inner.func.value.value)
            if isinstance(v, Vocab):
                return Arr(None, "int64", ids_start=v.start)
        return UNKNOWN

    def slice_key(self, node, scope) -> list:
        cst = self.cst
        out = []
        for el in node.slice:
            s = el.slice
            if isinstance(s, cst.Slice):
                def part(x):
                    if x is None:
                        return None
                    v = self.eval(x, scope)
                    return v.v if isinstance(v, Const) else "?"
                out.append({"class_name": "__slice__", "config": {"start": part(s.lower), "stop": part(s.upper),
                                                                  "step": part(s.step)}})
            elif isinstance(s, cst.Index):
                if isinstance(s.value, cst.Ellipsis):
                    out.append({"class_name": "__ellipsis__", "config": {}})
                else:
                    v = self.eval(s.value, scope)
                    out.append(v.v if isinstance(v, Const) else "?")
        return out

    @staticmethod
    def arr_index(arr: Arr, key):
        r = Extractor._arr_index(arr, key)
        r.pad = arr.pad  # x[..., None] keeps the padding
        return r

    @staticmethod
    def _arr_index(arr: Arr, key):
        if arr.shape is None:
            return Arr(None, arr.dtype)
        shape = list(arr.shape)
        out = []
        i = 0
        for k in key:
            if isinstance(k, dict) and k.get("class_name") == "__ellipsis__":
                rest = [x for x in key[key.index(k) + 1:]]
                n_index = sum(1 for x in rest if not (x is None))
                keep = len(shape) - i - n_index
                out.extend(shape[i:i + max(keep, 0)])
                i += max(keep, 0)
            elif k is None:
                out.append(1)
            elif isinstance(k, dict):
                out.append(None)
                i += 1
            elif isinstance(k, int):
                i += 1
            else:
                return Arr(None, arr.dtype)
        out.extend(shape[i:])
        return Arr(tuple(out), arr.dtype)

    # ---- calls
    def call_args(self, node, scope):
        args, kwargs = [], {}
        for a in node.args:
            if a.star:
                return None, None
            v = self.eval(a.value, scope)
            if a.keyword is not None:
                kwargs[a.keyword.value] = v
            else:
                args.append(v)
        return args, kwargs

    def eval_call(self, node, scope):
        func = self.eval(node.func, scope)
        args, kwargs = self.call_args(node, scope)
        if args is None:
            return UNKNOWN
        if isinstance(node.func, self.cst.Attribute) and node.func.attr.value in ("padded_batch", "to_tensor") \
                and not isinstance(func, (Ref, LayerObj)):
            return self.padding_method(node.func.attr.value, args, kwargs, node)
        if isinstance(func, Ref):
            return self.call_ref(func.q, args, kwargs, node, scope)
        if isinstance(func, LayerObj):
            self._lambda_globals = scope
            return self.call_layer(func, args, kwargs, node)
        if isinstance(func, _Bound):
            return self.call_method(func, args, kwargs, node)
        if isinstance(func, Func):
            return self.run_function(func.node, dict(func.scope), args=(args, kwargs))
        if isinstance(func, ClassVal):
            return self.instantiate(func, args, kwargs, node)
        if isinstance(func, Instance):
            return self.call_instance(func, args, kwargs)
        if isinstance(func, Seq) and args and isinstance(args[0], Tens):
            return UNKNOWN  # a Sequential used as a layer: not followed
        return UNKNOWN

    def call_ref(self, q, args, kwargs, node, scope):
        cls = layer_class(q)
        if cls is not None and q not in INPUT_NAMES:
            return self.make_layer(cls, args, kwargs, node)
        if q in INPUT_NAMES:
            return self.make_input(args, kwargs, node)
        if q in MODEL_NAMES:
            seq = Seq(node)
            self.seqs.append(seq)
            items = args[0] if args else kwargs.get("layers")
            if isinstance(items, Const) and isinstance(items.v, (list, tuple)):
                for it in items.v:
                    self.seq_add(seq, it)
            return seq
        if q in FUNCTIONAL_NAMES:
            ins = args[0] if args else kwargs.get("inputs", UNKNOWN)
            outs = args[1] if len(args) > 1 else kwargs.get("outputs", UNKNOWN)
            fm = FuncModel(_tensors(ins), _tensors(outs), node)
            if fm.outputs:
                self.funcs.append(fm)
            return fm
        if q in PAD_NAMES:
            return self.pad_sequences(args, kwargs, node)
        if q in ("numpy.array", "numpy.asarray"):
            if args and isinstance(args[0], Const):
                shape, is_int = _literal_shape(args[0].v)
                if shape is not None:
                    return Arr(shape, "int64" if is_int else "float64")
            return UNKNOWN
        if q in ("numpy.full", "numpy.zeros", "numpy.ones"):
            shape = args[0] if args else kwargs.get("shape")
            fill = {"numpy.zeros": Const(0.0), "numpy.ones": Const(1.0)}.get(q) or (
                args[1] if len(args) > 1 else kwargs.get("fill_value", UNKNOWN))
            dims = shape.v if isinstance(shape, Const) and isinstance(shape.v, (list, tuple)) else None
            if dims is not None and not all(isinstance(d, int) or d is None for d in dims):
                dims = None
            dt = kwargs.get("dtype")
            arr = Arr(tuple(dims) if dims else None, dt.v if isinstance(dt, Const) and isinstance(dt.v, str) else
                      "float64", fill=fill.v if isinstance(fill, Const) else None, node=node)
            arr.fill_how = "np." + q.rsplit(".", 1)[1]
            return arr
        if q == "numpy.pad" and args:
            width = args[1] if len(args) > 1 else kwargs.get("pad_width", UNKNOWN)
            value = kwargs.get("constant_values", Const(0))
            mode = args[2] if len(args) > 2 else kwargs.get("mode", Const("constant"))
            if not (isinstance(mode, Const) and mode.v == "constant"):
                return UNKNOWN
            side = _pad_side(width.v if isinstance(width, Const) else None)
            base = args[0] if isinstance(args[0], Arr) else None
            return Arr(None, base.dtype if base else None,
                       pad=self.pad_fact(value.v if isinstance(value, Const) else None, side, None, node, "np.pad"))
        if q in ("numpy.nan", "math.nan"):
            return Const(float("nan"))
        if q == "float" and args and isinstance(args[0], Const):
            try:
                return Const(float(args[0].v))
            except (TypeError, ValueError):
                return UNKNOWN
        if q == "len" and args and isinstance(args[0], WordIndex):
            return VocabLen(args[0])
        if q in ("int", "len"):
            return UNKNOWN
        if q in TOKENIZER_NAMES:
            nw = kwargs.get("num_words", args[0] if args else Const(None))
            return Tokenizer(nw.v if isinstance(nw, Const) else UNKNOWN, node)
        if q.startswith("keras.ops.") and any(isinstance(a, Tens) for a in args):
            name = q.rsplit(".", 1)[1]
            return self.op_node(_camel(name), args, kwargs, node, module="keras.src.ops.numpy")
        if q.startswith("tensorflow.") and any(isinstance(a, Tens) for a in args):
            fn = q[len("tensorflow."):]
            return self.op_node("TFOpLambda", args, kwargs, node, function=fn)
        return UNKNOWN

    def padding_method(self, name, args, kwargs, node):
        """``ds.padded_batch(n, padding_values=v)`` and ``ragged.to_tensor(default_value=v)``: right padding."""
        if name == "padded_batch":
            v = kwargs.get("padding_values", args[2] if len(args) > 2 else Const(0))
            how = "padded_batch"
        else:
            v = kwargs.get("default_value", args[0] if args else Const(0))
            how = "RaggedTensor.to_tensor"
        value = v.v if isinstance(v, Const) and not isinstance(v.v, (list, tuple, dict)) else None
        return Arr(None, None, pad=self.pad_fact(value, "post", None, node, how))

    def _row_fill_side(self, target) -> str | None:
        """``X[i, :len(s)] = s`` -> "post"; ``X[i, -len(s):] = s`` -> "pre"; else None."""
        cst = self.cst
        els = target.slice
        if len(els) < 2 or not isinstance(els[1].slice, cst.Slice):
            return None
        sl = els[1].slice

        def is_len(n):
            if isinstance(n, cst.UnaryOperation) and isinstance(n.operator, cst.Minus):
                n = n.expression
            return isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == "len"

        if sl.lower is None and sl.upper is not None and is_len(sl.upper):
            return "post"
        if sl.upper is None and sl.lower is not None and is_len(sl.lower) and isinstance(sl.lower, cst.UnaryOperation):
            return "pre"
        return None

    def pad_fact(self, value, side, dtype, node, how):
        lay = Layer(name=self.auto_name("padding"), path="", class_name=how, kind="data")
        lay.path = lay.name
        lay.cst = node
        self.layers.append(lay)
        return PaddingFact(value=value, side=side, dtype=dtype, origin=lay, how=how)

    def pad_sequences(self, args, kwargs, node):
        """``pad_sequences(seqs, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0)``."""
        names = ("sequences", "maxlen", "dtype", "padding", "truncating", "value")
        a = dict(zip(names, args))
        a.update(kwargs)

        def known(key, default):
            if key not in a:
                return default
            v = a[key]
            return v.v if isinstance(v, Const) else None

        dtype = known("dtype", "int32")
        maxlen = known("maxlen", None)
        side = known("padding", "pre")
        lay = Layer(name=self.auto_name("pad_sequences"), path="", class_name="pad_sequences", kind="data")
        lay.path = lay.name
        lay.cst = node
        self.layers.append(lay)
        fact = PaddingFact(value=known("value", 0.0), side=side if side in ("pre", "post") else None,
                           dtype=dtype if isinstance(dtype, str) else None, origin=lay, how="pad_sequences")
        is_int = not (isinstance(dtype, str) and "float" in dtype)
        seqs = a.get("sequences")
        if is_int and isinstance(dtype, str) and _holds_fractions(seqs):
            self.extra_issues.append(RealValuesMasked(lay, None, why="int_truncation", dtype=dtype))
        if isinstance(seqs, Arr) and seqs.ids_start is not None:
            fact.ids_start = seqs.ids_start
        return Arr((None, maxlen if isinstance(maxlen, int) and not isinstance(maxlen, bool) else None),
                   "int32" if is_int else "float32", pad=fact)

    def seq_add(self, seq: Seq, item):
        if isinstance(item, LayerObj):
            seq.layers.append(item)
        elif isinstance(item, Tens) and item.t.node.layer.kind == INPUT and not seq.layers:
            seq.input = item.t
        else:
            seq.layers.append(None)  # something masklint cannot follow

    def call_method(self, bound, args, kwargs, node):
        obj, name = bound.obj, bound.name
        if isinstance(obj, (Seq, FuncModel)) and name in ("fit", "predict", "evaluate", "train_on_batch",
                                                          "predict_on_batch", "test_on_batch"):
            x = args[0] if args else kwargs.get("x")
            y = args[1] if len(args) > 1 else kwargs.get("y")
            weighted = "sample_weight" in kwargs or (name == "fit" and len(args) > 7)
            if name in ("fit", "evaluate", "train_on_batch", "test_on_batch") and isinstance(y, Arr) and \
                    y.pad is not None and y.pad not in obj.target_padding and not weighted:
                obj.target_padding.append(y.pad)
            if isinstance(x, Arr):
                if x.pad is not None and x.pad not in obj.padding:
                    obj.padding.append(x.pad)
                if isinstance(obj, Seq) and x.shape is not None and obj.data_shape is None:
                    obj.data_shape = (None,) + tuple(x.shape[1:])
            return UNKNOWN
        if isinstance(obj, Seq):
            if name == "add" and args:
                self.seq_add(obj, args[0])
            elif name == "build" and args and isinstance(args[0], Const):
                shape = args[0].v
                if isinstance(shape, (list, tuple)):
                    obj.build_shape = tuple(shape)
            return UNKNOWN
        if isinstance(obj, Arr) and name == "astype":
            dt = args[0].v if args and isinstance(args[0], Const) and isinstance(args[0].v, str) else None
            return Arr(obj.shape, dt or obj.dtype, pad=obj.pad)
        return UNKNOWN

    def make_layer(self, cls, args, kwargs, node):
        cfg = {}
        unknown = False
        pos = K.POSITIONAL_ARGS.get(cls, ())
        for i, a in enumerate(args):
            key = pos[i] if i < len(pos) else f"__arg{i}"
            cfg[key] = a
        cfg.update(kwargs)
        config = {}
        inner = []
        for k, v in cfg.items():
            if isinstance(v, LayerObj) and k in ("layer", "backward_layer"):
                inner.append(v.layer)
                config[k] = {"class_name": v.layer.class_name, "config": v.layer.config}
            elif isinstance(v, Const):
                config[k] = _plain(v.v)
            elif k in ("function", "mask") and cls == "Lambda":
                config[k] = {"class_name": "__source__"}  # code: read below, never run
            else:
                config[k] = None
                if k in K.BEHAVIOUR_ARGS:
                    unknown = True
        name = config.get("name") if isinstance(config.get("name"), str) else self.auto_name(_snake(cls))
        vocab = cfg.get("input_dim")
        tok_issue = isinstance(vocab, VocabLen) and vocab.plus == 0 and vocab.index.tok.num_words is None
        lay = Layer(name=name, path=name, class_name=cls, module="keras.layers", config=config, kind=LAYER,
                    inner=inner)
        if unknown:
            lay.module = None
            lay.registered_name = f"unresolved>{cls}"
        lay.cst = node
        self.layers.append(lay)
        if cls == "Embedding" and tok_issue:
            self.extra_issues.append(EmbeddingWithoutPaddingSlot(lay, None, vocab=vocab.index.text))
        obj = LayerObj(lay, node)
        if cls == "Lambda" and "mask" not in cfg:
            fn = node.args[0].value if node.args and node.args[0].keyword is None else next(
                (a.value for a in node.args if a.keyword is not None and a.keyword.value == "function"), None)
            if isinstance(fn, self.cst.Lambda):
                lay.source_lambda = fn
        return obj

    def auto_name(self, base):
        n = self.names.get(base, 0)
        self.names[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    def make_input(self, args, kwargs, node):
        shape = args[0] if args else kwargs.get("shape", kwargs.get("batch_shape", UNKNOWN))
        bshape = None
        if isinstance(shape, Const) and isinstance(shape.v, (list, tuple)) and all(
                x is None or (isinstance(x, int) and not isinstance(x, bool)) for x in shape.v):
            bshape = tuple(shape.v) if "batch_shape" in kwargs else (None,) + tuple(shape.v)
        dtype = kwargs.get("dtype")
        lay = Layer(name=self.auto_name("input_layer"), path="", class_name="InputLayer", module="keras.layers",
                    config={"batch_shape": list(bshape) if bshape else None}, kind=INPUT)
        lay.path = lay.name
        lay.cst = node
        n = Node(lay)
        t = n.output(0)
        t.shape = bshape
        t.dtype = dtype.v if isinstance(dtype, Const) and isinstance(dtype.v, str) else "float32"
        return Tens(t)

    def call_layer(self, obj: LayerObj, args, kwargs, node):
        tensors = _tensors(args[0]) if args else []
        if not tensors:
            return UNKNOWN
        fn = getattr(obj.layer, "source_lambda", None)
        if fn is not None and len(args) == 1 and not kwargs:
            r = self.inline_lambda(fn, args[0])
            if r is not None:
                return r
        extra = [a.t for a in args[1:] if isinstance(a, Tens)]
        n = Node(obj.layer, args=tensors + extra)
        for k, v in kwargs.items():
            ts = _tensors(v)
            if k == "mask" or k.endswith("_mask"):
                if ts:
                    n.masks[k] = ts
            elif ts:
                n.tensor_kwargs[k] = ts
            elif isinstance(v, Const):
                n.kwargs[k] = v.v
        return Tens(n.output(0))

    def op_node(self, cls, args, kwargs, node, module=None, function=None):
        tensors = []
        consts = []
        for a in args:
            ts = _tensors(a)
            if ts:
                tensors.extend(ts)
            else:
                consts.append(a.v if isinstance(a, Const) else None)
        name = self.auto_name(_snake(cls) if cls != "TFOpLambda" else "tf_op_lambda")
        cfg = {"name": name}
        cfg.update({k: v.v for k, v in kwargs.items() if isinstance(v, Const)})
        if function:
            cfg["function"] = function
        lay = Layer(name=name, path=name, class_name=cls, module=module, registered_name=cls, config=cfg, kind=OP)
        lay.cst = node
        self.layers.append(lay)
        n = Node(lay, args=tensors, consts=consts,
                 kwargs={k: v.v for k, v in kwargs.items() if isinstance(v, Const)})
        return Tens(n.output(0))

    def inline_lambda(self, fn, arg):
        """``Lambda(lambda t: t[:, -1])`` without ``mask=``: follow its body as ops on the tensor (a
        body that returns its input keeps the runtime mask, as Keras does). A function that takes a
        ``mask`` argument, or a body masklint cannot follow, stays an opaque Lambda."""
        params = fn.params
        names = [p.name.value for p in params.params]
        if len(names) != 1 or params.kwonly_params or params.star_arg is not None and not isinstance(
                params.star_arg, self.cst.MaybeSentinel) or params.star_kwarg is not None:
            return None
        scope = {names[0]: arg}
        scope.update({k: v for k, v in self._lambda_globals.items() if k not in scope})
        r = self.eval(fn.body, scope)
        return r if isinstance(r, Tens) else None

    # ---- functions and classes
    def run_function(self, fdef, scope, args):
        if self.depth >= MAX_INLINE_DEPTH or any(f is fdef for f in self.stack):
            return UNKNOWN
        cst = self.cst
        params = fdef.params
        plist = list(params.posonly_params) + list(params.params)
        pos, kw = (args if args is not None else ([], {}))
        for i, p in enumerate(plist):
            name = p.name.value
            if i < len(pos):
                scope[name] = pos[i]
            elif name in kw:
                scope[name] = kw[name]
            elif p.default is not None:
                scope[name] = self.eval(p.default, scope)
            else:
                scope[name] = UNKNOWN
        for p in params.kwonly_params:
            scope[p.name.value] = kw.get(p.name.value, self.eval(p.default, scope) if p.default else UNKNOWN)
        self.depth += 1
        self.stack.append(fdef)
        try:
            r = self.exec_body(fdef.body.body if isinstance(fdef.body, cst.IndentedBlock) else [], scope)
        finally:
            self.depth -= 1
            self.stack.pop()
        return r if r is not None else UNKNOWN

    def instantiate(self, cls: ClassVal, args, kwargs, node):
        if self._is_keras_layer(cls):  # a custom layer: its mask behaviour is unknown (MK001)
            name = self.auto_name(_snake(cls.node.name.value))
            lay = Layer(name=name, path=name, class_name=cls.node.name.value, module=None,
                        registered_name=f"source>{cls.node.name.value}", config={}, kind=LAYER)
            lay.cst = node
            self.layers.append(lay)
            return LayerObj(lay, node)
        inst = Instance(cls)
        init = self._method(cls, "__init__")
        if init is not None:
            scope = dict(cls.scope)
            scope_args = ([inst] + list(args), kwargs)
            self.run_function(init, scope, scope_args)
        # a subclassed model: run `call` on a fresh input so its layers form a graph
        if self._is_keras_model(cls) and self._method(cls, "call") is not None:
            lay = Layer(name=self.auto_name("input_layer"), path="", class_name="InputLayer", kind=INPUT)
            lay.path = lay.name
            lay.cst = node
            n = Node(lay)
            t = Tens(n.output(0))
            out = self.call_instance(inst, [t], {})
            outs = _tensors(out)
            if outs:
                self.funcs.append(FuncModel([t.t], outs, node))
        return inst

    def call_instance(self, inst: Instance, args, kwargs):
        call = self._method(inst.cls, "call")
        if call is None:
            return UNKNOWN
        return self.run_function(call, dict(inst.cls.scope), ([inst] + list(args), kwargs))

    def _method(self, cls: ClassVal, name):
        cst = self.cst
        for s in cls.node.body.body:
            if isinstance(s, cst.FunctionDef) and s.name.value == name:
                return s
        return None

    @staticmethod
    def _is_keras_layer(cls: ClassVal) -> bool:
        return any(isinstance(b, Ref) and b.q.startswith("keras.") and b.q.split(".")[-1] in ("Layer", "Wrapper")
                   for b in cls.bases)

    @staticmethod
    def _is_keras_model(cls: ClassVal) -> bool:
        return any(isinstance(b, Ref) and (b.q in FUNCTIONAL_NAMES or b.q.endswith(".Model")) for b in cls.bases)

    # ---- graphs
    def seq_graph(self, seq: Seq) -> Graph | None:
        if not seq.layers or any(x is None for x in seq.layers):
            return None
        g = Graph(name="sequential", path="", kind="sequential")
        if seq.input is not None:
            inp_t = seq.input
            inp_node = inp_t.node
        else:
            first = seq.layers[0].layer
            c = first.config
            shape = None
            if isinstance(c.get("batch_input_shape"), (list, tuple)):
                shape = tuple(c["batch_input_shape"])
            elif isinstance(c.get("input_shape"), (list, tuple)):
                shape = (None,) + tuple(c["input_shape"])
            elif first.class_name == "Embedding" and "input_length" in c:
                shape = (None, c["input_length"] if isinstance(c["input_length"], int) else None)
            elif seq.build_shape is not None:
                shape = seq.build_shape
            elif seq.data_shape is not None:
                shape = seq.data_shape
            lay = Layer(name="input", path="input", class_name="InputLayer", kind=INPUT)
            lay.cst = seq.cst
            inp_node = Node(lay)
            inp_t = inp_node.output(0)
            inp_t.shape = shape if shape is None or all(x is None or isinstance(x, int) for x in shape) else None
            inp_t.dtype = "int32" if first.class_name in ("Embedding",) else None
        g.nodes.append(inp_node)
        g.inputs.append(inp_t)
        prev = inp_t
        for obj in seq.layers:
            n = Node(obj.layer, args=[prev])
            g.nodes.append(n)
            prev = n.output(0)
        g.outputs.append(prev)
        g.padding = list(seq.padding)
        g.target_padding = list(seq.target_padding)
        return g

    @staticmethod
    def func_graph(fm: FuncModel) -> Graph | None:
        seen: dict[int, Node] = {}
        order: list[Node] = []

        def visit(n: Node, depth=0):
            if id(n) in seen or depth > 5000:
                return
            seen[id(n)] = n
            for t in n.args:
                visit(t.node, depth + 1)
            for ts in n.tensor_kwargs.values():
                for t in ts:
                    visit(t.node, depth + 1)
            order.append(n)

        for t in fm.outputs:
            visit(t.node)
        if not order:
            return None
        g = Graph(name="model", path="", kind="functional", nodes=order, inputs=list(fm.inputs),
                  outputs=list(fm.outputs))
        if len(fm.inputs) == 1:
            g.padding = list(fm.padding)
        if len(fm.outputs) == 1:
            g.target_padding = list(fm.target_padding)
        return g


class _Bound:
    __slots__ = ("obj", "name")

    def __init__(self, obj, name):
        self.obj = obj
        self.name = name


_BUILTINS = {"float", "int", "len", "list", "tuple", "range"}

_BINOPS = {"Multiply": "Multiply", "Add": "Add", "Subtract": "Subtract", "Divide": "Divide",
           "MatrixMultiply": "Matmul", "Power": "Power", "FloorDivide": "FloorDivide", "Modulo": "Mod"}


def _tensors(v) -> list[Tensor]:
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
    if isinstance(v, (list, tuple)):
        return [_plain(x) if not isinstance(x, (Const, Unknown, Ref)) else (x.v if isinstance(x, Const) else None)
                for x in v]
    return v


def _holds_fractions(v) -> bool:
    """A literal (nested) list with a non-integer float in it."""
    if isinstance(v, Const):
        v = v.v
    if isinstance(v, float):
        return not v.is_integer()
    if isinstance(v, (list, tuple)):
        return any(_holds_fractions(x) for x in v[:10000])
    if isinstance(v, Arr):
        return bool(v.dtype) and "float" in v.dtype and v.fill is None
    return False


def _pad_side(width) -> str | None:
    """np.pad widths: (0, k) or ((0, 0), (0, k)) pad after (post); (k, 0) before (pre)."""
    if isinstance(width, (list, tuple)) and len(width) == 2 and all(isinstance(x, int) for x in width):
        before, after = width
        return "post" if before == 0 and after != 0 else "pre" if after == 0 and before != 0 else None
    if isinstance(width, (list, tuple)) and width and all(isinstance(w, (list, tuple)) for w in width):
        sides = {_pad_side(tuple(w)) for w in width if tuple(w) != (0, 0)}
        return sides.pop() if len(sides) == 1 else None
    return None


def _literal_shape(v):
    """Shape of a nested list literal and whether all leaves are ints."""
    if not isinstance(v, (list, tuple)):
        return (), isinstance(v, int) and not isinstance(v, bool)
    if not v:
        return (0,), True
    subs = [_literal_shape(x) for x in v]
    first = subs[0][0]
    if first is None or any(s[0] != first for s in subs):
        return None, False
    return (len(v),) + first, all(s[1] for s in subs)


# -- entry point ----------------------------------------------------------------------------------

def mentions_keras(raw: bytes) -> bool:
    return b"keras" in raw or b"tensorflow" in raw


#: deepest expression nesting parsed (the deepest in 5,716 files of site-packages, TensorFlow and numpy
#: included, is 39); libcst's native parser crashes (stack overflow) from ~3,000 levels and is quadratic
#: in the depth below that (a 9 KB chain of 3,000 calls takes 8 s)
MAX_EXPR_DEPTH = 100
#: most operands of one flat ``and``/``or`` chain or comparison parsed: CPython keeps them flat, libcst's
#: parser recurses once per operand and overflows its stack (a segmentation fault) from ~7,000
MAX_CHAIN = 1000
PARSE_TIMEOUT = "MASKLINT_PARSE_TIMEOUT"


def _check_depth(text: str) -> bool:
    """Reject, before libcst sees it, source nested deeper than ``MAX_EXPR_DEPTH`` expressions, with a
    chain longer than ``MAX_CHAIN``, or nested deeper than CPython's own parser accepts (it cannot run
    anyway). Returns False when CPython's parser rejects the source for another reason: libcst, which
    knows newer grammar than the running Python, is then run in a child with a deadline (see
    :func:`_parse_isolated`)."""
    import ast
    import warnings

    _LAST_AST[:] = [None, None]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning ("invalid escape sequence"...) is not ours to print
            tree = ast.parse(text)
    except SyntaxError as exc:
        if "too many nested" in str(exc.msg) or "too complex" in str(exc.msg):
            raise LintError(f"source is nested too deeply to parse (line {exc.lineno}: {exc.msg})") from None
        return False
    except (RecursionError, MemoryError):
        raise LintError("source is nested too deeply to parse") from None
    except ValueError:  # null bytes: libcst reports them
        return False
    expr, boolop, compare = ast.expr, ast.BoolOp, ast.Compare
    children = ast.iter_child_nodes
    stack = [(tree, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if isinstance(node, expr):
            depth += 1
            if depth > MAX_EXPR_DEPTH:
                raise LintError(f"source is nested too deeply to parse (an expression at line "
                                f"{node.lineno} is nested over {MAX_EXPR_DEPTH} levels deep)")
            n = len(node.values) if isinstance(node, boolop) else len(node.ops) + 1 if isinstance(node, compare) else 0
            if n > MAX_CHAIN:
                raise LintError(f"source is nested too deeply to parse (an expression at line {node.lineno} "
                                f"chains {n:,} operands, over {MAX_CHAIN:,})")
        for child in children(node):
            push((child, depth))
    _LAST_AST[:] = [text, tree]  # positions reuse this tree (same text object) instead of parsing again
    return True


#: (text, ast tree) of the last source checked by _check_depth
_LAST_AST: list = [None, None]


def _parse(text: str):
    """libcst's module for ``text``; LintError for a syntax error."""
    import libcst as cst

    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise LintError(f"syntax error at line {exc.raw_line}, column {exc.raw_column + 1}: "
                        f"{str(exc.message).splitlines()[0]}") from None
    except cst.CSTValidationError as exc:
        raise LintError(f"syntax error: {str(exc).splitlines()[0] if str(exc) else 'invalid syntax'}") from None
    except RecursionError:
        raise LintError("source is nested too deeply to parse") from None


def parse_task(payload: bytes) -> bytes:
    """The isolation task for source CPython rejected: parse it with libcst (b"" when it parses)."""
    _parse(payload.decode("utf-8", "surrogatepass"))
    return b""


def _parse_isolated(text: str) -> None:
    """Run libcst's parser on ``text`` in a child with a deadline first: on source CPython rejects, it
    can run for minutes (a 20 KB line of ``a + a + ...`` ending in a syntax error) or crash."""
    from .errors import limit
    from .isolation import run_task

    timeout = limit(PARSE_TIMEOUT)
    run_task("parse", text.encode("utf-8", "surrogatepass"), timeout,
             late=f"source could not be parsed within {timeout} s ({PARSE_TIMEOUT}); it does not parse with "
                  "this Python either",
             crashed="source crashed libcst's parser; it does not parse with this Python either")


def extract(text: str, path: str):
    """Parse ``text`` and return (graphs, module); raises LintError on a syntax error."""
    if not _check_depth(text):
        _parse_isolated(text)
    module = _parse(text)
    ex = Extractor(module)
    try:
        graphs = ex.run()
    except RecursionError:
        raise LintError("source is nested too deeply to analyse") from None
    return graphs, module, ex.layers, ex.extra_issues


def resolve_positions(module, layers, text: str | None = None) -> None:
    """Fill ``line``/``column`` (1-based) of the calls that build ``layers``.

    libcst's PositionProvider regenerates the whole module's code (it cost more than the parse itself
    on model code), so positions come from CPython's ``ast`` instead: both trees hold the same calls,
    and sorted by where they start (outer call first on a tie) they pair up. Each pair is checked by
    the callee's name; on any disagreement libcst's provider is used.
    """
    wanted = [lay for lay in layers if getattr(lay, "cst", None) is not None]
    if not wanted:
        return
    if text is not None and _positions_from_ast(module, wanted, text):
        return
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    pos = wrapper.resolve(PositionProvider)
    for lay in wanted:
        node = lay.cst
        if node in pos:
            r = pos[node]
            lay.line, lay.column = r.start.line, r.start.column + 1


def _callee(name_node) -> str | None:
    n = getattr(name_node, "attr", None)
    if n is not None:
        return getattr(n, "value", n) if not isinstance(n, str) else n
    v = getattr(name_node, "value", None) if not hasattr(name_node, "id") else name_node.id
    return v if isinstance(v, str) else None


#: fields that hold no calls (whitespace, brackets, punctuation), never walked
_SKIP_FIELDS = frozenset((
    "lpar", "rpar", "lbracket", "rbracket", "lbrace", "rbrace", "comma", "semicolon", "colon", "equal",
    "operator", "dot", "star", "header", "footer", "leading_lines", "lines_after_decorators", "newline",
    "trailing_whitespace", "asynchronous", "whitespace",
))
#: nodes whose dataclass field order differs from source order
_SOURCE_ORDER = {
    "FunctionDef": ("decorators", "params", "returns", "body"),
    "ClassDef": ("decorators", "bases", "keywords", "body"),
    "IfExp": ("body", "test", "orelse"),
    "Parameters": ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
_FIELD_CACHE: dict = {}


def _kids(n) -> list:
    """The child nodes of a libcst node in source order, read from its fields (no rebuilding)."""
    t = type(n)
    names = _FIELD_CACHE.get(t)
    if names is None:
        import dataclasses

        names = _SOURCE_ORDER.get(t.__name__) or tuple(
            f.name for f in dataclasses.fields(t)
            if f.name not in _SKIP_FIELDS and not f.name.startswith("whitespace"))
        _FIELD_CACHE[t] = names
    out = []
    for name in names:
        v = getattr(n, name, None)
        if v is None or isinstance(v, (str, int, float)):
            continue
        if isinstance(v, (tuple, list)):
            out.extend(v)
        elif hasattr(v, "_codegen_impl"):
            out.append(v)
    return out


def _positions_from_ast(module, wanted, text: str) -> bool:
    import ast

    import warnings

    import libcst as cst

    tree = _LAST_AST[1] if _LAST_AST[0] is text else None
    _LAST_AST[:] = [None, None]
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # CPython's SyntaxWarnings are not masklint's to print
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    calls_ast = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    calls_ast.sort(key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))

    # pre-order walk over the nodes' fields in source order (libcst's `children` and its visitors
    # rebuild every node on the way back up: that cost more than the parse)
    calls = []
    stack = [module]
    call_t = cst.Call
    while stack:
        n = stack.pop()
        if type(n) is call_t:
            calls.append(n)
        stack.extend(reversed(_kids(n)))
    if len(calls) != len(calls_ast):
        return False
    # every pair must agree on the callee and the argument count, or the order assumption is wrong
    for a, c in zip(calls_ast, calls):
        if _callee(a.func) != _callee(c.func) or len(a.args) + len(a.keywords) != len(c.args):
            return False
    index = {id(c): i for i, c in enumerate(calls)}
    lines = text.splitlines()
    found = []
    for lay in wanted:
        i = index.get(id(lay.cst))
        if i is None:
            return False
        a, c = calls_ast[i], calls[i]
        if _callee(a.func) != _callee(c.func):
            return False
        line = lines[a.lineno - 1] if 0 < a.lineno <= len(lines) else ""
        column = len(line.encode("utf-8")[:a.col_offset].decode("utf-8", "replace")) + 1
        found.append((lay, a.lineno, column))
    for lay, line, column in found:
        lay.line, lay.column = line, column
    return True
