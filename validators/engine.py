"""The validation run: discover and load files, render hubs, run rules, then apply the policy
(severity, enabled), selection, suppressions, baseline, cross-hub collapsing and sorting."""

from __future__ import annotations

import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from hubguard.errors import HubguardError
from hubguard.findings import Finding, Report, Severity, Suppressed
from hubguard.load.policy_file import load_policy
from hubguard.load.sources import SourceLoader, discover, helm_chart_dirs, skipped_summary
from hubguard.model import HubInventory, RepoContext, SourceFile
from hubguard.policy import Policy
from hubguard.render.build_cache import BuildCache, tool_identity, user_cache
from hubguard.render.cache_files import FileDigests
from hubguard.render.hub_records import CheckedHub, HubRecords, Listing, shared_context
from hubguard.render.hub_records import default_directory as hub_records_directory
from hubguard.rules.file_records import FileRecords
from hubguard.rules.file_records import default_directory as file_records_directory
from hubguard.render.gitops_sources import RepositoryIdentity
from hubguard.render.hubs import HubRender, Renderer
from hubguard.report.suppressions import (
    ANNOTATION,
    Suppression,
    annotation_suppression,
    comment_suppressions,
)
from hubguard.rules.registry import Rule, Scope, all_rules, check_rule_names, id_matches
from hubguard.rules.runner import RuleRunner, validate_rule_settings
from hubguard.rules.secret.render_needed import why_render
from hubguard.render.shard_plan import Shard
from hubguard.report.shard_file import shard_section

MISSING_REASON = "suppress/missing-reason"
NAMED_HUBS = 5  # hubs named in a note; the rest are counted


@dataclass(frozen=True)
class Prepared:
    """A repository already opened, e.g. by --changed-since to decide which hubs to check;
    validate() reuses it instead of opening it twice. The files planning read stay loaded; the
    rest load while the chosen hubs render."""

    policy: Policy
    loader: SourceLoader
    notes: list[str]
    records: HubRecords | None = None  # the hub records it planned from, already validated
    repository: RepositoryIdentity | None = None  # what names this repository, read once per run


@dataclass(frozen=True)
class Focus:
    """What a change can alter (--changed-since, --staged): the hubs whose inputs it touches and the
    changed files that exist. A focused run renders and reports those hubs, runs the file rules on
    those files (and, for the rendered objects of those hubs, on whatever file anchors them), and
    reports every finding of the rules that judge the repository as a whole, which see every hub."""

    hubs: frozenset[str]
    files: frozenset[str]

    def keeps(self, finding: Finding, whole: set[str]) -> bool:
        if finding.hub is not None:
            return finding.hub in self.hubs or finding.rule in whole
        return finding.rule in whole or finding.path in self.files


@dataclass(frozen=True)
class ValidateOptions:
    root: Path
    policy_path: Path | None = None
    hubs: tuple[str, ...] = ()  # only these hubs (CI matrices); empty = all
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    jobs: int | None = None
    progress: bool = False  # a progress line on stderr when it is a terminal
    focus: Focus | None = None  # report only what a change can alter (--changed-since, --staged)
    prepared: Prepared | None = None
    use_cache: bool = False  # kustomize outputs from the user's render cache (the CLI's default; --no-cache)
    # Called with the checked repository (files, policy) before validate() returns.
    observe: Callable[[RepoContext], None] | None = None
    # Keep every hub's rendered objects in the repository `observe` sees (the HTML report draws
    # egress maps from them); otherwise each hub is released once checked.
    keep_hubs: bool = False
    shard: Shard | None = None  # check this share of the hubs (CI matrices); `hubguard merge` combines the shards
    # The pre-commit hook (--staged): with the secret rules alone, render only when a render can put
    # a value out of the file scan's sight. Findings then name no hub: only renders tell which hubs
    # receive a file, and the hook asks pass or fail of one commit, fast.
    lean_secrets: bool = False


def select_rules(policy: Policy, select: tuple[str, ...], ignore: tuple[str, ...]) -> list[Rule]:
    """Rules that run: enabled in the policy, and chosen by --select/--ignore where the longest
    matching prefix wins (flake8's decision engine), so `--ignore ha/ --select ha/pdb` runs ha/pdb."""
    check_rule_names(select, "--select")
    check_rule_names(ignore, "--ignore")
    chosen = []
    for rule in all_rules().values():
        if policy.rules.get(rule.id, {}).get("enabled", True) is False:
            continue
        best_select = max((len(p) for p in select if id_matches(rule.id, p)), default=-1 if select else 0)
        best_ignore = max((len(p) for p in ignore if id_matches(rule.id, p)), default=-1)
        if best_select >= 0 and best_select > best_ignore:
            chosen.append(rule)
    return chosen


