"""The command line (Click). Thin: parse options, call one function, map errors to exit codes.

Exit codes (SPEC): 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage or
configuration error (one line on stderr); 3 internal error (traceback only with --debug); 130 Ctrl-C.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

import click
from hubguard import __version__
from hubguard.errors import HubguardError
from hubguard.report.formats import FORMAT_NAMES


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hubguard")
@click.option("--debug", is_flag=True, help="Print Python tracebacks of internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """GitOps guard rails for workloads that run on several on-premises Kubernetes hubs."""
    ctx.obj = {"debug": debug}


def report_options(command: Callable) -> Callable:
    """Where a report goes and what makes the exit code 1: the same options for `validate` and
    `merge`, read by `report_destinations`."""
    options = [
        click.option("--format", "formats", multiple=True, metavar="FORMAT[=FILE]",
                     help=f"Output format: {', '.join(FORMAT_NAMES)} (default text; github under GitHub Actions). Repeatable: "
                          "FORMAT=FILE writes that format to FILE, e.g. --format text --format sarif=hubguard.sarif."),
        click.option("--output", "output", type=click.Path(path_type=Path),
                     help="Write the --format given without =FILE to FILE instead of stdout."),
        click.option("--fail-on", "fail_on", type=click.Choice(("error", "warning")), default="error", show_default=True,
                     help="The lowest severity that makes the exit code 1: `warning` fails on warnings too."),
        click.option("--exit-zero", "exit_zero", is_flag=True,
                     help="Exit 0 even with findings (configuration and internal errors still exit 2 and 3)."),
        click.option("-q", "--quiet", is_flag=True, help="Print the findings only: no notes, no summary."),
        click.option("-v", "--verbose", is_flag=True, help="Print every note in full (e.g. each file not checked)."),
        click.option("--color", "colour", type=click.Choice(("auto", "always", "never")), default="auto", show_default=True,
                     help="Colour the text output; auto honours NO_COLOR, FORCE_COLOR/CLICOLOR_FORCE and TERM=dumb."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def report_destinations(formats: tuple[str, ...], output: Path | None, quiet: bool, verbose: bool, colour: str):
    """The outputs (`--format NAME[=FILE]`, `--output`) and how the text looks, from `report_options`."""
    from hubguard.report.outputs import Display, parse_outputs

    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose cannot be combined")
    default = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    return parse_outputs(formats, output, default, FORMAT_NAMES), Display(colour, quiet, verbose)


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--staged", is_flag=True, help="Validate the git index (what the next commit contains), not the work tree.")
@click.option("--changed-since", "changed_since", metavar="REF", help="Only hubs whose output files changed since REF could change.")
@click.option("--hub", "hubs", multiple=True, metavar="NAME", help="Only this hub (repeatable).")
@click.option("--policy", "policy", type=click.Path(path_type=Path), help="Policy file (default: PATH/.hubguard.yaml).")
@report_options
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="kustomize builds run at once (default: cores).")
@click.option("--select", multiple=True, metavar="ID", help="Only rules with this id or prefix (e.g. ha/).")
@click.option("--ignore", multiple=True, metavar="ID", help="Skip rules with this id or prefix.")
@click.option("--baseline", type=click.Path(path_type=Path), help="Report only findings not recorded in this baseline.")
@click.option("--write-baseline", "write_baseline", type=click.Path(path_type=Path), help="Record today's findings as the baseline.")
@click.option("--no-cache", "no_cache", is_flag=True, help="Render and check everything; neither read nor write the caches (kustomize outputs, hub and file records).")
@click.option("--shard", "shard", metavar="K/N", help="Check shard K of N of the hubs (CI matrices; needs --format json; combine with `hubguard merge`).")
@click.pass_context
def validate(ctx: click.Context, path: Path, staged: bool, changed_since: str | None, hubs: tuple[str, ...], policy: Path | None,
             formats: tuple[str, ...], output: Path | None, fail_on: str, exit_zero: bool, quiet: bool, verbose: bool,
             colour: str, jobs: int | None, select: tuple[str, ...], ignore: tuple[str, ...], baseline: Path | None,
             write_baseline: Path | None, no_cache: bool, shard: str | None) -> None:
    """Check what each hub will receive: secrets, HA minimums, PII egress and schemas."""
    from hubguard.commands.validate import run_validate

    if staged and changed_since:
        raise click.UsageError("--staged and --changed-since cannot be combined")
    if baseline and write_baseline:
        raise click.UsageError("--baseline and --write-baseline cannot be combined")
    outputs, display = report_destinations(formats, output, quiet, verbose, colour)
    if shard is not None:
        if staged or changed_since or write_baseline:
            raise click.UsageError("--shard checks a share of a whole run: no --staged, --changed-since or --write-baseline")
        if [o.format for o in outputs] != ["json"]:
            raise click.UsageError("--shard writes what `hubguard merge` reads: add --format json (and no other format)")
    code = run_validate(path, staged=staged, changed_since=changed_since, hubs=hubs, policy=policy,
                        outputs=outputs, display=display, fail_on=fail_on,
                        exit_zero=exit_zero, jobs=jobs,
                        select=select, ignore=ignore, baseline=baseline, write_baseline=write_baseline,
                        use_cache=not no_cache, shard=_shard(shard), debug=ctx.obj["debug"])
    sys.exit(code)


def _shard(text: str | None):
    if text is None:
        return None
    from hubguard.render.shard_plan import Shard

    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--shard") from None


@cli.command()
@click.argument("shards", nargs=-1, required=True, type=click.Path(path_type=Path))
@report_options
@click.pass_context
def merge(ctx: click.Context, shards: tuple[Path, ...], formats: tuple[str, ...], output: Path | None, fail_on: str,
          exit_zero: bool, quiet: bool, verbose: bool, colour: str) -> None:
    """Combine the JSON reports of `validate --shard K/N` into the report of the whole run (runs the cross-hub rules)."""
    from hubguard.commands.merge import run_merge

    outputs, display = report_destinations(formats, output, quiet, verbose, colour)
    sys.exit(run_merge(list(shards), outputs, display, fail_on, exit_zero, ctx.obj["debug"]))


@cli.command()
@click.argument("path", default=".", type=click.Path(path_type=Path))
def init(path: Path) -> None:
    """Write a starter .hubguard.yaml for the repository at PATH from what discovery finds (never overwrites)."""
    from hubguard.commands.init import run_init

    sys.exit(run_init(path))


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--hub", required=True, metavar="NAME", help="The hub whose objects to print.")
@click.option("--policy", type=click.Path(path_type=Path), help="Policy file (default: PATH/.hubguard.yaml).")
@click.option("--format", "output_format", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True,
              help="yaml: the objects, each with comments naming its source and what applies it; json: the same as data.")
def render(path: Path, hub: str, policy: Path | None, output_format: str) -> None:
    """Print what HUB receives, with origins, Secret values redacted, and notes for references not followed."""
    from hubguard.commands.render import run_render

    sys.exit(run_render(path, hub, policy, output_format))


@cli.command()
@click.argument("base", required=False, metavar="[BASE]")
@click.argument("head", required=False, metavar="[HEAD]")
@click.option("-C", "path", default=".", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="The repository (or a folder in it) to compare; default: the current directory.")
@click.option("--staged", is_flag=True, help="Compare BASE with the git index (what the next commit contains).")
@click.option("--hub", "hubs", multiple=True, metavar="NAME", help="Only this hub (repeatable; default: every hub).")
@click.option("--policy", type=click.Path(path_type=Path), help="Policy file (default: each side's .hubguard.yaml).")
@click.option("--format", "output_format", type=click.Choice(("text", "json", "markdown")), default="text",
              show_default=True, help="markdown is sized for a pull-request comment.")
@click.option("--output", type=click.Path(path_type=Path), help="Write the diff to FILE instead of stdout.")
@click.option("--fail-on", "fail_on", type=click.Choice(("error", "warning")), default="error", show_default=True,
              help="Exit 1 when the change brings a new finding of this severity or worse.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="kustomize builds run at once (default: cores).")
def diff(base: str | None, head: str | None, path: Path, staged: bool, hubs: tuple[str, ...], policy: Path | None,
         output_format: str, output: Path | None, fail_on: str, jobs: int | None) -> None:
    """What each hub receives after a change: objects added, removed and changed, findings new and fixed.

    BASE defaults to the merge-base with the default branch; HEAD to the work tree."""
    from hubguard.commands.diff import run_diff

    sys.exit(run_diff(path, base, head, staged=staged, hubs=hubs, policy=policy, output_format=output_format,
                      output=output, fail_on=fail_on, jobs=jobs))


@cli.command("egress-map")
@click.argument("path", default=".", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--hub", "hubs", multiple=True, metavar="NAME", help="Only this hub (repeatable; default: every hub).")
@click.option("--policy", type=click.Path(path_type=Path), help="Policy file (default: PATH/.hubguard.yaml).")
@click.option("--format", "output_format", type=click.Choice(("text", "json", "mermaid", "dot", "svg")), default="text",
              show_default=True, help="mermaid and dot for docs and Graphviz; svg is drawn without either.")
@click.option("--output", type=click.Path(path_type=Path), help="Write the map to FILE instead of stdout.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="kustomize builds run at once (default: cores).")
def egress_map(path: Path, hubs: tuple[str, ...], policy: Path | None, output_format: str, output: Path | None,
               jobs: int | None) -> None:
    """Where workloads that handle personal data can open connections, per hub."""
    from hubguard.commands.egress_map import run_egress_map

    sys.exit(run_egress_map(path, hubs, policy, output_format, output, jobs))


@cli.command()
@click.option("--format", "output_format", type=click.Choice(("text", "json")), default="text", show_default=True)
def rules(output_format: str) -> None:
    """The rule catalog."""
    from hubguard.commands.catalog import print_rules

    print_rules(output_format)


@cli.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """One rule: what it checks, why, how to fix, how to tune and suppress it."""
    from hubguard.commands.catalog import explain_rule

    explain_rule(rule_id)


@cli.command()
@click.option("--no-input", is_flag=True, help="Use defaults (and KEY=VALUE pairs) without prompting.")
@click.option("-o", "--output-dir", "output_dir", type=click.Path(path_type=Path), default=Path("."), show_default=True)
@click.option("--config-file", type=click.Path(path_type=Path), help="A cookiecutter user config with default_context.")
@click.argument("extra", nargs=-1, metavar="[KEY=VALUE ...]")
def new(no_input: bool, output_dir: Path, config_file: Path | None, extra: tuple[str, ...]) -> None:
    """Generate a multi-hub GitOps repository from the bundled template."""
    from hubguard.commands.new import run_new

    sys.exit(run_new(output_dir, no_input=no_input, config_file=config_file, extra=extra))


@cli.command("install-hook")
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option("--local", is_flag=True, help="A `repo: local` hook running the installed hubguard (no clone; offline networks).")
@click.option("--repo", "repo", metavar="URL", help="The Git repository to clone hubguard from (e.g. an internal mirror; default: the project's).")
@click.option("--rev", metavar="REV", help="The tag or commit of that repository to pin (default: this version's tag).")
def install_hook(path: Path, local: bool, repo: str | None, rev: str | None) -> None:
    """Add the hubguard pre-commit hook to PATH/.pre-commit-config.yaml (comments kept; idempotent;
    another --local/--repo/--rev switches the existing hook)."""
    from hubguard.commands.install_hook import HookSource, run_install_hook

    if local and (repo or rev):
        raise click.UsageError("--local runs the installed hubguard; it takes no --repo or --rev")
    sys.exit(run_install_hook(path, HookSource(local=local, repo=repo, rev=rev)))


def _day2_options(command):
    """Options shared by the day-2 commands that change a generated repository."""
    command = click.option("--allow-dirty", is_flag=True, help="Write into a work tree with uncommitted changes (never commits).")(command)
    command = click.option("--dry-run", is_flag=True, help="Only print what would change (the default on a dirty work tree).")(command)
    command = click.option("--commit", is_flag=True, help="Commit the changed files (clean work tree only).")(command)
    return click.option("-C", "--repo", "path", type=click.Path(path_type=Path), default=Path("."), show_default=True,
                        help="The generated repository (or a folder inside it).")(command)


@cli.group()
def hub() -> None:
    """Add a hub to, or retire a hub from, a repository made by `hubguard new`."""


@hub.command("add")
@click.argument("name")
@click.option("--location", required=True, help="Azure Stack Hub location (region name) of the hub.")
@click.option("--ingress-host", "ingress_host", required=True, help="The hub's own host name (the traffic manager probes it).")
@click.option("--onprem-cidr", "onprem_cidrs", multiple=True, required=True, metavar="CIDR", help="An on-prem range of the hub (repeatable).")
@click.option("--backup-hub", "backup_hub", metavar="HUB", help="Where this hub's nightly backup goes (default: the hub with the fewest backups).")
@click.option("--kubernetes-version", "kubernetes_version", metavar="1.NN", help="Default: the first hub's version.")
@click.option("--geo-mapping", "geo_mapping", multiple=True, metavar="CODE", help="Traffic Manager geographic code (Geographic routing; repeatable).")
@click.option("--portal-url", "portal_url", metavar="URL",
              help="The hub's Azure Stack Hub portal, https://portal.<location>.<domain>/ (default: the first hub's domain).")
@click.option("--identity-system", "identity_system", type=click.Choice(["azure_ad", "adfs"]), help="Default: the first hub's.")
@click.option("--gitops-engine", "gitops_engine", type=click.Choice(["flux", "argocd"]),
              help="The one engine that bootstraps the hub (default: the first hub's, else the repository's).")
@_day2_options
def hub_add(name: str, location: str, ingress_host: str, onprem_cidrs: tuple[str, ...], backup_hub: str | None,
            kubernetes_version: str | None, geo_mapping: tuple[str, ...], portal_url: str | None,
            identity_system: str | None, gitops_engine: str | None, path: Path, commit: bool, dry_run: bool,
            allow_dirty: bool) -> None:
    """Render hub NAME's trees and add it to the policy, .sops.yaml, the traffic manager and the other hubs."""
    from hubguard.commands.hub import run_hub_add

    given = {"name": name, "location": location, "ingress_host": ingress_host, "onprem_cidrs": list(onprem_cidrs),
             "backup_hub": backup_hub, "kubernetes_version": kubernetes_version, "geo_mapping": list(geo_mapping),
             "portal_url": portal_url, "identity_system": identity_system, "gitops_engine": gitops_engine}
    sys.exit(run_hub_add(path, given, commit=commit, dry_run=dry_run, allow_dirty=allow_dirty))


