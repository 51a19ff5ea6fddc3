"""--fix and --diff on notebooks: per-cell diffs, and a written notebook that differs from the original
only in the edited source lines (outputs, metadata, layout and escaping kept), lints clean, is valid
nbformat and still builds its model with Keras."""
import difflib
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli
from masklint.notebook.cells import join
from masklint.notebook.scan import scan
from masklint.notebook.write import changes, fix_notebook_file, rewrite

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "notebook_fix")
NAMES = ("review_lstm.ipynb", "sensor_gru.ipynb", "tagger_masking.ipynb")

# what each fixture's fix changes: (cell, old line, new line) of the code cells, as --diff shows them
EDITS = {
    "review_lstm.ipynb": [(3, "    layers.Embedding(vocab_size, 16),",
                           "    layers.Embedding(vocab_size, 16, mask_zero=True),")],
    "sensor_gru.ipynb": [
        (3, "h = layers.Masking(mask_value=0.0)(inputs)  # skip padded steps (°C readings are never exactly 0)",
         "h = layers.Masking(mask_value=-1.0)(inputs)  # skip padded steps (°C readings are never exactly 0)")],
    "tagger_masking.ipynb": [
        (1, "from keras.layers import Embedding, LSTM, Dense, Masking", "from keras.layers import Embedding, LSTM, Dense"),
        (4, "model.add(Embedding(input_dim=50, output_dim=8))",
         "model.add(Embedding(input_dim=50, output_dim=8, mask_zero=True))"),
        (4, "model.add(Masking(mask_value=0))  # ignore the padding", None)],
}


def _copy(tmp_path, names=NAMES):
    for n in names:
        shutil.copy(os.path.join(FIXTURES, n), tmp_path / n)
    return tmp_path


def _original(name: str) -> bytes:
    with open(os.path.join(FIXTURES, name), "rb") as fh:
        return fh.read()


def _outside_sources(buf: bytes) -> bytes:
    """The notebook's bytes without its code cells' ``source`` values: everything a fix must keep."""
    out, pos = [], 0
    for cell in scan(buf).cells:
        out.append(buf[pos:cell.span[0]])
        pos = cell.span[1]
    out.append(buf[pos:])
    return b"".join(out)


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    """The fixtures after one ``masklint --fix .`` (which lints them again after fixing)."""
    d = _copy(tmp_path_factory.mktemp("nbfix"))
    return d, run_cli("--fix", ".", cwd=str(d))


def test_fix_lints_clean_and_counts_notebooks(fixed):
    d, r = fixed
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Fixed 3 files." in r.stderr and r.stdout.startswith("No findings; 3 files checked."), r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_fixed_notebooks_are_valid_nbformat(fixed):
    nbformat = pytest.importorskip("nbformat")
    d, _ = fixed
    for n in NAMES:
        nb = nbformat.read(str(d / n), as_version=4)
        nbformat.validate(nb)


def test_only_the_edited_source_lines_change(fixed):
    d, _ = fixed
    for n in NAMES:
        before, after = _original(n), (d / n).read_bytes()
        # outputs (a base64 image, a Keras summary with box characters), metadata, key order, indentation
        # and the final newline (or its absence) are byte-identical: only source values differ
        assert _outside_sources(after) == _outside_sources(before), n
        changed_cells = {c for c, _, _ in EDITS[n]}
        old_cells, new_cells = scan(before).cells, scan(after).cells
        for a, b in zip(old_cells, new_cells):
            assert (a.source != b.source) == (a.index in changed_cells), (n, a.index)
        # and within those sources only the edited lines: a line diff of the raw JSON text
        old_lines = before.decode("utf-8").splitlines()
        new_lines = after.decode("utf-8").splitlines()
        removed = [ln for ln in difflib.ndiff(old_lines, new_lines) if ln.startswith("- ")]
        added = [ln for ln in difflib.ndiff(old_lines, new_lines) if ln.startswith("+ ")]
        if n == "tagger_masking.ipynb":  # string sources: one JSON line per cell
            assert len(removed) == len(added) == 2
        else:
            assert len(removed) == len(added) == 1
            for _, old, new in EDITS[n]:
                escaped = n == "sensor_gru.ipynb"
                assert removed[0][2:].strip() == json.dumps(old + "\n", ensure_ascii=escaped) + ",", removed
                assert added[0][2:].strip() == json.dumps(new + "\n", ensure_ascii=escaped) + ",", added
    # the Colab notebook escapes non-ASCII text: the edited line does too; the others write it as is
    assert "\\u00b0C readings" in (d / "sensor_gru.ipynb").read_text() and "°" not in (d / "sensor_gru.ipynb").read_text()
    assert "déjà" in (d / "review_lstm.ipynb").read_text(encoding="utf-8")
    # IPython lines inside a fixed cell come back as written (the linter saw them as `pass`)
    tagger = json.loads((d / "tagger_masking.ipynb").read_text(encoding="utf-8"))
    assert tagger["cells"][4]["source"].startswith("%env TF_CPP_MIN_LOG_LEVEL=2\nmodel = keras.Sequential()\n")
    assert isinstance(tagger["cells"][4]["source"], str)  # a string source stays a string


