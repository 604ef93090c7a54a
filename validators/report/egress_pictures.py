"""The egress map as text, JSON, Mermaid, Graphviz DOT and SVG.

Every picture shows the same thing: per hub, workloads that handle personal data on the left, the
destination classes they can reach on the right, edges labelled with ports. Exposed classes
(private ranges no hub declared, the public internet) are in the warning colour; an edge that only
exists because no NetworkPolicy restricts the workload ("no policy") is dashed, unlike what a
policy allows explicitly. The SVG is laid out here (two columns need no graph-layout engine), so
it needs neither Graphviz nor a browser.
"""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape, quoteattr

from hubguard.report.egress_map import CLASS_LABELS, CLASSES, EXPOSED, HubEgress, as_json

FORMATS = ("text", "json", "mermaid", "dot", "svg")
WARNING_FILL, WARNING_STROKE, WARNING_TEXT = "#fde2e2", "#c62828", "#7f0000"
PLAIN_FILL, PLAIN_STROKE = "#e8f1fb", "#3b6ea5"


def render(maps: list[HubEgress], fmt: str) -> str:
    return {"text": text, "json": to_json, "mermaid": mermaid, "dot": dot, "svg": svg}[fmt](maps)


def to_json(maps: list[HubEgress]) -> str:
    return json.dumps(as_json(maps), indent=2) + "\n"


def text(maps: list[HubEgress]) -> str:
    lines: list[str] = []
    for m in maps:
        lines.append(f"hub {m.hub}: {len(m.workloads)} workload(s) with personal data")
        for w in m.workloads:
            lines.append(f"  {w.ref}" + ("" if w.restricted else "  (no egress policy)"))
            edges = [e for e in m.edges if e.workload == w.ref]
            if not edges:
                lines.append("    (no egress allowed)")
            for e in edges:
                mark = "!" if e.destination in EXPOSED else "->"
                how = "; ".join(e.via)
                lines.append(f"    {mark} {CLASS_LABELS[e.destination]}: {', '.join(e.ports)}"
                             + ("" if e.explicit else " [no policy]") + f"  ({how})")
    return "\n".join(lines) + "\n"


