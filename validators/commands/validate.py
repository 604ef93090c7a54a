"""`hubguard validate`: run the engine on the work tree or the git index, write the report."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import click
from hubguard.engine import ValidateOptions, validate
from hubguard.errors import HubguardError
from hubguard.render.shard_plan import Shard
from hubguard.findings import Report, Severity
from hubguard.model import RepoContext
from hubguard.report.outputs import Display, Output, write_outputs


def run_validate(path: Path, *, staged: bool, changed_since: str | None, hubs: tuple[str, ...], policy: Path | None,
                 outputs: list[Output], display: Display, fail_on: str, exit_zero: bool, jobs: int | None,
                 select: tuple[str, ...], ignore: tuple[str, ...], baseline: Path | None,
                 write_baseline: Path | None, use_cache: bool = False, shard: Shard | None = None,
                 debug: bool = False) -> int:
    if not path.exists():
        raise HubguardError(f"{path}: no such directory")
    if policy is not None and not policy.is_file():
        raise HubguardError(f"{policy}: policy file not found")
    from hubguard.load.policy_file import find_repository_root

    path = find_repository_root(path)
    with ExitStack() as stack:
        root = path
        scope_note = None
        changes, unchanged = None, None
        if staged:
            from hubguard.changed_since import nothing_staged, staged_changes
            from hubguard.load.git_index import staged_tree

            changes = staged_changes(path)
            unchanged = nothing_staged(changes)  # e.g. `git commit --amend` of the message alone: no copy
            if unchanged is None:  # the index written out: what is not staged is not part of the commit
                root = stack.enter_context(staged_tree(path))
        seen: list[RepoContext] = []
        options = ValidateOptions(root=root, policy_path=policy, hubs=hubs, select=select, ignore=ignore, jobs=jobs,
                                  progress=True, use_cache=use_cache, shard=shard, observe=seen.append,
                                  lean_secrets=staged,
                                  keep_hubs=any(output.format == "html" for output in outputs))
        if changed_since:
            from hubguard.changed_since import options_for_changes

            options, scope_note = options_for_changes(path, changed_since, options)
        elif staged:
            from hubguard.changed_since import options_for_staged

            options, scope_note = (None, unchanged) if unchanged else options_for_staged(path, options, changes)
        report = validate(options) if options is not None else _empty(None)
        if write_baseline is None:  # inside: with --staged, the baseline is the one in the index
            from hubguard.report.baseline import baseline_for, filter_known, shard_record

            chosen = baseline_for(root, baseline, seen[0].policy.baseline if seen else None)
            if chosen is not None and report.shard is not None:
                report.shard["baseline"] = shard_record(chosen)  # applied by `hubguard merge`, to the whole run
            elif chosen is not None:
                report = filter_known(report, chosen)
    if scope_note:
        report.notes.insert(0, scope_note)
    if write_baseline is not None:
        from hubguard.report.baseline import write

        write(write_baseline, report.findings)
        click.echo(f"hubguard: wrote {len(report.findings)} finding(s) to the baseline {write_baseline}", err=True)
        return 0
    return write_report(report, outputs, display, fail_on, exit_zero, debug, seen[0] if seen else None)


def write_report(report: Report, outputs: list[Output], display: Display, fail_on: str, exit_zero: bool = False,
                 debug: bool = False, repo: RepoContext | None = None) -> int:
    """The report in each of `outputs`; the exit code of SPEC. The HTML report draws excerpts and
    egress maps from `repo`, the checked repository, when given."""
    from hubguard.rules.registry import all_rules

    write_outputs(report, outputs, all_rules(), display, repo=repo)
    if report.internal_errors:
        for error in report.internal_errors:
            click.echo("hubguard: " + (error if debug else error.split("\n", 1)[0]), err=True)
        click.echo("hubguard: some checks did not complete (rerun with --debug for details); please report this", err=True)
        return 3
    threshold = Severity(fail_on).rank
    return 1 if not exit_zero and any(f.severity.rank >= threshold for f in report.findings) else 0


def _empty(note: str | None) -> Report:
    return Report(findings=[], files=0, objects=0, hubs=[], notes=[note] if note else [])

