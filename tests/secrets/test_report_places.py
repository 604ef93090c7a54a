"""A secret finding points at the line a person must edit, for the hub it concerns (issue 17):
inline overlay patches, generator inputs, each Secret key, a Secret only one hub's overlay adds.
Real git repositories, rendered by the real kustomize."""

from __future__ import annotations

import secret_fakes
from testkit import env_deployment

PW = {name: "Lk" + secret_fakes.body(14) for name in ("patch", "env", "literal", "user", "password", "overlay")}

HUBS = ".hubguard.yaml", "hubs:\n  seattle: {roots: [apps/seattle]}\n  munich: {roots: [apps/munich]}\n"

BASE_DEPLOYMENT = env_deployment(env_name="DB_HOST", env_value="db")

INLINE_PATCH_OVERLAY = f"""\
resources: [../base]
patches:
- target: {{kind: Deployment, name: web}}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          containers:
          - name: web
            env:
            - name: DB_HOST
              value: db
            - name: DB_PASSWORD
              value: {PW["patch"]}
"""


def line_of(text: str, needle: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


def found(report: dict) -> list[tuple[str, str, int, str | None]]:
    return sorted((f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"] if f["rule"].startswith("secret/"))


def test_a_secret_an_inline_overlay_patch_adds_is_reported_in_the_patch_for_that_hub(make_repo, validate_json) -> None:
    repo = make_repo({
        HUBS[0]: HUBS[1],
        "apps/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "apps/base/deployment.yaml": BASE_DEPLOYMENT,
        "apps/seattle/kustomization.yaml": INLINE_PATCH_OVERLAY,
        "apps/munich/kustomization.yaml": "resources: [../base]\n",
    })
    _, report = validate_json(repo, "--select", "secret/")
    assert report["summary"]["objects"] == 2  # rendered: one Deployment per hub
    assert found(report) == [("secret/sensitive-literal", "apps/seattle/kustomization.yaml",
                              line_of(INLINE_PATCH_OVERLAY, PW["patch"]), "seattle")]
    assert PW["patch"] not in str(report)


def test_generator_values_are_reported_where_they_are_written(make_repo, validate_json) -> None:
    overlay = f"""\
resources: [../base]
secretGenerator:
- name: db
  literals:
  - DB_USER=ratings
  - DB_PASSWORD={PW["literal"]}
- name: api
  envs: [api.env]
"""
    env = f"# read by the api\nAPI_USER=ratings\nAPI_SECRET={PW['env']}\n"
    repo = make_repo({
        HUBS[0]: HUBS[1],
        "apps/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "apps/base/deployment.yaml": BASE_DEPLOYMENT,
        "apps/seattle/kustomization.yaml": overlay,
        "apps/seattle/api.env": env,
        "apps/munich/kustomization.yaml": "resources: [../base]\n",
    })
    _, report = validate_json(repo, "--select", "secret/plaintext-secret")
    assert found(report) == [
        ("secret/plaintext-secret", "apps/seattle/api.env", 2, "seattle"),
        ("secret/plaintext-secret", "apps/seattle/api.env", 3, "seattle"),
        ("secret/plaintext-secret", "apps/seattle/kustomization.yaml", line_of(overlay, "DB_USER="), "seattle"),
        ("secret/plaintext-secret", "apps/seattle/kustomization.yaml", line_of(overlay, PW["literal"]), "seattle"),
    ]
    assert any("literal DB_PASSWORD" in f["message"] for f in report["findings"])
    assert any("env file key API_SECRET" in f["message"] for f in report["findings"])


def test_each_key_of_a_secret_only_one_hub_adds_is_reported_at_its_line_for_that_hub(make_repo, validate_json) -> None:
    secret = f"""\
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
stringData:
  username: {PW["user"]}
  password: {PW["password"]}
  note: ""
"""
    repo = make_repo({
        HUBS[0]: HUBS[1],
        "apps/base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "apps/base/deployment.yaml": BASE_DEPLOYMENT,
        "apps/seattle/kustomization.yaml": "resources: [../base]\n",
        "apps/munich/kustomization.yaml": "resources: [../base, secret.yaml]\n",
        "apps/munich/secret.yaml": secret,
    })
    _, report = validate_json(repo, "--select", "secret/")
    assert found(report) == [("secret/plaintext-secret", "apps/munich/secret.yaml", 7, "munich"),
                             ("secret/plaintext-secret", "apps/munich/secret.yaml", 8, "munich")]
    messages = sorted(f["message"] for f in report["findings"])
    assert "stringData.password" in messages[0] and "stringData.username" in messages[1]
