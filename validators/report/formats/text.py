"""Human output: findings grouped by file, `path:line:col severity rule message`, then a summary."""

from __future__ import annotations

import os
import sys

from hubguard.findings import Report

COLOURS = {"error": "\033[31m", "warning": "\033[33m", "dim": "\033[2m", "bold": "\033[1m", "reset": "\033[0m"}


def use_colour(stream=None) -> bool:
    stream = stream or sys.stdout
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


def render(report: Report, rules: dict, colour: bool = False) -> str:
    def paint(text: str, what: str) -> str:
        return f"{COLOURS[what]}{text}{COLOURS['reset']}" if colour else text

    lines: list[str] = []
    current = object()
    for f in report.findings:
        if f.path != current:
            if lines:
                lines.append("")
            lines.append(paint(f.path or "(repository)", "bold"))
            current = f.path
        where = where_text(f)
        hub = f" [hub {f.hub}]" if f.hub else ""
        obj = f" ({f.object})" if f.object else ""
        lines.append(f"  {where} {paint(f.severity.value, f.severity.value)} {f.rule} {one_line(f.message)}{obj}{hub}")
    if lines:
        lines.append("")
    for note in report.notes:
        lines.append(paint(f"note: {note}", "dim"))
    hubs = ", ".join(report.hubs) or "none"
    summary = (
        f"{report.errors} error(s), {report.warnings} warning(s), {report.suppressed} suppressed"
        f" — {report.files} files, {report.objects} objects, hubs: {hubs}"
    )
    if report.baseline_known:
        summary += f", {report.baseline_known} known from the baseline"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def where_text(f) -> str:
    """`path:line:col`, shortened when the line or column is unknown."""
    where = f.path or "."
    if f.line:
        where += f":{f.line}"
        if f.column:
            where += f":{f.column}"
    return where


def one_line(message: str) -> str:
    return " ".join(message.split("\n"))