def rules_for_hubs(policy: Policy, rules: list[Rule]) -> tuple[list[Rule], list[str]]:
    """The rules that can run on the policy's hubs, and notes saying where the hubs came from and
    which rules did not run. Hubs guessed from `clusters/<hub>/` are fine for per-object and per-hub
    checks, but say nothing about which of them are an HA set (staging and production are not)."""
    if policy.hubs_declared:
        return rules, []
    if policy.hubs:
        notes = [f"hubs inferred from the folders under clusters/ (none declared in .hubguard.yaml): "
                 f"{', '.join(sorted(policy.hubs))}"]
    else:
        notes = ["no hubs: .hubguard.yaml declares none and there is no clusters/<hub>/ folder, so only the "
                 "checks of files ran (no rendered objects)"]
    skipped = sorted(rule.id for rule in rules if rule.cross_hub)
    if skipped:
        notes.append(f"not run: {', '.join(skipped)}: cross-hub rules need the hubs declared in .hubguard.yaml "
                     "(`hubguard init` writes one)")
    return [rule for rule in rules if not rule.cross_hub], notes


def rules_for_some_hubs(policy: Policy, rules: list[Rule], hubs: list[str]) -> tuple[list[Rule], list[str]]:
    """The rules that can judge a run over `hubs`, and a note naming those that cannot: a rule that
    compares every hub's render (ha/hub-parity) says nothing true about some of them, so a per-hub
    CI job (`--hub`) must not look as if it had checked it."""
    fleet = sorted(rule.id for rule in rules if rule.scope is Scope.FLEET)
    if not fleet or set(hubs) >= set(policy.hubs):
        return rules, []
    note = (f"not run: {', '.join(fleet)}: compares every hub, and --hub checks only {', '.join(hubs)}; "
            "a run over every hub (e.g. on the default branch) checks it")
    return [rule for rule in rules if rule.scope is not Scope.FLEET], [note]


def load_repository(options: ValidateOptions) -> tuple[Policy, list[SourceFile], list[str]]:
    policy, loader, notes = open_repository(options)
    files = loader.all()
    notes.extend(f.note for f in files if f.note)
    return policy, files, notes


def open_repository(options: ValidateOptions) -> tuple[Policy, SourceLoader, list[str]]:
    """The policy and the repository's files, not yet loaded: validate() starts rendering before
    loading them all, so that kustomize runs while Python parses."""
    root = options.root
    if not root.exists():
        raise HubguardError(f"{root}: no such directory")
    if not root.is_dir():
        raise HubguardError(f"{root}: not a directory")
    policy = load_policy(root, options.policy_path)
    unknown = [h for h in options.hubs if h not in policy.hubs]
    if unknown:
        raise HubguardError(f"unknown hub {unknown[0]!r}; hubs are: {', '.join(policy.hubs) or 'none'}")
    paths, notes = discover(root, policy.ignore_paths)
    return policy, SourceLoader(root, paths, helm_chart_dirs(paths)), notes


