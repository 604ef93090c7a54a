"""ha/pdb: a PDB selects the pods (matchLabels and matchExpressions) and lets at least one go."""

from __future__ import annotations

import pytest
from ha_support import deployment, findings_of, line_of

WEB = deployment(replicas=3, labels="{app: web, tier: front}")


def pdb(budget: str, selector: str = "matchLabels: {app: web}", *, name: str = "web", namespace: str = "shop",
        api: str = "policy/v1") -> str:
    return (f"apiVersion: {api}\nkind: PodDisruptionBudget\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
            f"spec:\n  {budget}\n  selector:\n    {selector}\n")


CASES = [
    # (id, PDB YAML or "", where the finding is: ("web.yaml"|"pdb.yaml", needle) or None)
    ("max-unavailable-1", pdb("maxUnavailable: 1"), None),
    ("min-available-2-of-3", pdb("minAvailable: 2"), None),
    ("min-available-66pct", pdb("minAvailable: 66%"), None),  # ceil(1.98) = 2 of 3
    ("match-expressions-in", pdb("maxUnavailable: 1", "matchExpressions: [{key: app, operator: In, values: [web, api]}]"), None),
    ("match-expressions-exists", pdb("maxUnavailable: 1", "matchExpressions: [{key: tier, operator: Exists}]"), None),
    ("empty-selector-v1-selects-all", pdb("maxUnavailable: 1", "{}").replace("selector:\n    {}", "selector: {}"), None),
    ("no-pdb", "", ("web.yaml", "name: web")),
    ("pdb-other-namespace", pdb("maxUnavailable: 1", namespace="other"), ("web.yaml", "name: web")),
    ("pdb-other-labels", pdb("maxUnavailable: 1", "matchLabels: {app: api}"), ("web.yaml", "name: web")),
    ("match-expressions-notin", pdb("maxUnavailable: 1", "matchExpressions: [{key: app, operator: NotIn, values: [web]}]"),
     ("web.yaml", "name: web")),
    ("empty-selector-v1beta1-selects-none",
     pdb("maxUnavailable: 1", "{}", api="policy/v1beta1").replace("selector:\n    {}", "selector: {}"), ("web.yaml", "name: web")),
    ("max-unavailable-0", pdb("maxUnavailable: 0"), ("pdb.yaml", "maxUnavailable: 0")),
    ("max-unavailable-0pct", pdb("maxUnavailable: 0%"), ("pdb.yaml", "maxUnavailable: 0%")),
    ("min-available-100pct", pdb("minAvailable: 100%"), ("pdb.yaml", "minAvailable: 100%")),
    ("min-available-equals-replicas", pdb("minAvailable: 3"), ("pdb.yaml", "minAvailable: 3")),
    ("min-available-above-replicas", pdb("minAvailable: 5"), ("pdb.yaml", "minAvailable: 5")),
    ("min-available-90pct-rounds-up", pdb("minAvailable: 90%"), ("pdb.yaml", "minAvailable: 90%")),
]


@pytest.mark.parametrize(("budget", "expected_at"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pdb(budget: str, expected_at: tuple[str, str] | None) -> None:
    files = {"web.yaml": WEB}
    if budget:
        files["pdb.yaml"] = budget
    expected = [("ha/pdb", expected_at[0], line_of(files[expected_at[0]], expected_at[1]))] if expected_at else []
    assert findings_of("ha/pdb", files) == expected


@pytest.mark.parametrize(("replicas", "policy", "fires"), [
    (1, None, False),  # one pod: ha/replicas' concern
    (2, None, True),
    (2, {"rules": {"ha/pdb": {"min_replicas": 3}}}, False),
    (3, {"rules": {"ha/pdb": {"min_replicas": 3}}}, True),
])
def test_min_replicas(replicas: int, policy: dict | None, fires: bool) -> None:
    assert bool(findings_of("ha/pdb", {"web.yaml": deployment(replicas=replicas)}, policy=policy)) is fires


def test_hpa_replicas_decide_whether_min_available_blocks() -> None:
    """minAvailable 2 blocks a Deployment with replicas: 5 whose HPA keeps only 2."""
    hpa = ("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\n"
           "spec:\n  scaleTargetRef: {kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 9\n")
    files = {"web.yaml": deployment(replicas=5), "hpa.yaml": hpa, "pdb.yaml": pdb("minAvailable: 2")}
    assert findings_of("ha/pdb", files) == [("ha/pdb", "pdb.yaml", line_of(files["pdb.yaml"], "minAvailable"))]


def test_two_pdbs_selecting_the_same_pods_block_eviction() -> None:
    files = {"web.yaml": WEB, "pdb.yaml": pdb("maxUnavailable: 1") + "---\n" + pdb("maxUnavailable: 1", name="web-2")}
    assert findings_of("ha/pdb", files) == [("ha/pdb", "pdb.yaml", line_of(files["pdb.yaml"], "selector:", nth=2))]


def test_daemonsets_are_not_checked() -> None:
    assert findings_of("ha/pdb", {"ds.yaml": deployment(kind="DaemonSet", replicas=None)}) == []
