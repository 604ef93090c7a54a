"""A planned set of file changes: printed, written only when safe, committed only when asked.

Day-2 commands (`hub add`, `hub remove`, `update`) first plan every change in memory, so a
refused or failing run writes nothing. On a dirty work tree the plan is only shown (dry run):
the user's uncommitted changes are never mixed with hubguard's. Nothing is committed without
--commit, and never a file with conflict markers.
"""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import click


@dataclass
class Changes:
    writes: dict[str, str | None] = field(default_factory=dict)  # relative path -> text; None deletes
    private: dict[str, str] = field(default_factory=dict)  # never committed (git-ignored), mode 0600
    notes: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def write(self, path: str, text: str | None) -> None:
        self.writes[path] = text


def _status(repo: Path, rel: str, text: str | None) -> str | None:
    path = repo / rel
    if text is None:
        return "deleted" if path.exists() else None
    if not path.exists():
        return "created"
    return None if path.read_text(encoding="utf-8") == text else "changed"


def summary(repo: Path, changes: Changes, diffs: bool) -> list[str]:
    lines = []
    for rel in sorted(changes.writes):
        status = _status(repo, rel, changes.writes[rel])
        if status is None:
            continue
        mark = " (conflict)" if rel in changes.conflicts else ""
        lines.append(f"  {status:8} {rel}{mark}")
        if diffs and status == "changed":
            old = (repo / rel).read_text(encoding="utf-8").splitlines(keepends=True)
            new = (changes.writes[rel] or "").splitlines(keepends=True)
            lines += [f"    {line.rstrip()}" for line in difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}", n=1)]
    for rel in sorted(changes.private):
        lines.append(f"  {'created':8} {rel} (private key, mode 0600, git-ignored: never committed)")
    return lines


def changed_paths(repo: Path, changes: Changes) -> list[str]:
    return sorted(rel for rel, text in changes.writes.items() if _status(repo, rel, text) is not None)


def dirty_reason(repo: Path) -> str | None:
    """Why the work tree is not safe to write into, or None."""
    import git

    try:
        repository = git.Repo(repo)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return "not a git repository"
    if repository.is_dirty(untracked_files=True):
        return "the work tree has uncommitted changes"
    return None


def apply(repo: Path, changes: Changes) -> None:
    for rel, text in sorted(changes.writes.items()):
        path = repo / rel
        if text is None:
            if path.exists():
                path.unlink()
                _prune_empty(repo, path.parent)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for rel, text in changes.private.items():
        path = repo / rel
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def _prune_empty(repo: Path, folder: Path) -> None:
    while folder != repo and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def commit(repo: Path, paths: list[str], message: str) -> str:
    import git

    repository = git.Repo(repo)
    repository.git.add("-A", "--", *paths)
    repository.git.commit("-q", "-m", message, "--", *paths)
    return repository.head.commit.hexsha


def finish(repo: Path, changes: Changes, *, title: str, message: str, commit_requested: bool, dry_run: bool,
           allow_dirty: bool) -> int:
    """Print the plan; write it unless this is a dry run; commit it when asked and clean.
    Exit code: 0 done (or nothing to do), 1 conflicts were left to resolve."""
    for note in changes.notes:
        click.echo(f"note: {note}")
    paths = changed_paths(repo, changes)
    if not paths and not changes.private:
        click.echo(f"{title}: nothing to change")
        return 0
    reason = dirty_reason(repo)
    if dry_run or (reason and not allow_dirty):
        why = "dry run" if dry_run else f"dry run: {reason}; commit or stash them first, or pass --allow-dirty"
        click.echo(f"{title} — {why}. Would write:")
        for line in summary(repo, changes, diffs=True):
            click.echo(line)
        return 1 if changes.conflicts else 0
    click.echo(f"{title}:")
    for line in summary(repo, changes, diffs=False):
        click.echo(line)
    apply(repo, changes)
    if changes.conflicts:
        click.echo(f"{len(changes.conflicts)} file(s) have conflicts to resolve (look for <<<<<<< markers):")
        for rel in changes.conflicts:
            click.echo(f"  {rel}")
        if commit_requested:
            click.echo("not committed: resolve the conflicts, then commit")
        return 1
    if commit_requested and reason:
        click.echo(f"not committed: {reason} (hubguard commits only into a clean work tree)")
    elif commit_requested:
        sha = commit(repo, paths, message)
        click.echo(f"committed {sha[:12]}: {message.splitlines()[0]}")
    else:
        click.echo("not committed (pass --commit to commit these files)")
    return 0


def merge3(yours: str, base: str, theirs: str, labels: tuple[str, str, str]) -> tuple[str, int]:
    """`git merge-file`: the change base -> theirs applied to yours. Returns (text, conflicts);
    conflicting hunks carry <<<<<<< ||||||| ======= >>>>>>> markers (diff3 style, base shown)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hubguard-merge-") as scratch:
        paths = []
        for name, text in (("yours", yours), ("base", base), ("theirs", theirs)):
            path = Path(scratch) / name
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        result = subprocess.run(
            ["git", "merge-file", "-p", "--diff3", "-L", labels[0], "-L", labels[1], "-L", labels[2], *paths],
            capture_output=True, text=True, timeout=60,
        )
    if result.returncode < 0 or result.returncode > 127:
        raise RuntimeError(f"git merge-file failed: {result.stderr.strip()}")
    return result.stdout, result.returncode
