"""The notebook reader on malformed and unusual notebooks, through the real CLI in a subprocess.

A malformed ``.ipynb`` named on the command line is one ``masklint: error: PATH: reason`` line on stderr
and exit 2, never a traceback; in a directory walk it is that error line and the other files are still
linted. The valid variants (``source`` as a string or a list, BOM, ``\\r\\n``, escapes, another kernel,
no code cells) lint as the same code does in a script; the scanner agrees with :func:`json.loads`.
"""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from masklint.errors import LintError
from masklint.notebook.lint import read_notebook_bytes

CODE = [
    "import keras\n",
    "from keras import layers\n",
    "from keras.utils import pad_sequences\n",
    "\n",
    "x = pad_sequences(seqs, maxlen=200)\n",
]
MODEL = [
    "model = keras.Sequential([\n",
    "    layers.Embedding(10000, 64),\n",
    "    layers.LSTM(32),\n",
    "    layers.Dense(1, activation=\"sigmoid\"),\n",
    "])\n",
    "model.fit(x, y)",
]


def code_cell(source, outputs=None):
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": outputs or [],
            "source": source}


def md_cell(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def notebook(cells, language="python"):
    meta = {"kernelspec": {"display_name": language, "language": language, "name": language},
            "language_info": {"name": language}}
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def dumps(doc) -> bytes:
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


GOOD = dumps(notebook([md_cell("# Sentiment"), code_cell(CODE), code_cell(MODEL)]))


def cli(*args, stdin=None, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "masklint", *args], input=stdin, capture_output=True,
                          timeout=120, env=env, cwd=cwd)


# --------------------------------------------------------------------------------------------------
# Malformed notebooks: one line, exit 2
# --------------------------------------------------------------------------------------------------

def _deep(n):
    return b"[" * n + b"]" * n