@hub.command("remove")
@click.argument("name")
@_day2_options
def hub_remove(name: str, path: Path, commit: bool, dry_run: bool, allow_dirty: bool) -> None:
    """Retire hub NAME: its trees, its entries in shared files and the other hubs' allowances."""
    from hubguard.commands.hub import run_hub_remove

    sys.exit(run_hub_remove(path, name, commit=commit, dry_run=dry_run, allow_dirty=allow_dirty))


@cli.command()
@click.option("--template", "template", type=click.Path(path_type=Path),
              help="A template checkout to update to (e.g. your fork of the template); default: "
                   "$HUBGUARD_TEMPLATE_DIR, else the template bundled with this hubguard.")
@click.option("--old-template", "old_template", type=click.Path(path_type=Path),
              help="The template the repository was generated from, if hubguard cannot find it itself.")
@_day2_options
def update(template: Path | None, old_template: Path | None, path: Path, commit: bool, dry_run: bool, allow_dirty: bool) -> None:
    """Bring a generated repository in step with the installed template (three-way, edits kept)."""
    from hubguard.commands.update import run_update

    sys.exit(run_update(path, template=template, old_template=old_template, commit=commit, dry_run=dry_run,
                        allow_dirty=allow_dirty))


@cli.group()
def cache() -> None:
    """The caches in the user cache directory: kustomize outputs, hub records and file records."""