class HubRenders:
    """Hub renders started in the background (the first at once, on construction); `completed()`
    yields each hub as it is done. Twice as many hubs are in flight as kustomize builds (--jobs,
    default: cores): while some hubs wait for kustomize, others walk their graph or parse and check
    their output, so a build starts as soon as one ends. More threads only add GIL contention. A
    hub starts when one is handed over, so rendered hubs never pile up waiting for their checks:
    memory stays flat in the number of hubs."""

    def __init__(self, root: Path, policy: Policy, files: Mapping[str, SourceFile] | SourceLoader, names: list[str],
                 jobs: int | None, progress: bool = False, cache: BuildCache | None = None,
                 repository: RepositoryIdentity | None = None):
        from hubguard.render.progress import HubProgress

        self.names = names
        self._bar = HubProgress(names) if progress else None
        builds = max(1, jobs or os.cpu_count() or 2)
        self._builds = builds
        repository = repository if repository is not None else repository_of(root, policy)
        self._renderer = Renderer(root, files, builds, cache, repository)
        window = max(1, min(len(names) or 1, 2 * builds))
        self._pool = ThreadPoolExecutor(max_workers=window)
        self._policy = policy
        self._waiting = iter(names)
        self._futures: dict[Future, str] = {}
        for _ in range(window):
            self._start_next()

    def _start_next(self) -> None:
        name = next(self._waiting, None)
        if name is not None:
            self._futures[self._pool.submit(self._renderer.render_hub, self._policy.hubs[name])] = name

    def wait_for_builds(self) -> None:
        """Until every build slot is busy (or no hub is left to start one). Python work meanwhile
        would compete for the GIL with the walks that lead to the first builds."""
        wanted = min(self._builds, len(self.names))
        renderer = self._renderer
        # Polled rather than a Condition wait: Ctrl-C and SIGTERM raise in this thread, and an
        # exception raised while a Condition takes its lock back leaves it released, so the run
        # ended with "release unlocked lock" instead of its clean interrupt (exit 130/143).
        while renderer.builds_started < wanted and not all(f.done() for f in list(self._futures)):
            time.sleep(0.01)

    def completed(self) -> Iterator[tuple[str, HubRender]]:
        try:
            while self._futures:
                done, _ = wait(self._futures, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=self._futures.__getitem__):
                    name = self._futures.pop(future)  # the engine releases each hub once it is checked
                    result = future.result()
                    self._start_next()
                    if self._bar is not None:
                        self._bar.hub_done(name)
                    yield name, result
        finally:
            self.close()

    def close(self) -> None:
        """Stop: hubs not started are dropped; builds under way finish (they are bounded)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._renderer.build_cache is not None:
            self._renderer.build_cache.trim()
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def render_hubs(root: Path, policy: Policy, files: list[SourceFile], names: list[str], jobs: int | None,
                progress: bool = False, on_done: Callable[[str, HubRender], None] | None = None,
                cache: BuildCache | None = None, repository: RepositoryIdentity | None = None) -> dict[str, HubRender]:
    """Every hub in `names` rendered, in parallel; `on_done(name, render)` is called in this thread
    as each hub completes, so that its checks run while the other hubs are still rendering. With
    `on_done`, hubs are handed over and not kept (the answer is empty): memory stays flat."""
    results: dict[str, HubRender] = {}
    for name, result in HubRenders(root, policy, {f.path: f for f in files}, names, jobs, progress, cache,
                                   repository).completed():
        if on_done is not None:
            on_done(name, result)
        else:
            results[name] = result
    return {name: results[name] for name in names if name in results}


def validate(options: ValidateOptions) -> Report:
    """One run in its three steps: plan (which hubs, from records or renders), check (each hub as
    it completes, then files, the repository and the fleet), report (policy, suppressions,
    collapsing over hubs)."""
    plan = plan_run(options)
    checked = check_run(options, plan)
    return report_run(options, plan, checked)


@dataclass
class RunPlan:
    """What a run checks and where each hub's results come from, decided before anything renders."""

    policy: Policy
    loader: SourceLoader
    notes: list[str]  # for the report; the run adds to them
    skipped: list[str]  # the notes of files not checked: one note sums them up
    rules: list[Rule]
    in_run: list[str]  # every hub of the run: cross-hub findings are collapsed over them
    names: list[str]  # the hubs reported (a shard's, a focused run's)
    context: list[str]  # hubs checked only for the fleet rules, which compare every hub
    secrets_only: bool  # the secret rules alone, for the pre-commit hook: renders only if needed
    repository: RepositoryIdentity | None
    records: HubRecords | None  # the hub records read and written (None: every hub renders)
    file_records: FileRecords | None
    recorded: dict[str, CheckedHub]  # hubs whose record answers for them
    to_render: list[str]
    cache: BuildCache | None


