"""`hubguard validate --format json` on a real kustomize repository: schema findings per hub."""

from __future__ import annotations

import json

from hubguard.cli import main

POLICY = """\
hubs:
  munich: {kubernetes_version: "1.25"}
  seattle: {kubernetes_version: "1.30"}
"""

BASE_KUSTOMIZATION = "resources:\n- web.yaml\n- sync.yaml\n- widget.yaml\n"

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: proxy
        image: envoyproxy/envoy:v1.30
        restartPolicy: Always
      containers:
      - name: web
        image: nginx:1.27
"""

SYNC = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps/extra
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespac: flux-system
"""

WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\n"


def test_validate_reports_schema_findings_per_hub(make_repo, capsys):
    root = make_repo({
        ".hubguard.yaml": POLICY,
        "apps/base/kustomization.yaml": BASE_KUSTOMIZATION,
        "apps/base/web.yaml": WEB,
        "apps/base/sync.yaml": SYNC,
        "apps/base/widget.yaml": WIDGET,
        "apps/extra/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\n"
        "data: {LOG_LEVEL: info}\n",
        "clusters/munich/kustomization.yaml": "resources:\n- ../../apps/base\n",
        "clusters/seattle/kustomization.yaml": "resources:\n- ../../apps/base\n",
    })
    code = main(["validate", str(root), "--format", "json", "--select", "schema/"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    report = json.loads(out)
    assert code == 1
    assert [(f["rule"], f["severity"], f["path"], f["line"], f["hub"], f["object"]) for f in report["findings"]] == [
        ("schema/invalid", "error", "apps/base/sync.yaml", 13, None, "Kustomization/flux-system/apps"),
        ("schema/invalid", "error", "apps/base/web.yaml", 17, "munich", "Deployment/shop/web"),
        ("schema/unknown-kind", "warning", "apps/base/widget.yaml", 2, None, "Widget/shop/w"),
    ]
    messages = {f["path"]: f["message"] for f in report["findings"]}
    assert messages["apps/base/sync.yaml"] == "spec.sourceRef.namespac: unknown field 'namespac'; did you mean 'namespace'?"
    assert "example.com/v1 Widget" in messages["apps/base/widget.yaml"]
