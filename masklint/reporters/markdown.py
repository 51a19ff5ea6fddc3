"""Markdown output (``--format markdown``): a pull-request comment or GitHub job summary.

A heading, the summary line, a table of findings, then for every file with findings a Mermaid
flowchart of each mistake's mask path: where the mask is created, where it is lost, ignored or
replaced, and which consumer (or the loss) sees padding. Findings that carry no mask path
(``Finding.extra["flow"]``, set by :func:`masklint.findings.finding_of`) are in the table only.
"""
from __future__ import annotations

from .._version import __version__
from ..findings import Finding
from .cells import cell_words
from .common import rel_path
from .text import summary

# what the culprit does to the mask (the flow's "how"), as node text and as the label of the edge to the
# consumer
_CULPRIT = {
    "dropped": ("drops the mask", "no mask"),
    "mixed": ("ignores the mask, mixes padding into valid steps", "padding mixed in"),
    "masks-nothing": ("masks nothing: learned values never equal mask_value", "no effective mask"),
    "replaced": ("replaces the mask", "wrong mask"),
    "dropped-by-consumer": ("masks token ids: one mask value per sample", "per-sample mask"),
    "missing": ("no mask: padded steps look like data", "padding, no mask"),
    "wrong-rank": ("computes a mask of the wrong rank", "wrong-rank mask"),
    "bad-value": ("mask_value never matches", "no effective mask"),
    "crash": ("mask shape makes every call crash", "bad mask"),
    "time-change": ("changes the time length, keeps the old mask", "stale mask"),
    "unknown": ("mask behaviour unknown to masklint", "unknown"),
    "cleared": ("merges a tensor whose runtime mask MHA cleared", "no runtime mask"),
    "new-time-axis": ("builds a new, unmasked time axis", "no mask"),
    "mismatch": ("masks a different value than the padding", "padding not masked"),
    "real-masked": ("gives real tokens the padding id 0", "real steps masked"),
    "out-of-range": ("largest token id is out of range", "out-of-range id"),
    "left-padded": ("left-pads the data", "left padding"),
    "padded-targets": ("pads the targets", "padded targets"),
}
_DROP_DETAIL = {
    "merge": "merges masked and unmasked inputs: no mask",
    "concat": "concatenates masked and unmasked inputs: all-True mask",
    "op": "keras.ops call: drops the mask",
    "dot": "drops the mask",
}
_CONSUMER = {
    "dropped": "sees padding", "mixed": "sees padding mixed into valid steps", "masks-nothing": "sees padding",
    "replaced": "sees the wrong mask", "missing": "sees padding", "wrong-rank": "cannot use the mask",
    "crash": "crashes", "time-change": "gets a stale mask", "cleared": "averages over padded steps",
    "new-time-axis": "averages over padded steps", "mismatch": "sees padding",
    "real-masked": "masks real tokens", "left-padded": "fails on a GPU (cuDNN)",
    "padded-targets": "averages over padded steps", "dropped-by-consumer": "drops or replaces that mask",
}


