"""The git index, or a commit, as a folder: what the next commit will contain (or what a commit
held), written to a temporary directory outside the repository so that kustomize renders that
state. Reads the index and the object database; never writes either."""

from __future__ import annotations

import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from hubguard.errors import HubguardError


def _repo(path: Path):
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise HubguardError(f"{path}: not inside a git repository (needed for --staged/--changed-since)") from None


@contextmanager
def staged_tree(root: Path) -> Iterator[Path]:
    """Yields the folder that corresponds to `root` in a materialised copy of the index."""
    repo = _repo(root)
    top = Path(repo.working_tree_dir).resolve()
    prefix = root.resolve().relative_to(top)
    target = Path(tempfile.mkdtemp(prefix="hubguard-staged-"))
    try:
        for (path, stage), entry in repo.index.entries.items():
            if stage not in (0, 2):  # during a merge conflict, "ours" is what would be committed
                continue
            if stat.S_ISLNK(entry.mode) or stat.S_ISDIR(entry.mode) or (entry.mode & 0o170000) == 0o160000:
                continue  # symlinks are not followed and submodules are other repositories
            rel = Path(path)
            if prefix != Path(".") and prefix not in rel.parents:
                continue
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(repo.odb.stream(entry.binsha).read())
        yield target / prefix
    finally:
        shutil.rmtree(target, ignore_errors=True)


def resolve_commit(root: Path, ref: str) -> str:
    """The full SHA of `ref` (a branch, tag, SHA or `HEAD~1`), or a one-line error."""
    import git

    repo = _repo(root)
    try:
        return repo.commit(ref).hexsha
    except (git.BadName, ValueError, git.GitCommandError):
        raise HubguardError(f"{ref}: no such commit") from None


def default_base(root: Path) -> str:
    """The merge-base of HEAD with the default branch (origin/HEAD, origin/main, origin/master,
    main, master: the first that exists), as pull-request reviews compare."""
    import git

    repo = _repo(root)
    for candidate in ("origin/HEAD", "origin/main", "origin/master", "main", "master"):
        try:
            other = repo.commit(candidate)
        except (git.BadName, ValueError, git.GitCommandError):
            continue
        bases = repo.merge_base(other, repo.head.commit)
        if bases:
            return bases[0].hexsha
    raise HubguardError("no default branch found (origin/HEAD, main, master): name the base commit")


@contextmanager
def commit_tree(root: Path, ref: str) -> Iterator[Path]:
    """Yields the folder that corresponds to `root` in a materialised copy of commit `ref`."""
    repo = _repo(root)
    top = Path(repo.working_tree_dir).resolve()
    prefix = root.resolve().relative_to(top)
    commit = repo.commit(resolve_commit(root, ref))
    target = Path(tempfile.mkdtemp(prefix="hubguard-commit-"))
    try:
        for blob in commit.tree.traverse():
            if blob.type != "blob" or stat.S_ISLNK(blob.mode):
                continue  # trees are walked into, symlinks not followed, submodules are other repositories
            rel = Path(blob.path)
            if prefix != Path(".") and prefix not in rel.parents:
                continue
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(blob.data_stream.read())
        (target / prefix).mkdir(parents=True, exist_ok=True)
        yield target / prefix
    finally:
        shutil.rmtree(target, ignore_errors=True)
