"""`hubguard egress-map [PATH]`: per hub, where workloads that handle personal data can connect."""

from __future__ import annotations

from pathlib import Path

import click
from hubguard.engine import ValidateOptions, load_repository, render_hubs
from hubguard.commands.output import emit
from hubguard.report.egress_map import hub_egress
from hubguard.report.egress_pictures import render


def run_egress_map(path: Path, hubs: tuple[str, ...], policy: Path | None, output_format: str,
                   output: Path | None, jobs: int | None) -> int:
    options = ValidateOptions(root=path, policy_path=policy, hubs=hubs, jobs=jobs)
    pol, files, _notes = load_repository(options)
    names = list(hubs) or sorted(pol.hubs)
    renders = render_hubs(path, pol, files, names, jobs)
    maps = [hub_egress(renders[name].inventory, pol) for name in names]
    text = render(maps, output_format)
    emit(text, output, "map")
    for name in names:
        for problem in renders[name].problems:
            click.echo(f"hubguard: hub {name}: {problem.message} (the map shows what rendered)", err=True)
    return 0