def plan_run(options: ValidateOptions) -> RunPlan:
    prepared = options.prepared
    if prepared is not None:
        policy, loader, notes = prepared.policy, prepared.loader, list(prepared.notes)
    else:
        policy, loader, notes = open_repository(options)
    skipped = list(notes)
    in_run = list(options.hubs) or sorted(policy.hubs)
    rules = select_rules(policy, options.select, options.ignore)
    rules, hub_notes = rules_for_hubs(policy, rules)
    rules, partial_notes = rules_for_some_hubs(policy, rules, in_run)
    notes[:0] = hub_notes + partial_notes
    validate_rule_settings(RepoContext(root=options.root, policy=policy), rules)  # a bad setting fails before any render
    names = in_run
    if options.shard is not None:
        names = options.shard.hubs(names, policy, loader)
    if any(rule.id == "schema/invalid" for rule in rules):
        from hubguard.rules.schema.kubernetes_schemas import version_note

        notes.extend(n for n in (version_note(name, policy.hubs[name].kubernetes_version) for name in names) if n)
    focus = options.focus
    context: list[str] = []
    if focus is not None:
        names = [name for name in names if name in focus.hubs]
        fleet = sorted(rule.id for rule in rules if rule.scope is Scope.FLEET)
        if names and fleet:
            context = [name for name in in_run if name not in focus.hubs]
        elif fleet and len(in_run) > 1:
            notes.append(f"not run: {', '.join(fleet)}: the change alters no hub's render, so what the hubs deploy "
                         "compares as it did before the change")
    # Whether the secret rules alone need renders is known once the files are loaded.
    secrets_only = options.lean_secrets and bool(rules) and all(rule.family == "secret" for rule in rules)
    # What names this repository (git remotes, the policy): renders follow it, records depend on it.
    repository = prepared.repository if prepared is not None and prepared.repository is not None else \
        repository_of(options.root, policy) if options.use_cache or names or context else None
    shared: HubRecords | None = None  # what the cached results of this run depend on, and the hub records
    if options.use_cache:
        shared = prepared.records if prepared is not None and prepared.records is not None else \
            _hub_records(options, policy, rules, in_run, loader.paths, repository)
    # The HTML report draws every hub's objects: its hubs are rendered, not taken from records.
    records = shared if (names or context) and not options.keep_hubs else None
    file_records = FileRecords(file_records_directory(), shared.context) if shared is not None else None
    recorded = {name: found for name in names + context if records is not None and (found := records.load(name))}
    to_render = [name for name in names + context if name not in recorded]
    cache = user_cache(shared.digests if shared is not None else None) if options.use_cache and to_render else None
    return RunPlan(policy, loader, notes, skipped, rules, in_run, names, context, secrets_only, repository, records,
                   file_records, recorded, to_render, cache)


@dataclass
class CheckedRun:
    """What the checks found, before the policy, suppressions and collapsing are applied."""

    repo: RepoContext
    files: list[SourceFile]
    findings: list[Finding]
    annotations: SuppressionsByObject  # suppressions that objects carry, by (hub, object)
    objects: dict[str, int]  # rendered objects per hub
    hub_files: dict[str, set[str]]  # the files each hub read
    internal_errors: list[str]


def check_run(options: ValidateOptions, plan: RunPlan) -> CheckedRun:
    """Every check of the plan: each hub as its render completes (kustomize runs while the files
    load), then the files, the repository and the fleet."""
    started: HubRenders | None = None
    try:
        if plan.to_render and not plan.secrets_only:  # the renders read the few files they need first
            started = HubRenders(options.root, plan.policy, plan.loader, plan.to_render, options.jobs, options.progress,
                                 plan.cache, plan.repository)
            started.wait_for_builds()
        files = plan.loader.all()
    except BaseException:
        if started is not None:
            started.close()
        raise
    plan.skipped.extend(f.note for f in files if f.note)
    repo = RepoContext(root=options.root, policy=plan.policy, files=files, run_hubs=plan.in_run,
                       defer_receivers=options.shard is not None)
    run = CheckedRun(repo, files, [], {}, {}, {}, [])
    hubs = HubChecks(run, RuleRunner(repo, plan.rules, run.internal_errors), plan.records, options.keep_hubs, plan.notes)
    recorded, to_render = plan.recorded, plan.to_render
    if plan.secrets_only and (plan.names or plan.context) and why_render(repo, plan.rules) is None:
        recorded, to_render = {}, []
        if plan.records is not None:
            plan.records.used.clear()
        plan.notes.append("secret rules only: no hub rendered, as nothing in the repository moves a value into a "
                          "rendered object out of the file scan's sight (substitution into a secret's place, "
                          "replacements, JSON patches, ...); findings name no hub")
    for name, hub in recorded.items():
        hubs.keep(name, hub)
    if started is not None:
        for name, result in started.completed():
            hubs.check(name, result)
    elif to_render:
        render_hubs(options.root, plan.policy, files, to_render, options.jobs, options.progress, hubs.check, plan.cache,
                    plan.repository)
    if plan.records is not None:
        plan.records.trim()
        if plan.records.used:
            reused = sorted(plan.records.used)
            plan.notes.append(f"{counted(reused, 'hub')} unchanged since an earlier run, checks reused from the "
                              f"cache: {named(reused, NAMED_HUBS)} (--no-cache checks them again)")
    focus = options.focus
    checked_files = files if focus is None else \
        _focused_files(files, focus, [run.hub_files[n] for n in plan.names if n in run.hub_files])
    if options.shard is not None:
        checked_files = [f for f in checked_files if options.shard.checks_file(f.path)]
    run.findings.extend(hubs.runner.files(checked_files, plan.file_records))
    if plan.file_records is not None:
        plan.file_records.save({f.path for f in files})
    if options.shard is None or options.shard.runs_repository_rules:
        run.findings.extend(hubs.runner.repository())
    if options.shard is None:  # a sharded run leaves them to `hubguard merge`, which sees every hub
        run.findings.extend(hubs.runner.fleet())
    return run


