"""Hostile and broken inputs through the real CLI: bombs, huge configs, symlink loops, many files, code
that would run if anything executed it, sources that do not parse. Every run ends in findings or one
`masklint: error: PATH: reason` line per file (exit 2): no traceback, no hang, no memory blow-up.

The limits (`MASKLINT_MAX_CONFIG_BYTES`, `MASKLINT_MAX_ZIP_ENTRIES`, `MASKLINT_MAX_FILES`,
`MASKLINT_H5_TIMEOUT`) are in `masklint/errors.py`; the long fuzz run and the full-size resource
measurements are `fuzz/run_fuzz.py` and `fuzz/bounds.py`.
"""
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib

import pytest

from conftest import ROOT

# Runs masklint.cli.main in a fresh interpreter and reports, on stderr's last line: the peak RSS, the
# audit events that matter (unmarshalling or executing code that is not masklint's own, importing the
# linted module), and the exit code.
WRAPPER = r"""
import resource, sys
watch_module = sys.argv[1]
events = []

def hook(event, args):
    if event == "import":
        if args and args[0] == watch_module:
            events.append("import " + args[0])
        return
    if event not in ("marshal.loads", "marshal.load", "exec"):
        return
    frame = sys._getframe(1)
    where = frame.f_code.co_filename if frame is not None else "?"
    if where.startswith("<frozen importlib") or "importlib" in where:
        return  # the import system loading .pyc files and running module bodies
    if event == "exec" and args and getattr(args[0], "co_filename", "").startswith("<hostile"):
        events.append("exec of the hostile payload")
    elif event != "exec":
        events.append(f"{event} called from {where}")

sys.addaudithook(hook)
from masklint.cli import main
try:
    main(sys.argv[2:])
    code = 0
except SystemExit as exc:
    code = exc.code
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:  # VmHWM: this process's own peak (ru_maxrss also counts the forking parent's pages before exec)
    with open("/proc/self/status") as fh:
        peak = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:"))
except (OSError, StopIteration, ValueError):
    pass
sys.stdout.flush()
print(f"\nWRAPPER rss_kb={peak} code={code} events={events!r}", file=sys.stderr)
"""


class Run:
    def __init__(self, proc):
        self.proc = proc
        lines = proc.stderr.splitlines()
        tail = lines[-1] if lines else ""
        assert tail.startswith("WRAPPER "), proc.stderr[-2000:]
        fields = dict(kv.split("=", 1) for kv in tail[len("WRAPPER "):].split(" ", 2))
        self.rss_mb = int(fields["rss_kb"]) / 1024
        self.code = int(fields["code"])
        self.events = eval(fields["events"])  # noqa: S307 - our own repr of a list of str
        self.stdout = proc.stdout
        self.stderr = "\n".join(ln for ln in lines[:-1] if ln.strip())

    def error_lines(self):
        return [ln for ln in self.stderr.splitlines() if ln.startswith("masklint: error: ")]


def lint(*args, env=None, watch="", timeout=120):
    e = dict(os.environ)
    e.pop("FORCE_COLOR", None)
    e.update(env or {})
    proc = subprocess.run([sys.executable, "-c", WRAPPER, watch, *args], capture_output=True, text=True,
                          cwd=ROOT, env=e, timeout=timeout)
    run = Run(proc)
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert "internal error" not in run.stderr, run.stderr[-3000:]
    return run


def assert_one_error(run, path, *needles):
    errs = run.error_lines()
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    mine = [ln for ln in errs if ln.startswith(f"masklint: error: {path}: ")]
    assert len(mine) == 1, errs
    for n in needles:
        assert n in mine[0], mine[0]
    return mine[0]


# --------------------------------------------------------------------------------------------------
# Zip bombs and huge configs
# --------------------------------------------------------------------------------------------------

