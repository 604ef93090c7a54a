"""Helpers of the integration tests: a small two-hub GitOps repository and git state."""

from __future__ import annotations

import hashlib
import subprocess
import textwrap
from pathlib import Path
from typing import Callable


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


DEPLOYMENT = d("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 2
      selector:
        matchLabels: {app: web}
      template:
        metadata:
          labels: {app: web}
        spec:
          containers:
          - name: web
            image: nginx:1.27
    """)
PATCH = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  LOG_LEVEL: info\n"


def two_hub_files(prefix: str = "") -> dict[str, str]:
    """seattle and munich: one kustomize overlay each over a shared base, plus a plain Flux-style
    folder per hub (no kustomization.yaml: every manifest in it is applied)."""
    files = {
        "apps/base/kustomization.yaml": "resources:\n- deploy.yaml\n",
        "apps/base/deploy.yaml": DEPLOYMENT,
        "README.md": "# demo\n",
    }
    for hub in ("seattle", "munich"):
        files[f"apps/{hub}/kustomization.yaml"] = "resources:\n- ../base\npatches:\n- path: patch.yaml\n"
        files[f"apps/{hub}/patch.yaml"] = PATCH
        files[f"clusters/{hub}/extra/{hub}-settings.yaml"] = CONFIGMAP.format(name=f"{hub}-settings")
        files[f"clusters/{hub}/extra/{hub}-flags.yaml"] = CONFIGMAP.format(name=f"{hub}-flags")
    files[".hubguard.yaml"] = d("""
        hubs:
          seattle: {roots: [apps/seattle, clusters/seattle/extra]}
          munich: {roots: [apps/munich, clusters/munich/extra]}
        """)
    return {prefix + rel: text for rel, text in files.items()}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def git_state(root: Path) -> tuple[str, str]:
    """What must never change under --staged: the porcelain status and the index file's bytes."""
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
                            check=True, capture_output=True, text=True, env=_no_locks()).stdout
    git_dir = Path(git(root, "rev-parse", "--absolute-git-dir").strip())
    return status, hashlib.sha256((git_dir / "index").read_bytes()).hexdigest()


def _no_locks() -> dict[str, str]:
    import os

    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # `git status` would otherwise refresh the index


PLAINTEXT_SECRET = d("""
    apiVersion: v1
    kind: Secret
    metadata:
      name: db
      namespace: ratings
    stringData:
      password: Xk9qLm2ZrT-hunter2
    """)
# What `sops --encrypt --encrypted-regex '^(data|stringData)$'` leaves in the repository.
ENCRYPTED_SECRET = d("""
    apiVersion: v1
    kind: Secret
    metadata:
      name: db
      namespace: ratings
    stringData:
      password: ENC[AES256_GCM,data:q83kd9Qm3k1=,iv:abcdefghijklmnopqrstuvwxyz012345678=,tag:abcdefghijklmnopqrstuv==,type:str]
    sops:
      age:
        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
          enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBxd2VydHl1aW9wYXNkZmdo
            -----END AGE ENCRYPTED FILE-----
      lastmodified: "2024-01-01T00:00:00Z"
      mac: ENC[AES256_GCM,data:abcd,iv:abcd,tag:abcd,type:str]
      encrypted_regex: ^(data|stringData)$
      version: 3.9.0
    """)


# Changes to a repository, applied by tests of --changed-since and --staged.
def edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text()
        assert old in text, (rel, old)  # a change that changes nothing tests nothing
        path.write_text(text.replace(old, new))
    return apply


def write(rel: str, text: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return apply


def steps(*changes: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        for change in changes:
            change(root)
    return apply
