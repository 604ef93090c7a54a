"""`--staged` validates the git index, never the work tree, and never changes either."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from integration_helpers import (
    ENCRYPTED_SECRET,
    PATCH,
    PLAINTEXT_SECRET,
    git,
    git_state,
    two_hub_files,
)

SELECT = ("--select", "schema/", "--select", "secret/")
BROKEN_PATCH = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: [3\n"


def repo_with_secret(make_repo) -> Path:
    files = two_hub_files()
    files["apps/base/kustomization.yaml"] = "resources:\n- deploy.yaml\n- secret.yaml\n"
    files["apps/base/secret.yaml"] = ENCRYPTED_SECRET
    return make_repo(files)


def stage(root: Path, rel: str, staged: str, worktree: str) -> None:
    """`staged` goes into the index, `worktree` stays on disk unstaged."""
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(staged)
    git(root, "add", rel)
    (root / rel).write_text(worktree)


@pytest.fixture
def staged_run(hubguard):
    """Runs `hubguard validate --staged` and asserts the index and work tree are untouched."""

    def run(root: Path, *args: str) -> tuple[int, str, list[tuple]]:
        before = git_state(root)
        code, out, err = hubguard("validate", str(root), "--staged", "--format", "json", *SELECT, *args)
        assert git_state(root) == before
        assert "hubguard-staged-" not in out + err  # findings name repository paths, not the temp copy
        import json

        report = json.loads(out)
        return code, err, [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]]

    return run


CASES = [
    # (id, path, staged content, unstaged content, exit code, findings)
    ("staged-secret-unstaged-fix", "apps/base/secret.yaml", PLAINTEXT_SECRET, ENCRYPTED_SECRET, 1,
     [("secret/plaintext-secret", "apps/base/secret.yaml", 7, None)]),
    ("staged-fix-unstaged-secret", "apps/base/secret.yaml", ENCRYPTED_SECRET, PLAINTEXT_SECRET, 0, []),
    ("staged-broken-unstaged-fix", "apps/seattle/patch.yaml", BROKEN_PATCH, PATCH, 1,
     [("schema/render-error", "apps/seattle/kustomization.yaml", None, "seattle"),
      ("schema/yaml-error", "apps/seattle/patch.yaml", 7, None)]),
    ("staged-fix-unstaged-broken", "apps/seattle/patch.yaml", PATCH.replace("3", "4"), BROKEN_PATCH, 0, []),
]


@pytest.mark.parametrize("rel, staged, worktree, code, findings", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_index_decides_not_the_work_tree(make_repo, staged_run, rel, staged, worktree, code, findings):
    root = repo_with_secret(make_repo)
    stage(root, rel, staged, worktree)
    assert staged_run(root)[::2] == (code, findings)


def test_a_plain_run_sees_the_work_tree(make_repo, validate_json):
    """The control: without --staged the unstaged content is what counts."""
    root = repo_with_secret(make_repo)
    stage(root, "apps/base/secret.yaml", ENCRYPTED_SECRET, PLAINTEXT_SECRET)
    code, report = validate_json(root, *SELECT)
    assert code == 1 and [f["rule"] for f in report["findings"]] == ["secret/plaintext-secret"]


def test_untracked_and_unstaged_files_are_not_part_of_the_commit(make_repo, staged_run):
    root = repo_with_secret(make_repo)
    (root / "apps/base/new-secret.yaml").write_text(PLAINTEXT_SECRET)  # never added
    (root / "notes.yaml").write_text("a: [broken\n")
    git(root, "add", "notes.yaml")
    git(root, "rm", "-q", "--cached", "notes.yaml")  # staged deletion: still on disk, not committed
    assert staged_run(root)[::2] == (0, [])


def test_kustomize_renders_the_staged_state(make_repo, staged_run):
    """A kustomization staged with a patch that exists only on disk does not build from the index."""
    root = repo_with_secret(make_repo)
    stage(root, "apps/munich/kustomization.yaml",
          "resources:\n- ../base\npatches:\n- path: patch.yaml\n- path: extra.yaml\n",
          "resources:\n- ../base\npatches:\n- path: patch.yaml\n- path: extra.yaml\n")
    (root / "apps/munich/extra.yaml").write_text(PATCH)  # not staged
    code, err, findings = staged_run(root)
    assert code == 1 and findings == [("schema/render-error", "apps/munich/kustomization.yaml", 5, "munich")]
    git(root, "add", "apps/munich/extra.yaml")
    assert staged_run(root)[::2] == (0, [])


def test_a_merge_conflict_validates_ours(make_repo, staged_run):
    root = repo_with_secret(make_repo)
    git(root, "checkout", "-q", "-b", "theirs")
    (root / "apps/base/secret.yaml").write_text(PLAINTEXT_SECRET)
    git(root, "commit", "-qam", "theirs: plaintext")
    git(root, "checkout", "-q", "main")
    (root / "apps/base/secret.yaml").write_text(ENCRYPTED_SECRET.replace("data:q83kd9Qm3k1=", "data:Zm9vYmFyYmF6="))
    git(root, "commit", "-qam", "ours: re-encrypted")
    merge = subprocess.run(["git", "-C", str(root), "merge", "-q", "theirs"], capture_output=True, text=True)
    assert merge.returncode != 0 and "CONFLICT" in merge.stdout + merge.stderr  # the conflict is real
    code, err, findings = staged_run(root)
    assert (code, findings) == (0, [])


def test_a_subfolder_path_is_validated_with_repository_relative_paths(make_repo, staged_run):
    root = make_repo({**{f"gitops/{k}": v for k, v in two_hub_files().items()}, "other/broken.yaml": "x: 1\n"})
    stage(root, "gitops/notes/creds.yaml", PLAINTEXT_SECRET, "a: 1\n")
    stage(root, "other/broken.yaml", "x: [\n", "x: 1\n")  # outside the validated folder
    code, err, findings = staged_run(root / "gitops")
    assert (code, findings) == (1, [("secret/plaintext-secret", "notes/creds.yaml", 7, None)])


def test_outside_a_git_repository_is_a_usage_error(make_repo, hubguard):
    root = make_repo(two_hub_files(), git_init=False)
    code, out, err = hubguard("validate", str(root), "--staged")
    assert code == 2 and "not inside a git repository" in err