MALFORMED = {
    "invalid_json": b'{"cells": [ , ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    "truncated": GOOD[: len(GOOD) * 2 // 3],
    "truncated_in_string": GOOD[: GOOD.index(b"pad_sequences(seqs") + 5],
    "empty": b"",
    "whitespace_only": b"  \n\n",
    "not_an_object": b'[{"cell_type": "code", "source": "x = 1"}]',
    "a_string": b'"notebook"',
    "nbformat3": dumps({"metadata": {"name": ""}, "nbformat": 3, "nbformat_minor": 0,
                        "worksheets": [{"cells": [{"cell_type": "code", "input": "import keras",
                                                   "language": "python", "outputs": []}]}]}),
    "cell_not_object": dumps(notebook([code_cell(CODE), 42])),
    "cell_list": dumps(notebook([["code", "x = 1"]])),
    "no_cell_type": dumps(notebook([{"metadata": {}, "source": "x = 1"}])),
    "no_source": dumps(notebook([{"cell_type": "code", "metadata": {}, "outputs": []}])),
    "source_number": dumps(notebook([code_cell(12)])),
    "source_null": dumps(notebook([code_cell(None)])),
    "source_numbers": dumps(notebook([code_cell([1, 2, 3])])),
    "source_object": dumps(notebook([code_cell({"text": "x = 1"})])),
    "cells_not_list": dumps({"cells": {"0": code_cell("x = 1")}, "metadata": {}, "nbformat": 4}),
    "no_cells": dumps({"metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
    "latin1_code": GOOD.replace(b"# Sentiment", b"# Sentiment").replace(
        b"import keras\\n", b"import keras  # caf\xe9\\n"),
    "utf16": json.dumps(notebook([code_cell(CODE)])).encode("utf-16"),
    "utf16_be_no_bom": json.dumps(notebook([code_cell(CODE)])).encode("utf-16-be"),
    "lone_surrogate": dumps(notebook([code_cell(CODE + MODEL)])).replace(
        b"import keras\\n", b"import keras  # \\ud800\\n", 1),
    "deep_outputs": dumps(notebook([code_cell(CODE, outputs=[{"output_type": "stream", "name": "stdout",
                                                              "text": "TEXT"}])])).replace(
        b'"TEXT"', _deep(100_000)),
    "deep_metadata": dumps(notebook([code_cell(CODE)])).replace(b'"metadata": {}', b'"metadata": ' + _deep(5000), 1),
    "huge_outputs_truncated": dumps(notebook([code_cell(CODE, outputs=[
        {"output_type": "stream", "name": "stdout", "text": "x" * (3 << 20)}]), code_cell(MODEL)]))[:(3 << 20)],
    "trailing_garbage": GOOD + b"{}",
    "bad_escape_in_code": GOOD.replace(b"import keras\\n", b"import keras\\q\\n", 1),
    "nul_in_code": GOOD.replace(b"import keras\\n", b"import keras\\u0000\\n", 1),
    "cell_type_number": dumps(notebook([{"cell_type": 3, "source": "x"}, code_cell(CODE)])).replace(
        b'"cell_type": 3', b'"cell_type": 3e', 1),
}


@pytest.fixture(scope="module")
def malformed_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad_notebooks")
    for name, data in MALFORMED.items():
        (d / f"{name}.ipynb").write_bytes(data)
    fifo = d / "x.ipynb"
    os.mkfifo(fifo)
    return d


def _error_lines(stderr: str, path) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith(f"masklint: error: {path}:")]


def test_each_malformed_notebook_named_is_one_line_and_exit_2(malformed_dir):
    names = sorted(MALFORMED) + ["x"]
    paths = [str(malformed_dir / f"{n}.ipynb") for n in names]
    r = cli(*paths)
    err = r.stderr.decode("utf-8")
    assert "Traceback" not in err, err
    assert r.returncode == 2, (r.returncode, err, r.stdout)
    for p in paths:
        lines = _error_lines(err, p)
        assert len(lines) == 1, (p, err)
        assert len(lines[0]) > len(f"masklint: error: {p}: ") + 5
    assert len(err.strip().splitlines()) == len(paths), err


@pytest.mark.parametrize("name", ["invalid_json", "empty", "nbformat3", "latin1_code", "utf16",
                                  "lone_surrogate", "deep_outputs"])
def test_one_malformed_notebook_alone(malformed_dir, name):
    p = str(malformed_dir / f"{name}.ipynb")
    r = cli(p)
    err = r.stderr.decode("utf-8").strip()
    assert r.returncode == 2
    assert len(err.splitlines()) == 1 and err.startswith(f"masklint: error: {p}: "), err
    assert r.stdout.decode().strip() == "" or "file" in r.stdout.decode()


def test_messages_say_what_is_wrong(malformed_dir):
    expect = {"nbformat3": "nbformat 3", "utf16": "UTF-16", "latin1_code": "UTF-8", "empty": "empty",
              "lone_surrogate": "surrogate", "no_source": '"source"', "source_numbers": '"source"',
              "truncated": "truncated", "deep_outputs": "nested", "no_cell_type": "cell_type"}
    for name, word in expect.items():
        with pytest.raises(LintError) as exc:
            from masklint.notebook.lint import lint_notebook
            lint_notebook(read_notebook_bytes(MALFORMED[name]), f"{name}.ipynb")
        assert word in str(exc.value), (name, str(exc.value))
        assert "\n" not in str(exc.value)


def test_malformed_from_stdin_is_one_line():
    r = cli("-", "--stdin-filename", "nb.ipynb", stdin=MALFORMED["truncated"])
    err = r.stderr.decode().strip()
    assert r.returncode == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err


def test_directory_walk_reports_the_bad_notebook_and_lints_the_others(tmp_path):
    (tmp_path / "good.ipynb").write_bytes(GOOD)
    (tmp_path / "bad.ipynb").write_bytes(MALFORMED["truncated"])
    (tmp_path / "worse.ipynb").write_bytes(MALFORMED["latin1_code"])
    (tmp_path / "script.py").write_text("".join(CODE + MODEL), encoding="utf-8")
    r = cli(str(tmp_path), "--format", "json")
    err = r.stderr.decode()
    assert "Traceback" not in err
    assert r.returncode == 2
    assert len(_error_lines(err, tmp_path / "bad.ipynb")) == 1
    assert len(_error_lines(err, tmp_path / "worse.ipynb")) == 1
    found = json.loads(r.stdout)
    found = found["findings"] if isinstance(found, dict) else found
    assert sorted((os.path.basename(f["path"]), f["code"]) for f in found) == [
        ("good.ipynb", "MK101"), ("script.py", "MK101")]


# --------------------------------------------------------------------------------------------------
# Valid variants
# --------------------------------------------------------------------------------------------------

def _crlf(doc):
    return dumps(doc).replace(b"\n", b"\r\n")


VALID = {
    "list_source": (GOOD, 1),
    "string_source": (dumps(notebook([code_cell("".join(CODE)), code_cell("".join(MODEL))])), 1),
    "empty_list_source": (dumps(notebook([code_cell([]), code_cell(CODE), code_cell([]), code_cell(MODEL)])), 1),
    "empty_string_source": (dumps(notebook([code_cell(""), code_cell(CODE + MODEL)])), 1),
    "no_trailing_newline": (dumps(notebook([code_cell(CODE + MODEL)]))[:-1], 1),
    "compact_json": (json.dumps(notebook([code_cell(CODE), code_cell(MODEL)]), separators=(",", ":")).encode(), 1),
    "ascii_escaped": (json.dumps(notebook([code_cell(["# déjà vu ✓\n"] + CODE), code_cell(MODEL)])).encode(), 1),
    "bom": (b"\xef\xbb\xbf" + GOOD, 1),
    "crlf_file": (_crlf(notebook([code_cell(CODE), code_cell(MODEL)])), 1),
    "crlf_in_source": (dumps(notebook([code_cell([s.replace("\n", "\r\n") for s in CODE]),
                                       code_cell([s.replace("\n", "\r\n") for s in MODEL])])), 1),
    "cr_in_source": (dumps(notebook([code_cell([s.replace("\n", "\r") for s in CODE]),
                                     code_cell("".join(MODEL).replace("\n", "\r"))])), 1),
    "escapes": (dumps(notebook([code_cell(['s = "a \\"quoted\\" \\\\ path\\\\"\n', "t = 'C:\\\\data\\\\'\n",
                                           'u = "\\\\"\n'] + CODE), code_cell(MODEL)])), 1),
    "keys_reordered": (json.dumps({"nbformat_minor": 5, "nbformat": 4, "metadata": {},
                                   "cells": [{"source": CODE + MODEL, "outputs": [], "metadata": {},
                                              "execution_count": 3, "cell_type": "code"}]}, indent=2).encode(), 1),
    "outputs_everywhere": (dumps(notebook([code_cell(CODE, outputs=[
        {"output_type": "display_data", "data": {"image/png": "iVBOR" * 2000, "text/plain": ["<Figure>"]},
         "metadata": {"tricky": "\\\"]}{["}},
        {"output_type": "stream", "name": "stderr", "text": ['"cells": [', "source\\", "\\\\\""]}]),
        code_cell(MODEL)])), 1),
    "r_kernel": (dumps(notebook([code_cell(["library(keras)\n", "model <- keras_model_sequential() %>%\n",
                                            "  layer_embedding(10000, 64) %>% layer_lstm(32)\n"])],
                                language="R")), 0),
    "r_kernel_python_looking": (dumps(notebook([code_cell(CODE + MODEL)], language="R")), 0),
    "no_code_cells": (dumps(notebook([md_cell("# Only words"), md_cell(["a\n", "b"])])), 0),
    "no_cells": (dumps(notebook([])), 0),
    "raw_cell_with_code": (dumps(notebook([{"cell_type": "raw", "metadata": {}, "source": CODE + MODEL}])), 0),
    "magics": (dumps(notebook([code_cell(["%matplotlib inline\n", "!pip install -q keras\n"] + CODE),
                               code_cell(["%%time\n", "this is not python\n"]), code_cell(MODEL)])), 1),
}


@pytest.fixture(scope="module")
def valid_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("good_notebooks")
    for name, (data, _) in VALID.items():
        (d / f"{name}.ipynb").write_bytes(data)
    return d


def test_valid_variants_lint_like_the_script(valid_dir):
    r = cli(*(str(valid_dir / f"{n}.ipynb") for n in sorted(VALID)), "--format", "json")
    assert r.stderr.decode().strip() == "", r.stderr.decode()
    found = json.loads(r.stdout)
    found = found["findings"] if isinstance(found, dict) else found
    per_file = {}
    for f in found:
        per_file.setdefault(os.path.basename(f["path"])[:-6], []).append(f)
    for name, (_, n) in VALID.items():
        got = per_file.get(name, [])
        assert len(got) == n, (name, got)
        for f in got:
            assert f["code"] == "MK101" and f["cell"] is not None, (name, f)
    assert r.returncode == 1


def test_finding_cell_and_line(valid_dir):
    where = dict.fromkeys(("list_source", "string_source", "bom", "crlf_file", "crlf_in_source", "cr_in_source", "escapes",
                           "compact_json"), "cell 2:2:5")
    where.update(no_trailing_newline="cell 1:7:5", empty_list_source="cell 4:2:5", magics="cell 3:2:5")
    for name, loc in where.items():
        r = cli(str(valid_dir / f"{name}.ipynb"))
        first = r.stdout.decode().splitlines()[0]
        assert f"{name}.ipynb:{loc}: MK101" in first, (name, first)


def test_r_kernel_and_empty_notebooks_exit_0(valid_dir):
    for name in ("r_kernel", "no_code_cells", "no_cells"):
        r = cli(str(valid_dir / f"{name}.ipynb"))
        assert r.returncode == 0 and r.stderr.decode() == "", (name, r.stderr)


@pytest.mark.parametrize("name", sorted(VALID))
def test_scanner_agrees_with_json_loads(name):
    data = VALID[name][0]
    nb = read_notebook_bytes(data)
    doc = json.loads(data.decode("utf-8-sig"))
    want = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in doc["cells"] if c["cell_type"] == "code"]
    assert [c.source for c in nb.cells] == want
    assert [c.index for c in nb.cells] == list(range(1, len(want) + 1))
    for c in nb.cells:
        s, e = c.span
        assert json.loads(data[s:e].decode("utf-8")) in (c.source, c.texts)