@cache.command("clear")
def cache_clear() -> None:
    """Remove every cached kustomize output, hub record and file record."""
    from hubguard.render import build_cache, hub_records
    from hubguard.rules import file_records

    directory = build_cache.default_directory()
    removed = build_cache.clear(directory)
    records = hub_records.clear(hub_records.default_directory())
    file_records.clear(file_records.default_directory())
    click.echo(f"hubguard: removed {removed} cached build(s) from {directory} and {records} hub record(s) "
               f"from {hub_records.default_directory()}, and the file records", err=True)


def _end_tools() -> None:
    from hubguard.render.tools import end_tools

    end_tools()


class Terminated(BaseException):
    """SIGTERM: unwinds like Ctrl-C (temporary folders removed by their context managers)."""


def _on_sigterm(signum, frame) -> None:
    _end_tools()  # kustomize builds under way end now, so the renders waiting on them return
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """Entry point: one error boundary for every command."""
    import signal
    import threading

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    try:
        cli.main(args=args, prog_name="hubguard", standalone_mode=False)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except click.exceptions.Abort:
        click.echo("hubguard: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except KeyboardInterrupt:
        _end_tools()
        click.echo("hubguard: interrupted", err=True)
        return 130
    except Terminated:
        click.echo("hubguard: terminated", err=True)
        return 143
    except HubguardError as exc:
        click.echo(f"hubguard: {exc}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        return 1
    except Exception as exc:  # the internal-error boundary
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(f"hubguard: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)", err=True)
        return 3
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        tools = sys.modules.get("hubguard.render.tools")
        if tools is not None:
            tools.allow_tools()
