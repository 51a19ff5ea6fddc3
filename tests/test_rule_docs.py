"""The rule documents in ``rules/``: one per registry rule, and their examples do what they claim.

Every ``python failing`` / ``python fixed`` block of a document is a self-contained script that builds a
Keras 3 model named ``model``. Each block is executed once per session, the model is saved to a
``.keras`` file, and that file is linted by the real command line in a subprocess
(``python -m masklint FILE --format json``):

* a ``failing`` block must get a finding with the document's code;
* a ``fixed`` block must get no finding with that code and no finding of severity error or warning.

Blocks tagged ``python failing-source`` / ``python fixed-source`` are model *code* (for the rules that
need facts only code shows, such as the padding value): they are written to a ``.py`` file and that file
is linted, never run. Blocks tagged plain ``python`` are illustrations and are not executed.

Runtime rules (MK3xx): the built model is also probed in-process (``masklint.runtime.probe``, seed 0,
with the block's ``data`` array as the ``--data`` sample when it defines one), and the probe's findings
join the static ones: a ``failing`` block must get the code from the probe, a ``fixed`` block must not.

Every failing block is followed by its expectation, a ``text expected`` block (a snapshot that lives in
the document): one entry per finding of the document's code, in output order::

    MK104 layer=conv1d consumer=lstm
    fix: move 'conv1d' after 'lstm', or use a mask-aware layer

``layer`` is the culprit (the finding's ``layer``), ``consumer`` the layer it breaks, ``-`` where the
finding has none (a loss consumer is ``-`` too: the JSON has no consumer then); source blocks also give
``line=N`` (the line inside the block) before ``layer``. Long fix texts are wrapped, continuation lines
indented; whitespace is not significant. The failing block must get exactly these findings of its code
(other codes are not part of the snapshot). To write or refresh the expectations from what masklint
outputs now, run ``UPDATE_RULE_DOCS=1 python -m pytest tests/test_rule_docs.py`` and read the diff
against each document's prose before committing it.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from masklint.findings import RULES

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "rules"

DOC_NAME = re.compile(r"^(MK\d{3})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
FENCE = re.compile(r"^```(\S*)[ \t]*(.*?)[ \t]*$")
REQUIRED_SECTIONS = ("## What it detects", "## Why it matters", "## Example", "## Fix", "## Not flagged")
EXECUTED_TAGS = ("failing", "fixed", "failing-source", "fixed-source")
EXPECTED_FENCE = "```text expected"
UPDATE_ENV = "UPDATE_RULE_DOCS"
HOW_TO_UPDATE = f"{UPDATE_ENV}=1 python -m pytest tests/test_rule_docs.py"

# (code, block index) -> why the case is expected to fail because of a known masklint analysis bug.
# strict=True: when the analysis is fixed the case XPASSes, which fails the run until the entry is removed.
KNOWN_ANALYSIS_BUGS: dict[tuple[str, int], str] = {}

# block id -> findings (JSON dicts) of the runtime probe, for the MK3xx documents
PROBED: dict[str, list] = {}
# block id -> the expectation written by this session (UPDATE_RULE_DOCS=1)
UPDATED: dict[str, str] = {}


@dataclass(frozen=True)
class Block:
    doc: str  # file name, e.g. MK104-mask-dropped.md
    code: str
    index: int  # 0-based, counting only executed blocks of the document
    kind: str  # "failing" | "fixed"
    line: int  # 1-based line of the opening fence
    source: str
    is_source: bool = False  # linted as a .py file instead of being run
    end: int = 0  # 1-based line of the closing fence
    expected: str | None = None  # body of the ``text expected`` block after a failing block
    expected_line: int | None = None  # 1-based line of its opening fence

    @property
    def id(self) -> str:
        return f"{self.code}-{self.index}-{self.kind}"


def _doc_files() -> list[Path]:
    return sorted(RULES_DIR.glob("MK*.md")) if RULES_DIR.is_dir() else []


def _blocks(path: Path) -> tuple[list[Block], list[tuple[int, str]], list[int]]:
    """The executed blocks of one document (each failing block with the ``text expected`` block that
    follows it, blank lines apart), every python fence (line, tag) found in it, and the lines of the
    expectation blocks that follow no failing block."""
    code = path.name.split("-", 1)[0]
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, fences, stray = [], [], []
    last_end = -1  # 0-based line of the closing fence of the last executed block
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or not m.group(1):
            i += 1
            continue
        lang, tag = m.group(1), m.group(2)
        start = i
        i += 1
        body = []
        while i < len(lines) and lines[i].rstrip() != "```":
            body.append(lines[i])
            i += 1
        i += 1  # closing fence
        if lines[start].rstrip() == EXPECTED_FENCE:
            prev = blocks[-1] if blocks else None
            follows = prev is not None and last_end >= 0 and all(not ln.strip() for ln in lines[last_end + 1:start])
            if follows and prev.kind == "failing" and prev.expected is None:
                blocks[-1] = Block(**{**prev.__dict__, "expected": "\n".join(body), "expected_line": start + 1})
            else:
                stray.append(start + 1)
            continue
        if lang != "python":
            continue
        fences.append((start + 1, tag))
        if tag in EXECUTED_TAGS:
            blocks.append(Block(path.name, code, len(blocks), tag.split("-")[0], start + 1,
                                "\n".join(body) + "\n", tag.endswith("-source"), end=i))
            last_end = i - 1
    return blocks, fences, stray


def _all_blocks() -> list[Block]:
    out = []
    for p in _doc_files():
        out.extend(_blocks(p)[0])
    return out


BLOCKS = _all_blocks()


def _param(b: Block):
    reason = KNOWN_ANALYSIS_BUGS.get((b.code, b.index))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(b, id=b.id, marks=marks)


# -- the documents themselves ----------------------------------------------------------------------

def test_every_rule_has_exactly_one_doc():
    seen: dict[str, list[str]] = {}
    for p in _doc_files():
        m = DOC_NAME.match(p.name)
        assert m, f"rules/{p.name}: name must be <CODE>-<name>.md"
        seen.setdefault(m.group(1), []).append(p.name)
    unknown = sorted(set(seen) - set(RULES))
    assert not unknown, f"documents for codes not in the registry: {unknown}"
    missing = sorted(set(RULES) - set(seen))
    assert not missing, f"registry rules without a document: {missing}"
    dupes = {c: names for c, names in seen.items() if len(names) > 1}
    assert not dupes, f"more than one document per code: {dupes}"
    for code, (name,) in seen.items():
        r = RULES[code]
        assert name == f"{r.code}-{r.name}.md", f"rules/{name} should be named {r.code}-{r.name}.md"


@pytest.mark.parametrize("path", _doc_files(), ids=lambda p: p.stem)
def test_doc_header_and_layout(path: Path):
    code = path.name.split("-", 1)[0]
    r = RULES.get(code)
    assert r is not None, f"{path.name}: {code} is not a registry code"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines and lines[0] == f"# {r.code} {r.name}", f"{path.name}: title must be '# {r.code} {r.name}'"
    sev = [ln for ln in lines if ln.startswith("**Severity:**")]
    assert sev == [f"**Severity:** {r.severity}"], f"{path.name}: severity line must be '**Severity:** {r.severity}'"
    for sec in REQUIRED_SECTIONS:
        assert sec in lines, f"{path.name}: missing section '{sec}'"
    blocks, fences, stray = _blocks(path)
    bad = [(ln, tag) for ln, tag in fences if tag not in ("",) + EXECUTED_TAGS]
    assert not bad, f"{path.name}: unknown python block tags (line, tag): {bad}"
    kinds = {b.kind for b in blocks}
    assert kinds == {"failing", "fixed"}, f"{path.name}: needs at least one 'python failing' and one 'python fixed' block"
    assert not stray, (f"{path.name}: '{EXPECTED_FENCE}' blocks that follow no failing block (lines {stray}); "
                       f"an expectation goes right after its failing block")
    missing = [b.line for b in blocks if b.kind == "failing" and b.expected is None]
    assert not missing, (f"{path.name}: failing blocks without an expectation (lines {missing}): each needs a "
                         f"'{EXPECTED_FENCE}' block right after it; generate them with `{HOW_TO_UPDATE}` and "
                         f"check them against the document")


# -- the examples ----------------------------------------------------------------------------------

@dataclass
class Linted:
    findings: list | None = None
    error: str | None = None


def _build_and_save(block: Block, out_dir: Path) -> tuple[Path | None, str | None]:
    if block.is_source:
        path = out_dir / f"{block.id.replace('-', '_')}.py"
        path.write_text(block.source, encoding="utf-8")
        return path, None
    import keras

    ns = {"__name__": f"rule_doc_{block.code}_{block.index}"}
    # fresh layer names per block ('lstm', not 'lstm_13'): the expectations name layers as the block
    # alone would, whatever the blocks before it built
    keras.backend.clear_session(free_memory=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(block.source, f"rules/{block.doc}:{block.line}", "exec"), ns)  # noqa: S102
            model = ns.get("model")
            if not isinstance(model, keras.Model):
                return None, f"the block defines no keras.Model named 'model' (got {type(model).__name__})"
            path = out_dir / f"{block.id}.keras"
            model.save(path)
            if block.code.startswith("MK3"):
                from masklint.runtime.probe import probe_report

                rep = probe_report(model, label=str(path), data=ns.get("data"), seed=0)
                PROBED[block.id] = [f.to_json() for f in rep.all_findings()]
    except Exception as exc:  # a broken example is reported by its own test case
        return None, f"building/saving the model raised {type(exc).__name__}: {exc}"
    return path, None


def _lint(path: Path) -> Linted:
    proc = subprocess.run([sys.executable, "-m", "masklint", str(path), "--format", "json"],
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())
    if proc.returncode not in (0, 1):
        return Linted(error=f"masklint exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    try:
        return Linted(findings=json.loads(proc.stdout))
    except json.JSONDecodeError as exc:
        return Linted(error=f"masklint printed no JSON ({exc}): {proc.stdout[-2000:]!r}")


@pytest.fixture(scope="session")
def linted_blocks(tmp_path_factory) -> dict[str, Linted]:
    """Build every example once (Keras is imported once), then lint the saved files in parallel."""
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    pytest.importorskip("keras")
    out_dir = tmp_path_factory.mktemp("rule_docs")
    results: dict[str, Linted] = {}
    saved: dict[str, Path] = {}
    for b in BLOCKS:
        path, err = _build_and_save(b, out_dir)
        if err:
            results[b.id] = Linted(error=err)
        else:
            saved[b.id] = path
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        for bid, res in zip(saved, pool.map(_lint, saved.values())):
            results[bid] = res
    if os.environ.get(UPDATE_ENV):
        _update_docs(results)
    return results


# -- the expectations ------------------------------------------------------------------------------

WRAP = 100


def _render(block: Block, findings: list) -> str:
    """The expectation of a failing block: its findings of the document's code (see the module doc)."""
    out = []
    for f in findings:
        if f["code"] != block.code:
            continue
        where = f" line={f.get('line')}" if block.is_source else ""
        out.append(f"{f['code']}{where} layer={f.get('layer') or '-'} consumer={f.get('consumer') or '-'}")
        out.extend(_wrap(f"fix: {f.get('fix') or '-'}"))
    return "\n".join(out)


