"""`hubguard validate`: run the engine on the work tree or the git index, write the report."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path

import click
from hubguard.engine import ValidateOptions, validate
from hubguard.errors import HubguardError
from hubguard.render.shard_plan import Shard
from hubguard.findings import Report, Severity
from hubguard.model import RepoContext


def run_validate(path: Path, *, staged: bool, changed_since: str | None, hubs: tuple[str, ...], policy: Path | None,
                 output_format: str, output: Path | None, fail_on: str, jobs: int | None,
                 select: tuple[str, ...], ignore: tuple[str, ...], baseline: Path | None,
                 write_baseline: Path | None, use_cache: bool = False, shard: Shard | None = None,
                 debug: bool = False) -> int:
    from hubguard.report.formats import FORMATTERS
    from hubguard.rules.registry import all_rules

    if not path.exists():
        raise HubguardError(f"{path}: no such directory")
    if policy is not None and not policy.is_file():
        raise HubguardError(f"{policy}: policy file not found")
    from hubguard.load.policy_file import find_repository_root

    path = find_repository_root(path)
    with ExitStack() as stack:
        root = path
        scope_note = None
        if staged:
            from hubguard.load.git_index import staged_tree

            root = stack.enter_context(staged_tree(path))
            if policy is None and (root / ".hubguard.yaml").is_file() is False and (path / ".hubguard.yaml").is_file():
                pass  # an unstaged policy file is not part of the commit; the staged state decides
        seen: list[RepoContext] = []
        options = ValidateOptions(root=root, policy_path=policy, hubs=hubs, select=select, ignore=ignore, jobs=jobs,
                                  progress=True, use_cache=use_cache, shard=shard,
                                  observe=seen.append if output_format == "html" else None)
        if changed_since:
            from hubguard.changed_since import options_for_changes

            options, scope_note = options_for_changes(path, changed_since, options)
        elif staged:
            from hubguard.changed_since import options_for_staged

            options, scope_note = options_for_staged(path, options)
        report = validate(options) if options is not None else _empty(None)
    if scope_note:
        report.notes.insert(0, scope_note)
    if write_baseline is not None:
        from hubguard.report.baseline import write

        write(write_baseline, report.findings)
        click.echo(f"hubguard: wrote {len(report.findings)} finding(s) to the baseline {write_baseline}", err=True)
        return 0
    if baseline is not None:
        from hubguard.report.baseline import filter_known

        report = filter_known(report, baseline)
    return write_report(report, output_format, output, fail_on, debug, seen[0] if seen else None)


def write_report(report: Report, output_format: str, output: Path | None, fail_on: str, debug: bool = False,
                 repo: RepoContext | None = None) -> int:
    """The report in `output_format` on stdout or in `output`; the exit code of SPEC. The HTML
    report draws excerpts and egress maps from `repo`, the checked repository, when given."""
    from hubguard.report.formats import FORMATTERS
    from hubguard.rules.registry import all_rules

    rules = all_rules()
    if output_format == "html":
        text = _html(report, rules, repo)
    elif output_format == "text":
        from hubguard.report.formats.text import render, use_colour

        text = render(report, rules, colour=output is None and use_colour(sys.stdout))
    else:
        text = FORMATTERS[output_format](report, rules)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise HubguardError(f"{output}: cannot write the report ({exc.strerror})") from None
    else:
        click.echo(text, nl=False)
    if report.internal_errors:
        for error in report.internal_errors:
            click.echo("hubguard: " + (error if debug else error.split("\n", 1)[0]), err=True)
        click.echo("hubguard: some checks did not complete (rerun with --debug for details); please report this", err=True)
        return 3
    threshold = Severity(fail_on).rank
    return 1 if any(f.severity.rank >= threshold for f in report.findings) else 0


def _empty(note: str | None) -> Report:
    return Report(findings=[], files=0, objects=0, hubs=[], notes=[note] if note else [])


def _html(report: Report, rules: dict, repo: RepoContext | None) -> str:
    """The HTML report, with source excerpts and each hub's egress map from the checked repository."""
    from hubguard.report.egress_map import hub_egress
    from hubguard.report.excerpts import excerpts
    from hubguard.report.formats.html import render

    if repo is None:
        return render(report, rules)
    suppressed = [f for f, _ in getattr(report, "suppressed_findings", None) or []]
    maps = [hub_egress(repo.hubs[name], repo.policy) for name in report.hubs if name in repo.hubs]
    return render(report, rules, excerpts=excerpts(repo.files, report.findings + suppressed), egress=maps)
