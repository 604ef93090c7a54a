"""Shared fixtures: real git repositories in temp dirs, with a pinned git identity and config."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hubguard.cli import main

GIT_ENV = {
    "GIT_AUTHOR_NAME": "hubguard tests",
    "GIT_AUTHOR_EMAIL": "tests@hubguard.invalid",
    "GIT_COMMITTER_NAME": "hubguard tests",
    "GIT_COMMITTER_EMAIL": "tests@hubguard.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def _pinned_git(monkeypatch, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)  # the render cache lives under this test's HOME


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def init_repo(root: Path, files: dict[str, str | bytes], *, commit: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_tree(root, files)
    git(root, "init", "-q")
    if commit:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial", "--no-verify")
    return root


@pytest.fixture
def make_repo(tmp_path):
    """make_repo(files, commit=True) -> Path of a fresh git repository holding `files`."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes], *, commit: bool = True, git_init: bool = True) -> Path:
        root = tmp_path / f"repo{next(counter)}"
        if not git_init:
            root.mkdir(parents=True)
            return write_tree(root, files)
        return init_repo(root, files, commit=commit)

    return make


@pytest.fixture
def hubguard(capsys):
    """hubguard(*args) -> (exit code, stdout, stderr), through the CLI's real error boundary."""

    def run(*args: str):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def validate_json(hubguard):
    """validate_json(path, *args) -> (exit code, parsed JSON report); never a traceback or exit 2/3."""

    def run(path, *args: str):
        code, out, err = hubguard("validate", str(path), "--format", "json", *args)
        assert "Traceback" not in err, err
        assert code in (0, 1), err
        return code, json.loads(out)

    return run


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: installs a pre-commit hook environment (20-30 s); runs by default")
