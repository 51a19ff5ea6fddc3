"""Code cells joined as one module: IPython syntax is neutralised in place (one line for one line,
every other character keeps its line and column) and Python that looks like it is never touched."""
from __future__ import annotations

import json

import pytest

from masklint.notebook.cells import _python_lines, cell_python, join
from masklint.notebook.magics import cell_magic, rewrite
from masklint.notebook.scan import scan


def _nb(*cells):
    """A notebook of ``cells`` (a string: a code cell; ("markdown", text): a markdown cell)."""
    out = []
    for c in cells:
        kind, text = c if isinstance(c, tuple) else ("code", c)
        src = text.splitlines(keepends=True)
        cell = {"cell_type": kind, "metadata": {}, "source": src}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        out.append(cell)
    doc = {
        "cells": out,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return scan(json.dumps(doc, indent=1).encode())


def _py(text):
    return cell_python(text.split("\n"))


# -- IPython lines become `pass` at their indentation ------------------------------------------------

@pytest.mark.parametrize(
    "line",
    [
        "%matplotlib inline",
        "%load_ext tensorboard",
        "%tensorflow_version 2.x",
        "%tensorboard --logdir logs/fit",
        "%env TF_CPP_MIN_LOG_LEVEL=3",
        "!pip install -q tensorflow-text",
        "! nvidia-smi",
        "!wget -q https://example.org/data.zip && unzip -q data.zip",
        "files = !ls data/*.csv",
        "out = %sx ls",
        "res['ls'] = !ls -1",
        "a, b = %sx echo 1 2",
        "env=%env HOME",
        "model.fit?",
        "keras.layers.LSTM??",
        "?len",
        "??keras.Model",
        "np.*load*?",
        "pip install -q keras-tuner",
        "pip uninstall -y tensorflow",
        "conda install -c conda-forge graphviz",
        "cd 'My Drive/data'",
        "matplotlib inline",
        "load_ext autoreload",
        "run prepare_data.py --max-len 200",
    ],
)
def test_ipython_line_becomes_pass(line):
    assert _py(line) == ["pass"]
    assert _py("if ready:\n    " + line + "\n    y = 1") == ["if ready:", "    pass", "    y = 1"]


@pytest.mark.parametrize(
    "line",
    [
        "x = a % b",
        "msg = '%d items' % n",
        "flag = not done",
        "ok = a != b",
        "d = {'a': 1, '%b': 2}",
        "print('!pip install x')",
        "# %matplotlib inline",
        "# !pip install x",
        "time.sleep(1)",
        "cat = pd.concat([a, b])",
        "pip = make_pipeline(scaler, clf)",
        "history = model.fit(x, y)",
        "ls",  # a bare name is Python (IPython would list the directory; nothing for the linter)
        "cd(path)",
        "get_ipython().system('ls')",
        "get_ipython().run_line_magic('matplotlib', 'inline')",
        "display(df.head())",
        "x = y if z else w",
        "print(f'{x!r}')",
        "lambda_ = 1  # what?",
        "config  # the settings shown above",
        "time: float = 0.5",
        "history and print(history)",
    ],
)
def test_python_is_untouched(line):
    assert rewrite(line) is None
    assert _py(line) == [line]


def test_lines_inside_brackets_strings_and_continuations_are_untouched():
    src = [
        "x = (a",
        "% b)",
        "y = a \\",
        "    % b",
        "doc = '''",
        "%matplotlib inline",
        "!pip install x",
        "model.fit?",
        "'''",
        "cfg = {",
        "    'k': 1,",
        "}",
        's = "it\'s" + \'"\'  # ( not a bracket',
        "%matplotlib inline",
    ]
    out = _python_lines(src)
    assert out[:-1] == src[:-1]
    assert out[-1] == "pass"


def test_shell_line_continued_with_backslash_empties_its_lines():
    src = ["for f in files:", "    !gsutil cp $f \\", "        gs://bucket/", "    n += 1"]
    assert _py("\n".join(src)) == ["for f in files:", "    pass", "", "    n += 1"]


# -- %time keeps its statement, at the same columns ------------------------------------------------

def test_time_line_magic_keeps_the_statement_in_place():
    line = "%time history = model.fit(x_train, y_train, epochs=3)"
    (out,) = _py(line)
    assert out == "pass; history = model.fit(x_train, y_train, epochs=3)"
    assert out.index("model.fit") == line.index("model.fit")


def test_timeit_options_are_blanked_and_columns_kept():
    line = "%timeit -n 10 -r 3 model.predict(x)"
    (out,) = _py(line)
    assert out.startswith("pass;") and out.index("model.predict") == line.index("model.predict")


def test_assignment_from_time_keeps_the_value():
    src = ["history = %time model.fit(x_pad,", "                       y)"]
    out = _py("\n".join(src))
    assert out == ["history =       model.fit(x_pad,", "                       y)"]


def test_time_of_a_compound_statement_is_blanked():
    assert _py("%time for i in range(3): f(i)") == ["pass"]


def test_time_whose_statement_does_not_parse_is_blanked_with_its_lines():
    assert _py("%time model.fit(x,\n    y)]\nz = 1") == ["pass", "", "z = 1"]


def test_other_python_line_magics_are_blanked_with_their_bracket_lines():
    assert _py("%prun model.fit(x,\n      y)\nz = 1") == ["pass", "", "z = 1"]
    assert _py("t = %timeit -o f(a,\n  b)\nz = 1") == ["pass", "", "z = 1"]


# -- cell magics ---------------------------------------------------------------------------------

@pytest.mark.parametrize("magic", ["%%time", "%%timeit -n 1", "%%capture out", "%%prun -s cumulative"])
def test_python_cell_magic_keeps_its_body(magic):
    assert _py(magic + "\n!pip install x\nmodel.fit(x, y)") == ["", "pass", "model.fit(x, y)"]


@pytest.mark.parametrize(
    "magic", ["%%bash", "%%writefile model.py", "%%html", "%%javascript", "%%R -i df", "%%sql", "%%"]
)
def test_other_cell_magic_leaves_the_cell_out(magic):
    assert _py(magic + "\nimport keras\nmodel = keras.Sequential()") is None


def test_cell_magic_after_comments_and_blank_lines():
    assert _py("#@title Install\n\n%%capture\n!pip install -q x\nimport keras") == [
        "#@title Install", "", "", "pass", "import keras"
    ]
    assert _py("# write the helper\n%%writefile helper.py\nimport os") is None
    assert cell_magic(["x = 1", "%%time"]) is None


def test_cell_magic_below_a_statement_is_a_line():
    assert _py("x = 1\n%%time\ny = 2") == ["x = 1", "pass", "y = 2"]


def test_python_cell_magic_whose_body_is_not_python_is_left_out():
    assert _py("%%time\nprint 'python 2'") is None


# -- the joined module ---------------------------------------------------------------------------

_CELLS = [
    "%matplotlib inline\n!pip install -q keras\nimport keras\nfrom keras import layers\n",
    ("markdown", "## Data\n%not code\n"),
    "%%bash\nwget https://example.org/imdb.tgz\n",
    "maxlen = 200  # steps\nx = keras.utils.pad_sequences(seqs, maxlen=maxlen, padding='post')\n",
    "%%time\nmodel = keras.Sequential([\n    layers.Embedding(20000, 64),\n"
    "    layers.LSTM(32),  # no mask\n    layers.Dense(1, activation='sigmoid'),\n])\n",
    "if TRAIN:\n    !mkdir -p ckpt\n    history = %time model.fit(x, y,\n"
    "                              epochs=2)\nmodel.summary?\n",
]


def test_every_kept_line_keeps_its_line_and_column():
    nb = _nb(*_CELLS)
    joined = join(nb)
    module = joined.text.split("\n")
    code = [c for c in _CELLS if not isinstance(c, tuple)]
    assert sorted(joined.start) == [1, 3, 4, 5]  # the %%bash cell (2) is left out
    for index in joined.start:
        original = code[index - 1].split("\n")
        for k, line in enumerate(joined.lines_of[index], 1):
            n = joined.start[index] + k - 1
            assert joined.locate(n) == (index, k)
            assert module[n - 1] == line
            src = original[k - 1]
            if line in ("", "pass") or line.strip() == "pass":
                continue
            for token in ("keras", "layers", "maxlen", "model", "fit", "epochs", "Dense", "x, y"):
                if token in src:
                    assert line.find(token) == src.find(token), (src, line)
            if not src.lstrip().startswith("%") and "%time" not in src:
                assert line == src


def test_joined_notebook_parses_and_matches_cells():
    import ast

    nb = _nb(*_CELLS)
    joined = join(nb)
    ast.parse(joined.text)
    assert joined.lines_of[4][0] == ""  # the %%time line
    assert joined.lines_of[5][1] == "    pass"
    assert joined.lines_of[5][2] == "    history =       model.fit(x, y,"


def test_a_notebook_of_magics_only_joins_to_passes():
    joined = join(_nb("%%bash\nls\n", "!ls\n%pwd\n"))
    assert joined.text == "pass\npass\n"
    assert joined.start == {2: 1}


@pytest.mark.parametrize(
    "src",
    [
        "history = model.fit(x,\n                    y)",
        "time = (end -\n        start)",
        "run = [a,\n       b]",
        "config . update(x)",
        "history == 3",
        "reset_states = True",
        "cd -\\\n  1",
    ],
)
def test_multiline_python_starting_with_a_magic_name_is_untouched(src):
    assert _py(src) == src.split("\n")


@pytest.mark.parametrize("line", ["cd ..", "cd ../data", "cd {DATA_DIR}", 'cd "My Drive"', "ls -la foo/"])
def test_automagic_with_path_arguments(line):
    assert _py(line) == ["pass"]


def test_foreign_cell_magic_below_code_empties_the_rest_of_the_cell():
    src = [
        "!pip install -q elasticsearch",
        "%%bash",
        'if [ ! -d "es" ]; then',
        "  wget -q https://example.org/es.tgz",
        "fi",
    ]
    assert _py("\n".join(src)) == ["pass", "pass", "", "", ""]


# -- end to end: a finding inside a %%time cell, at the same place as in the script ------------

_TAGGER = [
    "%%capture\n!pip install -q keras\n",
    "%matplotlib inline\nimport numpy as np\nimport keras\nfrom keras import layers\n",
    "if not DATA_READY:\n    !wget -q https://example.org/tags.tsv \\\n        -O tags.tsv\n",
    "sentences = [[4, 9, 2], [7, 1], [3, 3, 8, 5]]\n"
    "x = keras.utils.pad_sequences(sentences, maxlen=40, padding='post')\n",
    "%%time\nmodel = keras.Sequential([\n    layers.Embedding(5000, 32),\n"
    "    layers.LSTM(32, return_sequences=True),\n    layers.Dense(12, activation='softmax'),\n])\n"
    "model.compile('adam', 'sparse_categorical_crossentropy')\n",
    "history = %time model.fit(x, y, epochs=3)\nmodel.summary?\n",
]


def test_finding_in_a_time_cell_is_located_in_it_as_in_the_script():
    from masklint.notebook.lint import lint_notebook
    from masklint.source_lint import lint_source_text

    nb = _nb(*_TAGGER)
    found = [f for f in lint_notebook(nb, "tagger.ipynb") if f.code == "MK101"]
    assert [(f.cell, f.line, f.column, f.layer) for f in found] == [(5, 3, 5, "embedding")]

    script = "\n".join(
        ln for cell in _TAGGER for ln in cell.split("\n")
        if ln and not ln.lstrip().startswith(("%", "!")) and not ln.endswith("?")
        and not ln.startswith(("if not", "        -O", "history"))
    ) + "\n"
    ref = [f for f in lint_source_text(script.encode(), "tagger.py") if f.code == "MK101"]
    assert [(f.column, f.layer) for f in ref] == [(5, "embedding")]
    assert script.split("\n")[ref[0].line - 1] == _TAGGER[4].split("\n")[2]


def test_restore_puts_a_kept_time_magic_back_into_a_fixed_line():
    from masklint.notebook.cells import restore

    assert restore("%time h = f(x)", "pass; h = f(x)", "pass; h = f(x, m)") == "%time h = f(x, m)"
    assert restore("  %timeit -n 3 f(x)", "  pass;        f(x)", "  pass;        f(y)") == "  %timeit -n 3 f(y)"
    assert restore("h = %time f(x)", "h =       f(x)", "h =       f(y)") == "h = %time f(y)"
    # the fix rewrote the head, a blanked line, or plain Python: the new line as it is
    assert restore("%time h = f(x)", "pass; h = f(x)", "h = f(x, m)") == "h = f(x, m)"
    assert restore("!pip install x", "pass", "password = 1") == "password = 1"
    assert restore("x = f(a)", "x = f(a)", "x = f(b)") == "x = f(b)"
