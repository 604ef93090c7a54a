"""`--changed-since REF`: which hubs' rendered output can differ from REF, and which files changed.

A hub's render is a deterministic function of the repository files it reads (`HubRender.files`:
kustomizations, resources, patches, generator inputs, manifests of plain Flux folders). If none of
the files changed since REF was read by the hub's render, neither now nor at REF, its output is the
same as at REF. The first point where two renders of a hub diverge is a file both read, or a file
that appeared or vanished in a folder one of them listed:

- added and modified files are caught by the render of the current tree (a render that now reads
  a new file read it; a modified file read by both is read now);
- a deleted file (or the old path of a rename) is not on disk any more, so the current render
  cannot have read it: when there are deletions, the hubs are rendered at REF too, from a copy of
  REF's tree outside the repository, and the files each read there count as well.

`.hubguard.yaml` (or `--policy`), `.sops.yaml` files and the policy's `schema.crd_paths` change how
every hub and file is judged, so a change to any of them checks everything. File-level rules run
on the changed files that exist now (`only_files`); hub and repository rules on the chosen hubs.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Iterator

from hubguard.engine import Prepared, ValidateOptions, load_repository, render_hubs
from hubguard.errors import HubguardError
from hubguard.policy import POLICY_FILE, Policy

SOPS_CONFIG = ".sops.yaml"
MAX_NAMED = 3  # changed files named per hub in the note; the rest are counted


@dataclass
class Changes:
    """Changed paths relative to the validated root: `present` exist in the work tree now,
    `gone` existed at REF only (deleted, or the old side of a rename)."""

    present: set[str] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)

    @property
    def all(self) -> set[str]:
        return self.present | self.gone


def options_for_changes(path: Path, ref: str, options: ValidateOptions) -> tuple[ValidateOptions | None, str]:
    """The options restricted to what can change since `ref`, and a note saying what is checked and
    why. (None, note) when nothing hubguard checks changed."""
    repo = _repo(path)
    commit = _commit(repo, ref)
    top = Path(repo.working_tree_dir).resolve()
    prefix = PurePosixPath(path.resolve().relative_to(top).as_posix())
    changes = changed_paths(repo, commit.hexsha, prefix)
    label = f"changed since {ref}"
    if not changes.all:
        return None, f"{label}: no file changed; nothing to check"

    policy, files, notes = load_repository(options)
    global_change = _global_change(changes.all, policy, options, top, path.resolve())
    if global_change:
        return (replace(options, only_files=None, prepared=Prepared(policy, files, notes, {})),
                f"{label}: {global_change} changed, so every hub and every file is checked")

    names = list(options.hubs) or sorted(policy.hubs)
    renders = render_hubs(options.root, policy, files, names, options.jobs)
    read_by = {name: set(render.files) for name, render in renders.items()}
    prepared = Prepared(policy, files, notes, renders)  # validate() reuses these: no second load or render
    if changes.gone:
        at_ref = _files_read_at(repo, commit, prefix, options, names)
        if at_ref is None:  # REF's tree does not load (a broken policy then): be safe
            return replace(options, only_files=frozenset(changes.present)), (
                f"{label}: files were deleted and the repository at {ref} cannot be rendered, so every hub is checked")
        for name, read in at_ref.items():
            read_by[name] |= read

    reasons = {name: sorted(changes.all & read) for name, read in read_by.items()}
    chosen = [name for name in names if reasons[name]]
    scanned = {f.path for f in files} & changes.present
    if not chosen and not scanned:
        return None, (f"{label}: nothing to check: {_count(changes.all, 'changed file')}, none read by a hub's render "
                      "or scanned by hubguard")
    note = f"{label}: {_describe_hubs(names, chosen, reasons, len(changes.all))}; file-level rules on {_count(scanned, 'changed file')}"
    if not chosen:
        return replace(options, skip_hubs=True, only_files=frozenset(scanned), prepared=prepared), note
    return replace(options, hubs=tuple(chosen), only_files=frozenset(scanned), prepared=prepared), note


def changed_paths(repo, commit_sha: str, prefix: PurePosixPath) -> Changes:
    """Files that differ between a commit and the work tree (`git diff --name-status -M`), plus
    untracked files that are not ignored (they are validated too), relative to `prefix`."""
    git = repo.git
    env = {"GIT_OPTIONAL_LOCKS": "0"}  # never refresh (write) the index's stat cache
    raw = git.execute(["git", "diff", "--name-status", "-z", "-M", "--no-color", "--no-ext-diff", commit_sha, "--"], env=env)
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
    untracked = git.execute(["git", "ls-files", "-z", "--others", "--exclude-standard", "--", "."], env=env)
    for rel in untracked.split("\0"):
        if rel:
            _add(changes.present, rel, PurePosixPath("."))
    return changes


def _add(into: set[str], rel: str, prefix: PurePosixPath) -> None:
    """Adds a repository-relative path, made relative to the validated root (dropped if outside)."""
    if prefix == PurePosixPath("."):
        into.add(rel)
        return
    pure = PurePosixPath(rel)
    if prefix in pure.parents:
        into.add(pure.relative_to(prefix).as_posix())


def _global_change(changed: set[str], policy: Policy, options: ValidateOptions, top: Path, root: Path) -> str | None:
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


def _files_read_at(repo, commit, prefix: PurePosixPath, options: ValidateOptions, names: list[str]) -> dict[str, set[str]] | None:
    """Files each hub's render read at `commit` (for deleted files), or None if that state does not load."""
    with commit_tree(repo, commit, prefix) as old_root:
        try:
            policy, files, _ = load_repository(replace(options, root=old_root, hubs=()))
        except HubguardError:
            return None
        present = [name for name in names if name in policy.hubs]  # a hub added since REF read nothing there
        renders = render_hubs(old_root, policy, files, present, options.jobs)
    return {name: set(render.files) for name, render in renders.items()}