def _cell(s) -> str:
    """Text for a Markdown table cell: no line breaks, ``|`` and HTML brackets escaped."""
    s = "" if s is None else str(s)
    return (s.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", " ").replace("\n", " "))


def _text(s) -> str:
    """Plain Markdown text outside a table: HTML brackets escaped, one line."""
    return str(s).replace("<", "&lt;").replace(">", "&gt;").replace("\r", " ").replace("\n", " ")


def _code(s: str, table: bool = True) -> str:
    """Inline code (backticks in the text are replaced; ``|`` escaped in a table cell)."""
    s = s.replace("`", "'").replace("\n", " ")
    return "`" + (s.replace("|", "\\|") if table else s) + "`"


def mermaid_text(s) -> str:
    """Text inside a quoted Mermaid label: quotes, brackets, pipes, ``#``, backticks and angle brackets
    as Mermaid entity codes, so no label can end the node or start markup."""
    s = "" if s is None else str(s)
    out = []
    for ch in s:
        if ch in '#"[]{}|<>`&\\':
            out.append(f"#{ord(ch)};")
        elif ch in "\r\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _label(*lines) -> str:
    return '"' + "<br/>".join(mermaid_text(x) for x in lines if x) + '"'


def _who(cls, path, line=None) -> list[str]:
    if cls and cls == path:  # a call such as pad_sequences, not a named layer
        first = path
    else:
        first = f"{cls} '{path}'" if cls else f"'{path}'"
    at = line if isinstance(line, str) else f"line {line}" if line else ""
    return [first + (f" ({at})" if at else "")]


def _at(flow: dict, role: str):
    """Where a role of the mask path is: its line, or ``cell C, line L`` in a notebook."""
    return cell_words(flow.get(role + "_cell"), flow.get(role + "_line")) or flow.get(role + "_line")


def flowchart_lines(findings: list[Finding], indent: str = "    ") -> list[str]:
    """The body of one ``flowchart LR`` for the findings of one file: a subgraph per finding (each must
    carry its mask path in ``extra["flow"]``)."""
    lines = ["flowchart LR"]
    used_classes = set()
    for i, f in enumerate(findings, 1):
        flow = f.extra["flow"]
        how = flow.get("how", "other")
        culprit_txt, edge_txt = _CULPRIT.get(how, ("here", ""))
        if how == "dropped" and flow.get("detail") in _DROP_DETAIL:
            culprit_txt = _DROP_DETAIL[flow["detail"]]
        p = f"f{i}_"
        lines.append(f'{indent}subgraph {p}box[{_label(f"{f.code} {f.name}")}]')
        lines.append(f"{indent}{indent}direction LR")
        nodes, edges = [], []
        culprit = flow.get("culprit") or f.layer or f.path
        producer = flow.get("producer")
        upstream = flow.get("upstream")
        replaced = flow.get("replaced")
        consumer = flow.get("consumer")
        if upstream and upstream != culprit:
            what = "pads the data" if how == "mismatch" else "learned values"
            edge = "padded data" if how == "mismatch" else "values"
            if replaced == upstream:  # the Embedding(mask_zero=True) under a Masking: values and the mask
                what, edge, replaced = "learned values and the real mask", "values + mask", None
            nodes.append((p + "up", _who(flow.get("upstream_class"), upstream, _at(flow, "upstream"))
                          + [what], "source"))
            edges.append((p + "up", edge, p + "c"))
        if replaced and replaced != culprit:
            nodes.append((p + "rep", _who(flow.get("replaced_class"), replaced, _at(flow, "replaced"))
                          + ["creates the real mask"], "producer"))
            edges.append((p + "rep", "mask", p + "c"))
        if producer and producer != culprit:
            nodes.append((p + "prod", _who(flow.get("producer_class"), producer, _at(flow, "producer"))
                          + ["creates the mask"], "producer"))
            edges.append((p + "prod", "mask", p + "c"))
        ctext = culprit_txt if how != "other" else None
        if producer == culprit and how not in ("dropped-by-consumer",):
            ctext = "creates the mask, but " + culprit_txt if how in ("wrong-rank", "bad-value") else ctext
        nodes.append((p + "c", _who(flow.get("culprit_class"), culprit, _at(flow, "culprit")) + [ctext],
                      "culprit"))
        if consumer and consumer != culprit:
            if consumer == "loss":
                nodes.append((p + "cons", ["loss", _CONSUMER.get(how, "affected")], "consumer"))
            else:
                nodes.append((p + "cons", _who(flow.get("consumer_class"), consumer, _at(flow, "consumer"))
                              + [_CONSUMER.get(how, "affected")], "consumer"))
            edges.append((p + "c", edge_txt, p + "cons"))
        for nid, text, cls in nodes:
            used_classes.add(cls)
            lines.append(f"{indent}{indent}{nid}[{_label(*text)}]:::{cls}")
        for a, text, b in edges:
            lab = f'|"{mermaid_text(text)}"|' if text else ""
            lines.append(f"{indent}{indent}{a} -->{lab} {b}")
        lines.append(f"{indent}end")
    styles = {
        "producer": "fill:#e6f4ea,stroke:#2e7d32,color:#1b5e20",
        "source": "fill:#eef2f7,stroke:#5c6f87,color:#263238",
        "culprit": "fill:#fdecea,stroke:#c62828,stroke-width:2px,color:#7f0000",
        "consumer": "fill:#fff4e5,stroke:#ef6c00,color:#5d2c00",
    }
    for name in ("producer", "source", "culprit", "consumer"):
        if name in used_classes:
            lines.append(f"{indent}classDef {name} {styles[name]}")
    return lines


def _location(f: Finding, root) -> str:
    path = rel_path(f.path, root) if f.path else ""
    if f.line is not None:
        cell = f"cell {f.cell}:" if f.cell is not None else ""
        return _code(f"{path}:{cell}{f.line}:{f.column or 1}")
    return _code(path) + (f" layer {_code(f.layer)}" if f.layer else "")


def report(findings: list[Finding], *, files: int, errors: list[tuple[str, str]], root=None,
           version: str = __version__, **_) -> str:
    out = ["## masklint report", "", summary(findings, files, len(errors)), ""]
    if findings:
        out += ["| Severity | Code | Location | Message |", "|---|---|---|---|"]
        for f in findings:
            msg = _cell(f.message) + (f" **Fix:** {_cell(f.fix)}" if f.fix else "")
            out.append(f"| {f.severity} | {f.code} {_cell(f.name)} | {_location(f, root)} | {msg} |")
        out.append("")
    if errors:
        out += ["Files that could not be linted:", ""]
        out += [f"- {_code(rel_path(p, root), table=False)}: {_text(reason)}" for p, reason in errors]
        out.append("")
    by_file: dict[str, list[Finding]] = {}
    for f in findings:
        if f.extra.get("flow"):  # findings with a mask path (not e.g. an unused noqa comment)
            by_file.setdefault(f.path, []).append(f)
    for path, fs in by_file.items():
        out += [f"### Mask path in {_code(rel_path(path, root), table=False)}", "", "```mermaid"]
        out += flowchart_lines(fs)
        out += ["```", ""]
    if version:
        out.append(f"<sub>masklint {_cell(version)}</sub>")
        out.append("")
    return "\n".join(out)
