"""The git index, or a commit, as a folder: what the next commit will contain (or what a commit
held), written to a temporary directory outside the repository so that kustomize renders that
state. Reads the index and the object database; never writes either.

Both are written by two git processes whatever their size: one lists the entries (`git ls-files
--stage`, `git ls-tree -r`), one streams every blob (`git cat-file --batch`). The copy goes to
memory (`/dev/shm`) when the machine has one with room and TMPDIR does not name another place:
creating thousands of small files there costs a tenth of what it costs on disk, and a pre-commit
hook waits for it. A full memory folder falls back to the usual temporary folder. Blobs are written as
stored: no smudge filter (an LFS filter would reach the network), no end-of-line conversion, no
executable bit; symlinks are not written (not followed) and submodules are other repositories.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from hubguard.errors import HubguardError

REGULAR_FILES = {b"100644", b"100755"}  # not 120000 (symlink) nor 160000 (gitlink: a submodule)
COMMITTED = {b"0", b"2"}  # index stages: during a merge conflict, "ours" (2) is what would be committed
NO_LOCKS = {"GIT_OPTIONAL_LOCKS": "0"}  # never refresh (write) the index's stat cache
MEMORY_FOLDER = "/dev/shm"
MEMORY_ROOM = 512 * 1024 * 1024  # free bytes a memory folder must have to be used: far above any repository's text


def _repo(path: Path):
    import git

    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise HubguardError(f"{path}: not inside a git repository (needed for --staged/--changed-since)") from None


@contextmanager
def staged_tree(root: Path) -> Iterator[Path]:
    """Yields the folder that corresponds to `root` in a materialised copy of the index."""
    top, prefix = _top_and_prefix(root)
    listing = _git(top, "ls-files", "--stage", "-z")
    entries = []
    for record in listing.split(b"\0"):
        if record:  # <mode> <object> <stage>\t<path>
            meta, path = record.split(b"\t", 1)
            mode, sha, stage = meta.split(b" ")
            if mode in REGULAR_FILES and stage in COMMITTED:
                entries.append((sha, path))
    with _materialised(top, prefix, entries, "hubguard-staged-") as folder:
        yield folder


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
    commit = resolve_commit(root, ref)
    top, prefix = _top_and_prefix(root)
    listing = _git(top, "ls-tree", "-r", "--full-tree", "-z", commit)
    entries = []
    for record in listing.split(b"\0"):
        if record:  # <mode> <type> <object>\t<path>
            meta, path = record.split(b"\t", 1)
            mode, kind, sha = meta.split(b" ")
            if kind == b"blob" and mode in REGULAR_FILES:
                entries.append((sha, path))
    with _materialised(top, prefix, entries, "hubguard-commit-") as folder:
        yield folder


def _top_and_prefix(root: Path) -> tuple[Path, str]:
    """The work tree's top folder, and `root` relative to it ("" for the top itself)."""
    top = Path(_repo(root).working_tree_dir).resolve()
    prefix = root.resolve().relative_to(top).as_posix()
    return top, "" if prefix == "." else prefix


def _git(top: Path, *args: str) -> bytes:
    ran = subprocess.run(["git", "-C", str(top), *args], capture_output=True, env={**os.environ, **NO_LOCKS})
    if ran.returncode != 0:
        raise HubguardError(f"git {args[0]} failed: {ran.stderr.decode(errors='replace').strip()[:300]}")
    return ran.stdout


@contextmanager
def _materialised(top: Path, prefix: str, entries: list[tuple[bytes, bytes]], label: str) -> Iterator[Path]:
    """A temporary folder holding each (object, repository path) entry under `prefix`; yields the
    folder that corresponds to `prefix`, removed afterwards."""
    wanted: dict[bytes, list[str]] = {}
    for sha, raw in entries:
        rel = os.fsdecode(raw)
        if prefix and not rel.startswith(prefix + "/"):
            continue
        if any(part in ("", ".", "..", ".git") for part in rel.split("/")):
            continue  # git refuses such paths; a crafted index must not write outside the copy
        wanted.setdefault(sha, []).append(rel)
    target = None
    try:
        for place in (_memory_folder(), None):
            try:
                target = tempfile.mkdtemp(prefix=label, dir=place)
                _write_blobs(top, {sha: [os.path.join(target, rel) for rel in rels] for sha, rels in wanted.items()})
                break
            except OSError:
                if target is not None:
                    shutil.rmtree(target, ignore_errors=True)
                    target = None
                if place is None:
                    raise
                # the memory folder filled up (another process took the room): write it on disk
        folder = os.path.join(target, prefix) if prefix else target
        os.makedirs(folder, exist_ok=True)  # nothing staged under `prefix`: an empty folder
        yield Path(folder)
    finally:
        if target is not None:
            shutil.rmtree(target, ignore_errors=True)


def _memory_folder() -> str | None:
    """A folder in memory for the copy, when there is one with room and the user did not choose
    where temporary files go (TMPDIR)."""
    if os.environ.get("TMPDIR") or not os.path.isdir(MEMORY_FOLDER) or not os.access(MEMORY_FOLDER, os.W_OK | os.X_OK):
        return None
    try:
        stats = os.statvfs(MEMORY_FOLDER)
    except OSError:
        return None
    return MEMORY_FOLDER if stats.f_bavail * stats.f_frsize >= MEMORY_ROOM else None


def _write_blobs(top: Path, wanted: dict[bytes, list[str]]) -> None:
    """Every object of `wanted` read from one `git cat-file --batch` and written to its paths."""
    if not wanted:
        return
    process = subprocess.Popen(["git", "-C", str(top), "cat-file", "--batch"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, **NO_LOCKS})
    assert process.stdin is not None and process.stdout is not None
    requests = b"".join(sha + b"\n" for sha in wanted)

    def feed() -> None:  # from another thread: git's answers fill the pipe before all names are sent
        try:
            process.stdin.write(requests)
            process.stdin.close()
        except OSError:  # git ended early (killed, or an error reported below)
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    folders: set[str] = set()
    try:
        for sha, paths in wanted.items():
            header = process.stdout.readline().split()  # <object> blob <size>, or <object> missing
            if len(header) != 3 or header[1] != b"blob":
                raise HubguardError(f"git object {sha.decode()} cannot be read ({b' '.join(header[1:]).decode() or 'no answer'})")
            data = process.stdout.read(int(header[2]))
            process.stdout.read(1)  # the newline after each object
            for path in paths:
                folder = os.path.dirname(path)
                if folder not in folders:
                    os.makedirs(folder, exist_ok=True)
                    folders.add(folder)
                with open(path, "wb") as out:
                    out.write(data)
    finally:
        process.kill()
        process.wait()
        feeder.join()
        process.stdout.close()
