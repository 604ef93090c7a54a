"""Memory flat in the number of hubs (issue 22): each hub is rendered, checked and released, and only
what the cross-hub rules need is kept. Counted, not timed: how many rendered hubs are still alive
whenever the engine checks the next one."""

from __future__ import annotations

import gc
import weakref

from hubguard.engine import ValidateOptions, validate
from hubguard.rules.runner import RuleRunner

HUBS = [f"hub-{i}" for i in range(8)]
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: shop}}
spec:
  replicas: 3
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - {{name: web, image: "registry.local/web:{hub}"}}
"""


def test_hubs_are_released_as_they_are_checked(make_repo, monkeypatch):
    files = {".hubguard.yaml": "hubs:\n" + "".join(f"  {hub}: {{roots: [clusters/{hub}]}}\n" for hub in HUBS)}
    files.update({f"clusters/{hub}/web.yaml": DEPLOY.format(hub=hub) for hub in HUBS})
    root = make_repo(files)
    seen: list[weakref.ref] = []
    alive: list[int] = []
    check_hub = RuleRunner.hub

    def counting(runner, hub):
        gc.collect()
        alive.append(sum(1 for ref in seen if ref() is not None))
        seen.append(weakref.ref(hub))
        return check_hub(runner, hub)

    monkeypatch.setattr(RuleRunner, "hub", counting)
    report = validate(ValidateOptions(root=root, jobs=1))
    assert len(seen) == len(HUBS) and report.objects == len(HUBS) and report.hubs == HUBS
    # --jobs 1: two hubs in flight, and the one handed over just before: never all eight
    assert max(alive) <= 3, alive
    assert sum(ref() is not None for ref in seen) <= 1  # after the run, only the last hub's local, if any
