#!/usr/bin/env python3
"""``masklint server`` latency: start-up and the answer to a change, as an editor sees them.

Usage (from the repository root, with pygls installed: the ``lsp`` or ``test`` extra)::

    .venv/bin/python bench/bench_lsp.py            # 15 start-ups, 40 changes
    .venv/bin/python bench/bench_lsp.py --quick    # 3 start-ups, 5 changes (results/tmp/)

1. **Start-up**: spawn ``python -m masklint server`` -> the ``initialize`` response (target < 1 s),
   median and maximum of fresh processes.
2. **A change on a 500-line file**: a generated module of Keras model builders (500 lines, 24
   models, one masking mistake) is opened; then each ``didChange`` (the whole text, one number edited,
   alternating) is timed until the ``publishDiagnostics`` of that version arrives (target < 200 ms).
   Measured with the debounce off (``initializationOptions: {"debounce": 0}``), so the figure is the
   server's own work; the same with the default debounce (300 ms) is reported separately, and is
   that figure plus the debounce.

The client is this script: JSON-RPC over the server's stdin/stdout, standard library only. Results:
``bench/results/lsp.json`` and ``lsp.md`` (``--quick``: ``bench/results/tmp/``), with the commit measured.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _env  # noqa: E402  (bench/ is on sys.path when a script here runs)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
TARGET_START_S = 1.0
TARGET_CHANGE_S = 0.2

BUILDER = '''

def build_{kind}_{i}(vocab_size={vocab}, embed_dim={dim}, units={units}):
    """{doc}"""
    inputs = keras.Input(shape=(None,), dtype="int32", name="tokens_{i}")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)
    x = layers.{rnn}(units, return_sequences={seq})(x)
    x = layers.Dropout({drop})(x)
    x = layers.{head}
    outputs = layers.Dense({classes}, activation="{act}")(x)
    model = keras.Model(inputs, outputs, name="{kind}_{i}")
    model.compile(optimizer="adam", loss="{loss}")
    return model
'''
HEADS = {"classifier": ("GlobalAveragePooling1D()(x)", True, "softmax", "sparse_categorical_crossentropy",
                        "A sentence classifier over padded token ids."),
         "tagger": ("TimeDistributed(layers.Dense(64, activation=\"relu\"))(x)", True, "softmax",
                    "sparse_categorical_crossentropy", "A token tagger; padding steps are masked in the loss."),
         "scorer": ("Dense(32, activation=\"relu\")(x)", False, "sigmoid", "binary_crossentropy",
                    "A relevance scorer over the last hidden state.")}
MISTAKE = '''

def build_legacy_encoder(vocab_size=5000, embed_dim=32):
    """Kept from the first prototype."""
    model = keras.Sequential([
        layers.Embedding(vocab_size, embed_dim),
        layers.Masking(mask_value=0.0),
        layers.LSTM(32),
        layers.Dense(1, activation="sigmoid"),
    ])
    return model
'''


def module_500() -> str:
    """A 500-line module of Keras model builders with one mistake (MK102), deterministic."""
    out = ['"""Model zoo for the review-mining experiments."""\nfrom tensorflow import keras\n'
           'from tensorflow.keras import layers\n', MISTAKE]
    i = 0
    while sum(s.count("\n") for s in out) < 480:
        kind = ("classifier", "tagger", "scorer")[i % 3]
        head, seq, act, loss, doc = HEADS[kind]
        out.append(BUILDER.format(kind=kind, i=i, vocab=10000 + 500 * i, dim=32 + 8 * (i % 4), units=32 + 16 * (i % 3),
                                  doc=doc, rnn=("LSTM", "GRU")[i % 2], seq=seq, drop=0.1 + 0.05 * (i % 3),
                                  head=head, classes=1 if kind == "scorer" else 5 + i % 7, act=act, loss=loss))
        i += 1
    text = "".join(out)
    lines = text.splitlines()
    return "\n".join(lines[:500] if len(lines) >= 500 else lines + ["# end"] * (500 - len(lines))) + "\n"


class Client:
    """A minimal LSP client over a server process's pipes."""

    def __init__(self, init_options=None):
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "masklint", "server"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
        self.next_id = 0
        self.init_options = init_options

    def send(self, method: str, params, request: bool = False):
        msg = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            msg["id"] = self.next_id
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return msg.get("id")

    def read(self) -> dict:
        length = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return json.loads(self.proc.stdout.read(length))

    def wait(self, pred) -> dict:
        while True:
            msg = self.read()
            if pred(msg):
                return msg

    def initialize(self) -> float:
        rid = self.send("initialize", {"processId": os.getpid(), "rootUri": None, "capabilities": {},
                                       "initializationOptions": self.init_options}, request=True)
        self.wait(lambda m: m.get("id") == rid)
        elapsed = time.perf_counter() - self.t0
        self.send("initialized", {})
        return elapsed

    def diagnostics(self, uri: str, version: int) -> list:
        msg = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                        and m["params"]["uri"] == uri and m["params"].get("version") == version)
        return msg["params"]["diagnostics"]

    def close(self) -> None:
        rid = self.send("shutdown", None, request=True)
        self.wait(lambda m: m.get("id") == rid)
        self.send("exit", None)
        self.proc.wait(timeout=30)


