"""ha/statefulset-quorum: odd member counts of at least 3."""

from __future__ import annotations

import pytest
from ha_support import deployment, findings_of, line_of


@pytest.mark.parametrize(
    ("replicas", "policy", "needle"),
    [
        (3, None, None),
        (5, None, None),
        (1, None, "replicas: 1"),
        (2, None, "replicas: 2"),
        (4, None, "replicas: 4"),  # even: no more tolerance than 3, and a split vote
        (None, None, "spec:"),  # unset means 1
        (3, {"rules": {"ha/statefulset-quorum": {"min": 5}}}, "replicas: 3"),
        (7, {"rules": {"ha/statefulset-quorum": {"min": 5}}}, None),
    ],
    ids=["three", "five", "one", "two", "even-four", "unset", "min-5-three", "min-5-seven"],
)
def test_quorum(replicas: object, policy: dict | None, needle: str | None) -> None:
    text = deployment("mongodb", kind="StatefulSet", replicas=replicas)
    expected = [("ha/statefulset-quorum", "db.yaml", line_of(text, needle))] if needle else []
    assert findings_of("ha/statefulset-quorum", {"db.yaml": text}, policy=policy) == expected


def test_deployments_are_not_quorum_stores() -> None:
    assert findings_of("ha/statefulset-quorum", {"app.yaml": deployment(replicas=2)}) == []


def test_hpa_min_replicas_is_the_count() -> None:
    sts = deployment("mongodb", kind="StatefulSet", replicas=3)
    hpa = ("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: mongodb, namespace: shop}\n"
           "spec:\n  scaleTargetRef: {kind: StatefulSet, name: mongodb}\n  minReplicas: 4\n  maxReplicas: 6\n")
    assert findings_of("ha/statefulset-quorum", {"db.yaml": sts, "hpa.yaml": hpa}) == [
        ("ha/statefulset-quorum", "hpa.yaml", line_of(hpa, "minReplicas"))]
