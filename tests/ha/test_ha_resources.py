"""ha/resources: cpu and memory requests (set, implied by a limit, or defaulted by a LimitRange)."""

from __future__ import annotations

import pytest
from ha_support import deployment, findings_of, line_of


def with_resources(resources: str) -> str:
    text = deployment(replicas=2)
    if resources:
        text += "".join(f"        {line}\n" for line in resources.strip("\n").splitlines())
    return text


LIMIT_RANGE = """apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: %s}
spec:
  limits:
  - type: Container
    defaultRequest: {cpu: 100m, memory: 128Mi}
"""

CASES = [
    ("both-requests", "resources:\n  requests: {cpu: 100m, memory: 128Mi}", "", None),
    ("limits-imply-requests", "resources:\n  limits: {cpu: 500m, memory: 256Mi}", "", None),
    ("no-memory", "resources:\n  requests:\n    cpu: 100m", "", "requests:"),
    ("no-cpu-limit-memory", "resources:\n  requests: {memory: 1Gi}\n  limits: {memory: 1Gi}", "", "requests:"),
    ("resources-without-requests", "resources:\n  limits: {cpu: 1}", "", "resources:"),
    ("no-resources", "", "", "- name: web"),
    ("limit-range-defaults", "", LIMIT_RANGE % "shop", None),
    ("limit-range-other-namespace", "", LIMIT_RANGE % "other", "- name: web"),
]


@pytest.mark.parametrize(("resources", "extra", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_resources(resources: str, extra: str, needle: str | None) -> None:
    files = {"web.yaml": with_resources(resources)}
    if extra:
        files["limits.yaml"] = extra
    expected = [("ha/resources", "web.yaml", line_of(files["web.yaml"], needle))] if needle else []
    assert findings_of("ha/resources", files) == expected


def test_memory_only_policy() -> None:
    text = with_resources("resources:\n  requests: {memory: 64Mi}")
    assert findings_of("ha/resources", {"web.yaml": text}, policy={"rules": {"ha/resources": {"requests": ["memory"]}}}) == []


def test_cronjobs_are_not_checked() -> None:
    cron = ("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: report, namespace: shop}\nspec:\n  schedule: '@daily'\n"
            "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: r\n            image: r\n")
    assert findings_of("ha/resources", {"cron.yaml": cron}) == []
