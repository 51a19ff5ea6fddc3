"""Generate Jupyter notebooks (nbformat 4) of Keras model code, for ``bench/bench_notebooks.py`` and the
notebook fuzzing (``fuzz/run_fuzz.py``, ``tests/test_fuzz_notebooks.py``).

Each notebook is one or more generated model scripts (``make_corpus.py``) cut into cells the way people
cut a tutorial: the imports, the data preparation, the model, training and evaluation in cells of their
own, with Markdown cells between them, an ``%matplotlib inline`` / ``!pip install`` cell at the top,
sometimes a ``%%time`` or ``%%bash`` cell, and outputs as a run notebook has them: training logs
(``Epoch 3/10 ... loss: 0.41``), ``model.summary()`` tables, ``execute_result`` reprs and PNG plots
(base64, of a size drawn per notebook or set with ``image_bytes``). Written in nbformat's own layout
(``indent=1``, sorted keys, ``source`` as a list of lines, a trailing newline).

Standard library only; nothing is imported from Keras or masklint.

    python bench/source_corpus/notebook_corpus.py OUT_DIR [--n 1000] [--seed 20261205] [--scale 1]
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpus  # noqa: E402

MARKDOWN = [
    "# {title}\n\nThis notebook trains a small model on padded sequences and checks how it does on the "
    "validation split.",
    "## Setup\n\nInstall the dependencies and import what we need.",
    "## Prepare the data\n\nSequences have different lengths, so we pad them to a fixed length before "
    "batching.",
    "## Build the model",
    "### Training\n\nWe train for a few epochs with early stopping on the validation loss.",
    "## Evaluate\n\nAccuracy on the held-out set:",
    "Let's look at the architecture before training:",
    "> **Note:** on a GPU this runs much faster; on a CPU expect a few minutes per epoch.",
    "## Helpers",
    "Plot the learning curves:",
]
TITLES = ["Text classification with an LSTM", "Sentiment analysis on movie reviews", "Sequence tagging",
          "Time series forecasting", "A tiny Transformer", "Padding and masking in Keras"]
SETUP = [["%matplotlib inline\n", "!pip install -q keras tensorflow\n"], ["%load_ext autoreload\n", "%autoreload 2\n"],
         ["!nvidia-smi -L\n"], ["import warnings\n", "warnings.filterwarnings('ignore')\n"]]
SKIPPED = [["%%bash\n", "ls -lh data/ | head\n"], ["%%time\n", "history = model.fit(x_train, y_train)\n"],
           ["%%writefile config.yaml\n", "epochs: 10\n", "batch_size: 32\n"]]


def _cells_of(text: str) -> list[str]:
    """Cut a script into cells: a new cell at each top-level statement that follows a blank line."""
    import ast

    lines = text.split("\n")
    starts = set()
    for node in ast.parse(text).body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        if first > 0 and not lines[first - 1].strip():
            starts.add(first)
    cells, cur = [], []
    for k, line in enumerate(lines):
        if k in starts and cur:
            cells.append("\n".join(cur).strip("\n"))
            cur = []
        cur.append(line)
    if cur:
        cells.append("\n".join(cur).strip("\n"))
    return [c for c in cells if c.strip()]


def _lines(text: str) -> list[str]:
    """nbformat's layout of a multi-line string: a list of lines, each but the last with its newline."""
    return text.splitlines(keepends=True)


def _png(rnd: random.Random, size: int) -> str:
    raw = b"\x89PNG\r\n\x1a\n" + rnd.randbytes(max(0, size - 8))
    return base64.b64encode(raw).decode("ascii")


def _log(rnd: random.Random, epochs: int, steps: int, progress: int = 0) -> list[str]:
    """A Keras ``fit`` log as Jupyter stores it; ``progress``: the progress-bar updates per epoch (each a
    line ending in ``\\r``, which nbformat's line split keeps as a list string of its own)."""
    out = []
    for e in range(1, epochs + 1):
        loss = 0.7 / e + rnd.random() * 0.05
        out.append(f"Epoch {e}/{epochs}\n")
        for k in range(1, progress + 1):
            step = k * steps // (progress + 1)
            done = 20 * step // steps
            out.append(f"\x1b[1m{step:>4}/{steps}\x1b[0m \x1b[32m{'━' * done}\x1b[0m\x1b[37m{'━' * (20 - done)}"
                       f"\x1b[0m \x1b[1m2s\x1b[0m 9ms/step - accuracy: {0.5 + 0.4 * k / progress:.4f} - "
                       f"loss: {loss + 0.3 * (1 - k / progress):.4f}\r")
        out.append(f"\x1b[1m{steps}/{steps}\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m "
                   f"\x1b[1m3s\x1b[0m 9ms/step - accuracy: {1 - loss:.4f} - loss: {loss:.4f} - "
                   f"val_accuracy: {1 - loss * 1.1:.4f} - val_loss: {loss * 1.1:.4f}\n")
    return out