def _wrap(text: str) -> list[str]:
    """``text`` in lines of at most WRAP characters, continuation lines indented; never broken inside
    ``[...]`` or backticks (code such as ``mask[:, None, :]`` stays on one line)."""
    kept, depth, tick = [], 0, False
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        tick ^= ch == "`"
        kept.append("\0" if ch == " " and (depth > 0 or tick) else ch)
    lines = textwrap.wrap("".join(kept), WRAP, subsequent_indent="     ", break_long_words=False,
                          break_on_hyphens=False)
    return [ln.replace("\0", " ") for ln in lines]


def _entries(text: str) -> list[str]:
    """An expectation as comparable entries: one line per finding line, continuation lines joined and
    whitespace collapsed."""
    out: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[:1].isspace() and out:
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip())
    return [" ".join(e.split()) for e in out]


def _update_docs(results: dict) -> None:
    """UPDATE_RULE_DOCS=1: write every failing block's expectation from what masklint outputs now
    (inserted after the block, or replacing the one there). Blocks that error or get no finding of
    their code are left as they are: their test case fails and says why."""
    by_doc: dict[str, list[tuple[Block, str]]] = {}
    for b in BLOCKS:
        res = results.get(b.id)
        if b.kind != "failing" or res is None or res.error is not None:
            continue
        findings = res.findings + PROBED.get(b.id, [])
        if not any(f["code"] == b.code for f in findings):
            continue
        text = _render(b, findings)
        UPDATED[b.id] = text
        if b.expected != text:
            by_doc.setdefault(b.doc, []).append((b, text))
    for doc, changes in by_doc.items():
        path = RULES_DIR / doc
        lines = path.read_text(encoding="utf-8").splitlines()
        for b, text in sorted(changes, key=lambda c: -c[0].line):  # bottom up: earlier line numbers hold
            new = [EXPECTED_FENCE, *text.splitlines(), "```"]
            if b.expected_line is None:
                lines[b.end:b.end] = ["", *new]
            else:
                start = b.expected_line - 1
                stop = start + 1
                while lines[stop].rstrip() != "```":
                    stop += 1
                lines[start:stop + 1] = new
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _describe(findings: list) -> str:
    if not findings:
        return "no findings"
    return "\n".join(f"  {f['code']} [{f['severity']}] {f.get('layer')}: {f['message']}" for f in findings)


