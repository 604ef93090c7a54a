"""One self-contained HTML report (inline CSS and JS, no fetches): works from a file:// URL and as a
CI artifact. A summary per hub and rule family, findings grouped by file with the source lines
around each (secrets masked), filters by hub, severity and rule, every rule linked to its
`explain` text, each hub's egress map, and the suppressed findings with their reasons.

Filters can be preset in the URL: `report.html#hub=seattle&severity=error&rule=secret/`.
"""

from __future__ import annotations

from collections import Counter
from html import escape
from typing import Any, Iterable

from hubguard import __version__
from hubguard.findings import Finding, Report, Suppressed
from hubguard.rules.registry import FAMILIES

ALL_HUBS = ""  # data-hub of a finding that holds on every hub (or is about a file, not a hub)


def render(report: Report, rules: dict, *, excerpts: dict | None = None, egress: list | None = None) -> str:
    excerpts = excerpts or {}
    suppressed = report.suppressed_findings
    used = sorted({f.rule for f in report.findings} | {s.finding.rule for s in suppressed})
    parts = [
        _head(),
        "<body>",
        _header(report),
        _summary(report),
        _filters(report, used),
        _findings(report.findings, excerpts),
        _egress(egress),
        _suppressed(suppressed, report.suppressed),
        _notes(report.notes),
        _rules(rules, used),
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _head() -> str:
    return ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>hubguard report</title><style>{STYLE}</style></head>")


def _header(report: Report) -> str:
    hubs = ", ".join(report.hubs) or "none"
    return (f'<header><h1>hubguard report</h1><p class="meta">hubguard {escape(__version__)} · {report.files} files · '
            f'{report.objects} rendered objects · hubs: {escape(hubs)}</p>'
            f'<p class="totals"><span class="badge error" id="total-errors">{report.errors} errors</span> '
            f'<span class="badge warning" id="total-warnings">{report.warnings} warnings</span> '
            f'<span class="badge muted" id="total-suppressed">{report.suppressed} suppressed</span></p></header>')


def _summary(report: Report) -> str:
    counts = Counter((f.hub or ALL_HUBS, f.rule.split("/", 1)[0]) for f in report.findings)
    severities = Counter((f.hub or ALL_HUBS, f.severity.value) for f in report.findings)
    rows = []
    for hub in [*report.hubs, ALL_HUBS]:
        label = escape(hub) if hub else "every hub / repository-wide"
        cells = "".join(f'<td data-family="{fam}">{counts[(hub, fam)]}</td>' for fam in FAMILIES)
        rows.append(f'<tr data-hub="{escape(hub)}"><th scope="row">{label}</th>{cells}'
                    f'<td class="errors">{severities[(hub, "error")]}</td>'
                    f'<td class="warnings">{severities[(hub, "warning")]}</td></tr>')
    head = "".join(f"<th>{fam}</th>" for fam in FAMILIES)
    return ('<section id="summary"><h2>Summary</h2><table id="per-hub"><thead><tr><th>hub</th>'
            f"{head}<th>errors</th><th>warnings</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


def _options(values: Iterable[tuple[str, str]]) -> str:
    return "".join(f'<option value="{escape(v)}">{escape(label)}</option>' for v, label in values)


def _filters(report: Report, used: list[str]) -> str:
    hubs = _options([("", "every hub"), *((h, h) for h in report.hubs)])
    severities = _options([("", "any severity"), ("error", "errors"), ("warning", "warnings")])
    families = sorted({r.split("/", 1)[0] + "/" for r in used})
    rules = _options([("", "every rule"), *((f, f) for f in families), *((r, r) for r in used)])
    return ('<section id="filters"><label>hub <select id="filter-hub">' + hubs + "</select></label> "
            '<label>severity <select id="filter-severity">' + severities + "</select></label> "
            '<label>rule <select id="filter-rule">' + rules + "</select></label> "
            f'<span id="visible-count">{len(report.findings)} of {len(report.findings)} findings shown</span></section>')


def _findings(findings: list[Finding], excerpts: dict) -> str:
    if not findings:
        return '<section id="findings"><h2>Findings</h2><p class="clean">No findings.</p></section>'
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path or "(no file)", []).append(f)
    out = ['<section id="findings"><h2>Findings</h2>']
    for path, items in by_path.items():
        out.append(f'<section class="file" data-path="{escape(path)}"><h3>{escape(path)}</h3>')
        for f in items:
            out.append(_finding(f, excerpts.get((f.path, f.line))))
        out.append("</section>")
    out.append("</section>")
    return "\n".join(out)


def _finding(f: Finding, excerpt: Any) -> str:
    where = f"{f.line}:{f.column or 1}" if f.line else "—"
    hub = f'<span class="hub">hub {escape(f.hub)}</span>' if f.hub else '<span class="hub all">every hub</span>'
    obj = f' <span class="object">{escape(f.object)}</span>' if f.object else ""
    body = _excerpt(excerpt, f.line) if excerpt else ""
    return (f'<article class="finding {f.severity.value}" data-hub="{escape(f.hub or ALL_HUBS)}" '
            f'data-severity="{f.severity.value}" data-rule="{escape(f.rule)}">'
            f'<div class="head"><span class="sev">{f.severity.value}</span> '
            f'<a class="rule" href="#rule-{_anchor(f.rule)}">{escape(f.rule)}</a> '
            f'<span class="where">{where}</span> {hub}{obj}</div>'
            f'<p class="message">{escape(f.message)}</p>{body}</article>')


def _excerpt(excerpt: Any, line: int | None) -> str:
    rows = []
    for offset, text in enumerate(excerpt.lines):
        number = excerpt.first_line + offset
        mark = ' class="hit"' if number == line else ""
        rows.append(f'<span{mark}><span class="ln">{number}</span>{escape(text)}</span>')
    return '<pre class="excerpt">' + "".join(rows) + "</pre>"  # each line is a block


def _egress(maps: list | None) -> str:
    if not maps:
        return ""
    from hubguard.report.egress_pictures import svg

    out = ['<section id="egress"><h2>Where personal data can go</h2>']
    for m in maps:
        out.append(f'<figure class="egress" data-hub="{escape(m.hub)}">{svg([m])}</figure>')
    out.append("</section>")
    return "\n".join(out)


def _suppressed(items: list[Suppressed], count: int) -> str:
    if not count and not items:
        return ""
    rows = "".join(
        f'<tr><td>{escape(s.finding.path or "")}:{s.finding.line or ""}</td><td>{escape(s.finding.rule)}</td>'
        f'<td>{escape(s.finding.hub or "every hub")}</td><td>{escape(s.kind)}</td><td>{escape(s.reason)}</td></tr>'
        for s in items)
    listed = (f'<table id="suppressed-findings"><thead><tr><th>where</th><th>rule</th><th>hub</th><th>how</th>'
              f"<th>reason</th></tr></thead><tbody>{rows}</tbody></table>") if items else ""
    return f'<section id="suppressed"><h2>Suppressed findings ({count})</h2>{listed}</section>'


def _notes(notes: list[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return f'<section id="notes"><h2>Notes</h2><ul>{items}</ul></section>'


def _rules(rules: dict, used: list[str]) -> str:
    out = ['<section id="rules"><h2>Rules</h2>']
    for rule_id in used:
        rule = rules.get(rule_id)
        if rule is None:
            continue
        out.append(f'<details id="rule-{_anchor(rule_id)}"><summary><code>{escape(rule_id)}</code> — '
                   f"{escape(rule.summary)}</summary><pre>{escape(rule.doc)}</pre>"
                   f"<p><strong>Fix:</strong> {escape(rule.remediation)}</p></details>")
    out.append("</section>")
    return "\n".join(out)


def _anchor(rule_id: str) -> str:
    return rule_id.replace("/", "-")


STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1100px;
padding:0 24px 48px;color:#1d2733;background:#fff}
h1{margin:24px 0 4px}h2{border-bottom:1px solid #d7dee6;padding-bottom:4px;margin-top:32px}
h3{font:600 14px ui-monospace,Menlo,Consolas,monospace;margin:20px 0 8px}
.meta{color:#5b6b7b;margin:0 0 8px}.badge{display:inline-block;border-radius:12px;padding:2px 10px;font-weight:600}
.badge.error{background:#fde2e2;color:#7f0000}.badge.warning{background:#fff1cc;color:#6b4e00}
.badge.muted{background:#eef1f4;color:#394b5d}
table{border-collapse:collapse}th,td{border:1px solid #d7dee6;padding:4px 10px;text-align:right}
th[scope=row],thead th:first-child{text-align:left}#filters{position:sticky;top:0;background:#fff;padding:10px 0;
border-bottom:1px solid #d7dee6;margin-top:16px}#filters label{margin-right:14px}#visible-count{color:#5b6b7b}
.finding{border:1px solid #d7dee6;border-left:4px solid #c62828;border-radius:4px;margin:8px 0;padding:6px 10px}
.finding.warning{border-left-color:#d79b00}.finding .head{font-size:13px}.sev{font-weight:700;text-transform:uppercase;
font-size:11px}.finding.error .sev{color:#c62828}.finding.warning .sev{color:#8a6400}
.rule{font-family:ui-monospace,Menlo,Consolas,monospace}.where,.hub,.object{color:#5b6b7b;margin-left:6px}
.message{margin:4px 0}pre{background:#f6f8fa;border-radius:4px;padding:6px 0;overflow:auto;font-size:12px}
pre.excerpt>span{display:block;padding:0 10px}pre.excerpt .hit{background:#fff1cc}
.ln{display:inline-block;width:3.5em;color:#8b98a5;user-select:none}
details{margin:6px 0}details pre{padding:8px 12px;white-space:pre-wrap}.egress{margin:12px 0;overflow:auto}
.clean{color:#2e7d32;font-weight:600}[hidden]{display:none!important}
"""

SCRIPT = """
(function () {
  var hub = document.getElementById('filter-hub'), sev = document.getElementById('filter-severity'),
      rule = document.getElementById('filter-rule'), count = document.getElementById('visible-count');
  var findings = Array.prototype.slice.call(document.querySelectorAll('.finding'));
  function matches(el) {
    var h = hub.value, s = sev.value, r = rule.value, fr = el.getAttribute('data-rule');
    if (h && el.getAttribute('data-hub') !== h && el.getAttribute('data-hub') !== '') return false;
    if (s && el.getAttribute('data-severity') !== s) return false;
    if (r && !(fr === r || (r.charAt(r.length - 1) === '/' && fr.indexOf(r) === 0))) return false;
    return true;
  }
  function apply() {
    var shown = 0;
    findings.forEach(function (el) { var ok = matches(el); el.hidden = !ok; if (ok) shown++; });
    document.querySelectorAll('section.file').forEach(function (sec) {
      sec.hidden = !sec.querySelector('.finding:not([hidden])');
    });
    document.querySelectorAll('figure.egress').forEach(function (fig) {
      fig.hidden = !!hub.value && fig.getAttribute('data-hub') !== hub.value;
    });
    count.textContent = shown + ' of ' + findings.length + ' findings shown';
    var parts = [];
    if (hub.value) parts.push('hub=' + encodeURIComponent(hub.value));
    if (sev.value) parts.push('severity=' + encodeURIComponent(sev.value));
    if (rule.value) parts.push('rule=' + encodeURIComponent(rule.value));
    if (history.replaceState) history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname);
  }
  (location.hash || '').replace(/^#/, '').split('&').forEach(function (pair) {
    var kv = pair.split('='), value = decodeURIComponent(kv[1] || '');
    var el = {hub: hub, severity: sev, rule: rule}[kv[0]];
    if (el && Array.prototype.some.call(el.options, function (o) { return o.value === value; })) el.value = value;
  });
  [hub, sev, rule].forEach(function (el) { el.addEventListener('change', apply); });
  apply();
})();
"""