def _ident(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def _mermaid_text(value: str) -> str:
    return value.replace('"', "#quot;")


def mermaid(maps: list[HubEgress]) -> str:
    out = ["flowchart LR"]
    for m in maps:
        out.append(f'  subgraph {_ident("hub", m.hub)}["hub {_mermaid_text(m.hub)}"]')
        index = {w.ref: _ident(m.hub, "w", str(i)) for i, w in enumerate(m.workloads)}
        for w in m.workloads:
            out.append(f'    {index[w.ref]}["{_mermaid_text(w.ref)}"]')
        for cls in _classes_used(m):
            style = ":::exposed" if cls in EXPOSED else ""
            out.append(f'    {_ident(m.hub, "d", cls)}(["{_mermaid_text(CLASS_LABELS[cls])}"]){style}')
        for e in m.edges:
            arrow = "-->" if e.explicit else "-.->"
            label = _mermaid_text(", ".join(e.ports) + ("" if e.explicit else " (no policy)"))
            out.append(f'    {index[e.workload]} {arrow}|"{label}"| {_ident(m.hub, "d", e.destination)}')
        out.append("  end")
    out.append(f"  classDef exposed fill:{WARNING_FILL},stroke:{WARNING_STROKE},color:{WARNING_TEXT}")
    return "\n".join(out) + "\n"


def _dot_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(maps: list[HubEgress]) -> str:
    out = ["digraph egress {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];',
           '  edge [fontname="Helvetica", fontsize=10];']
    for m in maps:
        out.append(f"  subgraph {_dot_text('cluster_' + m.hub)} {{")
        out.append(f"    label={_dot_text('hub ' + m.hub)};")
        for w in m.workloads:
            out.append(f"    {_dot_text(m.hub + '/w/' + w.ref)} [label={_dot_text(w.ref)}];")
        for cls in _classes_used(m):
            colours = (f', style=filled, fillcolor="{WARNING_FILL}", color="{WARNING_STROKE}"' if cls in EXPOSED
                       else f', style=filled, fillcolor="{PLAIN_FILL}", color="{PLAIN_STROKE}"')
            out.append(f"    {_dot_text(m.hub + '/d/' + cls)} [label={_dot_text(CLASS_LABELS[cls])}, shape=ellipse{colours}];")
        for e in m.edges:
            label = ", ".join(e.ports) + ("" if e.explicit else " (no policy)")
            style = "" if e.explicit else ", style=dashed"
            colour = f', color="{WARNING_STROKE}"' if e.destination in EXPOSED else ""
            out.append(f"    {_dot_text(m.hub + '/w/' + e.workload)} -> {_dot_text(m.hub + '/d/' + e.destination)}"
                       f" [label={_dot_text(label)}{style}{colour}];")
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


def _classes_used(m: HubEgress) -> list[str]:
    used = {e.destination for e in m.edges}
    return [c for c, _ in CLASSES if c in used]


# --- SVG --------------------------------------------------------------------------------------------

BOX_W, BOX_H, GAP, LEFT_X, RIGHT_X, WIDTH, TITLE_H, LEGEND_H = 320, 46, 14, 20, 620, 960, 46, 30


def svg_panel(m: HubEgress, top: int = 0) -> tuple[list[str], int]:
    """One hub's picture as SVG elements starting at `top`, and the height it takes."""
    classes = _classes_used(m)
    rows = max(len(m.workloads), len(classes), 1)
    height = TITLE_H + rows * (BOX_H + GAP) + LEGEND_H
    out = [f'<g class="hub" data-hub={quoteattr(m.hub)} transform="translate(0,{top})">',
           f'<text x="{LEFT_X}" y="26" class="title">hub {escape(m.hub)}: '
           f'{len(m.workloads)} workload(s) with personal data</text>']
    y_of_workload = {}
    for i, w in enumerate(m.workloads):
        y = TITLE_H + i * (BOX_H + GAP)
        y_of_workload[w.ref] = y + BOX_H / 2
        note = "" if w.restricted else " (no egress policy)"
        out.append(f'<rect x="{LEFT_X}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" class="workload"/>')
        out.append(f'<text x="{LEFT_X + 10}" y="{y + 28}" class="label">{escape(_fit(w.ref + note, 46))}</text>')
    y_of_class = {}
    for i, cls in enumerate(classes):
        y = TITLE_H + i * (BOX_H + GAP)
        y_of_class[cls] = y + BOX_H / 2
        kind = "exposed" if cls in EXPOSED else "contained"
        out.append(f'<rect x="{RIGHT_X}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="23" class="{kind}" '
                   f'data-class="{cls}"/>')
        out.append(f'<text x="{RIGHT_X + 14}" y="{y + 28}" class="label">{escape(CLASS_LABELS[cls])}</text>')
    # Each edge leaves its workload at its own height, its label written where it starts: with
    # several edges per workload, a label in the middle of crossing curves would name no edge.
    outgoing: dict[str, list] = {}
    incoming: dict[str, list] = {}
    for e in m.edges:
        outgoing.setdefault(e.workload, []).append(e)
        incoming.setdefault(e.destination, []).append(e)
    for e in m.edges:
        out_edges, in_edges = outgoing[e.workload], incoming[e.destination]
        y1 = y_of_workload[e.workload] - BOX_H / 2 + (out_edges.index(e) + 1) * BOX_H / (len(out_edges) + 1)
        y2 = y_of_class[e.destination] - BOX_H / 2 + (in_edges.index(e) + 1) * BOX_H / (len(in_edges) + 1)
        x1, x2 = LEFT_X + BOX_W, RIGHT_X
        mid = (x1 + x2) / 2
        kind = ("exposed" if e.destination in EXPOSED else "contained") + ("" if e.explicit else " implicit")
        out.append(f'<path d="M{x1},{y1:.1f} C{mid},{y1:.1f} {mid},{y2:.1f} {x2},{y2:.1f}" class="edge {kind}" '
                   f'data-from={quoteattr(e.workload)} data-to="{e.destination}"/>')
        label = ", ".join(e.ports) + ("" if e.explicit else " (no policy)")
        out.append(f'<text x="{x1 + 6}" y="{y1 - 2:.1f}" class="port">{escape(_fit(label, 34))}</text>')
    legend_y = TITLE_H + rows * (BOX_H + GAP) + 16
    out.append(f'<text x="{LEFT_X}" y="{legend_y}" class="legend">solid: allowed by a NetworkPolicy · dashed: '
               'no NetworkPolicy restricts the workload (everything allowed) · red: leaves the premises</text>')
    out.append("</g>")
    return out, height


def svg(maps: list[HubEgress]) -> str:
    body: list[str] = []
    top = 0
    for m in maps:
        panel, height = svg_panel(m, top)
        body.extend(panel)
        top += height
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{max(top, 40)}" '
            f'viewBox="0 0 {WIDTH} {max(top, 40)}" role="img" aria-label="egress map">\n'
            f"<style>{SVG_STYLE}</style>\n" + "\n".join(body) + "\n</svg>\n")


SVG_STYLE = (
    "text{font-family:Helvetica,Arial,sans-serif;font-size:13px;fill:#1d2733}"
    ".title{font-size:16px;font-weight:bold}.port{font-size:10px;fill:#394b5d}.legend{font-size:11px;fill:#5b6b7b}"
    f".workload{{fill:#f4f6f8;stroke:#5b6b7b}}.contained{{fill:{PLAIN_FILL};stroke:{PLAIN_STROKE}}}"
    f".exposed{{fill:{WARNING_FILL};stroke:{WARNING_STROKE}}}"
    f".edge{{fill:none;stroke:{PLAIN_STROKE};stroke-width:1.6}}.edge.exposed{{stroke:{WARNING_STROKE}}}"
    ".edge.implicit{stroke-dasharray:7 5}"
)


def _fit(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"
