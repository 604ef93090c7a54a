"""Helpers of the day-2 tests (hub add/remove, update)."""

from __future__ import annotations

import subprocess
from pathlib import Path

GIT_ENV = {"GIT_AUTHOR_NAME": "hubguard tests", "GIT_AUTHOR_EMAIL": "tests@hubguard.invalid",
           "GIT_COMMITTER_NAME": "hubguard tests", "GIT_COMMITTER_EMAIL": "tests@hubguard.invalid",
           "GIT_CONFIG_NOSYSTEM": "1"}
OSLO = ["--location", "norwayeast", "--ingress-host", "ratings.oslo.corp.example", "--onprem-cidr", "10.30.0.0/16",
        "--backup-hub", "seattle"]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def tracked(repo: Path) -> dict[str, str]:
    """Every tracked or untracked, not ignored file of `repo` with its text."""
    names = git(repo, "ls-files", "--cached", "--others", "--exclude-standard").split("\n")
    return {n: (repo / n).read_text(encoding="utf-8") for n in sorted(set(names)) if n and (repo / n).is_file()}


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message)
