"""Which autofixes masklint offers for a file, and how safe each one is.

Every record whose rule plans an edit (``Record.autofix()``) becomes a :class:`Fix`, labelled as ruff
labels fixes (``Record.fix_safe()``):

* **safe**: certainly what the code meant, proven by the linted code (the padding value read from the
  ``pad_sequences`` call, a ``Masking(0.0)`` that says id 0 is the padding); ``--fix`` applies it;
* **unsafe**: probably right but it may change more than the finding (it edits the data pipeline that
  other code may share, or guesses the padding id); applied only with ``--unsafe-fixes``.

A fix is offered only when it is checked: the fixed text is linted again in-process and the fix is dropped
when its result has a new finding or still has the one it fixes (:func:`self_checked`; one more lint of
the file when it has fixes, one per fix only when the fixes together fail). The fixes that survive are
marked on the findings (``Finding.autofix``), so the reports say what ``--fix`` would do.

For editors (the LSP server): :func:`masklint.fix_edits.available_in` gives each offered fix of a file's
text with its text edits; :func:`available` the planned (unchecked) fixes of records.
"""
from __future__ import annotations

from collections import Counter

from ._record import factory, record
from .errors import LintError

SAFE, UNSAFE = "safe", "unsafe"


@record
class Fix:
    """One offered fix: the rule ``code``, ``safe``, its text ``edits`` (``fix_edits.TextEdit``, filled
    by ``fix_edits.available_in``), ``title`` (the finding's fix text), the finding's ``line``/``column``,
    the libcst ``plan`` (node id -> edit, for :func:`masklint.fixes.apply`) and the ``finding``."""

    code: str
    safe: bool
    edits: list = factory(list)
    title: str = ""
    line: int | None = None
    column: int | None = None
    plan: dict = factory(dict)
    finding: object = None

    @property
    def applicability(self) -> str:
        return SAFE if self.safe else UNSAFE

    def to_json(self) -> dict:
        return {"applicability": self.applicability, "title": self.title}


def available(records, path: str = "", keep=None, layers=None, module=None) -> list[Fix]:
    """The fixes the rules plan for ``records`` (one file's analysis, positions resolved), unchecked.
    A record whose culprit another file built (``Layer.file``, set in project runs) is never fixed from
    here. ``keep(finding)``: whether a finding may be fixed (its ``autofix`` is already set when ``keep``
    sees it). ``layers``/``module`` (the file's IR layers and libcst module): a fix that moves a
    ``pad_sequences`` call's padding to "post" moves its siblings' too (:func:`_with_sibling_pads`)."""
    from .findings import finding_of

    out: list[Fix] = []
    seen: set = set()  # one fix per finding (a model analysed twice gives its records twice)
    for rec in records:
        built_in = getattr(rec.culprit, "file", None)
        if built_in is not None and built_in != path:
            continue
        autofix = getattr(rec, "autofix", None)
        plan = autofix() if autofix is not None else {}
        if plan and layers is not None and module is not None:
            plan = _with_sibling_pads(plan, layers, module)
        if not plan:
            continue
        safe = getattr(rec, "fix_safe", None)
        f = finding_of(rec, path, "source")
        fix = Fix(rec.code, bool(safe()) if safe is not None else True, title=f.fix or "", line=f.line,
                  column=f.column, plan=plan, finding=f)
        f.autofix = fix.to_json()
        if (f.code, f.line, f.column) not in seen and (keep is None or keep(f)):
            seen.add((f.code, f.line, f.column))
            out.append(fix)
    return out


def _pad_args(node, module) -> tuple[str | None, object]:
    """(the code of a ``pad_sequences`` call's ``maxlen``, its ``padding`` value node or None);
    ``padding`` is ``False`` when it cannot be set by keyword (positional, ``*args``/``**kwargs``)."""
    maxlen, padding = None, None
    positional = 0
    for a in node.args:
        if a.star:
            return maxlen, False
        if a.keyword is None:
            positional += 1
            if positional == 2:
                maxlen = module.code_for_node(a.value)
            elif positional >= 4:
                return maxlen, False
        elif a.keyword.value == "maxlen":
            maxlen = module.code_for_node(a.value)
        elif a.keyword.value == "padding":
            padding = a.value
    return maxlen, padding