def _deflate_repeated(chunk: bytes, times: int) -> bytes:
    """A raw deflate stream of ``chunk`` repeated ``times`` times, built without inflating it: one
    block compressed and flushed (byte-aligned, no back-references outside itself), repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)  # an empty final block
    return block * times + tail


def _zip_one(name: str, stream: bytes, usize: int, crc: int = 0, method: int = 8, others=()) -> bytes:
    """A zip with one deflated member written by hand, its sizes as given (honest or not)."""
    out = bytearray()
    central = bytearray()
    members = [(name, stream, usize, crc, method)] + [(n, d, len(d), zlib.crc32(d), 0) for n, d in others]
    for n, data, size, c, m in members:
        off = len(out)
        nb = n.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, m, 0, 0, c, len(data), size, len(nb), 0) + nb + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, m, 0, 0, c, len(data), size, len(nb),
                               0, 0, 0, 0, 0, off) + nb
    cd_off = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_off, 0)
    return bytes(out)


@pytest.fixture(scope="module")
def bomb_stream():
    # 4,000,000,000 bytes of spaces (valid JSON whitespace), about 3.9 MB compressed
    mib = b" " * (1 << 20)
    times = 4_000_000_000 // len(mib)
    return _deflate_repeated(mib, times), times * len(mib)


def test_zip_bomb_is_refused_before_inflating(tmp_path, bomb_stream):
    stream, usize = bomb_stream
    p = tmp_path / "bomb.keras"
    p.write_bytes(_zip_one("config.json", stream, usize, others=[("metadata.json", b'{"keras_version": "3.15.1"}')]))
    assert p.stat().st_size < 5_000_000 and usize >= 3_999_000_000
    with zipfile.ZipFile(p) as zf:  # a well-formed zip that really declares 4 GB
        assert zf.getinfo("config.json").file_size == usize
    run = lint(str(p))
    assert_one_error(run, str(p), f"config.json (uncompressed) is {usize:,} bytes, over the limit of 67,108,864",
                     "MASKLINT_MAX_CONFIG_BYTES")
    assert run.rss_mb < 200, run.rss_mb


def test_zip_bomb_with_a_lying_size_stops_at_the_declared_size(tmp_path, bomb_stream):
    """The central directory says 2 KB; the stream would inflate to 4 GB: zipfile stops at 2 KB and
    the CRC check fails: a damaged zip, in bounded memory, even with the size limit turned off."""
    stream, _ = bomb_stream
    p = tmp_path / "liar.keras"
    p.write_bytes(_zip_one("config.json", stream, 2048))
    for env in ({}, {"MASKLINT_MAX_CONFIG_BYTES": "0"}):
        run = lint(str(p), env=env)
        assert_one_error(run, str(p), "is a damaged or truncated zip")
        assert run.rss_mb < 200, run.rss_mb


def test_zip_with_a_forged_member_count(tmp_path):
    """An end-of-central-directory record claiming 60,000 members is refused before zipfile builds a
    record for each (a real .keras has 3)."""
    good = _zip_one("config.json", zlib.compress(b"{}")[2:-4], 2, zlib.crc32(b"{}"))
    forged = bytearray(good)
    eocd = forged.rfind(b"PK\x05\x06")
    forged[eocd + 8:eocd + 12] = struct.pack("<HH", 60000, 60000)
    p = tmp_path / "members.keras"
    p.write_bytes(bytes(forged))
    run = lint(str(p))
    assert_one_error(run, str(p), "member count is 60,000 members, over the limit of 10,000",
                     "MASKLINT_MAX_ZIP_ENTRIES")


def write_big_config(saved_models, target_bytes: int, out) -> int:
    """Write (to the binary file ``out``) a real Keras 3 functional config grown to ``target_bytes``:
    its own Dense entry repeated, renamed and wired as a chain between the first Dense and the layer
    after it. Streamed: the test never holds the config in memory. Returns the bytes written."""
    from masklint.loaders import load

    cfg = load(saved_models["mk102_after_dense"]).config
    layers = cfg["config"]["layers"]
    i = next(k for k, e in enumerate(layers) if e["class_name"] == "Dense")
    dense = layers[i]
    template = json.dumps(dense)
    first = dense["name"]
    n = max(1, target_bytes // len(template))
    after = layers[i + 1]
    after["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = [f"dense_x{n - 1}", 0, 0]
    marker = {"__split__": True}
    layers.insert(i + 1, marker)
    head, tail = json.dumps(cfg).split(json.dumps(marker))
    name_json = json.dumps(first)
    hist_json = json.dumps(dense["inbound_nodes"][0]["args"][0]["config"]["keras_history"])
    assert template.count(name_json) >= 2 and template.count(hist_json) == 1
    body = template.replace(hist_json, "@HIST@").replace(name_json, "@NAME@")
    total = out.write(head.encode())
    prev = first
    for k in range(n):
        name = f"dense_x{k}"
        entry = body.replace("@NAME@", json.dumps(name)).replace("@HIST@", json.dumps([prev, 0, 0]))
        total += out.write(entry.encode() + (b", " if k < n - 1 else b""))
        prev = name
    return total + out.write(tail.encode())


def test_100mb_config_is_refused_with_a_clear_message(tmp_path, saved_models):
    """A 100 MB model.to_json() and the same config in a .keras zip (a few hundred KB compressed):
    refused from the sizes alone, in bounded memory. (fuzz/bounds.py lints it with the limit raised.)"""
    pj = tmp_path / "huge.json"
    with open(pj, "wb") as fh:
        size = write_big_config(saved_models, 100 << 20, fh)
    assert size >= 100 << 20
    pk = tmp_path / "huge.keras"
    with zipfile.ZipFile(pk, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", '{"keras_version": "3.15.1"}')
        with zf.open("config.json", "w", force_zip64=True) as fh, open(pj, "rb") as src:
            while chunk := src.read(1 << 22):
                fh.write(chunk)
    run = lint(str(pj), str(pk))
    assert_one_error(run, str(pj), "the file is 10", "bytes, over the limit of 67,108,864",
                     "MASKLINT_MAX_CONFIG_BYTES")
    assert_one_error(run, str(pk), "config.json (uncompressed) is 10", "MASKLINT_MAX_CONFIG_BYTES")
    assert run.rss_mb < 200, run.rss_mb


def test_config_limit_is_configurable(tmp_path, saved_models):
    """A 6 MB config (about 7,000 layers) lints under the default limit, and is refused under a
    1 MB one; a malformed limit is one clear error line, not a traceback."""
    p = tmp_path / "big.keras"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", '{"keras_version": "3.15.1"}')
        with zf.open("config.json", "w") as fh:
            write_big_config(saved_models, 6 << 20, fh)
    ok = lint(str(p))
    assert ok.code == 1 and "MK102" in ok.stdout, (ok.stdout, ok.stderr)
    refused = lint(str(p), env={"MASKLINT_MAX_CONFIG_BYTES": "1M"})
    assert_one_error(refused, str(p), "over the limit of 1,048,576")
    bad = lint(str(p), env={"MASKLINT_MAX_CONFIG_BYTES": "lots"})
    assert_one_error(bad, str(p), "MASKLINT_MAX_CONFIG_BYTES='lots' is not a limit")


# --------------------------------------------------------------------------------------------------
# Directories: symlink loops, special files, depth, many files
# --------------------------------------------------------------------------------------------------

MODEL_PY = textwrap.dedent("""\
    import keras
    from keras import layers
    model = keras.Sequential([layers.Embedding(100, 8), layers.Masking(0.0), layers.LSTM(4)])