def test_diff_shows_each_changed_cell_and_writes_nothing(tmp_path):
    d = _copy(tmp_path)
    r = run_cli("--diff", ".", cwd=str(d))
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.endswith("3 files would be fixed.\n"), r.stderr
    for n in NAMES:
        assert (d / n).read_bytes() == _original(n)
        for cell, old, new in EDITS[n]:
            header = f"--- a/{n}:cell {cell}\n+++ b/{n}:cell {cell}\n"
            assert header in r.stdout, (header, r.stdout)
            assert f"\n-{old}\n" in r.stdout and (new is None or f"\n+{new}\n" in r.stdout)
    assert r.stdout.count("--- a/") == 4  # tagger: cells 1 and 4; untouched cells get no diff
    assert "\n %env TF_CPP_MIN_LOG_LEVEL=2\n" in r.stdout  # the magic line, as written, in the context


def test_suppressed_deselected_and_unreadable_notebooks(tmp_path):
    d = _copy(tmp_path, ["review_lstm.ipynb", "tagger_masking.ipynb"])
    tagger = d / "tagger_masking.ipynb"
    text = tagger.read_text(encoding="utf-8").replace("# ignore the padding", "# noqa: MK102")
    tagger.write_text(text, encoding="utf-8")
    r = run_cli("--diff", "--ignore", "MK101", ".", cwd=str(d))
    assert (r.returncode, r.stdout) == (0, ""), r.stdout + r.stderr
    assert r.stderr.endswith("0 files would be fixed.\n")
    (d / "broken.ipynb").write_bytes(_original("review_lstm.ipynb")[:3000])  # truncated while saving
    for flag in ("--diff", "--fix"):
        r = run_cli(flag, "broken.ipynb", cwd=str(d))
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert [ln for ln in r.stderr.splitlines() if "broken.ipynb" in ln], r.stderr
    assert (d / "broken.ipynb").read_bytes() == _original("review_lstm.ipynb")[:3000]
    # a cell that is not Python: the error names the cell and its line, as the lint does
    (d / "broken.ipynb").write_bytes(_notebook(["import keras\n", "x = 1"], ["m = keras.Sequential([\n", "def"]))
    r = run_cli("--diff", "broken.ipynb", cwd=str(d))
    assert r.returncode == 2 and "broken.ipynb: syntax error at cell 2, line 2" in r.stderr, r.stderr
    assert tagger.read_text(encoding="utf-8") == text


def test_a_finding_in_an_imported_file_is_not_fixed_from_the_notebook(tmp_path):
    (tmp_path / "model.py").write_text(
        "import keras\nfrom keras import layers\n\n\ndef build_model(vocab_size):\n"
        "    return keras.Sequential([keras.Input(shape=(None,), dtype='int32'),\n"
        "                             layers.Embedding(vocab_size, 16), layers.LSTM(8), layers.Dense(1)])\n")
    (tmp_path / "train.ipynb").write_bytes(_notebook(
        ["import numpy as np\n", "from keras.utils import pad_sequences\n", "from model import build_model"],
        ['x = pad_sequences([[1, 2], [3]], maxlen=6, padding="post")\n', "model = build_model(50)\n",
         "model.fit(x, np.array([0, 1]))"]))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    r = run_cli("--fix", "--format", "json", ".", cwd=str(tmp_path))
    assert [(f["path"], f["code"]) for f in json.loads(r.stdout)] == [("model.py", "MK101")], r.stdout + r.stderr
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


RUN_CELLS = r"""
import json, os, sys, warnings
out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fh:
        cells = [c for c in json.load(fh)["cells"] if c["cell_type"] == "code"]
    code = []
    for c in cells:  # IPython lines dropped (magics, shell, help), the rest run top to bottom
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        code += [ln for ln in src.split("\n") if not ln.lstrip().startswith(("%", "!")) and not ln.rstrip().endswith("?")]
    ns = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile("\n".join(code), path, "exec"), ns)
    out[os.path.basename(path)] = [[type(l).__name__, getattr(l, "mask_zero", None), getattr(l, "mask_value", None)]
                                   for l in ns["model"].layers if type(l).__name__ != "InputLayer"]
print(json.dumps(out))
"""


