"""ha/spread: anti-affinity or a topology spread constraint (either one) whose selector matches the pods."""

from __future__ import annotations

import pytest
from ha_support import deployment, findings_of, line_of

ANTI_REQUIRED = """
affinity:
  podAntiAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: {key}
      labelSelector: {selector}
"""
ANTI_PREFERRED = """
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        topologyKey: {key}
        labelSelector: {selector}
"""
SPREAD = """
topologySpreadConstraints:
- maxSkew: 1
  topologyKey: {key}
  whenUnsatisfiable: ScheduleAnyway
  labelSelector: {selector}
"""
HOST, ZONE = "kubernetes.io/hostname", "topology.kubernetes.io/zone"
MINE = "{matchLabels: {app: web}}"
OTHER = "{matchLabels: {app: api}}"
EXPR = "{matchExpressions: [{key: app, operator: In, values: [web]}]}"

CASES = [
    ("required-anti-affinity-host", ANTI_REQUIRED.format(key=HOST, selector=MINE), None, False),
    ("preferred-anti-affinity-zone", ANTI_PREFERRED.format(key=ZONE, selector=MINE), None, False),
    # The subtle case: a spread constraint alone satisfies the rule, no anti-affinity demanded.
    ("spread-constraint-instead-of-anti-affinity", SPREAD.format(key=HOST, selector=MINE), None, False),
    ("spread-constraint-zone", SPREAD.format(key=ZONE, selector=MINE), None, False),
    ("match-expressions-selector", ANTI_PREFERRED.format(key=HOST, selector=EXPR), None, False),
    ("legacy-zone-key", SPREAD.format(key="failure-domain.beta.kubernetes.io/zone", selector=MINE), None, False),
    ("nothing", "", None, True),
    ("anti-affinity-selects-other-pods", ANTI_REQUIRED.format(key=HOST, selector=OTHER), None, True),
    ("spread-selects-other-pods", SPREAD.format(key=HOST, selector=OTHER), None, True),
    ("spread-without-selector", SPREAD.format(key=HOST, selector="null"), None, True),
    ("other-topology-key", SPREAD.format(key="example.com/rack", selector=MINE), None, True),
    ("custom-key-allowed", SPREAD.format(key="example.com/rack", selector=MINE),
     {"rules": {"ha/spread": {"topology_keys": ["example.com/rack"]}}}, False),
    ("zones-required-host-not-enough", SPREAD.format(key=HOST, selector=MINE),
     {"rules": {"ha/spread": {"topology_keys": [ZONE]}}}, True),
    ("pod-affinity-is-not-anti", "affinity:\n  podAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n"
     f"    - topologyKey: {HOST}\n      labelSelector: {MINE}\n", None, True),
]


@pytest.mark.parametrize(("pod_spec", "policy", "fires"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_spread(pod_spec: str, policy: dict | None, fires: bool) -> None:
    text = deployment(replicas=3, pod_spec=pod_spec)
    # The finding points at the pod spec, where the constraint belongs.
    expected = [("ha/spread", "web.yaml", line_of(text, "    spec:"))] if fires else []
    assert findings_of("ha/spread", {"web.yaml": text}, policy=policy) == expected


@pytest.mark.parametrize(("replicas", "policy", "fires"), [
    (1, None, False),
    (2, None, True),
    (2, {"rules": {"ha/spread": {"min_replicas": 3}}}, False),
])
def test_min_replicas(replicas: int, policy: dict | None, fires: bool) -> None:
    assert bool(findings_of("ha/spread", {"web.yaml": deployment(replicas=replicas)}, policy=policy)) is fires


def test_statefulsets_are_checked() -> None:
    text = deployment("mongodb", kind="StatefulSet", replicas=3, labels="{app: mongodb}")
    assert findings_of("ha/spread", {"db.yaml": text}) == [("ha/spread", "db.yaml", line_of(text, "    spec:"))]
