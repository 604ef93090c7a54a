"""`--changed-since REF` and `--staged`: which hubs' renders a change can alter, planned from what each
hub's render reads (`render.inputs`), without rendering anything.

A hub's render is a deterministic function of its inputs: the files it reads (kustomizations,
resources, components, patches, generator inputs, replacement sources, manifests of plain Flux
folders), the paths it looked for and did not find, and the folders whose manifests it took whole.
Two renders of a hub, at REF and now, run alike until the first input that differs; both look at
it, so the render of the current tree looks at it too: a file added or modified is read now, a file
deleted (or the old side of a rename) is now a path looked for and not found, or a manifest gone
from a listed folder. So the current tree's inputs decide, and REF is never rendered or checked out. A hub
whose hub record (render/hub_records.py) is still valid read exactly what its record lists, so the
record answers without walking; the other hubs are walked.

`.hubguard.yaml` (or `--policy`), `.sops.yaml` files and the policy's `schema.crd_paths` change how
every hub and file is judged, so a change to any of them checks everything. Otherwise the run is
focused (`engine.Focus`): the hubs whose inputs changed, the changed files that exist, and the
rules that judge the repository as a whole over every hub.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from hubguard.engine import (
    Focus, Prepared, ValidateOptions, counted, hub_records, named, open_repository, repository_of,
)
from hubguard.errors import HubguardError
from hubguard.policy import POLICY_FILE, Policy
from hubguard.render.inputs import InputGraph

SOPS_CONFIG = ".sops.yaml"
MAX_NAMED = 3  # changed files named per hub in the note; the rest are counted
NO_LOCKS = {"GIT_OPTIONAL_LOCKS": "0"}  # never refresh (write) the index's stat cache


@dataclass
class Changes:
    """Changed paths relative to the validated root: `present` exist in the validated tree, `gone`
    existed in the base only (deleted, or the old side of a rename)."""

    present: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)

    @property
    def all(self) -> set[str]:
        return self.present | self.gone


def options_for_changes(path: Path, ref: str, options: ValidateOptions) -> tuple[ValidateOptions | None, str]:
    """The options focused on what can change since `ref`, and a note saying what is checked and
    why. (None, note) when nothing hubguard checks changed."""
    repo = _repo(path)
    commit = _commit(repo, ref)
    changes = changed_paths(repo, ["git", "diff", commit.hexsha], _prefix(repo, path), untracked=True)
    return focused(changes, options, f"changed since {ref}", path)


STAGED = "staged changes"


def staged_changes(path: Path) -> Changes | None:
    """What the commit being made changes: the index against HEAD (None before the first commit,
    when everything in the index is new). Read before the index is written out, so that a commit
    changing nothing hubguard reads costs no copy."""
    repo = _repo(path)
    try:
        head = repo.head.commit.hexsha
    except ValueError:
        return None
    return changed_paths(repo, ["git", "diff", "--cached", head], _prefix(repo, path), untracked=False)


def options_for_staged(path: Path, options: ValidateOptions, changes: Changes | None) -> tuple[ValidateOptions | None, str]:
    """The same for the index against HEAD (`options.root` is the index written out, `changes` what
    `staged_changes` found): the commit being made changes only what differs between them."""
    if changes is None:
        return options, f"{STAGED}: the first commit, so every hub and every file is checked"
    return focused(changes, options, STAGED, path)


def nothing_staged(changes: Changes | None) -> str | None:
    """The note of a commit that changes no file (then nothing is checked), else None."""
    return f"{STAGED}: no file changed; nothing to check" if changes is not None and not changes.all else None


def focused(changes: Changes, options: ValidateOptions, label: str, origin: Path) -> tuple[ValidateOptions | None, str]:
    if not changes.all:
        return None, f"{label}: no file changed; nothing to check"  # --staged answers before the copy: nothing_staged
    policy, loader, notes = open_repository(options)
    prepared = Prepared(policy, loader, notes)  # validate() reuses it: each file is loaded once
    global_change = _global_change(changes.all, policy, options, origin.resolve())
    if global_change:
        return (replace(options, prepared=prepared),
                f"{label}: {global_change} changed, so every hub and every file is checked")
    names = list(options.hubs) or sorted(policy.hubs)
    # A hub whose record's inputs are all as they were reads the same again: its record says what,
    # without walking its kustomize graph (most hubs, on a machine that ran hubguard before).
    # What names this repository, once for the records, the walk and the run: the walk follows
    # the sources the renders follow (the policy's `repository` included).
    repository = repository_of(options.root, policy)
    records = hub_records(options, policy, loader.paths, repository)
    prepared = replace(prepared, records=records, repository=repository)
    graph = InputGraph(options.root, loader, repository)  # walks only the hubs without a valid record
    reasons = {}
    for name in names:
        inputs = (records.inputs(name) if records is not None else None) or graph.inputs(policy.hubs[name])
        reasons[name] = sorted(rel for rel in changes.all if inputs.changed_by(rel))
    chosen = [name for name in names if reasons[name]]
    scanned = set(loader.paths) & changes.present
    if not chosen and not scanned:
        return None, (f"{label}: nothing to check: {counted(changes.all, 'changed file')}, none read by a hub's render "
                      "or scanned by hubguard")
    note = (f"{label}: {_describe_hubs(names, chosen, reasons, len(changes.all))}; "
            f"file-level rules on {counted(scanned, 'changed file')}")
    return replace(options, focus=Focus(frozenset(chosen), frozenset(scanned)), prepared=prepared), note


def changed_paths(repo, diff: list[str], prefix: PurePosixPath, *, untracked: bool) -> Changes:
    """Files that `diff` (`git diff REF`: against the work tree, `git diff --cached HEAD`: the index)
    names, with renames split into their two sides, plus untracked files that are not ignored when
    asked (they are validated too), relative to `prefix`."""
    git = repo.git
    raw = git.execute([*diff[:2], "--name-status", "-z", "-M", "--no-color", "--no-ext-diff", *diff[2:], "--"], env=NO_LOCKS)
    fields = raw.split("\0")
    changes = Changes()
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index][0]
        if status in "RC":
            old, new = fields[index + 1], fields[index + 2]
            index += 3
            if status == "R":
                _add(changes.gone, old, prefix)
            _add(changes.present, new, prefix)
            continue
        target = fields[index + 1]
        index += 2
        _add(changes.gone if status == "D" else changes.present, target, prefix)
    if untracked:
        listed = git.execute(["git", "ls-files", "-z", "--others", "--exclude-standard", "--", "."], env=NO_LOCKS)
        for rel in listed.split("\0"):
            if rel:
                _add(changes.present, rel, PurePosixPath("."))
    return changes


def _prefix(repo, path: Path) -> PurePosixPath:
    top = Path(repo.working_tree_dir).resolve()
    return PurePosixPath(path.resolve().relative_to(top).as_posix())


def _add(into: set[str], rel: str, prefix: PurePosixPath) -> None:
    """Adds a repository-relative path, made relative to the validated root (dropped if outside)."""
    if prefix == PurePosixPath("."):
        into.add(rel)
        return
    pure = PurePosixPath(rel)
    if prefix in pure.parents:
        into.add(pure.relative_to(prefix).as_posix())


def _global_change(changed: set[str], policy: Policy, options: ValidateOptions, root: Path) -> str | None:
    """A changed file that affects how every hub and file is judged, if any."""
    policy_file = POLICY_FILE
    if options.policy_path is not None:
        explicit = options.policy_path.resolve()
        policy_file = explicit.relative_to(root).as_posix() if root in explicit.parents else None
    for rel in sorted(changed):
        if rel == policy_file:
            return rel
        if PurePosixPath(rel).name == SOPS_CONFIG:
            return rel
        for crd_path in policy.schema.crd_paths:
            base = crd_path.strip("/")
            if rel == base or rel.startswith(base + "/"):
                return rel
    return None


def _describe_hubs(names: list[str], chosen: list[str], reasons: dict[str, list[str]], changed: int) -> str:
    if len(names) > 1 and len(chosen) == len(names):
        shared = set.intersection(*(set(reasons[name]) for name in names))
        if shared:
            return f"all hubs checked: {named(sorted(shared), MAX_NAMED)} read by every hub"
    if not chosen:
        return f"no hub checked: no hub's render reads any of the {counted(changed, 'changed file')}"
    parts = [f"{name} ({named(reasons[name], MAX_NAMED)})" for name in chosen]
    text = "checked hub(s) " + ", ".join(parts)
    skipped = [name for name in names if name not in chosen]
    if skipped:
        text += f"; not checked: {', '.join(skipped)} (no changed file in their render)"
    return text


def _repo(path: Path):
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise HubguardError(f"{path}: not inside a git repository (needed for --staged/--changed-since)") from None


def _commit(repo, ref: str):
    import git

    try:
        return repo.commit(ref)
    except (git.BadName, git.BadObject, ValueError):
        raise HubguardError(
            f"--changed-since {ref}: unknown revision (in CI, fetch it first, e.g. actions/checkout with fetch-depth: 0)"
        ) from None
