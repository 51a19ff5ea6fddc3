"""The abstract interpreter: walks a module's statements and expressions in order, binding names in
scopes, unrolling small ``range`` loops, and inlining helper functions, lambdas and a subclassed model's
``__init__``/``call`` at their call sites; Keras calls and data facts are handed to
:mod:`.keras_calls` and :mod:`.padding`."""
from __future__ import annotations

from ...ir import INPUT, Graph, Layer, Node
from .classes import ClassModels
from .containers import Containers
from .graphs import func_graph, seq_graph
from .custom_decl import is_user_layer
from .custom_layers import CustomLayers
from .keras_calls import KerasCalls
from .lambda_nodes import LambdaNodes
from .more_calls import MoreCalls
from .names import _BUILTINS, bind_import, canonical_name, is_keras_model
from .evidence import MoreEvidence
from .hub_padding import HubPadding
from .modules import FILE_KEY, LazyName, ModuleRef, TaggedLayers
from .padding import PaddingFacts
from .unknowns import TENSOR_DATA_ATTRS, UnknownNodes, all_tensors
from .values import (UNKNOWN, Arr, ClassVal, Const, Func, FuncModel, Instance, LayerObj, Ref, Seq, Tens,
                     Tokenizer, VocabLen, WordIndex, _Bound, _tensors)

MAX_INLINE_DEPTH = 8
MAX_STEPS = 20_000  # abstract-interpretation budget per entry (module body or one function)


class _Budget(Exception):
    """This entry is too large to follow: its partial results are dropped, the file is still linted."""


_BINOPS = {"Multiply": "Multiply", "Add": "Add", "Subtract": "Subtract", "Divide": "Divide",
           "MatrixMultiply": "Matmul", "Power": "Power", "FloorDivide": "FloorDivide", "Modulo": "Mod"}


