"""Parse model code safely: CPython's ``ast`` checks the nesting depth and chain length first (libcst's
native parser crashes or takes minutes on deep input), and source that CPython rejects is parsed by
libcst in a child with a deadline before it is parsed here."""
from __future__ import annotations

from ...errors import LintError

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


#: (text, ast tree) of the last source checked by _check_depth (read once by take_checked_ast)
_LAST_AST: list = [None, None]


def take_checked_ast(text: str):
    """CPython's ast tree of ``text`` when it is the source :func:`_check_depth` checked last (the same
    text object), else None; either way the kept tree is dropped."""
    tree = _LAST_AST[1] if _LAST_AST[0] is text else None
    _LAST_AST[:] = [None, None]
    return tree


def _parse(text: str):
    """libcst's module for ``text``; LintError for a syntax error."""
    import libcst as cst

    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        import re

        # libcst's message repeats the position ("error at 17:0: ..."): the line above says it once
        what = re.sub(r"^(?:parser error: )?error at \d+:\d+:\s*", "", str(exc.message).splitlines()[0])
        raise LintError(f"syntax error at line {exc.raw_line}, column {exc.raw_column + 1}: {what}") from None
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
    from ...errors import limit
    from ...isolation import run_task

    timeout = limit(PARSE_TIMEOUT)
    run_task("parse", text.encode("utf-8", "surrogatepass"), timeout,
             late=f"source could not be parsed within {timeout} s ({PARSE_TIMEOUT}); it does not parse with "
                  "this Python either",
             crashed="source crashed libcst's parser; it does not parse with this Python either")


def parse(text: str, keep=None):
    """libcst's module for ``text``, parsed only once the checks above allow it; LintError for source
    that is nested too deeply, does not parse, or crashes or stalls libcst's parser. ``keep(tree, text)``
    (the pre-filter, :mod:`.prefilter`) sees CPython's tree first: when it returns False, None (no parse)."""
    if not _check_depth(text):
        _parse_isolated(text)
    elif keep is not None and not keep(_LAST_AST[1], text):
        _LAST_AST[:] = [None, None]
        return None
    return _parse(text)
