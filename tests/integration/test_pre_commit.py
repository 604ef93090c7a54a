"""The real `pre-commit`: the hook manifest of this repository through `try-repo` and through a
pinned `repo:` entry (pre-commit builds its own virtualenv with `pip install .` of this project),
and the `repo: local` hook that `install-hook --local` and the template write.

Installing the hook environment takes 20-30 s (measured: a virtualenv plus this project and its
dependencies from the package index). `try-repo` always installs into a throw-away store, so it is
run once (a staged secret is blocked); the pinned `repo:` entry is installed once per session into
a shared store and used for real `git commit`s, blocked and passing. Both are marked `slow`
(`-m "not slow"` leaves them out while iterating); they run by default."""

from __future__ import annotations

import os
import random
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest
from integration_helpers import (
    ENCRYPTED_SECRET,
    PATCH,
    PLAINTEXT_SECRET,
    git,
    two_hub_files,
)

PROJECT = Path(__file__).resolve().parents[2]
SECRET = "apps/base/secret.yaml"
REENCRYPTED_SECRET = ENCRYPTED_SECRET.replace("data:q83kd9Qm3k1=", "data:Zm9vYmFyYmF6=")
# A GitHub token of the real shape, built here so that no token is written in this repository.
_RNG = random.Random(18)
TOKEN = "gh" + "p_" + "".join(_RNG.choice(string.ascii_letters + string.digits) for _ in range(36))


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """This repository as `pre-commit try-repo` sees it: HEAD plus uncommitted changes to tracked
    files, committed in a snapshot clone (try-repo makes the same shadow clone itself, but under a
    new name on every call, which would reinstall the hook environment each time)."""
    snapshot = tmp_path_factory.mktemp("hook-repo") / "hubguard"
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # never refresh this repository's index
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(PROJECT), str(snapshot)], check=True, env=env)
    tracked = subprocess.run(["git", "-C", str(PROJECT), "ls-files", "-z"], check=True, capture_output=True, env=env).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        source, target = PROJECT / rel, snapshot / rel
        if source.is_file() and not source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)  # with its mode: an executable bit lost is a diff
        elif not source.exists() and target.exists():
            target.unlink()
    git(snapshot, "add", "-A")
    git(snapshot, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-q", "--allow-empty", "--no-verify", "-m", "snapshot")
    return snapshot, git(snapshot, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def run(pre_commit_home):
    """run(root, *argv) -> CompletedProcess, with this interpreter's bin folder (pre-commit,
    hubguard) first on PATH and a pre-commit cache shared by the session."""
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "PIP_CACHE_DIR": str(pre_commit_home / "pip"), "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
           "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1"}

    def call(root: Path, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(argv), cwd=root, env=env, capture_output=True, text=True, timeout=300)

    return call


def gitops_repo(make_repo, config: str) -> Path:
    files = two_hub_files()
    files["apps/base/kustomization.yaml"] = "resources:\n- deploy.yaml\n- secret.yaml\n"
    files[SECRET] = ENCRYPTED_SECRET
    files[".pre-commit-config.yaml"] = config
    return make_repo(files)


def head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


@pytest.mark.slow  # one pre-commit environment install (20-30 s); try-repo never reuses it
def test_try_repo_blocks_a_staged_secret_hidden_by_an_unstaged_fix(make_repo, run, hook_repo):
    snapshot, _ = hook_repo
    root = gitops_repo(make_repo, "repos: []\n")
    (root / SECRET).write_text(PLAINTEXT_SECRET)
    git(root, "add", SECRET)
    (root / SECRET).write_text(REENCRYPTED_SECRET)  # unstaged: pre-commit stashes it, --staged ignores it
    blocked = run(root, sys.executable, "-m", "pre_commit", "try-repo", str(snapshot), "hubguard-secrets")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "hubguard secrets" in blocked.stdout and "Failed" in blocked.stdout
    assert f"{SECRET}:7:13 error secret/plaintext-secret" in blocked.stdout
    assert "Xk9qLm2ZrT-hunter2" not in blocked.stdout  # redacted: the first 4 characters at most
    assert (root / SECRET).read_text() == REENCRYPTED_SECRET  # the unstaged edit is restored


@pytest.mark.slow  # one pre-commit environment install (20-30 s), shared by the session
def test_a_pinned_hook_blocks_a_commit_with_a_secret_and_lets_a_clean_one_pass(make_repo, run, hook_repo):
    snapshot, rev = hook_repo
    # Only the families this repository is about: it is not a complete hub repository (no PDBs, probes ...).
    config = (f"repos:\n- repo: {snapshot}\n  rev: {rev}\n  hooks:\n  - id: hubguard\n"
              "    args: [--select, secret/, --select, schema/]\n  - id: hubguard-secrets\n")
    root = gitops_repo(make_repo, config)
    assert run(root, sys.executable, "-m", "pre_commit", "install").returncode == 0
    before = head(root)

    (root / SECRET).write_text(PLAINTEXT_SECRET)
    git(root, "add", SECRET)
    blocked = run(root, "git", "commit", "-m", "add the db password")
    assert blocked.returncode != 0 and head(root) == before
    assert f"{SECRET}:7:13 error secret/plaintext-secret" in blocked.stdout + blocked.stderr
    assert "hubguard secrets" in blocked.stdout + blocked.stderr

    (root / SECRET).write_text(REENCRYPTED_SECRET)
    git(root, "add", SECRET)
    passed = run(root, "git", "commit", "-m", "seattle: 4 replicas")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert head(root) != before


def test_the_local_hook_written_by_install_hook_blocks_a_broken_file(make_repo, run):
    root = gitops_repo(make_repo, "# hooks of this repository\nrepos: []\n")
    (root / ".pre-commit-config.yaml").unlink()
    git(root, "commit", "-qam", "no config yet", "--no-verify")
    assert run(root, "hubguard", "install-hook", "--local").returncode == 0
    config = root / ".pre-commit-config.yaml"
    text = config.read_text()
    assert "entry: hubguard validate --staged" in text and "language: system" in text
    # Only the families this repository is about (see above).
    config.write_text(text + "    args: [--select, secret/, --select, schema/]\n")
    git(root, "add", ".pre-commit-config.yaml")
    git(root, "commit", "-qm", "pre-commit", "--no-verify")
    assert run(root, sys.executable, "-m", "pre_commit", "install").returncode == 0
    before = head(root)

    (root / "apps/seattle/patch.yaml").write_text("spec:\n  replicas: [4\n")
    git(root, "add", "apps/seattle/patch.yaml")
    (root / "apps/seattle/patch.yaml").write_text(PATCH.replace("3", "4"))  # an unstaged fix hides nothing
    blocked = run(root, "git", "commit", "-m", "broken")
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0 and head(root) == before
    assert "apps/seattle/patch.yaml:3:1 error schema/yaml-error" in output

    git(root, "add", "apps/seattle/patch.yaml")
    passed = run(root, "git", "commit", "-m", "seattle: 4 replicas")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert head(root) != before


@pytest.mark.slow  # the pinned hook environment of the session (installed once)
@pytest.mark.parametrize("path, text", [
    ("README.md", f"# demo\n\nThe CI bot pushes with the token `{TOKEN}`.\n"),
    ("scripts/deploy.py", f'import os\n\nGITHUB = "{TOKEN}"\n'),
], ids=["readme", "python"])
def test_the_hooks_see_a_token_in_any_text_file(make_repo, run, hook_repo, path, text):
    """Neither hook has a `files` filter: pre-commit used to skip them ("no files to check") when
    only a README or a script was staged, although the secret rules read every text file."""
    snapshot, rev = hook_repo
    root = gitops_repo(make_repo, f"repos:\n- repo: {snapshot}\n  rev: {rev}\n  hooks:\n  - id: hubguard-secrets\n"
                                  "  - id: hubguard\n    args: [--select, secret/]\n")
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    git(root, "add", path)
    result = run(root, sys.executable, "-m", "pre_commit", "run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no files to check" not in result.stdout
    assert result.stdout.count("Failed") == 2  # both hooks
    assert f"{path}:3:" in result.stdout and "secret/known-token" in result.stdout
    assert TOKEN not in result.stdout and TOKEN[:8] not in result.stdout  # at most the first 4 characters


def test_repository_rules_run_when_only_a_text_file_changed(make_repo, run):
    """A repository-wide finding (here: fewer hubs than the policy asks for) is reported by the
    hook whatever the commit changes, even a README alone."""
    root = gitops_repo(make_repo, "repos: []\n")
    (root / ".pre-commit-config.yaml").unlink()
    (root / ".hubguard.yaml").write_text((root / ".hubguard.yaml").read_text() + "min_hubs: 3\n")
    git(root, "commit", "-qam", "three hubs wanted", "--no-verify")
    assert run(root, "hubguard", "install-hook", "--local").returncode == 0
    config = root / ".pre-commit-config.yaml"
    config.write_text(config.read_text() + "    args: [--select, ha/hub-count]\n")
    git(root, "add", ".pre-commit-config.yaml")
    git(root, "commit", "-qm", "pre-commit", "--no-verify")

    (root / "README.md").write_text("# demo\n\nMore words.\n")
    git(root, "add", "README.md")
    result = run(root, sys.executable, "-m", "pre_commit", "run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no files to check" not in result.stdout and "ha/hub-count" in result.stdout


def secrets_hook(run, root: Path) -> None:
    """The local `hubguard-secrets` hook (`install-hook --local` writes its entry), committed and installed."""
    import yaml
    from hubguard.commands.install_hook import HookSource, hook_entry

    entry = hook_entry(HookSource(local=True), ("hubguard-secrets",))
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [entry]}, sort_keys=False))
    git(root, "add", ".pre-commit-config.yaml")
    git(root, "commit", "-qm", "pre-commit", "--no-verify")
    assert run(root, sys.executable, "-m", "pre_commit", "install").returncode == 0


