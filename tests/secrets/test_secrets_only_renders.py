"""A secrets-only run of the pre-commit hook (`--staged --select secret/`) renders the hubs only
where a render can put a value out of the file scan's sight; elsewhere it finds exactly what a
rendering run finds (without naming hubs, which only renders tell)."""

from __future__ import annotations

import subprocess

import pytest
from testkit import flux_hub_repo, web_deployment

PASSWORD = "Xk9qLm2ZrTv7Wp"  # a literal password shape, under a key that is not named like one
DEPLOY = web_deployment(container='        args: [--serve]\n        env:\n        - name: HUB_NAME\n          value: "${HUB}"\n')
PATCH = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: demo}\nspec:\n  replicas: 3\n"
SETTINGS = f"""apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: demo}}
data:
  DB_PASSWORD: {PASSWORD}2
"""


def secret_findings(report: dict) -> set[tuple]:
    return {(f["rule"], f["path"], f["line"]) for f in report["findings"] if f["rule"].startswith("secret/")}


def stage_all(root) -> None:
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)


def both_runs(make_repo, validate_json, files: dict[str, str]) -> tuple[dict, dict]:
    """The hook's secrets-only run of a first commit (every file staged), and the same run made to
    render every hub (another rule selected too)."""
    root = make_repo(files, commit=False)
    stage_all(root)
    _, alone = validate_json(root, "--staged", "--select", "secret/")
    _, rendered = validate_json(root, "--staged", "--select", "secret/", "--select", "schema/render-error")
    assert rendered["summary"]["objects"] > 0
    return alone, rendered


def test_a_substitution_of_harmless_places_renders_nothing_and_finds_the_same(make_repo, validate_json):
    # A per-hub variable in an env var that is no credential, patches (one through a `target` of
    # its own kind, as the Flux examples patch HelmReleases), a ConfigMap with a password: the
    # bench corpus's shape. The file scan sees every value a render could carry.
    files = flux_hub_repo({"deploy.yaml": DEPLOY, "settings.yaml": SETTINGS},
                          overlays={"seattle": {"patch.yaml": PATCH}, "munich": {"patch.yaml": PATCH}})
    files["apps/munich/kustomization.yaml"] = files["apps/munich/kustomization.yaml"].replace(
        "- path: patch.yaml\n", "- path: patch.yaml\n  target: {kind: Deployment}\n" + ARGS_PATCH)
    alone, rendered = both_runs(make_repo, validate_json, files)
    assert not [f for f in rendered["findings"] if f["rule"].startswith("schema/")], rendered["findings"]
    assert alone["summary"]["objects"] == 0 and alone["summary"]["hubs"] == ["munich", "seattle"]
    assert any(note.startswith("secret rules only: no hub rendered") for note in alone["notes"])
    assert secret_findings(alone) == secret_findings(rendered) == {
        ("secret/sensitive-literal", "apps/base/settings.yaml", 5)}


def test_a_staged_change_renders_nothing_and_finds_what_a_rendering_run_finds(make_repo, validate_json):
    """The usual commit: HEAD exists and the hook checks what is staged (a focused run)."""
    files = flux_hub_repo({"deploy.yaml": DEPLOY, "settings.yaml": SETTINGS.replace(f"{PASSWORD}2", "from-vault")},
                          overlays={"seattle": {"patch.yaml": PATCH}, "munich": {"patch.yaml": PATCH}})
    root = make_repo(files)
    (root / "apps/base/settings.yaml").write_text(SETTINGS)
    (root / "apps/seattle/patch.yaml").write_text(PATCH.replace("replicas: 3", "replicas: 4"))
    (root / "deploy.sh").write_text(f"#!/bin/sh\nexport DB_PASSWORD={PASSWORD}3\n")
    stage_all(root)
    _, alone = validate_json(root, "--staged", "--select", "secret/")
    _, rendered = validate_json(root, "--staged", "--select", "secret/", "--select", "schema/render-error")
    assert alone["summary"]["objects"] == 0 and rendered["summary"]["objects"] > 0
    assert secret_findings(alone) == secret_findings(rendered) == {
        ("secret/sensitive-literal", "apps/base/settings.yaml", 5), ("secret/sensitive-literal", "deploy.sh", 2)}


