"""`hubguard diff` output: text (coloured on a terminal), JSON, and Markdown sized for a pull-request
comment (a summary table, per-hub details in collapsible sections, cut to the platform's limit)."""

from __future__ import annotations

import json

from hubguard.findings import Finding
from hubguard.report.hub_diff import EVERY_HUB, HubChange, Side, as_json

FORMATS = ("text", "json", "markdown")
# GitHub refuses comments over 65,536 characters; Azure DevOps allows 150,000. Leave room for a note.
COMMENT_LIMIT = 65_000
RED, GREEN, YELLOW, BOLD, RESET = "\033[31m", "\033[32m", "\033[33m", "\033[1m", "\033[0m"


def render(base: Side, head: Side, changes: list[HubChange], fmt: str, *, colour: bool = False,
           limit: int = COMMENT_LIMIT) -> str:
    if fmt == "json":
        return json.dumps(as_json(base, head, changes), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return markdown(base, head, changes, limit)
    return text(base, head, changes, colour)


def _title(change: HubChange) -> str:
    return f"hub {change.hub}" if change.hub != EVERY_HUB else "every hub / repository-wide"


def _finding(f: Finding) -> str:
    where = f"{f.path}:{f.line}" if f.line else (f.path or "")
    return f"{f.severity.value} {f.rule} {where} {f.message}"


def text(base: Side, head: Side, changes: list[HubChange], colour: bool) -> str:
    def paint(code: str, value: str) -> str:
        return f"{code}{value}{RESET}" if colour else value

    out = [f"hubguard diff {base.label} -> {head.label}"]
    for change in changes:
        if change.empty:
            if change.hub != EVERY_HUB:
                out.append(f"{_title(change)}: no change")
            continue
        out.append(paint(BOLD, f"{_title(change)}:"))
        out += [paint(GREEN, f"  + {c.ref}  ({c.source})") for c in change.added]
        out += [paint(RED, f"  - {c.ref}  ({c.source})") for c in change.removed]
        for c in change.changed:
            out.append(paint(YELLOW, f"  ~ {c.ref}  ({c.source})"))
            for line in c.diff.splitlines():
                code = GREEN if line.startswith("+") and not line.startswith("+++") else (
                    RED if line.startswith("-") and not line.startswith("---") else "")
                out.append("      " + (paint(code, line) if code else line))
        out += [paint(RED, f"  new finding: {_finding(f)}") for f in change.new_findings]
        out += [paint(GREEN, f"  fixed: {_finding(f)}") for f in change.fixed_findings]
    return "\n".join(out) + "\n"


def _summary_table(changes: list[HubChange]) -> list[str]:
    rows = ["| hub | added | removed | changed | new findings | fixed findings |", "|---|---:|---:|---:|---:|---:|"]
    for c in changes:
        if c.hub == EVERY_HUB and c.empty:
            continue
        new = f"**{len(c.new_findings)}** :warning:" if c.new_findings else "0"
        rows.append(f"| {_title(c)} | {len(c.added)} | {len(c.removed)} | {len(c.changed)} | {new} | {len(c.fixed_findings)} |")
    return rows


def _escape(value: str) -> str:
    return value.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _details(change: HubChange) -> str:
    parts = [f"<details><summary><b>{_escape(_title(change))}</b></summary>", ""]
    for label, items in (("Added", change.added), ("Removed", change.removed)):
        if items:
            parts.append(f"**{label}**")
            parts += [f"- `{c.ref}` ({_escape(c.source)})" for c in items]
            parts.append("")
    for c in change.changed:
        parts += [f"**Changed** `{c.ref}` ({_escape(c.source)})", "", "```diff", c.diff.rstrip("\n").replace("```", "ʼʼʼ"), "```", ""]
    for label, findings in (("New findings", change.new_findings), ("Fixed findings", change.fixed_findings)):
        if findings:
            parts.append(f"**{label}**")
            parts += [f"- `{f.rule}` {f.severity.value} at `{f.path}:{f.line or ''}`: {_escape(f.message)}" for f in findings]
            parts.append("")
    parts.append("</details>")
    return "\n".join(parts)


def markdown(base: Side, head: Side, changes: list[HubChange], limit: int) -> str:
    head_lines = ["### hubguard: what each hub receives after this change", "",
                  f"`{base.label[:12]}` → `{head.label[:12]}`", "", *_summary_table(changes), ""]
    out = "\n".join(head_lines) + "\n"
    cut = 0
    for change in changes:
        if change.empty:
            continue
        section = _details(change) + "\n\n"
        if len(out) + len(section) > limit:
            cut += 1
            continue
        out += section
    if cut:
        out += (f"_{cut} hub section(s) left out to stay within the comment limit of {limit:,} characters; "
                "run `hubguard diff` locally or see the job's artifact for the whole diff._\n")
    return out
