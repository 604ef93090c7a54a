"""Shared helpers for the template tests: bake once per combination, find kustomize roots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hubguard.generator.new_repository import template_root

TEMPLATE = template_root()
BIN = str(Path(sys.executable).parent)
COMBOS = [(engine, backend) for engine in ("flux", "argocd", "both")
          for backend in ("sops-age", "external-secrets-keyvault", "external-secrets-vault")]
THREE_HUBS = [
    {"name": "seattle", "location": "westus2", "kubernetes_version": "1.34", "ingress_host": "ratings.seattle.corp.example",
     "onprem_cidrs": ["10.10.0.0/16"], "backup_hub": "munich", "portal_url": "https://portal.westus2.azurestack.corp.example/"},
    {"name": "munich", "location": "germanywestcentral", "kubernetes_version": "1.34", "ingress_host": "ratings.munich.corp.example",
     "onprem_cidrs": ["10.20.0.0/16", "172.20.0.0/20"], "backup_hub": "oslo",
     "portal_url": "https://portal.germanywestcentral.azurestack.corp.example/", "identity_system": "adfs"},
    {"name": "oslo", "location": "norwayeast", "kubernetes_version": "1.35", "ingress_host": "ratings.oslo.corp.example",
     "onprem_cidrs": ["10.30.0.0/16"], "backup_hub": "seattle", "portal_url": "https://portal.norwayeast.azurestack.example.no/"},
]
TENANT = "0b5a1f4e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
# gitops_engine=both: the tree serves both engines, each hub names the one that bootstraps it.
MIXED_HUBS = [dict(THREE_HUBS[0], backup_hub="munich", gitops_engine="flux"),
              dict(THREE_HUBS[1], backup_hub="seattle", gitops_engine="argocd")]


def combo(engine: str, backend: str, **extra: str) -> dict[str, str]:
    """The bake context of an engine x secrets backend combination (with the inputs it needs)."""
    context = {"gitops_engine": engine, "secrets_backend": backend, **extra}
    if engine == "both":
        context.setdefault("hubs", json.dumps(MIXED_HUBS))
    if backend == "external-secrets-keyvault":
        context.setdefault("azure_tenant_id", TENANT)
    return context


def tool_env(**extra: str) -> dict[str, str]:
    """The environment with this interpreter's scripts (hubguard, kubectl, sops) first on PATH."""
    env = dict(os.environ)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env.update(extra)
    return env


def run(args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=tool_env(**extra), capture_output=True, text=True, timeout=120)


def kustomize_roots(repo: Path) -> list[Path]:
    return sorted(p.parent for p in repo.rglob("kustomization.yaml") if ".git" not in p.parts)


def validate_json(repo: Path) -> tuple[int, dict]:
    result = run(["hubguard", "validate", ".", "--format", "json"], repo)
    return result.returncode, json.loads(result.stdout or "{}")


def text_files(repo: Path) -> dict[str, str]:
    out = {}
    for path in sorted(repo.rglob("*")):
        if path.is_file() and ".git" not in path.relative_to(repo).parts:
            out[path.relative_to(repo).as_posix()] = path.read_text(encoding="utf-8")
    return out
