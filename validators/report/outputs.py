"""Where a run's report goes: one or more outputs, each a format and a destination (stdout or a
file), so that one run serves a terminal and a CI upload at once (SPEC: "Several outputs in one
run are allowed").

`--format NAME` sends NAME to stdout (or to `--output FILE`); `--format NAME=FILE` writes NAME to
FILE. At most one output goes to stdout. When findings go to a file, the one-line summary also
goes to stderr, so that a CI log says what the file holds.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import click
from hubguard.errors import HubguardError
from hubguard.findings import Report
from hubguard.model import RepoContext


@dataclass(frozen=True)
class Output:
    format: str
    file: Path | None = None  # None: stdout


@dataclass(frozen=True)
class Display:
    """How the human-readable outputs look: colour (`auto|always|never`), `--quiet` (findings
    only), `--verbose` (every note in full, e.g. each file not checked)."""

    colour: str = "auto"
    quiet: bool = False
    verbose: bool = False


def parse_outputs(values: tuple[str, ...], output: Path | None, default: str, names: tuple[str, ...]) -> list[Output]:
    """The outputs asked for by `--format NAME[=FILE]` (repeatable) and `--output FILE`."""
    outputs = []
    for value in values:
        name, has_file, file = value.partition("=")
        if name not in names:
            raise HubguardError(f"--format: unknown format {name!r}; choose from {', '.join(names)} (NAME or NAME=FILE)")
        if has_file and not file:
            raise HubguardError(f"--format {value}: the file name is missing (NAME=FILE)")
        outputs.append(Output(name, Path(file) if has_file else None))
    if not outputs:
        outputs = [Output(default)]
    to_stdout = [o for o in outputs if o.file is None]
    if output is not None:
        if len(to_stdout) != 1:
            raise HubguardError("--output names the file of the one --format given without =FILE")
        outputs = [Output(o.format, output) if o.file is None else o for o in outputs]
    elif len(to_stdout) > 1:
        raise HubguardError(f"only one format can go to stdout ({', '.join(o.format for o in to_stdout)}); "
                            "send the others to files: --format sarif=hubguard.sarif")
    files = [o.file.resolve() for o in outputs if o.file is not None]
    if len(files) != len(set(files)):
        raise HubguardError("two outputs name the same file")
    return outputs


def write_outputs(report: Report, outputs: list[Output], rules: dict, display: Display,
                  environ: Mapping[str, str] = os.environ, repo: RepoContext | None = None) -> None:
    """Each output rendered and written; `repo` (the checked repository) feeds the HTML report's
    source excerpts and egress maps."""
    from hubguard.report.formats import FORMATTERS
    from hubguard.report.formats import text

    for out in outputs:
        colour = False
        if out.format == "text":
            colour = out.file is None and text.use_colour(display.colour, sys.stdout, environ)
            rendered = text.render(report, rules, colour=colour, quiet=display.quiet, verbose=display.verbose)
        elif out.format == "html":
            rendered = _html(report, rules, repo)
        else:
            rendered = FORMATTERS[out.format](report, rules)
        if out.file is None:
            # click removes escape sequences on a pipe unless told otherwise; the choice is made above
            # (None keeps that removal for everything else, e.g. escapes a repository file smuggles in).
            click.echo(rendered, nl=False, color=True if colour else None)
            continue
        try:
            out.file.write_text(rendered, encoding="utf-8")
        except OSError as exc:
            raise HubguardError(f"{out.file}: cannot write the report ({exc.strerror})") from None
    if not display.quiet and any(o.file is not None for o in outputs):
        click.echo(text.summary(report), err=True)


def _html(report: Report, rules: dict, repo: RepoContext | None) -> str:
    """The HTML report, with source excerpts and each hub's egress map from the checked repository."""
    from hubguard.report.egress_map import hub_egress
    from hubguard.report.excerpts import excerpts
    from hubguard.report.formats.html import render

    if repo is None:
        return render(report, rules)
    suppressed = [s.finding for s in report.suppressed_findings]
    maps = [hub_egress(repo.hubs[name], repo.policy) for name in report.hubs if name in repo.hubs]
    return render(report, rules, excerpts=excerpts(repo.files, report.findings + suppressed), egress=maps)
