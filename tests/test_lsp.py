"""``masklint server`` end to end: a real LSP client (pytest-lsp) starts ``python -m masklint server``
as a subprocess and speaks JSON-RPC to it over stdio.

Needs pygls and pytest-lsp (both in the ``test`` extra); skipped with a reason without them.
"""
import json
import os
import sys

import pytest

pytest.importorskip("pygls", reason="masklint server needs pygls (the 'lsp' extra)")
pytest_lsp = pytest.importorskip("pytest_lsp", reason="the end-to-end test needs pytest-lsp (the 'test' extra)")

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

from masklint.lsp.edits import changed_span  # noqa: E402

CLASSIFIER = '''"""A small review classifier: tokens in, sentiment out."""
from tensorflow import keras
from tensorflow.keras import layers


def build_classifier(vocab_size=20000, embed_dim=64):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab_size, embed_dim)(inputs)
    x = layers.Masking(mask_value=0.0)(x)
    x = layers.LSTM(64)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)
'''

FIXED = '''"""A small review classifier: tokens in, sentiment out."""
from tensorflow import keras
from tensorflow.keras import layers


def build_classifier(vocab_size=20000, embed_dim=64):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)
    x = layers.LSTM(64)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)
'''

NOTEBOOK_CELLS = [
    ("markdown", "# Tagging tokens\nA tagger over padded batches."),
    ("code", "import numpy as np\nfrom tensorflow import keras\nfrom tensorflow.keras import layers"),
    ("code", "tagger = keras.Sequential([\n    layers.Embedding(5000, 32),\n    layers.Masking(0.0),\n"
             "    layers.Bidirectional(layers.LSTM(32, return_sequences=True)),\n"
             "    layers.TimeDistributed(layers.Dense(12, activation=\"softmax\")),\n])"),
]


def _notebook_text() -> str:
    cells = []
    for kind, src in NOTEBOOK_CELLS:
        lines = src.split("\n")
        cell = {"cell_type": kind, "metadata": {}, "source": [ln + "\n" for ln in lines[:-1]] + [lines[-1]]}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"},
                                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "masklint", "server"]))
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(capabilities=types.ClientCapabilities())
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def _uri(path) -> str:
    return "file://" + str(path)


async def _open(client, path, text, language="python"):
    uri = _uri(path)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return uri


def _apply(text: str, edit: types.TextEdit) -> str:
    lines = text.splitlines(True)

    def offset(pos):  # ASCII text: UTF-16 units are characters
        return sum(len(ln) for ln in lines[:pos.line]) + pos.character

    return text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]


@pytest.mark.asyncio
async def test_diagnostic_code_action_and_clean_change(client: LanguageClient, tmp_path):
    path = tmp_path / "classifier.py"
    path.write_text(CLASSIFIER)
    uri = await _open(client, path, CLASSIFIER)
    [d] = client.diagnostics[uri]
    assert d.code == "MK102" and d.source == "masklint"
    assert d.severity == types.DiagnosticSeverity.Error
    # the culprit's call: `layers.Masking` on line 9 (0-based 8), from column 8
    assert (d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character) == (8, 8, 8, 22)
    assert "masking-after-embedding" in d.message and "fix: remove 'masking'" in d.message
    assert d.code_description.href.endswith("/rules/MK102-masking-after-embedding.md")

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=d.range,
        context=types.CodeActionContext(diagnostics=[d])))
    quick = [a for a in actions if a.kind == types.CodeActionKind.QuickFix]
    assert len(quick) == 1 and quick[0].diagnostics[0].code == "MK102"
    [edit] = quick[0].edit.changes[uri]
    assert edit.range.start.line == 7  # only the lines the fix changes are replaced
    new = _apply(CLASSIFIER, edit)
    assert "mask_zero=True" in new and "layers.Masking" not in new

    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=FIXED)]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []


@pytest.mark.asyncio
async def test_notebook_json_text(client: LanguageClient, tmp_path):
    text = _notebook_text()
    uri = await _open(client, tmp_path / "tagger.ipynb", text, language="json")
    [d] = client.diagnostics[uri]
    assert d.code == "MK102"
    assert d.message.startswith("cell 2, line 3: ")
    line = text.splitlines()[d.range.start.line]
    assert line[d.range.start.character:d.range.end.character] == "layers.Masking"

    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=d.range,
        context=types.CodeActionContext(diagnostics=[d])))
    [edit] = [a for a in actions if a.kind == types.CodeActionKind.QuickFix][0].edit.changes[uri]
    fixed = json.loads(_apply(text, edit))
    assert "mask_zero=True" in "".join(fixed["cells"][2]["source"])
    assert "Masking" not in "".join(fixed["cells"][2]["source"])