def _with_sibling_pads(plan: dict, layers, module) -> dict:
    """``plan`` with ``padding="post"`` also on every other left-padding ``pad_sequences`` call of the
    file with the same ``maxlen`` (a training set's call and its test set's: the model sees both); {}
    when such a call's padding cannot be set by keyword."""
    moved = [e[1] for e in plan.values() if e[0] == "kwarg" and e[2] == "padding"]
    if not moved:
        return plan
    import libcst as cst

    want = {_pad_args(n, module)[0] for n in moved}
    out = dict(plan)
    for lay in layers:
        node = getattr(lay, "cst", None)
        if lay.class_name != "pad_sequences" or not isinstance(node, cst.Call) or id(node) in out:
            continue
        maxlen, padding = _pad_args(node, module)
        if maxlen not in want:
            continue
        if padding is False:
            return {}
        if padding is None or (isinstance(padding, cst.SimpleString) and padding.evaluated_value == "pre"):
            out[id(node)] = ("kwarg", node, "padding", '"post"')
    return out


def merged(fixes) -> dict:
    plan: dict = {}
    for f in fixes:
        plan.update(f.plan)
    return plan


def no_new_findings(before, after, fixed) -> bool:
    """``after`` (the fixed text's findings) has no finding that ``before`` lacks, and one fewer of each
    code per fix in ``fixed`` (counted per code: the fixed text moves lines, and a call's text is a
    source finding's layer name)."""
    b = Counter(f.code for f in before)
    a = Counter(f.code for f in after)
    need = Counter(f.code for f in fixed)
    return all(a[c] <= b[c] - need[c] for c in set(a) | set(need))


def self_checked(fixes: list[Fix], module, text: str, before, relint,
                 final: bool = True) -> tuple[list[Fix], str | None]:
    """(the fixes kept, the text they give, or None unless ``final``): all of ``fixes`` when their result
    re-lints (``relint(new_text) -> findings``) with :func:`no_new_findings`, else the largest
    prefix-greedy subset that does. ``before``: the findings of ``text``. The check lints the fixed text
    before its unused imports are removed (which changes no finding and costs more than the lint)."""
    from .fixes import apply

    def result(chosen):
        new = apply(module, merged(chosen), imports=False)
        if new == text:
            return None
        try:
            after = relint(new)
        except (LintError, SyntaxError, ValueError):  # a fixed text masklint cannot lint is no fix
            return None
        return new if no_new_findings(before, after, chosen) else None

    if not fixes:
        return [], None
    if result(fixes) is not None:
        kept = list(fixes)
    else:
        kept = []
        for f in fixes if len(fixes) > 1 else ():
            if result(kept + [f]) is not None:
                kept.append(f)
    return kept, (apply(module, merged(kept)) if kept and final else None)


def mark(findings, res, path: str, relint) -> None:
    """Set ``Finding.autofix`` on the findings of one file whose fix is offered (checked)."""
    text, module, layers, issues = res
    reported = {(f.code, f.line, f.column) for f in findings if f.path == path}  # noqa'd ones are not
    fixes = available(issues, path, lambda f: (f.code, f.line, f.column) in reported, layers, module)
    if not fixes:
        return
    kept, _ = self_checked(fixes, module, text, findings, relint, final=False)
    by_key = {(f.code, f.line, f.column): f for f in kept}
    for f in findings:
        if f.path == path and f.autofix is None:
            fx = by_key.get((f.code, f.line, f.column))
            if fx is not None:
                f.autofix = fx.to_json()


def fixable(f, unsafe=None) -> bool:
    """Whether ``--fix`` fixes finding ``f``: its fix is safe, or unsafe and ``unsafe(f.path)``
    (``--unsafe-fixes`` or the file's ``unsafe-fixes = true``)."""
    fx = getattr(f, "autofix", None)
    if not fx:
        return False
    return fx.get("applicability") == SAFE or bool(unsafe is not None and unsafe(f.path))


def fixes_summary(findings, unsafe=None) -> str:
    """ruff's line: ``[*] 2 fixable with --fix (1 hidden fix can be enabled with --unsafe-fixes).``;
    "" when no finding has a fix."""
    n = sum(1 for f in findings if fixable(f, unsafe))
    hidden = sum(1 for f in findings if getattr(f, "autofix", None) and not fixable(f, unsafe))
    if not n and not hidden:
        return ""
    more = (f" ({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with --unsafe-fixes)"
            if hidden else "")
    if not n:
        return f"No fixes available{more}."
    return f"[*] {n} fixable with --fix{more}."