def test_huge_valid_outputs_are_read(tmp_path):
    big = dumps(notebook([code_cell(CODE, outputs=[
        {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo" * (3 << 20)}},
        {"output_type": "stream", "name": "stdout", "text": ["epoch 1/10 ... loss: 0.69\n"] * 100_000}]),
        code_cell(MODEL)]))
    p = tmp_path / "big.ipynb"
    p.write_bytes(big)
    r = cli(str(p))
    assert r.returncode == 1 and "cell 2:2:5: MK101" in r.stdout.decode(), (r.stdout, r.stderr)


def test_small_notebook_under_a_memory_limit(tmp_path):
    """A notebook under 1 MiB was read with read(4 GiB), which allocates the whole size first: under an
    address-space limit (a CI container, the fuzzer's workers) every notebook was a MemoryError."""
    import resource

    p = tmp_path / "small.ipynb"
    p.write_bytes(GOOD)
    limit = 2 << 30

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    r = subprocess.run([sys.executable, "-m", "masklint", str(p)], capture_output=True, timeout=120, env=env,
                       preexec_fn=cap)
    assert r.returncode == 1 and b"cell 2:2:5: MK101" in r.stdout, (r.stdout, r.stderr[-2000:])


def test_bulk_walk_of_short_strings_agrees_with_json_loads():
    """Outputs of thousands of short strings (the scanner splits such runs in bulk) full of brackets,
    braces, escaped quotes and backslashes, between code cells: the same cells as json.loads reads,
    and a truncation or a stray bracket inside them is an error."""
    import random

    rnd = random.Random(3)
    bits = ['[', ']', '{', '}', '"', '\\', '\\"', 'a"]', '{"x": [', 'é', '\x1b[1m', '\r', ' ', ',', ':']
    text = ["".join(rnd.choice(bits) for _ in range(rnd.randrange(0, 12))) + "\n" for _ in range(20000)]
    outs = [{"output_type": "stream", "name": "stdout", "text": text},
            {"output_type": "display_data", "data": {"image/png": "iVBOR" * 50000, "text/plain": text[:500]},
             "metadata": {}}]
    for layout in (dict(indent=1, sort_keys=True, ensure_ascii=False), dict(indent=None), dict(indent=2)):
        raw = json.dumps(notebook([code_cell(CODE, outputs=outs), md_cell(text[:3000]),
                                   code_cell(MODEL, outputs=outs)]), **layout).encode()
        nb = read_notebook_bytes(raw)
        assert [c.source for c in nb.cells] == ["".join(CODE), "".join(MODEL)]
        cut = raw.index(b'"text/plain"') + 20000
        for bad in (raw[:cut], raw[:cut] + b"]" + raw[cut:] if raw[cut:cut + 1] == b"," else raw[:cut] + b"}"):
            with pytest.raises(LintError):
                read_notebook_bytes(bad)


def test_file_line_skips_long_strings_and_counts_right():
    """file_line counts newlines from the nearest offset already asked, skipping the strings of 64 KiB
    or more the scan passed (a JSON string holds no raw newline): every offset, in any order, inside
    and outside those strings, gives the line json's text has there."""
    import random

    img = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBOR" * 30000}}
    log = {"output_type": "stream", "name": "stdout", "text": ["line %d\n" % k for k in range(3000)]}
    raw = dumps(notebook([code_cell(CODE, outputs=[img, log, img]), code_cell(MODEL, outputs=[img])]))
    nb = read_notebook_bytes(raw)
    assert len(nb.long_strings) >= 2  # one may lie in a run of short strings split in bulk: counted there
    rnd = random.Random(5)
    offsets = [rnd.randrange(len(raw) + 1) for _ in range(200)] + [0, len(raw)]
    offsets += [s + d for s, e in nb.long_strings for d in (-1, 0, 1, e - s - 1, e - s, e - s + 1)]
    for off in offsets:
        assert nb.file_line(off) == raw.count(b"\n", 0, off) + 1, off