""")


def test_symlink_loops_and_special_files(tmp_path):
    """Directory symlinks are never followed (`up -> ..`, `loop -> .`, `root -> /`), a directory
    reached twice is walked once, and files that are not regular files (a FIFO, which would block
    forever on read, a link to /dev/zero, dangling and self-referencing links) are skipped."""
    top = tmp_path / "repo"
    sub = top / "pkg" / "sub"
    sub.mkdir(parents=True)
    (top / "pkg" / "model.py").write_text(MODEL_PY)
    (sub / "other.py").write_text(MODEL_PY)
    os.symlink("..", sub / "up")
    os.symlink(".", top / "loop")
    os.symlink("/", top / "root")
    os.symlink(str(top), sub / "again")
    os.symlink("self.py", top / "self.py")
    os.symlink("missing.py", top / "dangling.py")
    os.symlink("/dev/zero", top / "zero.keras")
    os.symlink("pkg/model.py", top / "alias.py")  # the same file twice: linted once
    os.mkfifo(top / "pipe.py")
    run = lint(str(top), str(top / "pkg"), timeout=60)
    assert run.code == 1, (run.stdout, run.stderr)
    assert run.error_lines() == []
    assert run.stdout.count("MK102") == 2, run.stdout
    assert "2 files checked" in run.stdout, run.stdout
    # named explicitly, the special files are errors, one line each
    run = lint(str(top / "pipe.py"), str(top / "self.py"), str(top / "zero.keras"), timeout=60)
    assert_one_error(run, str(top / "pipe.py"), "is not a regular file")
    assert_one_error(run, str(top / "self.py"), "dangling or looping symbolic link")
    assert_one_error(run, str(top / "zero.keras"), "is not a regular file")


def test_deep_directory_tree(tmp_path):
    """1,200 nested directories (os.walk recursed once per level: RecursionError)."""
    d = tmp_path / "deep"
    d.mkdir()
    cwd = os.getcwd()
    try:
        os.chdir(d)
        for _ in range(1200):
            os.mkdir("a")
            os.chdir("a")
        with open("m.py", "w") as fh:
            fh.write(MODEL_PY)
    finally:
        os.chdir(cwd)
    try:
        run = lint(str(d), timeout=60)
        assert run.code == 1 and "MK102" in run.stdout and "1 file checked" in run.stdout, run.stderr
    finally:  # bottom-up: pytest's own clean-up (shutil.rmtree) recurses once per level
        levels = [d / ("a/" * k).rstrip("/") for k in range(1, 1201)]
        os.remove(levels[-1] / "m.py")
        for q in reversed(levels):
            os.rmdir(q)


def test_ten_thousand_files(tmp_path):
    """10,000 source files in 100 directories (20 of them Keras scripts with a mistake): every file
    is checked, in bounded memory; with MASKLINT_MAX_FILES=1000 the run stops collecting at 1,000
    files, lints those and says so in one error line (exit 2)."""
    top = tmp_path / "many"
    for i in range(100):
        d = top / f"d{i:03d}"
        d.mkdir(parents=True)
        for j in range(100):
            text = MODEL_PY if (i * 100 + j) % 500 == 7 else f"def f{j}(x):\n    return x + {j}\n"
            (d / f"m{j:03d}.py").write_text(text)
    run = lint(str(top), "--jobs", "1", timeout=120)
    assert run.code == 1, run.stderr
    assert "10000 files checked" in run.stdout and run.stdout.count("MK102") == 20, run.stdout[-500:]
    assert run.rss_mb < 300, run.rss_mb
    run = lint(str(top), "--jobs", "1", env={"MASKLINT_MAX_FILES": "1000"}, timeout=120)
    line = assert_one_error(run, str(top), "more than 1,000 files to lint", "MASKLINT_MAX_FILES")
    assert "1000 files checked" in run.stdout, (run.stdout[-300:], line)


# --------------------------------------------------------------------------------------------------
# No code execution
# --------------------------------------------------------------------------------------------------

BUILD_HOSTILE = r"""
import os, pathlib, runpy, sys, warnings
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
out, marker, py_marker, hostile_py = sys.argv[1:5]
import keras
from keras import layers

