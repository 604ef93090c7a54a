"""`hubguard update`: plan with hubguard.generator.template_update, then write and commit."""

from __future__ import annotations

from pathlib import Path

import click
from hubguard.generator.planned_changes import finish
from hubguard.generator.template_record import find_repo


def run_update(path: Path, *, template: Path | None, old_template: Path | None, commit: bool, dry_run: bool,
               allow_dirty: bool) -> int:
    from hubguard.generator.template_update import plan_update

    repo = find_repo(path)
    changes, target = plan_update(repo, template, old_template)
    if not changes.writes and not changes.notes:
        click.echo(f"update: already at template {target}")
        return 0
    return finish(repo, changes, title=f"update to template {target}", commit_requested=commit, dry_run=dry_run,
                  allow_dirty=allow_dirty, message=f"Update to template {target} (hubguard update)")