class Extractor(HubPadding, MoreEvidence, CustomLayers, KerasCalls, PaddingFacts, UnknownNodes, MoreCalls, ClassModels,
                LambdaNodes, Containers):
    """Walks one libcst module: :meth:`run` returns the graphs of the models it builds; ``layers`` then
    holds every layer and pseudo-layer made (for positions) and ``extra_issues`` the findings that need
    no graph."""

    def __init__(self, module, project=None, file=None):
        self.module = module
        self.project = project  # the run's ProjectIndex (imports between linted files), or None
        self.file = file  # the file whose code runs now, when it is not the linted one (modules.py)
        self.path = file  # the linted file (set by ``extract``)
        self.models: list[tuple[object, Graph]] = []
        self.layers: list[Layer] = [] if project is None else TaggedLayers(self)
        self.names: dict[str, int] = {}
        self.steps = 0
        self.depth = 0
        self.seqs: list[Seq] = []
        self.funcs: list[FuncModel] = []
        self.stack: list = []  # functions being inlined (recursion is not followed)
        self._lambda_globals: dict = {}
        self.extra_issues: list = []  # rule records that need no graph (a vocabulary size, a pad dtype)
        self.closures: list = []  # Func/ClassVal values: each sits in the scope it closes over (a cycle)
        self.lambda_scopes: dict = {}  # id(Lambda layer) -> the scope its source lambda was written in
        self.ran: set[int] = set()  # ids of the FunctionDefs run (a method run from __init__ is not rerun)
        self._custom_init()  # custom_graphs: one graph per custom Layer class whose call was followed

    # ---- entry
    def run(self) -> list[Graph]:
        import libcst as cst

        self.cst = cst
        glob: dict = {} if self.project is None else {FILE_KEY: self.file}
        self.entry(lambda: self.exec_body(self.module.body, glob))
        # model code usually lives in functions: run each function body once as its own entry
        for stmt in self._all_defs(self.module.body):
            scope = dict(glob)
            if isinstance(stmt, cst.FunctionDef):
                self.entry(lambda: self.run_function(stmt, scope, args=None))
        self.run_classes(self.module.body, glob)
        for c in self.closures:  # break the scope cycles so the libcst tree is freed by refcounting
            c.scope = None
        self.closures = []
        graphs = []
        self.steps = 0
        for s in self.seqs:
            try:
                g = seq_graph(s, self.seq_lambda) if not s.nested else None
            except _Budget:  # a Lambda body too large to follow: it stays an opaque node
                g = seq_graph(s)
            if g is not None:
                graphs.append(self.module_padding(s, g))
        for fm in self.funcs:
            g = func_graph(fm) if not fm.nested else None
            if g is not None:
                graphs.append(self.module_padding(fm, g))
        self.lambda_scopes = {}
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
                counts = counts if counts is not None or not isinstance(stmt, cst.For) else self.layer_items(stmt, scope)
                if counts is None:  # unknown iterations: the body once, the loop variable unknown
                    if isinstance(stmt, cst.For):
                        self.assign(stmt.target, UNKNOWN, scope)
                    r = self.exec_body(stmt.body.body, scope)
                    if r is not None:
                        return r
                else:  # `for i in range(N)` with a known small N (stacked blocks): every iteration
                    for i in counts:
                        self.assign(stmt.target, i if isinstance(i, LayerObj) else Const(i), scope)
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
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            bind_import(small, scope)
            if self.project is not None:
                self.project.bind(small, scope, scope.get(FILE_KEY) or self.path, self)
        return None

    def assign(self, target, val, scope):
        cst = self.cst
        if isinstance(target, cst.Name):
            scope[target.value] = val
            if isinstance(val, (Seq, FuncModel)) and val.name is None:
                val.name = target.value
        elif isinstance(target, (cst.Tuple, cst.List)):
            elems = [e.value for e in target.elements]
            if isinstance(val, Tens):  # out, h, c = LSTM(return_state=True)(x)
                for i, e in enumerate(elems):
                    self.assign(e, Tens(val.t.node.output(i)), scope)
            elif isinstance(val, Const) and isinstance(val.v, (list, tuple)) and len(val.v) == len(elems):
                for e, v in zip(elems, val.v):
                    plain = isinstance(v, (int, float, str, list, tuple, type(None)))  # (x, y), (x2, y2) = ...
                    self.assign(e, Const(v) if plain else v, scope)
            else:
                for e in elems:
                    self.assign(e, UNKNOWN, scope)
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            obj = scope.get(target.value.value)
            if isinstance(obj, Instance):
                obj.attrs[target.attr.value] = val
                if isinstance(val, (Seq, FuncModel)) and val.name is None:
                    val.name = target.attr.value
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            self.assign_rows(target, scope)

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
            return v.get() if type(v) is LazyName else v
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
            if type(base) is ModuleRef:
                return base.attr(attr)
            if isinstance(base, Instance):
                return self.instance_attr(base, attr)
            if isinstance(base, Tens) and attr not in TENSOR_DATA_ATTRS:
                return _Bound(base, attr)  # a method of a tensor: an unknown node once called
            if isinstance(base, Tokenizer) and attr == "word_index":
                return WordIndex(base, self.cst.Module([]).code_for_node(node))
            if isinstance(base, Arr) and attr == "shape":
                return Const(tuple(base.shape)) if base.shape is not None else UNKNOWN
            if isinstance(base, (Seq, FuncModel, Arr)):
                return _Bound(base, attr)
            return UNKNOWN
        if isinstance(node, cst.Call):
            return self.eval_call(node, scope)
        if isinstance(node, cst.Lambda):
            return self.lambda_value(node, scope)
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
                    if isinstance(k, int):  # an item of a tuple of values (a helper's result) is that value
                        item = base.v[k]
                        plain = isinstance(item, (int, float, str, bytes, list, tuple, dict, type(None)))
                        return Const(item) if plain else item
                except (TypeError, IndexError, ValueError):
                    return UNKNOWN
            if isinstance(base, Arr):
                return self.arr_index(base, key)
            return UNKNOWN
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
            return self.star_call(func, node, scope)
        self._lambda_globals = scope  # the names a Lambda made here sees (read by make_layer)
        if isinstance(node.func, self.cst.Attribute) and node.func.attr.value in ("padded_batch", "to_tensor",
                                                                                  "map") \
                and not isinstance(func, (Ref, LayerObj, Func, ClassVal)):
            return self.padding_method(node.func.attr.value, args, kwargs, node)
        if isinstance(func, Ref):
            return self.call_ref(func.q, args, kwargs, node, scope)
        if isinstance(func, LayerObj):
            self._lambda_globals = scope
            return self.call_layer(func, args, kwargs, node)
        if isinstance(func, _Bound):
            if isinstance(func.obj, Arr):
                return self.array_method(func.obj, func.name, args)
            if isinstance(func.obj, Instance):
                return self.call_method(func.obj, func.name, args, kwargs)
            if isinstance(func.obj, Tens):
                return self.unknown_node(func.name, f"the tensor method .{func.name}(), which masklint does not "
                                         "follow", [func.obj.t] + all_tensors(args, kwargs), node)
            self._add_arg = node.args[0].value if node.args else node  # the item of `model.add(...)`
            return self.model_method(func.obj, func.name, args, kwargs)
        if isinstance(func, Func):
            return self.run_function(func.node, dict(func.scope), args=(args, kwargs))
        if isinstance(func, ClassVal):
            return self.instantiate(func, args, kwargs, node)
        if isinstance(func, Instance):
            return self.call_instance(func, args, kwargs)
        if isinstance(func, (Seq, FuncModel)) and args:
            return self.nested_model_call(func, args, node)  # a model used as a layer
        if func is UNKNOWN and self.list_method(node, args, scope):
            return Const(None)
        if getattr(self, "_custom_ctx", None):  # inside a custom layer's call: the class falls back to its
            self.note_unfollowed(node, args, kwargs)  # declaration (or an unknown-behaviour finding)
            return UNKNOWN
        return self.unknown_call(self.call_label(node), "a call masklint does not follow", args, kwargs, node)

    def call_ref(self, q, args, kwargs, node, scope):
        """A call of an imported function or class ``q`` (a canonical dotted name)."""
        r = self.keras_call(q, args, kwargs, node)
        if r is None:
            r = self.data_call(q, args, kwargs, node)
        if r is None:
            r = self.more_call(q, args, kwargs, node)
        if r is not None:
            return r
        if q in ("numpy.nan", "math.nan"):
            return Const(float("nan"))
        if q == "float" and args and isinstance(args[0], Const):
            try:
                return Const(float(args[0].v))
            except (TypeError, ValueError):
                return UNKNOWN
        if q in ("int", "len", "float", "list", "tuple", "range"):
            return UNKNOWN
        r = self.op_call(q, args, kwargs, node)
        if r is None:
            return self.unknown_call(q.rsplit(".", 1)[-1], f"the function {q}, which masklint does not follow",
                                     args, kwargs, node)
        return r

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
        self.ran.add(id(fdef))
        outer, self.file = self.file, scope.get(FILE_KEY, self.file)
        try:
            r = self.exec_body(fdef.body.body if isinstance(fdef.body, cst.IndentedBlock) else [], scope)
        finally:
            self.depth -= 1
            self.stack.pop()
            self.file = outer
        return r if r is not None else UNKNOWN

    def instantiate(self, cls: ClassVal, args, kwargs, node):
        if is_user_layer(cls):  # a custom layer: its declaration, its call followed at the first call
            return self.custom_layer(cls, node, args, kwargs)
        inst = Instance(cls)
        init = self._method(cls, "__init__")
        if init is not None:
            scope = dict(cls.scope)
            scope_args = ([inst] + list(args), kwargs)
            self.run_function(init, scope, scope_args)
        # a subclassed model: run `call` on a fresh input so its layers form a graph
        if is_keras_model(cls) and self._method(cls, "call") is not None:
            lay = Layer(name=self.auto_name("input_layer"), path="", class_name="InputLayer", kind=INPUT)
            lay.path = lay.name
            lay.cst = node
            n = Node(lay)
            t = Tens(n.output(0))
            out = self.call_instance(inst, [t], {})
            outs = _tensors(out)
            if outs:
                fm = FuncModel([t.t], outs, node, kind="subclass")
                name = kwargs.get("name")
                fm.name = name.v if isinstance(name, Const) and isinstance(name.v, str) else cls.node.name.value
                inst.model = fm
                self.funcs.append(fm)
        return inst

    def call_instance(self, inst: Instance, args, kwargs):
        found = self.find_method(inst.cls, "call" if inst.model is not None or is_keras_model(inst.cls)
                                 else "__call__")
        if found is None:
            return UNKNOWN
        return self.run_function(found[0], dict(found[1].scope), ([inst] + list(args), kwargs))

    def _method(self, cls: ClassVal, name):
        cst = self.cst
        for s in cls.node.body.body:
            if isinstance(s, cst.FunctionDef) and s.name.value == name:
                return s
        return None
