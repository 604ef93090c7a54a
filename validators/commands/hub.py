"""`hubguard hub add` / `hubguard hub remove`: plan with hubguard.generator.hub_add_remove, then write and commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubguard.generator.planned_changes import finish
from hubguard.generator.template_record import find_repo


def run_hub_add(path: Path, hub: dict[str, Any], *, commit: bool, dry_run: bool, allow_dirty: bool) -> int:
    from hubguard.generator.hub_add_remove import plan_add

    repo = find_repo(path)
    changes = plan_add(repo, hub)
    return finish(repo, changes, title=f"hub add {hub['name']}", commit_requested=commit, dry_run=dry_run,
                  allow_dirty=allow_dirty, message=f"Add hub {hub['name']} (hubguard hub add)")


def run_hub_remove(path: Path, name: str, *, commit: bool, dry_run: bool, allow_dirty: bool) -> int:
    from hubguard.generator.hub_add_remove import plan_remove

    repo = find_repo(path)
    changes = plan_remove(repo, name)
    return finish(repo, changes, title=f"hub remove {name}", commit_requested=commit, dry_run=dry_run,
                  allow_dirty=allow_dirty, message=f"Remove hub {name} (hubguard hub remove)")
