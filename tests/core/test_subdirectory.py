"""`validate PATH` from any folder inside the repository: the policy and the root are found upward,
as git finds its work tree, and paths in the output stay relative to the repository root."""

from __future__ import annotations

import subprocess

from testkit import flux_kustomization

POLICY = "hubs:\n  a: {roots: [clusters/a]}\n  b: {roots: [clusters/b]}\n"
SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: demo}\nstringData:\n  password: Zq8-very-Real-pass-2024\n"


def _tree(prefix: str = "") -> dict[str, str]:
    return {
        f"{prefix}.hubguard.yaml": POLICY,
        f"{prefix}clusters/a/apps.yaml": flux_kustomization("./apps/base"),
        f"{prefix}clusters/b/apps.yaml": flux_kustomization("./apps/base"),
        f"{prefix}apps/base/kustomization.yaml": "resources:\n- secret.yaml\n",
        f"{prefix}apps/base/secret.yaml": SECRET,
    }


def _where(report: dict) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in report["findings"]]


def test_a_subdirectory_is_validated_as_its_repository(make_repo, validate_json):
    root = make_repo(_tree())
    code, from_root = validate_json(root, "--select", "secret/plaintext-secret")
    _, from_sub = validate_json(root / "apps" / "base", "--select", "secret/plaintext-secret")
    assert code == 1 and from_sub["summary"]["hubs"] == ["a", "b"]
    assert _where(from_sub) == _where(from_root) == [("secret/plaintext-secret", "apps/base/secret.yaml", 5)]


def test_the_nearest_policy_inside_the_work_tree_decides(make_repo, validate_json):
    root = make_repo({**_tree("gitops/"), "README.md": "monorepo\n"})
    _, report = validate_json(root / "gitops" / "apps", "--select", "secret/plaintext-secret")
    assert _where(report) == [("secret/plaintext-secret", "apps/base/secret.yaml", 5)]


def test_without_a_policy_the_git_work_tree_is_the_root(make_repo, validate_json):
    files = {k: v for k, v in _tree().items() if k != ".hubguard.yaml"}
    root = make_repo(files)
    _, report = validate_json(root / "clusters" / "a", "--select", "secret/plaintext-secret")
    assert report["summary"]["hubs"] == ["a", "b"]  # inferred from the root's clusters/
    assert _where(report) == [("secret/plaintext-secret", "apps/base/secret.yaml", 5)]


def test_staged_from_a_subdirectory_checks_the_repository_index(make_repo, validate_json):
    root = make_repo({k: v for k, v in _tree().items() if not k.endswith("secret.yaml")})
    (root / "apps" / "base" / "secret.yaml").write_text(SECRET)
    subprocess.run(["git", "-C", str(root), "add", "apps/base/secret.yaml"], check=True)
    _, report = validate_json(root / "clusters", "--staged", "--select", "secret/plaintext-secret")
    assert _where(report) == [("secret/plaintext-secret", "apps/base/secret.yaml", 5)]


def test_render_from_a_subdirectory_uses_the_root_policy(make_repo, hubguard):
    root = make_repo(_tree())
    code, out, err = hubguard("render", str(root / "apps"), "--hub", "b")
    assert code == 0, err
    assert "# from apps/base/secret.yaml:1" in out