def test_outside_the_hook_a_secrets_only_run_renders_and_names_the_hubs(make_repo, validate_json):
    """CI and `validate` without --staged: a finding names the hubs that receive its file."""
    files = flux_hub_repo({"deploy.yaml": DEPLOY}, overlays={"seattle": {"settings.yaml": SETTINGS}})
    _, report = validate_json(make_repo(files), "--select", "secret/")
    assert report["summary"]["objects"] > 0
    assert not any(note.startswith("secret rules only") for note in report["notes"])
    assert [(f["path"], f["hub"]) for f in report["findings"]] == [("apps/seattle/settings.yaml", "seattle")]


SUBSTITUTED_SECRET = """apiVersion: v1
kind: Secret
metadata: {name: db, namespace: demo}
stringData:
  password: ${DB_SUFFIX}
"""
REPLACED_SECRET = """apiVersion: v1
kind: Secret
metadata: {name: db, namespace: demo}
stringData:
  password: CHANGEME
"""
REPLACEMENTS = """replacements:
- source: {kind: ConfigMap, name: conn, fieldPath: data.value}
  targets:
  - select: {kind: Secret, name: db}
    fieldPaths: [stringData.password]
"""
CONN = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: conn, namespace: demo}}\ndata:\n  value: {PASSWORD}\n"


ARGS_PATCH = """- patch: |
    - op: add
      path: /spec/template/spec/containers/0/args/-
      value: --no-cross-namespace-refs=true
  target: {kind: Deployment, name: web}
"""  # as `flux bootstrap` repositories tweak the controllers
SECRET_JSON_PATCH = f"""patches:
- patch: |
    - op: replace
      path: /stringData/password
      value: {PASSWORD}
  target: {{kind: Secret, name: db}}
"""
CONFIGMAP_SHAPED_PATCH = f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: any}}\nstringData:\n  value: {PASSWORD}\n"


@pytest.mark.parametrize("case", ["substitution into a Secret", "replacements", "a patch targeting another kind",
                                  "a JSON patch into a Secret"])
def test_a_value_moved_out_of_sight_is_rendered_and_found(make_repo, validate_json, case):
    if case == "a JSON patch into a Secret":
        files = flux_hub_repo({"secret.yaml": REPLACED_SECRET})
        files["apps/base/kustomization.yaml"] += SECRET_JSON_PATCH
    elif case == "a patch targeting another kind":  # a ConfigMap-shaped patch lands in a Secret
        files = flux_hub_repo({"secret.yaml": REPLACED_SECRET}, overlays={"seattle": {"patch.yaml": CONFIGMAP_SHAPED_PATCH},
                                                                          "munich": {"patch.yaml": CONFIGMAP_SHAPED_PATCH}})
        for hub in ("seattle", "munich"):
            files[f"apps/{hub}/kustomization.yaml"] = files[f"apps/{hub}/kustomization.yaml"].replace(
                "- path: patch.yaml\n", "- path: patch.yaml\n  target: {kind: Secret, name: db}\n")
    elif case == "replacements":
        files = flux_hub_repo({"secret.yaml": REPLACED_SECRET, "conn.yaml": CONN})
        files["apps/base/kustomization.yaml"] += REPLACEMENTS
    else:
        files = flux_hub_repo({"secret.yaml": SUBSTITUTED_SECRET})
        for hub in ("seattle", "munich"):  # a variable whose name says nothing, its value a password
            files[f"clusters/{hub}/apps.yaml"] = files[f"clusters/{hub}/apps.yaml"].replace(
                f"      HUB: {hub}\n", f"      HUB: {hub}\n      DB_SUFFIX: {PASSWORD}\n")
    alone, rendered = both_runs(make_repo, validate_json, files)
    assert alone["summary"]["objects"] > 0
    assert not any(note.startswith("secret rules only") for note in alone["notes"])
    found = secret_findings(alone)
    line = 4 if case == "a patch targeting another kind" else 5  # a key the source lacks: at `stringData:`
    assert ("secret/plaintext-secret", "apps/base/secret.yaml", line) in found
    assert found == secret_findings(rendered)
