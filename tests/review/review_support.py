"""A small two-hub repository with findings on one hub, on both, and egress of every kind, shared by
the diff, egress-map and HTML report tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PASSWORD = "Zq8-very-Real-pass-2024"

POLICY = """\
hubs:
  a: {roots: [clusters/a], onprem_cidrs: [10.10.0.0/16]}
  b: {roots: [clusters/b], onprem_cidrs: [10.20.0.0/16]}
pii:
  namespaces: [shop]
rules:
  ha/traffic-routing: {enabled: false}
"""


def flux(hub: str) -> str:
    return f"""apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: apps, namespace: flux-system}}
spec:
  interval: 10m
  path: ./apps/{hub}
  prune: true
  sourceRef: {{kind: GitRepository, name: flux-system}}
"""


def deployment(name: str, image: str = "registry.local/web:1.0.0", replicas: int = 2) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: {name}
        image: {image}
"""


SECRET = f"""apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: shop}}
stringData:
  password: {PASSWORD}
"""

# api: egress to its namespace and the other hub (contained); web: to the whole internet (exposed)
NETPOL = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {}}]
    ports: [{port: 27017, protocol: TCP}]
  - to: [{ipBlock: {cidr: 10.20.0.0/16}}]
    ports: [{port: 27017, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: 443, protocol: TCP}]
"""

FILES = {
    ".hubguard.yaml": POLICY,
    "clusters/a/apps.yaml": flux("a"),
    "clusters/b/apps.yaml": flux("b"),
    "apps/base/kustomization.yaml": "resources:\n- namespace.yaml\n- api.yaml\n- web.yaml\n- netpol.yaml\n- secret.yaml\n",
    "apps/base/namespace.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
    "apps/base/api.yaml": deployment("api"),
    "apps/base/web.yaml": deployment("web"),
    "apps/base/netpol.yaml": NETPOL,
    "apps/base/secret.yaml": SECRET,
    "apps/a/kustomization.yaml": "resources:\n- ../base\n",
    # hub b also runs a worker that no NetworkPolicy restricts
    "apps/b/kustomization.yaml": "resources:\n- ../base\n- worker.yaml\n",
    "apps/b/worker.yaml": deployment("worker", replicas=1),
}


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message, "--no-verify")
    return git(root, "rev-parse", "HEAD").strip()


def make_review_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    write(root, FILES)
    commit(root, "init")
    return root


def chromium() -> str:
    """Debian's chromium (installed by .ci/run when absent)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is not installed: .ci/run installs Debian's chromium package"
    return path


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage")


def browse(url: str, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run headless chromium on a file:// URL with a fresh profile; `extra` adds --dump-dom etc."""
    profile = tmp / "chromium-profile"
    return subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
                          capture_output=True, text=True, timeout=120)