@contextmanager
def commit_tree(repo, commit, prefix: PurePosixPath) -> Iterator[Path]:
    """A commit's tree (the folder `prefix` of it) written to a temporary directory outside the repository."""
    target = Path(tempfile.mkdtemp(prefix="hubguard-ref-"))
    try:
        tree = commit.tree if prefix == PurePosixPath(".") else _subtree(commit.tree, prefix)
        if tree is not None:
            for item in tree.traverse():
                if item.type != "blob" or stat.S_ISLNK(item.mode):
                    continue  # symlinks are not followed; submodules are other repositories
                rel = PurePosixPath(item.path)
                out = target / (rel.relative_to(prefix) if prefix != PurePosixPath(".") else rel)
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(item.data_stream.read())
        yield target
    finally:
        shutil.rmtree(target, ignore_errors=True)


def _subtree(tree, prefix: PurePosixPath):
    try:
        return tree / prefix.as_posix()
    except KeyError:
        return None  # the folder did not exist at that commit


def _describe_hubs(names: list[str], chosen: list[str], reasons: dict[str, list[str]], changed: int) -> str:
    if len(names) > 1 and len(chosen) == len(names):
        shared = set.intersection(*(set(reasons[name]) for name in names))
        if shared:
            return f"all hubs checked: {_named(sorted(shared))} read by every hub"
    if not chosen:
        return f"no hub checked: no hub's render reads any of the {_count(changed, 'changed file')}"
    parts = [f"{name} ({_named(reasons[name])})" for name in chosen]
    text = "checked hub(s) " + ", ".join(parts)
    skipped = [name for name in names if name not in chosen]
    if skipped:
        text += f"; not checked: {', '.join(skipped)} (no changed file in their render)"
    return text


def _named(paths: list[str]) -> str:
    shown = ", ".join(paths[:MAX_NAMED])
    more = len(paths) - MAX_NAMED
    return shown + (f" and {more} more" if more > 0 else "")


def _count(items: int | set | list, noun: str) -> str:
    n = items if isinstance(items, int) else len(items)
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _repo(path: Path):
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise HubguardError(f"{path}: not inside a git repository (needed for --changed-since)") from None


def _commit(repo, ref: str):
    import git

    try:
        return repo.commit(ref)
    except (git.BadName, git.BadObject, ValueError):
        raise HubguardError(
            f"--changed-since {ref}: unknown revision (in CI, fetch it first, e.g. actions/checkout with fetch-depth: 0)"
        ) from None