# the first case also pays for the session fixture: it builds, saves and probes every document's
# examples and lints them all (40 s here on 2 busy cores, growing with every document)
@pytest.mark.timeout(600)
@pytest.mark.parametrize("block", [_param(b) for b in BLOCKS])
def test_doc_example(block: Block, linted_blocks):
    res = linted_blocks[block.id]
    where = f"rules/{block.doc}:{block.line} ({block.kind} block {block.index})"
    assert res.error is None, f"{where}: {res.error}"
    res = Linted(findings=res.findings + PROBED.get(block.id, []))
    codes = [f["code"] for f in res.findings]
    if block.kind == "failing":
        assert block.code in codes, f"{where}: expected a {block.code} finding, got:\n{_describe(res.findings)}"
        expected = UPDATED.get(block.id, block.expected)
        assert expected is not None, (f"{where}: no '{EXPECTED_FENCE}' block after it; generate it with "
                                      f"`{HOW_TO_UPDATE}` and check it against the document")
        got = _render(block, res.findings)
        assert _entries(got) == _entries(expected), (
            f"{where}: the findings differ from the expectation at line {block.expected_line}"
            f" (to accept them: `{HOW_TO_UPDATE}`, then read the diff)\n"
            f"expected:\n{textwrap.indent(expected, '  ')}\ngot:\n{textwrap.indent(got, '  ')}")
    else:
        assert block.code not in codes, f"{where}: the fixed example still gets {block.code}:\n{_describe(res.findings)}"
        loud = [f for f in res.findings if f["severity"] in ("error", "warning")]
        assert not loud, f"{where}: the fixed example gets error/warning findings:\n{_describe(loud)}"