class HubChecks:
    """Each hub checked as it completes, and what later steps need of it kept in the run (the
    cross-hub rules' summaries, its suppression annotations, counts, the files it read and
    receives from); the hub itself is released: memory stays flat in the number of hubs."""

    def __init__(self, run: CheckedRun, runner: RuleRunner, records: HubRecords | None, keep_hubs: bool,
                 notes: list[str]):
        self.run, self.runner, self._records, self._keep_hubs, self._notes = run, runner, records, keep_hubs, notes
        self._by_path = {src.path: src for src in run.files}

    def keep(self, name: str, hub: CheckedHub) -> None:
        run = self.run
        run.findings.extend(hub.findings)
        run.repo.summaries[name] = hub.summaries
        run.repo.receives(name, hub.received)
        _add_annotations(run.annotations, name, hub.annotated)
        run.objects[name] = hub.objects
        run.hub_files[name] = set(hub.files)
        self._notes.extend(note for note in hub.notes if note not in self._notes)

    def check(self, name: str, result: HubRender) -> None:
        """Every check of one hub; recorded for the next run when nothing failed."""
        hub, repo, errors = result.inventory, self.run.repo, self.run.internal_errors
        errors_before = len(errors)
        found = self.runner.hub(hub) + self.runner.rendered(hub, self._by_path)
        self.runner.summarise(hub)
        checked = CheckedHub.of(result, found, repo.summaries.get(name, {}))
        self.keep(name, checked)
        if self._records is not None and len(errors) == errors_before:
            self._records.save(name, result.inputs, checked)
        if self._keep_hubs:
            repo.hubs[name] = hub


def report_run(options: ValidateOptions, plan: RunPlan, run: CheckedRun) -> Report:
    """The findings as the policy wants them (severity), less what is suppressed, collapsed over
    the run's hubs and sorted; a shard's section for `hubguard merge`."""
    policy, rules, focus, skipped = plan.policy, plan.rules, options.focus, plan.skipped
    raw = [with_policy_severity(f, policy) for f in run.findings]
    _collect_document_annotations(run.repo, run.annotations)
    kept, silenced, extra = suppress(raw, comment_index(run.files), run.annotations, run.repo.receivers, plan.in_run)
    suppressed = suppressed_places(silenced)
    if MISSING_REASON in {r.id for r in rules}:
        kept.extend(with_policy_severity(f, policy) for f in extra)
    whole = {rule.id for rule in rules if rule.scope in (Scope.REPO, Scope.FLEET) and rule.id != MISSING_REASON}
    # Collapsed over every hub of the run, so that a shard never folds what holds on its own hubs.
    findings = sorted(collapse(kept, plan.in_run, focus, whole), key=Finding.sort_key)
    if options.observe is not None:
        options.observe(run.repo)
    report = Report(
        findings=findings,
        files=len(run.files),
        objects=sum(run.objects.get(name, 0) for name in plan.names),
        hubs=plan.names,
        suppressed=len(suppressed),
        suppressed_findings=collapse_suppressed(silenced, plan.in_run, focus, whole),
        notes=[note for note in plan.notes if note not in set(skipped)] + ([skipped_summary(skipped)] if skipped else []),
        skipped_files=skipped,
        hub_files={name: run.hub_files[name] for name in plan.names if name in run.hub_files},
        internal_errors=run.internal_errors,
    )
    if options.shard is not None:
        report.shard = shard_section(options.shard, plan.in_run, findings, run.repo, rules, suppressed,
                                     report.suppressed_findings, run.internal_errors, run.annotations)
    return report


def hub_records(options: ValidateOptions, policy: Policy, paths: list[str],
                repository: RepositoryIdentity) -> HubRecords | None:
    """The hub records a run with `options` reads and writes (None with --no-cache)."""
    rules, _ = rules_for_hubs(policy, select_rules(policy, options.select, options.ignore))
    return _hub_records(options, policy, rules, list(options.hubs) or sorted(policy.hubs), paths, repository)


