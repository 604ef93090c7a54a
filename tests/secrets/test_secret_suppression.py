"""The object annotation `hubguard.io/ignore` suppresses secret findings, with a reason (issue 17):
through the CLI on a real repository, for objects a hub renders and for files no hub renders."""

from __future__ import annotations

import secret_fakes
from testkit import env_deployment

PW = {name: "Lk" + secret_fakes.body(14) for name in ("user", "password", "env")}


def secret(annotations: str) -> str:
    return f"""\
apiVersion: v1
kind: Secret
metadata:
  name: demo-credentials
  namespace: shop
  annotations:
{annotations}
stringData:
  username: {PW["user"]}
  password: {PW["password"]}
"""


DEPLOYMENT = env_deployment(env_name="DB_PASSWORD", env_value=PW["env"], annotations={
    "hubguard.io/ignore": "secret/sensitive-literal", "hubguard.io/ignore-reason": "throw-away password of the demo database"})

HUBS = "hubs:\n  seattle: {roots: [apps]}\n  munich: {roots: [apps]}\n"


def test_an_annotation_with_a_reason_suppresses_secret_findings(make_repo, validate_json) -> None:
    with_reason = secret("    hubguard.io/ignore: secret/plaintext-secret\n    hubguard.io/ignore-reason: demo data, rotated nightly")
    repo = make_repo({
        ".hubguard.yaml": HUBS,
        "apps/kustomization.yaml": "resources: [secret.yaml, deployment.yaml]\n",
        "apps/secret.yaml": with_reason,
        "apps/deployment.yaml": DEPLOYMENT,
        "docs/example-secret.yaml": with_reason,  # in no hub: the file's own annotation answers
    })
    code, report = validate_json(repo, "--select", "secret/", "--select", "suppress/")
    assert [f for f in report["findings"] if f["rule"].startswith(("secret/", "suppress/"))] == []
    # Two keys in each Secret file and the Deployment's env value.
    assert report["summary"]["suppressed"] == 5
    assert code == 0


def test_an_annotation_without_a_reason_is_not_honoured_and_is_reported(make_repo, validate_json) -> None:
    without_reason = secret("    hubguard.io/ignore: secret/plaintext-secret")
    repo = make_repo({
        ".hubguard.yaml": HUBS,
        "apps/kustomization.yaml": "resources: [secret.yaml]\n",
        "apps/secret.yaml": without_reason,
    })
    code, report = validate_json(repo, "--select", "secret/", "--select", "suppress/")
    found = sorted((f["rule"], f["path"], f["line"]) for f in report["findings"])
    assert found == [("secret/plaintext-secret", "apps/secret.yaml", 9), ("secret/plaintext-secret", "apps/secret.yaml", 10),
                     ("suppress/missing-reason", "apps/secret.yaml", 1)]
    assert report["summary"]["suppressed"] == 0 and code == 1
