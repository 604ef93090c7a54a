"""ha/hpa-min: an HPA never scales below 2 pods."""

from __future__ import annotations

import pytest
from ha_support import dedent, findings_of, line_of


def hpa(min_line: str) -> str:
    return dedent(f"""
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata:
          name: web
          namespace: shop
        spec:
          scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}
        {min_line}
          maxReplicas: 10
        """)


@pytest.mark.parametrize(
    ("min_line", "policy", "needle"),
    [
        ("  minReplicas: 2", None, None),
        ("  minReplicas: 5", None, None),
        ("  minReplicas: 1", None, "minReplicas: 1"),
        ("  minReplicas: '1'", None, "minReplicas: '1'"),
        ("", None, "spec:"),  # unset means 1: point at the spec that lacks it
        ("  minReplicas: 2", {"rules": {"ha/hpa-min": {"min": 3}}}, "minReplicas: 2"),
        ("  minReplicas: ${HPA_MIN}", None, None),  # not rendered: not guessed
    ],
    ids=["two", "five", "one", "quoted-one", "unset", "min-3", "unrendered"],
)
def test_hpa_min(min_line: str, policy: dict | None, needle: str | None) -> None:
    text = hpa(min_line)
    expected = [("ha/hpa-min", "hpa.yaml", line_of(text, needle))] if needle else []
    assert findings_of("ha/hpa-min", {"hpa.yaml": text}, policy=policy) == expected


def test_autoscaling_v1_is_checked_too() -> None:
    text = hpa("  minReplicas: 1").replace("autoscaling/v2", "autoscaling/v1")
    assert findings_of("ha/hpa-min", {"hpa.yaml": text}) == [("ha/hpa-min", "hpa.yaml", line_of(text, "minReplicas"))]
