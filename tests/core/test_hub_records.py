"""Hub records: a hub's checked result reused by the next run when nothing it reads has changed.

Each test runs the real CLI (real kustomize, real git repository) through one cache directory,
changes one kind of input, and asserts three things: the findings equal those of a `--no-cache`
run of the changed tree (a stale record would show the old ones), the findings did change (so the
test can tell a stale record from a fresh one), and exactly the hubs that read the change were
checked again (the others come from their records, as the run's note says)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from testkit import COMPONENT, DEPLOY, POLICY, REPLICAS, VARS, finding_rows, two_hub_cache_repo, validate_with_cache

TOKEN = "ghp_" + "R8sQ2xYv7LmN4pK1tZ9wE3cB6hJ0aD5fG2iU"  # a GitHub token shape, made up
ONE_REPLICA = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: demo}\nspec:\n  replicas: 1\n"

SIDECAR_PATCH = """patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: demo}
    spec:
      template:
        spec:
          containers:
          - {name: sidecar, image: registry.local/sidecar:1}
"""


def _reused(report: dict) -> set[str]:
    """The hubs the run took from their records, as its note names them."""
    for note in report["notes"]:
        match = re.search(r"checks reused from the cache: (.*) \(--no-cache", note)
        if match:
            return set(match[1].split(", "))
    return set()


# change -> (files written, hubs that read the change)
CHANGES = {
    "base resource": ({"apps/base/deploy.yaml": DEPLOY.replace("replicas: 2", "replicas: 2\n  minReadySeconds: 1")
                       .replace("web:1.0.0", "web:2.0.0").replace("${REGION}", TOKEN)}, {"a", "b"}),
    "overlay patch": ({"apps/a/replicas.yaml": REPLICAS.replace("{count}", "1")}, {"a"}),
    "component": ({"apps/components/team/kustomization.yaml": COMPONENT + SIDECAR_PATCH}, {"a", "b"}),
    "file read by a generator": ({"apps/base/settings.properties": f"color=green\ntoken={TOKEN}\n"}, {"a", "b"}),
    "Flux substitution source": ({"clusters/b/vars.yaml": VARS.replace("{region}", TOKEN)}, {"b"}),
    "manifest added to a folder taken whole": ({"clusters/a/extra.yaml": ONE_REPLICA.replace("name: web", "name: extra")
                                                .replace("spec:\n", "spec:\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n    spec: {containers: [{name: x, image: registry.local/x:1}]}\n")},
                                               {"a"}),
    "policy": ({".hubguard.yaml": POLICY + "rules:\n  ha/probes: {severity: warning}\n"}, {"a", "b"}),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_checks_again_exactly_the_hubs_that_read_it(make_repo, tmp_path, change):
    root = make_repo(two_hub_cache_repo())
    cache = tmp_path / "xdg"
    first = validate_with_cache(root, cache)
    assert _reused(first) == set()
    again = validate_with_cache(root, cache)
    assert _reused(again) == {"a", "b"} and finding_rows(again) == finding_rows(first)

    written, readers = CHANGES[change]
    for rel, text in written.items():
        (root / rel).write_text(text, encoding="utf-8")
    after = validate_with_cache(root, cache)
    reference = validate_with_cache(root, tmp_path / "cold", "--no-cache")
    assert finding_rows(after) == finding_rows(reference)
    assert finding_rows(after) != finding_rows(first)
    assert _reused(after) == {"a", "b"} - readers


def test_a_rendered_secret_reaches_the_record_and_comes_back_from_it(make_repo, tmp_path):
    """The file rules' view of rendered values (a token substituted into the Deployment) is part of
    the hub's record: a run that reuses the record still reports it, on the hub it reaches."""
    files = two_hub_cache_repo()
    files["clusters/b/vars.yaml"] = VARS.replace("{region}", TOKEN)
    root = make_repo(files)
    cache = tmp_path / "xdg"
    first = validate_with_cache(root, cache)
    again = validate_with_cache(root, cache)
    assert _reused(again) == {"a", "b"}
    token = [f for f in again["findings"] if f["rule"] == "secret/known-token" and f["hub"] == "b"]
    assert token and finding_rows(again) == finding_rows(first)
    assert TOKEN not in json.dumps(again)  # redacted, from the record as from the render


def test_a_corrupt_or_foreign_record_is_ignored_and_the_hub_checked_again(make_repo, tmp_path):
    root = make_repo(two_hub_cache_repo())
    cache = tmp_path / "xdg"
    first = validate_with_cache(root, cache)
    records = sorted((cache / "hubguard" / "hubs").rglob("*.record"))
    assert len(records) == 2
    records[0].write_bytes(records[0].read_bytes()[:-7] + b"garbage")  # torn or tampered: the checksum fails
    header, _, body = records[1].read_bytes().partition(b"\n")
    records[1].write_bytes(header.replace(b'"format":1', b'"format":99') + b"\n" + body)  # another format
    again = validate_with_cache(root, cache)
    assert _reused(again) == set() and finding_rows(again) == finding_rows(first)
    assert _reused(validate_with_cache(root, cache)) == {"a", "b"}  # rewritten by the run that ignored them


def test_no_cache_and_html_reports_neither_read_nor_write_records(make_repo, tmp_path):
    root = make_repo(two_hub_cache_repo())
    cache = tmp_path / "xdg"
    validate_with_cache(root, cache, "--no-cache")
    assert not (cache / "hubguard" / "hubs").exists()
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    html = subprocess.run([sys.executable, "-m", "hubguard", "validate", str(root), "--format", "html",
                           "--output", str(tmp_path / "report.html")], capture_output=True, text=True, env=env, timeout=240)
    assert html.returncode in (0, 1), html.stderr
    assert not (cache / "hubguard" / "hubs").exists()  # the HTML report draws every hub's objects: it renders them
    subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--ignored"], check=True)
    assert subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--ignored"], capture_output=True,
                          text=True).stdout == ""  # nothing written into the repository


def test_a_hub_that_reads_a_configmap_from_anywhere_in_the_repository_is_never_recorded(make_repo, tmp_path):
    """A substituteFrom that nothing the hub receives provides is answered from every ConfigMap
    written in the repository: no input list says which file that is, so the hub is checked on
    every run, and a change to that file is seen."""
    files = two_hub_cache_repo()
    files["clusters/b/apps.yaml"] = files["clusters/b/apps.yaml"].replace("name: vars", "name: shared-vars")
    files["config/shared.yaml"] = VARS.replace("name: vars", "name: shared-vars").replace("{region}", "north")
    root = make_repo(files)
    cache = tmp_path / "xdg"
    first = validate_with_cache(root, cache)
    assert _reused(validate_with_cache(root, cache)) == {"a"}
    (root / "config/shared.yaml").write_text(VARS.replace("name: vars", "name: shared-vars").replace("{region}", TOKEN))
    after = validate_with_cache(root, cache)
    assert _reused(after) == {"a"}
    assert finding_rows(after) == finding_rows(validate_with_cache(root, tmp_path / "cold", "--no-cache")) != finding_rows(first)
    assert any(f["rule"] == "secret/known-token" and f["hub"] == "b" for f in after["findings"])
