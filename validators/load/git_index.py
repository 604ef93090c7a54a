"""The git index as a folder: what the next commit will contain, written to a temporary directory
outside the repository so that kustomize renders the staged state. Reads the index; never writes it."""

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
