"""File records: the file rules' findings on a file reused while nothing they depend on changed.

Each test runs the real CLI twice through one cache directory and changes what a file's findings
depend on other than its own text (another file a rule reads, the nearest `.sops.yaml`, the hubs
that receive the file): the cached run must report what a `--no-cache` run of the same tree
reports, and something different from before (so a stale record would show)."""

from __future__ import annotations

import json
from pathlib import Path

from hubguard.render import cache_files
from hubguard.rules import file_records
from testkit import finding_rows, two_hub_cache_repo, validate_with_cache

GENERATOR = """resources:
- deploy.yaml
configMapGenerator:
- name: settings
  namespace: demo
  files: [settings.properties]
secretGenerator:
- name: api
  namespace: demo
  envs: [api.env]
"""
SOPS = "creation_rules:\n  - path_regex: .*/secrets/.*\\.yaml$\n    age: age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n"
PLAIN_CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain, namespace: demo}\ndata:\n  color: green\n"


def _secret_findings(report: dict) -> list[tuple]:
    return [f for f in finding_rows(report) if f[0].startswith("secret/")]


def _change_and_compare(make_repo, tmp_path, files: dict[str, str], change: dict[str, str]) -> tuple[dict, dict]:
    root = make_repo(files)
    cache = tmp_path / "xdg"
    before = validate_with_cache(root, cache)
    assert finding_rows(validate_with_cache(root, cache)) == finding_rows(before)  # the second run reads the records
    for rel, text in change.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    after = validate_with_cache(root, cache)
    assert finding_rows(after) == finding_rows(validate_with_cache(root, tmp_path / "cold", "--no-cache"))
    return before, after


def test_a_file_another_rule_reads_is_part_of_the_record(make_repo, tmp_path):
    """secret/plaintext-secret on a kustomization reads its secretGenerator's env file: a value put
    into the env file changes the kustomization's findings, though its own text did not change."""
    files = {**two_hub_cache_repo(), "apps/base/kustomization.yaml": GENERATOR, "apps/base/api.env": "API_KEY=\n"}
    before, after = _change_and_compare(make_repo, tmp_path, files, {"apps/base/api.env": "API_KEY=s3cr3t-Value-42\n"})
    assert not [f for f in _secret_findings(before) if f[0] == "secret/plaintext-secret"]
    assert [f[2] for f in _secret_findings(after) if f[0] == "secret/plaintext-secret"] == ["apps/base/api.env"]


def test_the_nearest_sops_config_is_part_of_the_record(make_repo, tmp_path):
    files = {**two_hub_cache_repo(), "apps/base/secrets/plain.yaml": PLAIN_CONFIG}
    before, after = _change_and_compare(make_repo, tmp_path, files, {".sops.yaml": SOPS})
    assert not [f for f in _secret_findings(before) if f[0] == "secret/sops-unencrypted"]
    assert [f[2] for f in _secret_findings(after) if f[0] == "secret/sops-unencrypted"] == ["apps/base/secrets/plain.yaml"]


def test_the_hubs_receiving_a_file_are_part_of_the_record(make_repo, tmp_path):
    """A secret written in a file only hub a's overlay takes is hub a's; once hub b takes it too,
    the finding holds on every hub: the file's own text did not change."""
    files = two_hub_cache_repo()
    files["apps/extra/secret.yaml"] = "apiVersion: v1\nkind: Secret\nmetadata: {name: extra, namespace: demo}\nstringData:\n  password: hunter2-but-longer\n"
    files["apps/extra/kustomization.yaml"] = "resources:\n- secret.yaml\n"
    files["apps/a/kustomization.yaml"] = files["apps/a/kustomization.yaml"].replace("- ../base\n", "- ../base\n- ../extra\n")
    both = files["apps/b/kustomization.yaml"].replace("- ../base\n", "- ../base\n- ../extra\n")
    before, after = _change_and_compare(make_repo, tmp_path, files, {"apps/b/kustomization.yaml": both})
    hubs = lambda report: sorted({f[4] or "every hub" for f in _secret_findings(report) if f[2] == "apps/extra/secret.yaml"})
    assert hubs(before) == ["a"] and hubs(after) == ["every hub"]


def test_records_are_what_a_warm_run_reports(make_repo, tmp_path):
    """The second run takes each unchanged file's findings from the records: a finding written
    into the record (as a tampered cache would) comes back, so the records are really read."""
    root = make_repo(two_hub_cache_repo())
    cache = tmp_path / "xdg"
    validate_with_cache(root, cache)
    [path] = list((cache / "hubguard" / "files").rglob("*.files"))
    context = path.name.removesuffix(".files")
    entries = json.loads(cache_files.unframe(path.read_bytes(), file_records.FORMAT, context))
    entries["apps/base/deploy.yaml"][3].append({"rule": "secret/known-token", "severity": "error", "path": "apps/base/deploy.yaml",
                                                "line": 1, "column": 1, "hub": None, "object": None,
                                                "message": "from the record", "key": None})
    path.write_bytes(cache_files.frame(file_records.FORMAT, json.dumps(entries).encode(), context))
    assert "from the record" in [f["message"] for f in validate_with_cache(root, cache)["findings"]]
    (root / "apps/base/deploy.yaml").write_text((root / "apps/base/deploy.yaml").read_text() + "# edited\n")
    assert "from the record" not in [f["message"] for f in validate_with_cache(root, cache)["findings"]]  # changed: checked again


def test_a_corrupt_records_file_is_ignored(make_repo, tmp_path):
    root = make_repo(two_hub_cache_repo())
    cache = tmp_path / "xdg"
    first = validate_with_cache(root, cache)
    [path] = list((cache / "hubguard" / "files").rglob("*.files"))
    path.write_bytes(path.read_bytes()[:-9] + b"truncated")
    assert finding_rows(validate_with_cache(root, cache)) == finding_rows(first)
