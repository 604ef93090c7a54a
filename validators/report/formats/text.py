"""Human output: findings grouped by file, `path:line:col severity rule message`, then a summary."""

from __future__ import annotations

import os
import sys
from typing import Mapping

from hubguard.findings import Report

COLOURS = {"error": "\033[31m", "warning": "\033[33m", "dim": "\033[2m", "bold": "\033[1m", "reset": "\033[0m"}


def use_colour(mode: str = "auto", stream=None, environ: Mapping[str, str] = os.environ) -> bool:
    """Colour for `--color auto|always|never`. In auto: NO_COLOR (any value) turns it off,
    FORCE_COLOR or CLICOLOR_FORCE turn it on (a pipe, CI logs; FORCE_COLOR=0 turns it off),
    TERM=dumb turns it off; else only on a terminal. The flag wins over the environment."""
    if mode != "auto":
        return mode == "always"
    if environ.get("NO_COLOR"):
        return False
    force = environ.get("FORCE_COLOR") or environ.get("CLICOLOR_FORCE")
    if force:
        return force.lower() not in ("0", "false")
    if environ.get("TERM") == "dumb":
        return False
    stream = stream or sys.stdout
    return hasattr(stream, "isatty") and stream.isatty()


def render(report: Report, rules: dict, colour: bool = False, quiet: bool = False, verbose: bool = False) -> str:
    """`quiet`: the findings only (no notes, no summary). `verbose`: every file not checked too."""
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
    if quiet:
        return "\n".join(lines) + "\n" if lines else ""
    if lines:
        lines.append("")
    for note in report.notes + (report.skipped_files if verbose else []):
        lines.append(paint(f"note: {note}", "dim"))
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def summary(report: Report) -> str:
    """The one-line summary: counts, files, objects and hubs."""
    hubs = ", ".join(report.hubs) or "none"
    line = (
        f"{report.errors} error(s), {report.warnings} warning(s), {report.suppressed} suppressed"
        f" — {report.files} files, {report.objects} objects, hubs: {hubs}"
    )
    if report.baseline_known:
        line += f", {report.baseline_known} known from the baseline"
    return line


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