def startups(n: int) -> list[float]:
    times = []
    for _ in range(n):
        c = Client()
        times.append(c.initialize())
        c.close()
    return times


def changes(n: int, debounce_ms: int | None, path: Path, text: str) -> tuple[list[float], float, int]:
    """(seconds per change, seconds to the first diagnostics after open, diagnostics count)."""
    c = Client(None if debounce_ms is None else {"debounce": debounce_ms})
    c.initialize()
    uri = path.as_uri()
    t = time.perf_counter()
    c.send("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
    first = c.diagnostics(uri, 1)
    opened = time.perf_counter() - t
    times = []
    for k in range(n):
        version = k + 2
        new = text.replace("units=32,", f"units={32 + (k % 2) * 16},", 1)
        t = time.perf_counter()
        c.send("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                          "contentChanges": [{"text": new}]})
        diags = c.diagnostics(uri, version)
        times.append(time.perf_counter() - t)
        assert len(diags) == len(first), (diags, first)
    c.close()
    return times, opened, len(first)


def _ms(s: float) -> str:
    return f"{s * 1000:.0f} ms"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n_start, n_change = (3, 5) if args.quick else (15, 40)
    text = module_500()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "zoo.py"
        path.write_text(text)
        start = startups(n_start)
        quick_t, opened, n_diag = changes(n_change, 0, path, text)
        deb_t, _, _ = changes(max(3, n_change // 4), None, path, text)
    res = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "commit": _env.git_revision(), "source_digest": _env.source_digest(), "cpu": _env.cpu_name(),
        "loadavg": _env.loadavg(), "python": sys.version.split()[0], "pygls": _env.version("pygls"),
        "startup_s": {"runs": len(start), "median": statistics.median(start), "max": max(start)},
        "file_lines": text.count("\n"), "diagnostics": n_diag, "open_s": opened,
        "change_s": {"runs": len(quick_t), "median": statistics.median(quick_t), "max": max(quick_t),
                     "p90": sorted(quick_t)[int(0.9 * (len(quick_t) - 1))]},
        "change_with_debounce_s": {"runs": len(deb_t), "median": statistics.median(deb_t), "max": max(deb_t),
                                   "debounce": 0.3},
        "targets": {"startup_s": TARGET_START_S, "change_s": TARGET_CHANGE_S},
    }
    ok_start = res["startup_s"]["median"] < TARGET_START_S
    ok_change = res["change_s"]["median"] < TARGET_CHANGE_S
    md = [
        "# `masklint server` latency",
        "",
        f"Commit `{res['commit']}` (masklint sources {res['source_digest']}), {res['date']}, {res['cpu']}, "
        f"load {res['loadavg']}, Python {res['python']}, pygls {res['pygls']}. `bench/bench_lsp.py`"
        + (" --quick" if args.quick else "") + ".",
        "",
        "| figure | median | max | target | met |",
        "|---|---|---|---|---|",
        f"| start-up: spawn -> `initialize` response ({len(start)} processes) | {_ms(res['startup_s']['median'])} "
        f"| {_ms(res['startup_s']['max'])} | < 1 s | {'yes' if ok_start else 'no'} |",
        f"| `didChange` -> `publishDiagnostics`, {res['file_lines']}-line file, debounce off ({len(quick_t)} changes) "
        f"| {_ms(res['change_s']['median'])} | {_ms(res['change_s']['max'])} | < 200 ms "
        f"| {'yes' if ok_change else 'no'} |",
        f"| the same with the default 300 ms debounce ({len(deb_t)} changes) | "
        f"{_ms(res['change_with_debounce_s']['median'])} | {_ms(res['change_with_debounce_s']['max'])} | "
        "(debounce + the above) | |",
        "",
        f"The file: {res['file_lines']} lines, {n_diag} diagnostic(s) on every version; `didOpen` -> first "
        f"diagnostics {_ms(opened)} (the first lint also imports the source front end).",
        "",
    ]
    out = RESULTS / "tmp" if args.quick else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    (out / "lsp.json").write_text(json.dumps(res, indent=2) + "\n")
    (out / "lsp.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
