"""The pygls server: diagnostics on open, change (debounced) and save; code actions; stdio.

A change is linted once the document has been quiet for ``debounce`` seconds (0.3 by default; the
client may set ``initializationOptions: {"debounce": <milliseconds>}``): each change cancels the lint
it would have superseded. Open and save lint at once. Diagnostics carry the document version they
were computed for; a document closed or changed meanwhile is not reported on with stale findings.
"""
from __future__ import annotations

import asyncio
import logging

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from .._version import __version__
from .actions import FIX_ALL, FixCache, code_actions
from .convert import diagnostic, problem
from .documents import document_path, lint_document, lintable

DEBOUNCE_S = 0.3
log = logging.getLogger(__name__)


class MasklintServer(LanguageServer):
    def __init__(self):
        super().__init__("masklint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.debounce = DEBOUNCE_S
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.fixes = FixCache()

    # -- linting ---------------------------------------------------------------------------------
    def _doc(self, uri: str):
        try:
            return self.workspace.get_text_document(uri)
        except Exception:  # pragma: no cover - a document the workspace does not hold
            return None

    def lint_now(self, uri: str) -> None:
        self.pending.pop(uri, None)
        doc = self._doc(uri)
        if doc is None or not lintable(uri, doc.path, doc.language_id):
            return
        text, version = doc.source, doc.version
        linted = lint_document(text, document_path(uri, doc.path))
        if doc.version != version:  # changed while linting: the next lint reports
            return
        lines = doc.lines
        diags = [diagnostic(f, lines, doc.position_codec) for f in linted.findings]
        if linted.problem is not None:
            diags.append(problem(linted.problem))
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version))

    def lint_later(self, uri: str) -> None:
        self.cancel(uri)
        if self.debounce <= 0:
            self.lint_now(uri)
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - no loop: lint at once
            self.lint_now(uri)
            return
        self.pending[uri] = loop.call_later(self.debounce, self._safe_lint, uri)

    def _safe_lint(self, uri: str) -> None:
        try:
            self.lint_now(uri)
        except Exception:  # never stop the server: the next change lints again
            log.exception("masklint: linting %s failed", uri)

    def cancel(self, uri: str) -> None:
        handle = self.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()


def build() -> MasklintServer:
    server = MasklintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: MasklintServer, params: types.InitializeParams):
        opts = params.initialization_options
        if isinstance(opts, dict) and isinstance(opts.get("debounce"), (int, float)):
            ls.debounce = max(0.0, float(opts["debounce"]) / 1000.0)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MasklintServer, params: types.DidOpenTextDocumentParams):
        ls._safe_lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MasklintServer, params: types.DidChangeTextDocumentParams):
        ls.fixes.forget(params.text_document.uri)
        ls.lint_later(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: MasklintServer, params: types.DidSaveTextDocumentParams):
        ls.cancel(params.text_document.uri)
        ls._safe_lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MasklintServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        ls.cancel(uri)
        ls.fixes.forget(uri)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]))
    def code_action(ls: MasklintServer, params: types.CodeActionParams):
        uri = params.text_document.uri
        doc = ls._doc(uri)
        if doc is None or not lintable(uri, doc.path, doc.language_id):
            return []
        try:
            return code_actions(doc, document_path(uri, doc.path), params, ls.fixes)
        except Exception:
            log.exception("masklint: code actions for %s failed", uri)
            return []

    return server


def run() -> int:
    import gc

    gc.enable()  # the command line disables it for one-shot runs; a server lives long
    build().start_io()
    return 0