def test_the_secrets_hook_renders_only_when_a_render_can_hide_a_secret(make_repo, run):
    """hubguard-secrets skips the renders where every value a hub receives is in a file it scans
    (a token in a script), and renders where a Flux substitution puts a harmless-looking variable
    into a Secret: the value is a leak only where it lands."""
    root = gitops_repo(make_repo, "repos: []\n")
    secrets_hook(run, root)
    (root / "scripts").mkdir()
    (root / "scripts/deploy.py").write_text(f'GITHUB = "{TOKEN}"\n')
    (root / "apps/seattle/patch.yaml").write_text(PATCH.replace("3", "4"))  # seattle's render changes
    git(root, "add", "scripts/deploy.py", "apps/seattle/patch.yaml")
    blocked = run(root, sys.executable, "-m", "pre_commit", "run", "--verbose")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "scripts/deploy.py:1:" in blocked.stdout and "secret rules only: no hub rendered" in blocked.stdout
    git(root, "rm", "-qf", "scripts/deploy.py")

    for hub in ("seattle", "munich"):
        (root / f"clusters/{hub}/apps.yaml").write_text(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n"
            f"spec:\n  interval: 10m\n  path: ./apps/{hub}\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n"
            "  postBuild:\n    substitute:\n      DB_SUFFIX: Xk9qLm2ZrTv7Wp\n")
    (root / SECRET).write_text("apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: demo}\nstringData:\n"
                               "  password: ${DB_SUFFIX}\n")
    (root / ".hubguard.yaml").write_text("hubs:\n  seattle: {roots: [clusters/seattle]}\n  munich: {roots: [clusters/munich]}\n")
    git(root, "add", "-A")
    blocked = run(root, sys.executable, "-m", "pre_commit", "run", "--verbose")
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert f"{SECRET}:5:" in blocked.stdout and "secret/plaintext-secret" in blocked.stdout
    assert "no hub rendered" not in blocked.stdout and "Xk9qLm2ZrTv7Wp" not in blocked.stdout
