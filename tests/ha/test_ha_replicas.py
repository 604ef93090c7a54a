"""ha/replicas: effective replicas (replicas, or the minReplicas of the HPA that scales the workload)."""

from __future__ import annotations

import pytest
from ha_support import dedent, deployment, findings_of, line_of
from hubguard.model import K8sObject
from testkit import repo_from_files, run_rule


def hpa(target: str = "web", *, min_replicas: object = 3, kind: str = "Deployment", namespace: str = "shop") -> str:
    min_line = "" if min_replicas is None else f"  minReplicas: {min_replicas}\n"
    return (f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {target}-hpa\n"
            f"  namespace: {namespace}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: {kind}\n"
            f"    name: {target}\n{min_line}  maxReplicas: 10\n")


CASES = [
    # (id, workload YAML, HPA YAML or "", policy, needle of the expected line in app.yaml or None)
    ("three-replicas", deployment(replicas=3), "", None, None),
    ("two-replicas", deployment(replicas=2), "", None, None),
    ("one-replica", deployment(replicas=1), "", None, "replicas: 1"),
    ("unset-means-one", deployment(replicas=None), "", None, "spec:"),
    ("statefulset-one", deployment(kind="StatefulSet", replicas=1), "", None, "replicas: 1"),
    ("daemonset-ignored", deployment(kind="DaemonSet", replicas=None), "", None, None),
    ("unrendered-variable-not-guessed", deployment(replicas="${REPLICAS}"), "", None, None),
    # The subtle case: replicas: 1 is fine when an HPA keeps at least 3.
    ("hpa-covers-replicas-one", deployment(replicas=1), hpa(min_replicas=3), None, None),
    ("hpa-covers-unset-replicas", deployment(replicas=None), hpa(min_replicas=2), None, None),
    # An HPA with minReplicas below 2 is ha/hpa-min's finding (same line): reported once, there.
    ("hpa-min-one-left-to-hpa-min", deployment(replicas=3), hpa(min_replicas=1), None, None),
    ("hpa-other-namespace-does-not-govern", deployment(replicas=1), hpa(min_replicas=3, namespace="other"), None, "replicas: 1"),
    ("hpa-other-kind-does-not-govern", deployment(replicas=1), hpa(min_replicas=3, kind="StatefulSet"), None, "replicas: 1"),
    ("hpa-other-name-does-not-govern", deployment(replicas=1), hpa("api", min_replicas=3), None, "replicas: 1"),
    ("min-3-two-replicas", deployment(replicas=2), "", {"rules": {"ha/replicas": {"min": 3}}}, "replicas: 2"),
    ("min-3-hpa-of-two-points-at-hpa", deployment(replicas=5), hpa(min_replicas=2), {"rules": {"ha/replicas": {"min": 3}}},
     "hpa:minReplicas: 2"),
]


@pytest.mark.parametrize(("workload", "autoscaler", "policy", "needle"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_replicas(workload: str, autoscaler: str, policy: dict | None, needle: str | None) -> None:
    files = {"app.yaml": workload}
    if autoscaler:
        files["hpa.yaml"] = autoscaler
    expected = []
    if needle is not None:
        path, text = ("hpa.yaml", needle[4:]) if needle.startswith("hpa:") else ("app.yaml", needle)
        expected = [("ha/replicas", path, line_of(files[path], text))]
    assert findings_of("ha/replicas", files, policy=policy) == expected


BASE = deployment(replicas=3)
PATCH = dedent("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: shop
    spec:
      replicas: 1
    """)


def test_patch_lowering_replicas_on_one_hub_points_at_the_patch() -> None:
    """munich's overlay patches the base's 3 replicas down to 1: a finding for munich only, at the patch."""
    repo = repo_from_files({"apps/base/web.yaml": BASE, "apps/munich/replicas.yaml": PATCH},
                           hubs={"seattle": ["apps/base/web.yaml"], "munich": ["apps/base/web.yaml"]})
    base_obj = repo.hubs["munich"].objects[0]
    patch_doc = repo.file("apps/munich/replicas.yaml").documents[0]
    rendered = {**base_obj.data, "spec": {**base_obj.data["spec"], "replicas": 1}}
    # What the renderer records for a patched object: the base document plus the patch that targets it.
    repo.hubs["munich"].objects = [K8sObject(rendered, base_obj.source, base_obj.document, (patch_doc,))]
    findings = run_rule("ha/replicas", repo)
    assert [(f.rule, f.path, f.line, f.hub) for f in findings] == [
        ("ha/replicas", "apps/munich/replicas.yaml", line_of(PATCH, "replicas: 1"), "munich"),
    ]
    assert findings[0].object == "Deployment/shop/web"
    assert "keeps only 1 pod" in findings[0].message


def test_patch_that_does_not_set_replicas_keeps_the_base_location() -> None:
    repo = repo_from_files({"apps/base/web.yaml": deployment(replicas=1), "apps/a/labels.yaml": PATCH.replace("  replicas: 1\n", "  paused: false\n")})
    base_obj = next(o for o in repo.hubs["a"].objects if o.source.path == "apps/base/web.yaml")
    repo.hubs["a"].objects = [K8sObject(base_obj.data, base_obj.source, base_obj.document, tuple(repo.file("apps/a/labels.yaml").documents))]
    assert [(f.path, f.line) for f in run_rule("ha/replicas", repo)] == [("apps/base/web.yaml", line_of(deployment(replicas=1), "replicas: 1"))]


def test_finding_names_the_object_and_hub() -> None:
    repo = repo_from_files({"app.yaml": deployment(replicas=1)}, hubs={"seattle": ["app.yaml"]})
    (finding,) = run_rule("ha/replicas", repo)
    assert (finding.hub, finding.object, finding.severity.value) == ("seattle", "Deployment/shop/web", "error")
    assert finding.column == len("  replicas: ") + 1  # the value, not the key