def _outputs(code: str, rnd: random.Random, image_bytes: int | None, log_lines: int | None) -> list[dict]:
    outs = []
    if ".fit(" in code or log_lines:
        epochs = max(1, (log_lines or rnd.choice([6, 10, 20])) // 2)
        outs.append({"name": "stdout", "output_type": "stream", "text": _log(rnd, epochs, rnd.choice([63, 782]))})
    if ".summary(" in code:
        rows = ["Model: \"sequential\"\n", "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━┓\n",
                "┃ Layer (type)              ┃ Output Shape  ┃  Param # ┃\n",
                "│ embedding (Embedding)     │ (None, 200, 64) │  640,000 │\n",
                "│ lstm (LSTM)               │ (None, 64)    │   33,024 │\n",
                " Total params: 673,089 (2.57 MB)\n"]
        outs.append({"name": "stdout", "output_type": "stream", "text": rows})
    if image_bytes or ("plot" in code or rnd.random() < 0.15):
        size = image_bytes or rnd.choice([2_000, 20_000, 60_000])
        outs.append({"data": {"image/png": _png(rnd, size), "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
                     "metadata": {"needs_background": "light"}, "output_type": "display_data"})
    if rnd.random() < 0.2:
        outs.append({"data": {"text/plain": [f"<keras.src.callbacks.history.History at 0x7f{rnd.getrandbits(40):010x}>"]},
                     "execution_count": rnd.randrange(1, 60), "metadata": {}, "output_type": "execute_result"})
    return outs


def notebook_from_scripts(scripts: list[str], rnd: random.Random, outputs: bool = True,
                          image_bytes: int | None = None, log_lines: int | None = None) -> dict:
    """A notebook dict holding ``scripts`` (cut into code cells, in order) with Markdown and magics."""
    cells: list[dict] = []
    count = 0

    def code(src, outs=()):
        nonlocal count
        count += 1
        cells.append({"cell_type": "code", "execution_count": count if outputs else None, "metadata": {},
                      "outputs": list(outs) if outputs else [], "source": _lines(src)})

    def md(text):
        cells.append({"cell_type": "markdown", "metadata": {}, "source": _lines(text)})

    md(MARKDOWN[0].format(title=rnd.choice(TITLES)))
    if rnd.random() < 0.7:
        code("".join(rnd.choice(SETUP)))
    for text in scripts:
        for piece in _cells_of(text):
            if rnd.random() < 0.3:
                md(rnd.choice(MARKDOWN[1:]))
            code(piece, _outputs(piece, rnd, image_bytes, log_lines) if outputs else ())
        if rnd.random() < 0.2:
            code("".join(rnd.choice(SKIPPED)))
    meta = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                              "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                              "pygments_lexer": "ipython3", "version": "3.11.9"}}
    if rnd.random() < 0.3:
        meta["colab"] = {"provenance": [], "gpuType": "T4"}
        meta["accelerator"] = "GPU"
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}


def dumps(doc: dict) -> bytes:
    """nbformat's own layout (``nbformat.write``: indent 1, sorted keys, UTF-8, a trailing newline)."""
    return (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def code_bytes(doc: dict) -> int:
    """UTF-8 bytes of the notebook's code cells."""
    return sum(len("".join(c["source"]).encode("utf-8")) for c in doc["cells"] if c["cell_type"] == "code")


def scripts(n: int, seed: int) -> list[str]:
    with tempfile.TemporaryDirectory() as d:
        make_corpus.generate(d, n, seed)
        names = sorted(f for f in os.listdir(d) if f.endswith(".py"))
        out = []
        for f in names:
            with open(os.path.join(d, f), encoding="utf-8") as fh:
                out.append(fh.read())
        return out


def generate(out_dir: str, n: int = 1000, seed: int = 20261205, scale: int = 1, outputs: bool = True) -> list[dict]:
    """Write ``n`` notebooks of ``scale`` scripts each; returns [{file, bytes, code_bytes}]."""
    os.makedirs(out_dir, exist_ok=True)
    pool = scripts(min(300, max(1, n * scale)), seed)
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        picked = [pool[(i * scale + k) % len(pool)] for k in range(scale)]
        doc = notebook_from_scripts(picked, random.Random(rnd.getrandbits(64)), outputs=outputs)
        data = dumps(doc)
        name = f"nb_{i:04d}.ipynb"
        with open(os.path.join(out_dir, name), "wb") as fh:
            fh.write(data)
        out.append({"file": name, "bytes": len(data), "code_bytes": code_bytes(doc)})
    return out


def fuzz_seeds(scripts: list[str], n: int, seed: int) -> list[dict]:
    """``n`` small notebooks for fuzzing (1-2 scripts each, PNGs of 60-600 bytes, short logs)."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        picked = [scripts[(i + k) % len(scripts)] for k in range(1 + (rnd.random() < 0.3))]
        doc = notebook_from_scripts(picked, random.Random(rnd.getrandbits(64)), outputs=rnd.random() < 0.8,
                                    image_bytes=rnd.choice([None, 45, 450]), log_lines=rnd.choice([None, 4]))
        for c in doc["cells"]:
            for o in c.get("outputs", []):
                if "image/png" in o.get("data", {}):
                    o["data"]["image/png"] = o["data"]["image/png"][:800]
        out.append(doc)
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--scale", type=int, default=1, help="scripts per notebook")
    a = ap.parse_args(argv)
    man = generate(a.out_dir, a.n, a.seed, a.scale)
    print(f"{len(man)} notebooks, {sum(m['bytes'] for m in man) / 1e6:.1f} MB, "
          f"{sum(m['code_bytes'] for m in man) / 1e6:.2f} MB of code -> {a.out_dir}")


if __name__ == "__main__":
    main()