# The payload: a lambda (Keras saves a lambda's marshalled bytecode; a named function only by name) that
# writes the marker file when called. Compiled under a recognisable file name, so that an execution of
# its code object is visible to the test's audit hook.
src = f"lambda x: (__import__('pathlib').Path({marker!r}).write_text('ran'), x)[1]"
payload = eval(compile(src, "<hostile-lambda>", "eval"))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    inp = keras.Input((None, 3))
    x = layers.Masking(0.0)(inp)
    x = layers.Lambda(payload)(x)
    model = keras.Model(inp, layers.LSTM(2)(x))
    model.save(os.path.join(out, "hostile.keras"))
    model.save(os.path.join(out, "hostile.h5"))
    pathlib.Path(out, "hostile.json").write_text(model.to_json())
    keras.backend.clear_session()
    # positive control: loading the file the unsafe way runs the payload
    pathlib.Path(marker).unlink(missing_ok=True)
    keras.models.load_model(os.path.join(out, "hostile.keras"), safe_mode=False)
    print("KERAS_UNSAFE_LOAD_RAN_PAYLOAD", os.path.exists(marker))
    pathlib.Path(marker).unlink(missing_ok=True)
    # positive control for the source file: importing it writes its marker
    runpy.run_path(hostile_py)
    print("IMPORT_RAN_PAYLOAD", os.path.exists(py_marker))
    pathlib.Path(py_marker).unlink(missing_ok=True)
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    pytest.importorskip("keras")
    d = tmp_path_factory.mktemp("hostile")
    marker = d / "PAYLOAD_RAN"
    py_marker = d / "IMPORTED"
    py = d / "hostile_module.py"
    py.write_text(f"import pathlib\npathlib.Path({str(py_marker)!r}).write_text('imported')\n" + MODEL_PY)
    r = subprocess.run([sys.executable, "-c", BUILD_HOSTILE, str(d), str(marker), str(py_marker), str(py)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "KERAS_UNSAFE_LOAD_RAN_PAYLOAD True" in r.stdout, r.stdout
    assert "IMPORT_RAN_PAYLOAD True" in r.stdout, r.stdout
    assert not marker.exists() and not py_marker.exists()
    return {"dir": d, "marker": marker, "py_marker": py_marker, "py": py}


def test_hostile_lambda_is_never_unmarshalled_by_static_lint(hostile):
    """The .keras, .h5 and .json files carry the payload as marshalled bytecode (Keras' own Lambda
    serialisation; loading them unsafely runs it: the fixture proves it). Static linting reads them,
    reports the mask the Lambda drops, and never calls marshal.loads, never executes the payload."""
    d = hostile["dir"]
    cfg = json.loads(zipfile.ZipFile(d / "hostile.keras").read("config.json"))
    lam = next(e for e in cfg["config"]["layers"] if e["class_name"] == "Lambda")
    assert lam["config"]["function"]["class_name"] == "__lambda__" and lam["config"]["function"]["config"]["code"]
    files = [str(d / "hostile.keras"), str(d / "hostile.h5"), str(d / "hostile.json")]
    run = lint(*files)
    assert run.code == 1, (run.stdout, run.stderr)
    assert run.stdout.count("MK104") == 3, run.stdout
    assert run.events == [], run.events
    assert not hostile["marker"].exists()


def test_probe_refuses_the_hostile_lambda_without_unsafe(hostile):
    """`masklint probe` (the runtime checks, which load the model with Keras) refuses a model with
    Lambda layers before importing Keras, unless --unsafe is given."""
    p = str(hostile["dir"] / "hostile.keras")
    run = lint("probe", p, timeout=120)
    line = assert_one_error(run, p, "Lambda", "--unsafe")
    assert "bytecode" in line
    assert run.events == [], run.events
    assert not hostile["marker"].exists()


def test_source_lint_never_imports_the_linted_module(hostile):
    """A script that writes a file when imported (the fixture proves it does) is linted -- its
    masking mistake reported with its line -- without importing or executing it."""
    py = hostile["py"]
    run = lint(str(py), watch="hostile_module")
    assert run.code == 1 and f"{py}:5:" in run.stdout and "MK102" in run.stdout, run.stdout
    assert run.events == [], run.events
    assert not hostile["py_marker"].exists()


# --------------------------------------------------------------------------------------------------
# Source that is huge, does not parse, or is nested absurdly deep
# --------------------------------------------------------------------------------------------------

def test_50000_line_source(tmp_path):
    """50,000 lines: 2,000 helper functions of 25 lines, then a model with a mistake, reported at its
    line. (A module *body* of 50,000 statements exceeds the abstract interpreter's step budget,
    frontends.source.interpreter.MAX_STEPS, and its models are then skipped: bounded time, no finding.)"""
    p = tmp_path / "long.py"
    funcs = []
    for i in range(2000):
        funcs.append(f"def helper_{i}(x):")
        funcs += [f"    x = x * {k} + {i}" for k in range(23)]
        funcs.append("    return x")
    p.write_text("import keras\nfrom keras import layers\n" + "\n".join(funcs) + "\n"
                 "model = keras.Sequential([layers.Embedding(100, 8), layers.Masking(0.0), layers.LSTM(4)])\n")
    assert len(p.read_text().splitlines()) == 50_003
    run = lint(str(p), timeout=120)
    assert run.code == 1, run.stderr
    assert f"{p}:50003:" in run.stdout and "MK102" in run.stdout, run.stdout


def test_sources_that_do_not_parse(tmp_path):
    cases = {
        "syntax.py": "import keras\ndef f(:\n    pass\n",
        "unterminated.py": "import keras\nx = '''never closed\n",
        "latin1.py": b"import keras\nx = '\xe9t\xe9'\n",
        "nul.py": b"import keras\nx = 1\x00\n",
        "utf16.py": "import keras\nx = 1\n".encode("utf-16"),
        "indent.py": "import keras\n  x = 1\n y = 2\n",
        "truncated.py": MODEL_PY[: MODEL_PY.index("LSTM") + 3],
    }
    paths = []
    for name, text in cases.items():
        p = tmp_path / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        paths.append(str(p))
    run = lint(*paths)
    assert run.code == 2
    for name, p in zip(cases, paths):
        if name == "utf16.py":  # UTF-16 never contains the bytes b"keras": skipped unparsed, like any file
            continue            # that never mentions Keras
        assert_one_error(run, p)


@pytest.mark.parametrize("kind", ["parens", "brackets", "calls", "attributes", "nested_sequential", "nots"])
def test_deeply_nested_source(tmp_path, kind):
    """Nesting CPython itself refuses (over 200 brackets, or ~3,000 levels of calls/attributes/unary
    operators) must end in one error line: libcst's native parser dies of a stack overflow (SIGSEGV)
    on such input, or takes minutes (it is quadratic in the depth)."""
    n = 6000
    body = {
        "parens": "x = " + "(" * n + "1" + ")" * n,
        "brackets": "x = " + "[" * n + "]" * n,
        "calls": "y = f" + "(x)" * n,
        "attributes": "x = keras" + ".layers" * n,
        "nested_sequential": "m = " + "keras.Sequential([" * 1500 + "layers.LSTM(2)" + "])" * 1500,
        "nots": "x = " + "not " * n + "x",
    }[kind]
    # libcst crashes (SIGSEGV) or takes minutes on such input: frontends.source.parse_guard checks the nesting depth
    # with CPython's ast first (reproducers in fuzz/failures/)
    p = tmp_path / f"{kind}.py"
    p.write_text("import keras\nfrom keras import layers\n" + body + "\n")
    proc = subprocess.run([sys.executable, "-m", "masklint", str(p)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"masklint: error: {p}: "), lines
    assert "nested too deeply" in lines[0], lines


# --------------------------------------------------------------------------------------------------
# Damaged HDF5 that makes the HDF5 library loop forever
# --------------------------------------------------------------------------------------------------

def test_h5_that_hangs_the_hdf5_library(tmp_path):
    """A legacy .h5 model with a few bytes mutated by fuzz/run_fuzz.py: reading its `model_config`
    attribute makes the HDF5 library (1.14.6, through h5py 3.14) spin forever at 100 % CPU in native
    code, which no Python signal interrupts. masklint reads HDF5 in a forked child with a deadline
    (MASKLINT_H5_TIMEOUT) and reports a damaged file."""
    src = os.path.join(ROOT, "fuzz", "regressions", "h5_attribute_read_loop.h5")
    run = lint(src, env={"MASKLINT_H5_TIMEOUT": "2"}, timeout=60)
    assert_one_error(run, src, "is a damaged HDF5 file", "did not finish reading it within 2 s")