def _hub_records(options: ValidateOptions, policy: Policy, rules: list[Rule], in_run: list[str],
                 paths: list[str], repository: RepositoryIdentity | None) -> HubRecords | None:
    """The user's hub records for this run (None with --no-cache): one slot per hub under
    everything the hubs share (the file records share it too)."""
    if not options.use_cache:
        return None
    from hubguard.render.tools import find_tool

    root = options.root
    digests = FileDigests(root)
    crd_prefixes = [p.strip().strip("/").removeprefix("./") for p in policy.schema.crd_paths]
    schemas = [f"{rel}:{digests(rel)}" for rel in paths
               if any(rel == p or rel.startswith(p + "/") or not p for p in crd_prefixes)]
    repository = repository if repository is not None else repository_of(root, policy)
    shared = shared_context(tool_identity(find_tool("kubectl")), repr(policy),
                            [rule.id for rule in rules] + [f"hub:{name}" for name in in_run] + schemas,
                            [*repository.urls, *repository.branches, *repository.sources])
    return HubRecords(hub_records_directory(), shared, root, Listing(paths), digests)


def repository_of(root: Path, policy: Policy) -> RepositoryIdentity:
    """What names the repository at `root`: its git remotes and branches, and the policy's
    `repository` (renders follow only sources that are this repository; records depend on it)."""
    return RepositoryIdentity.of(root, policy.repository.urls, policy.repository.sources)


def counted(items: int | set | list, noun: str) -> str:
    """`3 hubs`, `1 changed file`: for notes."""
    n = items if isinstance(items, int) else len(items)
    return f"{n} {noun}{'' if n == 1 else 's'}"


def named(items: list[str], most: int) -> str:
    """The first `most` of `items`, and how many more: for notes."""
    more = len(items) - most
    return ", ".join(items[:most]) + (f" and {more} more" if more > 0 else "")


def _focused_files(files: list[SourceFile], focus: Focus, read: list[set[str]]) -> list[SourceFile]:
    """The changed files, and the files the focused hubs read: a rendered object is checked with the
    file that anchors it, and a changed component or substitution can put a secret into an object
    whose own file did not change (what such a file holds by itself is not reported again)."""
    wanted = set(focus.files).union(*read)
    return [f for f in files if f.path in wanted]


def with_policy_severity(finding: Finding, policy: Policy) -> Finding:
    wanted = policy.rules.get(finding.rule, {}).get("severity")
    if wanted and wanted != finding.severity.value:
        return replace(finding, severity=Severity(wanted))
    return finding


def apply_suppressions(findings: list[Finding], repo: RepoContext) -> tuple[list[Finding], list[Suppressed], list[Finding]]:
    """Findings not suppressed, those suppressed (with the suppression's kind and reason), and the
    findings about suppressions lacking a reason."""
    return suppress(findings, *suppression_index(repo), repo.receivers, repo.hubs_in_run)


SuppressionsByPath = dict[str, list[Suppression]]
# (hub, object ref): the annotation that hub's rendered copy carries; (None, written_ref(path, object
# ref)): the annotation as file `path` writes the object.
SuppressionsByObject = dict[tuple[str | None, str], Suppression]


def suppression_index(repo: RepoContext) -> tuple[SuppressionsByPath, SuppressionsByObject]:
    """The repository's comment suppressions by path, and its hubs' annotations by (hub, object)."""
    by_object: SuppressionsByObject = {}
    for hub in repo.hubs.values():
        _collect_annotations(hub, by_object)
    _collect_document_annotations(repo, by_object)
    return comment_index(repo.files), by_object


def comment_index(files: list[SourceFile]) -> SuppressionsByPath:
    """The comment suppressions of `files`, by path."""
    return {src.path: comment_suppressions(src.path, src.text) for src in files
            if src.text and "hubguard" in src.text.lower()}


