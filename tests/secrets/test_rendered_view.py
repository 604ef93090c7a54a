"""Rendered objects are scanned only where they differ from the document they came from."""

from __future__ import annotations

import secret_fakes
from hubguard.rules.secret.rendered_values import changed_values
from testkit import env_deployment as deployment
from testkit import flux_kustomization

PW = "Vq" + secret_fakes.body(14)


def test_an_object_as_written_has_nothing_left_to_scan():
    doc = {"kind": "Deployment", "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "web"}]}}}}
    assert changed_values(doc, {**doc}) is None


def test_only_changed_values_remain_with_names_and_keys_kept():
    written = {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2, "env": [
        {"name": "DB_HOST", "value": "db"}, {"name": "DB_PASSWORD", "value": "${DB_PASSWORD}"}]}}
    rendered = {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3, "env": [
        {"name": "DB_HOST", "value": "db"}, {"name": "DB_PASSWORD", "value": PW}]}}
    assert changed_values(rendered, written) == {
        "kind": None, "metadata": None,
        "spec": {"replicas": 3, "env": [None, {"name": "DB_PASSWORD", "value": PW}]},
    }


def test_added_fields_and_resized_lists_are_kept_whole():
    written = {"spec": {"args": ["--a"], "x": 1}}
    rendered = {"spec": {"args": ["--a", "--password=" + PW], "x": 1, "extra": {"token": PW}}}
    assert changed_values(rendered, written) == {"spec": {"args": ["--a", "--password=" + PW], "x": None, "extra": {"token": PW}}}


def test_a_password_an_overlay_patch_adds_is_reported_at_the_patch_for_that_hub(make_repo, validate_json):
    base_deployment = deployment(env_name="DB_HOST", env_value="db")
    patch = f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: web
        env:
        - name: DB_PASSWORD
          value: {PW}
"""
    repo = make_repo({
        ".hubguard.yaml": "hubs:\n  seattle: {roots: [apps/seattle]}\n  munich: {roots: [apps/munich]}\n",
        "apps/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "apps/base/deployment.yaml": base_deployment,
        "apps/seattle/kustomization.yaml": "resources: [../base]\npatches:\n- path: password.yaml\n",
        "apps/seattle/password.yaml": patch,
        "apps/munich/kustomization.yaml": "resources: [../base]\n",
    })
    code, report = validate_json(repo, "--select", "secret/sensitive-literal")
    # Only seattle's overlay adds the patch: the finding is seattle's.
    assert [(f["path"], f["line"], f["hub"]) for f in report["findings"]] == [("apps/seattle/password.yaml", 13, "seattle")]
    assert PW not in str(report)


def test_a_password_flux_substitutes_into_a_patched_object_is_reported_where_the_variable_is(make_repo, validate_json):
    base = deployment(env_name="DB_PASSWORD", env_value="${DB_PASSWORD}", replicas=2)
    replicas = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 3\n"
    repo = make_repo({
        ".hubguard.yaml": "hubs:\n  seattle: {}\n  munich: {}\n",
        "clusters/seattle/apps.yaml": flux_kustomization("./apps/seattle", {"DB_PASSWORD": "${DB_PASSWORD_FROM_VAULT:=x}"}),
        "clusters/munich/apps.yaml": flux_kustomization("./apps/munich", {"DB_PASSWORD": PW}),
        "apps/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "apps/base/deployment.yaml": base,
        "apps/seattle/kustomization.yaml": "resources: [../base]\npatches:\n- path: replicas.yaml\n",
        "apps/seattle/replicas.yaml": replicas,
        "apps/munich/kustomization.yaml": "resources: [../base]\npatches:\n- path: replicas.yaml\n",
        "apps/munich/replicas.yaml": replicas,
    })
    code, report = validate_json(repo, "--select", "secret/sensitive-literal")
    found = sorted((f["path"], f["line"], f["hub"]) for f in report["findings"])
    # The literal in munich's Flux file itself, and what munich receives at the variable's line.
    assert found == [("apps/base/deployment.yaml", 19, "munich"), ("clusters/munich/apps.yaml", 15, "munich")]
    assert PW not in str(report)