@pytest.mark.timeout(240)
def test_fixed_notebooks_build_and_train_with_keras(fixed):
    pytest.importorskip("keras")
    pytest.importorskip("matplotlib")
    d, _ = fixed
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    r = subprocess.run([sys.executable, "-c", RUN_CELLS, *[str(d / n) for n in NAMES]], capture_output=True,
                       text=True, cwd=str(d), env=env, timeout=200)
    assert r.returncode == 0, r.stderr[-3000:]
    layers = json.loads(r.stdout.strip().splitlines()[-1])
    assert layers["review_lstm.ipynb"] == [["Embedding", True, None], ["LSTM", None, None], ["Dense", None, None]]
    assert layers["sensor_gru.ipynb"] == [["Masking", None, -1.0], ["GRU", None, None], ["Dense", None, None]]
    assert layers["tagger_masking.ipynb"] == [["Embedding", True, None], ["LSTM", None, None], ["Dense", None, None]]


# --- the line mapping and the JSON splice, in process (no Keras) ---------------------------------------

def _notebook(*sources, indent=1, ensure_ascii=False) -> bytes:
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": s}
             for s in sources]
    doc = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    return (json.dumps(doc, indent=indent, ensure_ascii=ensure_ascii) + "\n").encode("utf-8")


def _fix_text(buf: bytes, new_text: str):
    nb = scan(buf)
    edits = changes(nb, join(nb), new_text)
    return {ch.cell.index: ch.new for ch in edits}, json.loads(rewrite(nb, edits))


def test_lines_map_back_to_their_cells():
    buf = _notebook(["import keras\n", "from keras.layers import Masking"], ["x = 1\n", "%time y = 2\n", "z = 3"],
                    [], "%%time\nfit()")
    # the end of cell 1 removed and the start of cell 2 changed: each new line in its old line's cell
    new, doc = _fix_text(buf, "import keras\nx = 1  # one\npass\nz = 3\n")
    assert new == {1: "import keras", 2: "x = 1  # one\n%time y = 2\nz = 3"}
    assert doc["cells"][0]["source"] == ["import keras"]
    assert doc["cells"][1]["source"] == ["x = 1  # one\n", "%time y = 2\n", "z = 3"]
    assert doc["cells"][2]["source"] == [] and doc["cells"][3]["source"] == "%%time\nfit()"
    # an inserted line belongs to the cell of the line before it; a cell emptied is an empty list
    new, doc = _fix_text(buf, "import keras\nfrom keras.layers import Masking\nfrom keras import ops\nx = 1\npass\n")
    assert new == {1: "import keras\nfrom keras.layers import Masking\nfrom keras import ops", 2: "x = 1\n%time y = 2"}
    assert doc["cells"][1]["source"] == ["x = 1\n", "%time y = 2"]


def test_list_sources_keep_their_layout_and_escaping():
    src = ["import keras  # modèle\n", "m = keras.layers.Masking(0.0)\n", "print(m)"]
    for ensure_ascii in (False, True):
        buf = _notebook(src, ["print('fin')"], ensure_ascii=ensure_ascii)
        nb = scan(buf)
        out = rewrite(nb, changes(nb, join(nb), "import keras  # modèle\nm = keras.layers.Masking(-1.0)  # é\n"
                                                "print(m)\nprint('fin')\n"))
        old_lines, new_lines = buf.decode().splitlines(), out.decode().splitlines()
        diff = [ln for ln in difflib.ndiff(old_lines, new_lines) if ln[:1] in "+-"]
        edited = json.dumps("m = keras.layers.Masking(-1.0)  # é\n", ensure_ascii=ensure_ascii)
        assert diff == ['-     "m = keras.layers.Masking(0.0)\\n",', f"+     {edited},"], diff
    # a line appended at the end: the last string gains its newline, separators as the file's
    buf = _notebook(["a = 1\n", "b = 2"], indent=2)
    nb = scan(buf)
    out = rewrite(nb, changes(nb, join(nb), "a = 1\nb = 2\nc = 3\n")).decode()
    assert '"source": [\n        "a = 1\\n",\n        "b = 2\\n",\n        "c = 3"\n      ]' in out
    assert json.loads(out)["cells"][0]["source"] == ["a = 1\n", "b = 2\n", "c = 3"]


def test_a_large_notebook_is_fixed_in_place(tmp_path):
    """Above 1 MB the reader maps the file; the fix is spliced in and the outputs are kept."""
    doc = json.loads(_original("review_lstm.ipynb"))
    doc["cells"][-1]["outputs"][0]["data"]["image/png"] = "iVBORw0KGgo" + "A" * (2 << 20) + "\n"
    text = json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    p = tmp_path / "big.ipynb"
    p.write_text(text, encoding="utf-8")
    assert fix_notebook_file(str(p), write=False).startswith("--- a/")
    assert p.read_text(encoding="utf-8") == text
    assert fix_notebook_file(str(p), write=True) == ""
    after = p.read_bytes()
    assert _outside_sources(after) == _outside_sources(text.encode("utf-8"))
    assert b'"    layers.Embedding(vocab_size, 16, mask_zero=True),\\n"' in after
    assert fix_notebook_file(str(p), write=True) is None  # nothing left to fix