def suppress(findings: list[Finding], by_path: SuppressionsByPath, by_object: SuppressionsByObject,
             receivers: Mapping[str, set[str]] | None = None,
             hubs: Iterable[str] = ()) -> tuple[list[Finding], list[Suppressed], list[Finding]]:
    """Findings not suppressed, what was suppressed (each with the suppression's kind and reason),
    and the findings about suppressions lacking a reason.

    An object's annotation suppresses findings about it on the hubs whose copy carries it, as each
    hub receives it: a finding on one hub takes that hub's copy (or the annotation as the file
    writes it). A finding that holds on every hub (its file received by each of `hubs`, as
    `receivers` says) is split when only some hubs' copies carry an annotation, e.g. one hub's
    overlay adds it: suppressed there, reported on the others. A cross-hub finding is about the
    copies other hubs have (ha/hub-parity: deployed there, missing here): any copy's annotation
    answers."""
    kept: list[Finding] = []
    extra: list[Finding] = []
    silenced: list[Suppressed] = []
    reported: set[tuple] = set()
    copies: dict[str, dict[str, Suppression]] = {}  # object ref -> hub -> the annotation of its copy
    for (hub, ref), suppression in by_object.items():
        if hub is not None:
            copies.setdefault(ref, {})[hub] = suppression
    every_hub = sorted(hubs)
    cross_hub = {rule.id for rule in all_rules().values() if rule.scope is Scope.FLEET}
    for whole in findings:
        comments = [s for s in by_path.get(whole.path or "", ()) if s.scope == "file" or (whole.line in s.applies_to)]
        if whole.rule in cross_hub:
            found = copies.get(whole.object or "", {})  # the first hub's by name: the same reason in every run
            views = [(whole, by_object.get((whole.hub, whole.object or "")) or (found[min(found)] if found else None))]
        else:
            views = _as_each_hub_receives(whole, by_object, copies, receivers or {}, every_hub)
        for finding, annotation in views:
            candidates = comments + ([annotation] if annotation is not None else [])
            _suppress_one(finding, candidates, kept, silenced, extra, reported)
    return kept, silenced, extra


def _as_each_hub_receives(finding: Finding, by_object: SuppressionsByObject, copies: dict[str, dict[str, Suppression]],
                          receivers: Mapping[str, set[str]], hubs: list[str]) -> list[tuple[Finding, Suppression | None]]:
    """`finding` with the object annotation that covers it, or one per hub when the hubs' copies
    of its object disagree (see `suppress`)."""
    ref = finding.object or ""
    written = by_object.get((None, written_ref(finding.path or "", ref)))
    if finding.hub is not None:
        return [(finding, by_object.get((finding.hub, ref)) or written)]
    annotated = copies.get(ref, {})
    # A shard's file finding (received_in) waits for `hubguard merge`, which knows every hub's copy.
    receiving = receivers.get(finding.path or "", set()) if finding.received_in is None else set()
    concerned = [hub for hub in hubs if hub in receiving]
    if not annotated or not concerned:
        return [(finding, written)]
    if all(hub in annotated for hub in concerned):
        return [(finding, annotated[concerned[0]])]
    return [(replace(finding, hub=hub), annotated.get(hub) or written) for hub in concerned]


def _suppress_one(finding: Finding, candidates: list[Suppression], kept: list[Finding], silenced: list[Suppressed],
                  extra: list[Finding], reported: set[tuple]) -> None:
    """`finding` kept, or suppressed by the first of `candidates` that covers it with a reason."""
    matching = [s for s in candidates if s.covers(finding.rule)]
    if not matching:
        kept.append(finding)
        return
    honoured = [s for s in matching if not s.needs_reason_for(finding.rule)]
    if honoured:
        silenced.append(Suppressed(finding, SUPPRESSION_KIND[honoured[0].scope], honoured[0].reason))
        return
    kept.append(finding)
    for s in matching:
        if (s.path, s.line) not in reported:
            reported.add((s.path, s.line))
            extra.append(Finding(MISSING_REASON, Severity.ERROR, s.path, s.line, s.column, None, finding.object,
                                 f"suppression of {finding.rule} needs a reason; it is not honoured"))


SUPPRESSION_KIND = {"line": "comment", "file": "file", "object": "annotation"}


def suppressed_places(silenced: list[Suppressed]) -> set[tuple]:
    """What was suppressed, once per place (not once per hub that received it): the count, and
    what a shard file records for `hubguard merge`."""
    return {(f.rule, f.path, f.line, f.column, f.object, f.message) for f in (s.finding for s in silenced)}


def collapse_suppressed(silenced: list[Suppressed], *how) -> list[Suppressed]:
    """Suppressed findings listed once per place, as `collapse(findings, *how)` lists findings."""
    why = {_identity(s.finding): s for s in silenced}
    return [replace(why[_identity(f)], finding=f) for f in sorted(collapse([s.finding for s in silenced], *how), key=Finding.sort_key)]


def _identity(f: Finding) -> tuple:
    """One finding's place and what it found: its key when the rule gives one (the message may
    differ per hub), else its message."""
    return (f.rule, f.path, f.line, f.column, f.object, f.key or f.message)


