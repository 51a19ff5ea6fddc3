"""Facts about the data fed to models: array shapes and dtypes, how the data is padded (``pad_sequences``,
``np.pad``, ``np.full`` + per-row writes, ``padded_batch``, ``RaggedTensor.to_tensor``) and token
vocabularies (a hand-built ``{w: i ...}``, a Keras ``Tokenizer``), as :class:`~masklint.ir.PaddingFact`
objects the rules read."""
from __future__ import annotations

from ...ir import DATA, Layer, PaddingFact
from ...rules.mk202_real_values_masked import RealValuesMasked
from .names import PAD_NAMES, TOKENIZER_NAMES, AutoNames
from .values import UNKNOWN, Arr, Const, Tokenizer, Vocab, VocabLen, WordIndex


class PaddingFacts(AutoNames):
    """Part of the interpreter (:class:`~.interpreter.Extractor`): the data calls and expressions. The
    host provides ``cst`` (the libcst module), ``eval``, ``layers`` (every pseudo-layer made is added)
    and ``extra_issues``."""

    def data_call(self, q, args, kwargs, node):
        """The value of a call of ``q`` (a canonical name) that makes or pads data; None when ``q`` is no
        such function."""
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
        if q == "len" and args and isinstance(args[0], WordIndex):
            return VocabLen(args[0])
        if q in TOKENIZER_NAMES:
            nw = kwargs.get("num_words", args[0] if args else Const(None))
            return Tokenizer(nw.v if isinstance(nw, Const) else UNKNOWN, node)
        return None

    def array_method(self, arr: Arr, name, args):
        """``x.astype(dtype)`` keeps the shape and the padding."""
        if name == "astype":
            dt = args[0].v if args and isinstance(args[0], Const) and isinstance(args[0].v, str) else None
            return Arr(arr.shape, dt or arr.dtype, pad=arr.pad)
        return UNKNOWN

    def assign_rows(self, target, scope) -> None:
        """``X[i, :len(s)] = s`` into an ``np.full``/``np.zeros`` array: the fill value becomes padding."""
        arr = scope.get(target.value.value)
        if isinstance(arr, Arr) and arr.fill is not None and arr.pad is None:
            side = self._row_fill_side(target)
            if side is not None:
                arr.pad = self.pad_fact(arr.fill, side, arr.dtype, arr.node, arr.fill_how)

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

    @staticmethod
    def arr_index(arr: Arr, key):
        r = PaddingFacts._arr_index(arr, key)
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
        lay = Layer(name=self.auto_name("padding"), path="", class_name=how, kind=DATA)
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
        lay = Layer(name=self.auto_name("pad_sequences"), path="", class_name="pad_sequences", kind=DATA)
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

