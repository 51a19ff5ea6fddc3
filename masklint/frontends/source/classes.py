"""Models in classes: a model built in a plain class's ``__init__`` or methods (``self.model =
Sequential(...)``, ``self.build_model()``, methods calling methods through ``self``), and subclassed
models (``class Net(keras.Model)`` with ``call``) found even when the file never instantiates them.
Instances are followed to ``fit``/``predict``: ``net.fit(x_pad, y)``, ``wrapper.model.fit(...)`` and
``clf.train(x_pad)`` (where ``train`` calls ``self.model.fit``) attach the data's padding facts."""
from __future__ import annotations

from .names import is_keras_layer, is_keras_model
from .values import UNKNOWN, ClassVal, Instance, _Bound

MAX_BASES = 8


class ClassModels:
    """Part of the interpreter (:class:`~.interpreter.Extractor`); the host provides ``cst``, ``entry``,
    ``run_function``, ``instantiate``, ``model_method`` and ``ran`` (the ids of the functions run)."""

    def find_method(self, cls: ClassVal, name: str, depth: int = 0):
        """The ``FunctionDef`` of method ``name`` on ``cls`` or a user base class; (fdef, owner) or None."""
        cst = self.cst
        for s in cls.node.body.body:
            if isinstance(s, cst.FunctionDef) and s.name.value == name:
                return s, cls
        if depth < MAX_BASES:
            for b in cls.bases:
                if isinstance(b, ClassVal) and b is not cls:
                    r = self.find_method(b, name, depth + 1)
                    if r is not None:
                        return r
        return None

    def instance_attr(self, inst: Instance, attr: str):
        """``obj.attr``: an attribute set on the instance, a bound method, or the model's method."""
        if attr in inst.attrs:
            return inst.attrs[attr]
        if self.find_method(inst.cls, attr) is not None or inst.model is not None:
            return _Bound(inst, attr)
        return UNKNOWN

    def call_method(self, inst: Instance, name: str, args, kwargs):
        found = self.find_method(inst.cls, name)
        if found is not None:
            fdef, owner = found
            return self.run_function(fdef, dict(owner.scope), (_with_self(fdef, inst, args), kwargs))
        if inst.model is not None:  # a subclassed model's fit/predict/evaluate
            return self.model_method(inst.model, name, args, kwargs)
        return UNKNOWN

    def run_classes(self, module_body, glob) -> None:
        """Each class of the module, as its own entries: a subclassed model is instantiated (its
        ``__init__`` and ``call`` build its graph); a plain class gets one instance whose ``__init__``
        and then every method not yet run share it (``self.model`` set in one, fitted in another)."""
        cst = self.cst
        for stmt in module_body:
            if not isinstance(stmt, cst.ClassDef):
                continue
            cls = glob.get(stmt.name.value)
            if not isinstance(cls, ClassVal) or cls.node is not stmt or is_keras_layer(cls):
                self.run_methods_unbound(stmt, glob)
                continue
            holder = []
            if is_keras_model(cls):
                self.entry(lambda: holder.append(self.instantiate(cls, [], {}, stmt)))
                inst = holder[0] if holder and isinstance(holder[0], Instance) else Instance(cls)
            else:
                inst = Instance(cls)
                init = self.find_method(cls, "__init__")
                if init is not None:
                    fdef, owner = init
                    self.entry(lambda: self.run_function(fdef, dict(owner.scope), ([inst], {})))
            for s in stmt.body.body:
                if isinstance(s, cst.FunctionDef) and s.name.value not in ("__init__", "call") \
                        and id(s) not in self.ran:
                    self.entry(lambda: self.run_function(s, dict(cls.scope), (_with_self(s, inst, []), {})))

    def run_methods_unbound(self, stmt, glob) -> None:
        """Methods of a class that is not followed as above (a custom layer): each once, ``self`` unknown."""
        cst = self.cst
        for s in stmt.body.body:
            if isinstance(s, cst.FunctionDef) and s.name.value not in ("__init__", "call"):
                self.entry(lambda: self.run_function(s, dict(glob), args=None))


def _with_self(fdef, inst, args) -> list:
    """The positional arguments of a method call: ``self`` first, unless it is a static method."""
    for d in fdef.decorators:
        if getattr(d.decorator, "value", None) == "staticmethod":
            return list(args)
    return [inst] + list(args)