def _collect_annotations(hub: HubInventory, into: dict) -> None:
    _add_annotations(into, hub.name, ((obj.ref, obj.annotations, obj.source.path, obj.source.line) for obj in hub.objects))


def _add_annotations(into: SuppressionsByObject, hub: str,
                     annotated: Iterable[tuple[str, Mapping, str, int | None]]) -> None:
    """The suppressions that objects of `hub` carry as annotations: (object ref, its annotations,
    path, line) each."""
    for ref, annotations, path, line in annotated:
        suppression = annotation_suppression(annotations, path, line)
        if suppression is not None:
            into[(hub, ref)] = suppression


def _collect_document_annotations(repo: RepoContext, into: dict) -> None:
    """Annotations as the files write them, under hub None and `written_ref(path, ref)`, for
    file-level findings in that file about objects no hub renders (or renders under another
    namespace). A patch that writes one (an overlay's) covers only its own file's findings."""
    for src in repo.files:
        if not src.text or ANNOTATION not in src.text:
            continue
        for doc in src.documents:
            meta = doc.data.get("metadata") if isinstance(doc.data, dict) else None
            annotations = meta.get("annotations") if isinstance(meta, dict) else None
            suppression = annotation_suppression(annotations, src.path, doc.line) if isinstance(annotations, dict) else None
            if suppression is not None:
                parts = (doc.data.get("kind"), meta.get("namespace"), meta.get("name"))
                into.setdefault((None, written_ref(src.path, "/".join(str(p) for p in parts if p))), suppression)


def written_ref(path: str, ref: str) -> str:
    """The key of an annotation as file `path` writes object `ref` (refs hold no NUL)."""
    return f"{path}\0{ref}"


def collapse(findings: list[Finding], hubs: list[str], focus: Focus | None = None, whole: set[str] = set()) -> list[Finding]:
    """One finding with hub null for what holds on every hub; hub-specific ones stay per hub.
    The same finding on several hubs: same rule, place and object, and the same key when the rule
    gives one — its message may then differ per hub (a `${HUB}` rendered into it), and one that
    holds on every hub says what each hub has. Exact duplicates (a file-level and a rendered
    view of the same value) are dropped. With a `focus`, only what it keeps (see `Focus`); a
    finding that holds on every hub is kept when it holds on a focused one."""
    groups: dict[tuple, list[Finding]] = {}
    for f in findings:
        groups.setdefault(_identity(f), []).append(f)
    out: list[Finding] = []
    every_hub = set(hubs)
    for group in groups.values():
        messages: dict[str | None, set[str]] = {}
        for f in group:
            messages.setdefault(f.hub, set()).add(f.message)
        if None in messages or any(len(m) > 1 for m in messages.values()):
            # the key does not tell this hub's findings apart: the message does, as it always has
            by_message: dict[str, list[Finding]] = {}
            for f in group:
                by_message.setdefault(f.message, []).append(f)
            out.extend(f for same in by_message.values() for f in _focused(same, every_hub, focus, whole))
        else:
            out.extend(_focused(group, every_hub, focus, whole))
    unique: dict[tuple, Finding] = {}
    for f in out:
        unique.setdefault((f.rule, f.path, f.line, f.column, f.hub, f.object, f.message), f)
    return list(unique.values())


def _focused(group: list[Finding], every_hub: set[str], focus: Focus | None, whole: set[str]) -> list[Finding]:
    """`_across_hubs`, keeping what a focused run reports: a finding folded over every hub when the
    group holds on a focused hub (or is otherwise kept), else the focused hubs' own."""
    merged = _across_hubs(group, every_hub)
    if focus is None:
        return merged
    if any(f.hub is None for f in merged):
        return merged if any(focus.keeps(f, whole) for f in group) else []
    return [f for f in merged if focus.keeps(f, whole)]


def _across_hubs(group: list[Finding], every_hub: set[str]) -> list[Finding]:
    """One finding with hub null when the group holds on every hub (or is not a hub's), else one
    per hub."""
    seen_hubs = {f.hub for f in group}
    if not (None in seen_hubs or (every_hub and every_hub <= seen_hubs)):
        return list({f.hub: f for f in group}.values())
    distinct = {f.message for f in group}
    if len(distinct) == 1:
        return [replace(group[0], hub=None)]
    per_hub = "; ".join(f"on {f.hub}: {f.message}" for f in sorted(group, key=lambda f: f.hub or ""))
    return [replace(group[0], hub=None, message=per_hub)]