@pytest.mark.asyncio
async def test_configuration_ignores_the_rule(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.masklint]\nignore = ["masking-after-embedding"]\n')
    pkg = tmp_path / "src"
    pkg.mkdir()
    uri = await _open(client, pkg / "classifier.py", CLASSIFIER)
    assert list(client.diagnostics[uri]) == []


@pytest.mark.asyncio
async def test_configuration_error_is_one_diagnostic(client: LanguageClient, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.masklint]\nignroe = ["MK102"]\n')
    uri = await _open(client, tmp_path / "classifier.py", CLASSIFIER)
    [d] = client.diagnostics[uri]
    assert d.code is None and d.message.startswith("masklint: configuration error: ") and "ignroe" in d.message


@pytest.mark.asyncio
async def test_syntax_error_clears_and_server_goes_on(client: LanguageClient, tmp_path):
    path = tmp_path / "classifier.py"
    uri = await _open(client, path, CLASSIFIER)
    assert [d.code for d in client.diagnostics[uri]] == ["MK102"]
    broken = CLASSIFIER.replace("x = layers.LSTM(64)(x)", "x = layers.LSTM(64)(x")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=broken)]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []
    # an incremental change back to the original text: linted again
    row = broken.splitlines().index("    x = layers.LSTM(64)(x")
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=row, character=25),
                              end=types.Position(line=row, character=25)), text=")")]))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [d.code for d in client.diagnostics[uri]] == ["MK102"]


def test_changed_span():
    assert changed_span("a\nb\nc\n", "a\nB\nc\n") == (2, 3, "B")
    for old, new in [("", "x"), ("abc", "abc"), ("x = 1\r\ny = 2\r\n", "x = 1\r\ny = 3\r\n"), ("ab", "")]:
        s, e, r = changed_span(old, new)
        assert old[:s] + r + old[e:] == new
        assert s == 0 or old[s - 1] == "\n"


def test_server_command_imports_no_pygls_until_it_runs():
    """``masklint`` (lint, help) never imports pygls; ``masklint server`` without pygls says so."""
    import subprocess

    code = ("import sys; from masklint.cli import main\ntry: main(['rules'])\nexcept SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'tensorflow', "
            "'keras')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip().splitlines()[-1] == "[]"
    blocker = ("import sys, builtins\nreal = builtins.__import__\n"
               "def imp(name, *a, **k):\n    if name.split('.')[0] == 'pygls': raise ImportError(name)\n"
               "    return real(name, *a, **k)\nbuiltins.__import__ = imp\n"
               "from masklint.cli import main\nmain(['server'])\n")
    r = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ))
    assert r.returncode == 2 and "install the 'lsp' extra" in r.stderr


@pytest.mark.asyncio
async def test_correct_code_is_silent_and_fix_all_is_offered_only_with_a_fix(client: LanguageClient, tmp_path):
    uri = await _open(client, tmp_path / "fixed.py", FIXED)
    assert list(client.diagnostics[uri]) == []
    only = types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])
    zero = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0))
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=zero, context=only))
    assert not actions
    uri = await _open(client, tmp_path / "classifier.py", CLASSIFIER)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=zero, context=only))
    [fix_all] = actions
    assert fix_all.kind == "source.fixAll.masklint"
    [edit] = fix_all.edit.changes[uri]
    assert "mask_zero=True" in _apply(CLASSIFIER, edit)


def test_which_documents_are_linted():
    from masklint.lsp.documents import lintable

    assert lintable("file:///p/a.py", "/p/a.py", "python")
    assert lintable("file:///p/nb.ipynb", "/p/nb.ipynb", "json")
    assert lintable("untitled:Untitled-1", None, "python")
    assert not lintable("file:///p/a.json", "/p/a.json", "json")
    assert not lintable("vscode-notebook-cell:/p/nb.ipynb#W1sZmlsZQ%3D%3D", "/p/nb.ipynb", "python")


def test_server_lint_path_imports_no_tensorflow_or_keras():
    """The server's lint and fix of a document (what each didChange and code action runs) stay static."""
    import subprocess

    code = ("import sys\nfrom masklint.lsp import server\n"
            "from masklint.lsp.documents import lint_document, fixed_text\n"
            f"t = {CLASSIFIER!r}\n"
            "assert [f.code for f in lint_document(t, '/nonexistent/a.py').findings] == ['MK102']\n"
            "assert 'mask_zero=True' in fixed_text(t, '/nonexistent/a.py')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'jax', "
            "'torch')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.asyncio
async def test_save_lints_at_once(client: LanguageClient, tmp_path):
    path = tmp_path / "classifier.py"
    path.write_text(CLASSIFIER)
    uri = await _open(client, path, CLASSIFIER)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert [d.code for d in client.diagnostics[uri]] == ["MK102"]
    doc = types.TextDocumentIdentifier(uri=uri)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc))
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    assert list(client.diagnostics[uri]) == []
