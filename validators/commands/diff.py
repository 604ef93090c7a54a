"""`hubguard diff [BASE] [HEAD]`: what each hub receives after a change, and the findings it brings.

BASE defaults to the merge-base with the default branch, HEAD to the work tree (`--staged`: the git
index). Each side is validated as a whole, the hubs rendered with the real kustomize, in a folder
materialised from git outside the repository (the work tree is read in place, never written).
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

from hubguard.engine import ValidateOptions, validate
from hubguard.commands.output import emit
from hubguard.errors import HubguardError
from hubguard.findings import Severity
from hubguard.load.git_index import commit_tree, default_base, resolve_commit, staged_tree
from hubguard.model import RepoContext
from hubguard.report.diff_formats import render
from hubguard.report.hub_diff import Side, compare


def run_diff(path: Path, base: str | None, head: str | None, *, staged: bool, hubs: tuple[str, ...],
             policy: Path | None, output_format: str, output: Path | None, fail_on: str, jobs: int | None) -> int:
    if staged and head is not None:
        raise HubguardError("--staged compares with the index: give no HEAD commit")
    base_sha = resolve_commit(path, base) if base else default_base(path)
    with ExitStack() as stack:
        base_side = _side(stack.enter_context(commit_tree(path, base_sha)), base_sha[:12], hubs, policy, jobs)
        if staged:
            head_side = _side(stack.enter_context(staged_tree(path)), "index", hubs, policy, jobs)
        elif head is not None:
            head_sha = resolve_commit(path, head)
            head_side = _side(stack.enter_context(commit_tree(path, head_sha)), head_sha[:12], hubs, policy, jobs)
        else:
            head_side = _side(path, "work tree", hubs, policy, jobs)
    names = sorted(set(base_side.hubs) | set(head_side.hubs))
    changes = compare(base_side, head_side, names)
    colour = output is None and output_format == "text" and sys.stdout.isatty()
    text = render(base_side, head_side, changes, output_format, colour=colour)
    emit(text, output, "diff")
    threshold = Severity(fail_on).rank
    return 1 if any(f.severity.rank >= threshold for c in changes for f in c.new_findings) else 0


def _side(root: Path, label: str, hubs: tuple[str, ...], policy: Path | None, jobs: int | None) -> Side:
    seen: list[RepoContext] = []
    report = validate(ValidateOptions(root=root, policy_path=policy, hubs=hubs, jobs=jobs, observe=seen.append,
                                      keep_hubs=True))
    return Side(label, dict(seen[0].hubs) if seen else {}, report.findings)
