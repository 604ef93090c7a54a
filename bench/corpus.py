"""Benchmark corpora: synthetic multi-hub GitOps repositories and a secrets corpus.

    python bench/corpus.py multihub OUT --hubs 5 --apps 50
    python bench/corpus.py secrets OUT --files 10000
    python bench/corpus.py template OUT          # `hubguard new --no-input`, if it works yet

A multi-hub repository is laid out as the Flux examples are: every app is a kustomize base
(`apps/base/<app>/`: Namespace, Deployment, Service, HPA, PDB, NetworkPolicy, ConfigMap, Ingress),
each hub has one overlay (`apps/<hub>/`) that takes every base and patches its replicas and ingress
host, and `clusters/<hub>/` holds the Flux GitRepository and the Kustomization pointing at the
overlay (with a post-build substitution, as real repositories use for per-cluster values).
`.hubguard.yaml` declares the hubs. The apps follow hubguard's rules (replicas, PDB, spread, probes,
requests, egress policies for PII apps), so the bench measures checking, not report writing.

The secrets corpus mixes manifests, .env, Terraform, shell, INI, JSON and Python files; a known
set of them holds planted credentials, others hold look-alikes that are not secrets (placeholders,
digests, UUIDs). Where each planted secret sits is written next to the corpus (`OUT.meta.json`),
never inside it, so that no tool scans the answer key.

Every corpus is a committed git repository (hubguard and detect-secrets both list files with git).
Everything is deterministic: the same arguments give byte-identical trees.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import string
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from testkit import flux_kustomization  # noqa: E402  (the test suite's builder: one shape for tests and corpora)

SIZES = {"small": (2, 10), "medium": (5, 50), "large": (20, 100)}
OBJECTS_PER_APP = 8
K8S_VERSION = "1.30"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
}


# ---------------------------------------------------------------------------------------------
# multi-hub GitOps repository
# ---------------------------------------------------------------------------------------------
def hub_names(count: int) -> list[str]:
    return [f"hub-{i:02d}" for i in range(1, count + 1)]


def app_names(count: int) -> list[str]:
    return [f"app-{i:03d}" for i in range(1, count + 1)]


def is_pii(app_index: int) -> bool:
    """Every third app handles personal data, so the PII rules have work to do."""
    return app_index % 3 == 0


def base_files(app: str, index: int) -> dict[str, str]:
    pii = is_pii(index)
    # Every tenth app lacks a liveness probe: a few real findings, the same on every hub.
    liveness = "" if index % 10 == 0 else "          livenessProbe:\n            httpGet: {path: /healthz/live, port: http}\n"
    ns_labels = "    hubguard.io/data-classification: pii\n" if pii else ""
    files = {
        "namespace.yaml": f"""apiVersion: v1
kind: Namespace
metadata:
  name: {app}
  labels:
    app.kubernetes.io/part-of: {app}
{ns_labels}""",
        "deployment.yaml": f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {app}
  labels:
    app.kubernetes.io/name: {app}
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}
    spec:
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: DoNotSchedule
          labelSelector:
            matchLabels:
              app.kubernetes.io/name: {app}
      containers:
        - name: {app}
          image: registry.corp.example/apps/{app}:1.4.{index}
          ports:
            - containerPort: 8080
              name: http
          envFrom:
            - configMapRef:
                name: {app}-config
          env:
            - name: HUB_NAME
              value: "${{hub}}"
          readinessProbe:
            httpGet: {{path: /healthz/ready, port: http}}
{liveness}          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
""",
        "service.yaml": f"""apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {app}
spec:
  selector:
    app.kubernetes.io/name: {app}
  ports:
    - name: http
      port: 80
      targetPort: http
""",
        "hpa.yaml": f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {app}
  namespace: {app}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {app}
  minReplicas: 2
  maxReplicas: 6
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {{type: Utilization, averageUtilization: 75}}
""",
        "pdb.yaml": f"""apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {app}
  namespace: {app}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
""",
        "networkpolicy.yaml": f"""apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {app}
  namespace: {app}
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {app}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
  egress:
    - to:
        - namespaceSelector: {{}}
      ports:
        - {{protocol: UDP, port: 53}}
    - to:
        - ipBlock:
            cidr: 10.1.0.0/16
""",
        "configmap.yaml": f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
  namespace: {app}
data:
  LOG_LEVEL: info
  UPSTREAM_URL: http://{app}-upstream.{app}.svc.cluster.local
  FEATURE_FLAGS: "search,ratings"
  CACHE_TTL_SECONDS: "300"
""",
        "ingress.yaml": ingress(app, f"{app}.example.local", class_name="nginx"),
    }
    files["kustomization.yaml"] = (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
        + "".join(f"  - {name}\n" for name in files)
    )
    return files


def ingress(app: str, host: str, class_name: str | None = None) -> str:
    """The app's Ingress: the base's (with its class) or an overlay's patch of the host."""
    class_line = f"  ingressClassName: {class_name}\n" if class_name else ""
    return f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {app}
  namespace: {app}
spec:
{class_line}  rules:
    - host: {host}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {app}
                port: {{name: http}}
"""


def overlay_patch(app: str, hub: str) -> str:
    replicas = f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {app}
spec:
  replicas: 3
"""
    return replicas + "---\n" + ingress(app, f"{app}.{hub}.corp.example")


def cluster_files(hub: str) -> dict[str, str]:
    return {
        "source.yaml": """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  url: ssh://git@git.corp.example/platform/gitops
  ref:
    branch: main
""",
        "apps.yaml": flux_kustomization(f"./apps/{hub}", {"hub": hub}),
    }


def traffic_manager(hubs: list[str]) -> str:
    """The ARM template of the DNS traffic manager in front of the hubs: one endpoint per hub."""
    endpoints = [
        {"name": hub, "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
         "properties": {"target": f"apps.{hub}.corp.example", "endpointStatus": "Enabled", "priority": index + 1}}
        for index, hub in enumerate(hubs)
    ]
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [{
            "type": "Microsoft.Network/trafficManagerProfiles", "apiVersion": "2018-08-01", "name": "apps",
            "location": "global",
            "properties": {
                "profileStatus": "Enabled", "trafficRoutingMethod": "Priority",
                "dnsConfig": {"relativeName": "apps-corp", "ttl": 30},
                "monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/healthz/ready"},
                "endpoints": endpoints,
            },
        }],
    }
    return json.dumps(template, indent=2) + "\n"


def hub_cidr(number: int) -> str:
    """Hub `number`'s on-prem range: 10.N.0.0/16 for the first 255 hubs (the corpora of issue 11),
    then /24 ranges in 172.16.0.0/12 for fleets of hundreds."""
    if number <= 255:
        return f"10.{number}.0.0/16"
    rest = number - 256
    return f"172.{16 + rest // 256}.{rest % 256}.0/24"


def policy_file(hubs: list[str]) -> str:
    lines = ["min_hubs: 2", "hubs:"]
    for index, hub in enumerate(hubs):
        backup = hubs[(index + 1) % len(hubs)]
        lines += [
            f"  {hub}:",
            f"    roots: [clusters/{hub}]",
            f"    onprem_cidrs: [{hub_cidr(index + 1)}]",
            f'    kubernetes_version: "{K8S_VERSION}"',
            f"    ingress_host: apps.{hub}.corp.example",
            f"    backup_hub: {backup}",
        ]
    lines += ["pii:", "  onprem_domains: [corp.example]", ""]
    return "\n".join(lines)


def write_multihub(out: Path, hubs: int, apps: int) -> dict:
    reset(out)
    hub_list, app_list = hub_names(hubs), app_names(apps)
    write(out / ".hubguard.yaml", policy_file(hub_list))
    write(out / "global" / "traffic-manager.json", traffic_manager(hub_list))
    write(out / "README.md", f"# Synthetic GitOps repository: {hubs} hubs x {apps} apps (hubguard bench)\n")
    for index, app in enumerate(app_list, start=1):
        for name, text in base_files(app, index).items():
            write(out / "apps" / "base" / app / name, text)
    for hub in hub_list:
        overlay = out / "apps" / hub
        write(overlay / "kustomization.yaml",
              "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
              + "".join(f"  - ../base/{app}\n" for app in app_list)
              + "patches:\n" + "".join(f"  - path: patches/{app}.yaml\n" for app in app_list))
        for app in app_list:
            write(overlay / "patches" / f"{app}.yaml", overlay_patch(app, hub))
        for name, text in cluster_files(hub).items():
            write(out / "clusters" / hub / name, text)
    commit(out)
    return {
        "kind": "multihub", "hubs": hub_list, "apps": apps,
        # what each hub receives: every app's objects plus its two Flux objects
        "expected_objects": hubs * (apps * OBJECTS_PER_APP + 2),
        "kustomize_roots": [f"apps/{hub}" for hub in hub_list],
        "plain_roots": [f"clusters/{hub}" for hub in hub_list],
    }


# ---------------------------------------------------------------------------------------------
# secrets corpus
# ---------------------------------------------------------------------------------------------
@dataclass
class Planted:
    path: str
    first_line: int  # the secret's construct spans these lines (1-based, inclusive)
    last_line: int
    kind: str


@dataclass
class SecretFile:
    text: str
    planted: list[tuple[int, int, str]] = field(default_factory=list)  # (first, last, kind), relative lines


def _rand(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits


def _b64(rng: random.Random, raw_bytes: int) -> str:
    return base64.b64encode(rng.randbytes(raw_bytes)).decode()


def _jwt(rng: random.Random) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    header = part({"alg": "HS256", "typ": "JWT"})
    body = part({"sub": _rand(rng, string.digits, 10), "name": "svc-" + _rand(rng, ALNUM, 6), "iat": 1700000000})
    return f"{header}.{body}.{base64.urlsafe_b64encode(rng.randbytes(32)).decode().rstrip('=')}"


def _pem(rng: random.Random) -> list[str]:
    body = base64.b64encode(rng.randbytes(600)).decode()
    return ["-----BEGIN RSA PRIVATE KEY-----", *[body[i:i + 64] for i in range(0, len(body), 64)], "-----END RSA PRIVATE KEY-----"]


BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32(hrp: str, payload: bytes) -> str:
    """BIP-173 encoding, as age writes its keys: a made-up key fails the checksum and is rightly ignored."""
    def polymod(values: list[int]) -> int:
        chk = 1
        for value in values:
            top = chk >> 25
            chk = (chk & 0x1FFFFFF) << 5 ^ value
            for i, gen in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
                chk ^= gen if (top >> i) & 1 else 0
        return chk

    data, acc, bits = [], 0, 0
    for byte in payload:  # 8-bit bytes to 5-bit groups
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in data + checksum)


def planted_file(rng: random.Random, variant: int) -> tuple[str, SecretFile]:
    """One file with one planted credential; returns (suffix, file). Variants cycle through kinds."""
    kind = variant % 16
    if kind >= 12:
        return _planted_inside_value(rng, kind - 12)
    if kind == 0:
        key = "AKIA" + _rand(rng, UPPER_DIGITS, 16)
        text = f"# service account for the uploader\nAWS_REGION=eu-central-1\nAWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={_rand(rng, ALNUM + '/+', 40)}\n"
        return ".env", SecretFile(text, [(3, 4, "aws-access-key")])
    if kind == 1:
        token = "ghp_" + _rand(rng, ALNUM, 36)
        text = f"#!/bin/sh\nset -eu\nexport GITHUB_TOKEN={token}\ncurl -fsS https://api.github.com/user\n"
        return ".sh", SecretFile(text, [(3, 3, "github-token")])
    if kind == 2:
        token = f"xoxb-{_rand(rng, string.digits, 11)}-{_rand(rng, string.digits, 12)}-{_rand(rng, ALNUM, 24)}"
        text = f"[notify]\nchannel = ops-alerts\nslack_token = {token}\n"
        return ".ini", SecretFile(text, [(3, 3, "slack-token")])
    if kind == 3:
        pem = _pem(rng)
        lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: tls-material", "data:", "  server.key: |",
                 *["    " + line for line in pem]]
        return ".yaml", SecretFile("\n".join(lines) + "\n", [(7, 6 + len(pem), "private-key")])
    if kind == 4:
        text = f"{{\n  \"endpoint\": \"https://auth.corp.example\",\n  \"bearer\": \"{_jwt(rng)}\"\n}}\n"
        return ".json", SecretFile(text, [(3, 3, "jwt")])
    if kind == 5:
        account = "st" + _rand(rng, string.ascii_lowercase + string.digits, 10)
        conn = f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={_b64(rng, 64)};EndpointSuffix=core.windows.net"
        text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: storage\ndata:\n  STORAGE_CONNECTION: \"{conn}\"\n"
        return ".yaml", SecretFile(text, [(6, 6, "azure-storage")])
    if kind == 6:
        password = _rand(rng, ALNUM, 14)
        text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  MONGO_URL: mongodb://ratings:{password}@mongodb-0.mongodb:27017/ratings\n"
        return ".yaml", SecretFile(text, [(6, 6, "credential-in-uri")])
    if kind == 7:
        value = base64.b64encode(_rand(rng, ALNUM, 18).encode()).decode()
        text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\ntype: Opaque\ndata:\n  username: cmF0aW5ncw==\n  password: {value}\n"
        return ".yaml", SecretFile(text, [(2, 8, "plaintext-secret")])
    if kind == 8:
        password = _rand(rng, ALNUM, 8) + "-" + _rand(rng, ALNUM, 8)
        text = f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api:1\n          env:\n            - name: DB_PASSWORD\n              value: \"{password}\"\n"
        return ".yaml", SecretFile(text, [(12, 13, "sensitive-literal-env")])
    if kind == 9:
        secret = _rand(rng, ALNUM + "~._-", 34)
        text = f"provider \"azurerm\" {{\n  features {{}}\n  client_id     = \"{rng.randbytes(16).hex()}\"\n  client_secret = \"{secret}\"\n}}\n"
        return ".tf", SecretFile(text, [(4, 4, "terraform-client-secret")])
    if kind == 10:
        key = _rand(rng, "0123456789abcdef", 40)
        text = f"service:\n  name: search\n  api_key: {key}\n  timeout: 30\n"
        return ".yaml", SecretFile(text, [(3, 3, "sensitive-literal-yaml")])
    age = bech32("age-secret-key-", rng.randbytes(32)).upper()
    text = f"# created: 2024-01-01T00:00:00Z\n# public key: {bech32('age', rng.randbytes(32))}\n{age}\n"
    return ".txt", SecretFile(text, [(3, 3, "age-secret-key")])


def _planted_inside_value(rng: random.Random, kind: int) -> tuple[str, SecretFile]:
    """Secrets written inside another value (issue 17): Argo CD Helm values as a string, a Flux
    variable's literal default, a command-line flag, a connection-string part."""
    password = _rand(rng, ALNUM, 16)
    if kind == 0:
        text = ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: cache\n  namespace: argocd\nspec:\n"
                "  source:\n    chart: redis\n    repoURL: https://charts.bitnami.com/bitnami\n    targetRevision: 19.0.0\n"
                f"    helm:\n      values: |\n        auth:\n          password: {password}\n")
        return ".yaml", SecretFile(text, [(14, 14, "embedded-helm-values")])
    if kind == 1:
        text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: auth\ndata:\n"
                f"  JWT_SIGNING_KEY: ${{JWT_SIGNING_KEY:={password}}}\n")
        return ".yaml", SecretFile(text, [(6, 6, "flux-default")])
    if kind == 2:
        text = ("#!/bin/sh\nset -eu\n"
                f"pg_dump --host db --username backup --password '{password}' ratings > /backup/ratings.sql\n")
        return ".sh", SecretFile(text, [(3, 3, "command-line-flag")])
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: reports\ndata:\n"
            f"  SQL_DSN: \"Server=sql;Database=reports;User Id=reports;Password={password};\"\n")
    return ".yaml", SecretFile(text, [(6, 6, "connection-string-part")])


def decoy_file(rng: random.Random, variant: int) -> tuple[str, str]:
    """Looks like a secret to a naive scanner, is not one (placeholders, digests, ids, ciphertext,
    expressions in code and templates)."""
    kind = variant % 10
    if kind == 6:
        return ".md", ("Set the bot token in the vault, e.g.\n\n    SLACK_BOT_TOKEN=" + "xo" + "xb-" + "0" * 12 + "-" + "0" * 12 + "-"
                       + "X" * 24 + "\n")
    if kind == 7:
        return ".yaml", ("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\nspec:\n  encryptedData:\n"
                         f"    password: AgB{_b64(rng, 240)}\n")
    if kind == 8:
        return ".py", ("def connect(reader, settings):\n    token = convert_to_unicode(reader.readline())\n"
                       "    password = settings.DB_PASSWORD\n    return open_db(password=password, token=token)\n")
    if kind == 9:
        return ".json", json.dumps({"resources": [{"type": "Microsoft.Compute/virtualMachines", "properties": {"osProfile": {
            "adminPassword": "[parameters('adminPassword')]"}}}]}, indent=2) + "\n"
    if kind == 0:
        return ".yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  DB_PASSWORD: ${DB_PASSWORD}\n  API_TOKEN: \"<set-in-vault>\"\n"
    if kind == 1:
        return ".env", "DB_PASSWORD=\nAPI_KEY=<changeme>\nSECRET_NAME=app-credentials\n"
    if kind == 2:
        digest = rng.randbytes(32).hex()
        return ".yaml", f"image: registry.corp.example/app@sha256:{digest}\nrevision: {rng.randbytes(20).hex()}\n"
    if kind == 3:
        return ".json", json.dumps({"requestId": f"{rng.randbytes(16).hex()}", "password": "{{ .Values.password }}"}, indent=2) + "\n"
    if kind == 4:
        return ".tf", 'variable "client_secret" {\n  type      = string\n  sensitive = true\n}\nclient_secret = var.client_secret\n'
    return ".sh", "#!/bin/sh\nexport TOKEN=\"$(cat /run/secrets/token)\"\nexport PASSWORD=\"${PASSWORD:?}\"\n"


def filler_file(rng: random.Random, index: int) -> tuple[str, str]:
    kind = index % 5
    if kind == 0:
        return ".yaml", (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{index}\nspec:\n  selector:\n    app: svc-{index}\n"
                         "  ports:\n    - port: 80\n      targetPort: 8080\n")
    if kind == 1:
        return ".md", f"# Service {index}\n\nOwned by team {rng.choice(['ratings', 'search', 'payments'])}. Deploy with Flux.\n"
    if kind == 2:
        return ".py", f"def handler(event):\n    return {{'status': 200, 'id': {index}}}\n"
    if kind == 3:
        return ".json", json.dumps({"name": f"svc-{index}", "replicas": 3, "ports": [80, 443]}, indent=2) + "\n"
    return ".sh", f"#!/bin/sh\nset -eu\necho deploying svc-{index}\nkubectl apply -k overlays/prod\n"


def write_secrets(out: Path, files: int, planted_every: int = 20, decoy_every: int = 20) -> dict:
    """`files` files; one in `planted_every` holds a planted secret, one in `decoy_every` a look-alike."""
    reset(out)
    rng = random.Random(11)
    planted: list[Planted] = []
    decoys: list[str] = []
    for index in range(files):
        folder = f"services/svc-{index // 100:03d}"
        if index % planted_every == 0:
            suffix, secret_file = planted_file(rng, index // planted_every)
            rel = f"{folder}/file-{index:05d}{suffix}"
            write(out / rel, secret_file.text)
            planted.extend(Planted(rel, first, last, kind) for first, last, kind in secret_file.planted)
        elif index % decoy_every == decoy_every // 2:
            suffix, text = decoy_file(rng, index // decoy_every)
            rel = f"{folder}/file-{index:05d}{suffix}"
            write(out / rel, text)
            decoys.append(rel)
        else:
            suffix, text = filler_file(rng, index)
            write(out / f"{folder}/file-{index:05d}{suffix}", text)
    commit(out)
    return {"kind": "secrets", "files": files, "planted": [asdict(p) for p in planted], "decoys": decoys}


# ---------------------------------------------------------------------------------------------
# the template's default repository
# ---------------------------------------------------------------------------------------------
def write_template(out: Path, hubguard: str, env: dict[str, str] | None = None) -> dict | None:
    """The repository `hubguard new --no-input` generates, or None (with the reason printed)."""
    import yaml

    reset(out)
    out.mkdir(parents=True)
    proc = subprocess.run([hubguard, "new", "--no-input", "-o", str(out)], capture_output=True, text=True, env=env)
    made = [p for p in out.iterdir() if p.is_dir()] if proc.returncode == 0 else []
    if proc.returncode != 0 or len(made) != 1:
        reason = (proc.stderr.strip().splitlines() or ["no repository created"])[-1]
        print(f"note: template corpus skipped: `hubguard new --no-input` does not work yet ({reason})", file=sys.stderr)
        shutil.rmtree(out, ignore_errors=True)
        return None
    repo = made[0]
    if not (repo / ".git").is_dir():
        commit(repo)
    policy = yaml.safe_load((repo / ".hubguard.yaml").read_text()) if (repo / ".hubguard.yaml").is_file() else {}
    hubs = policy.get("hubs") or {}
    plain = sorted({root for name, hub in hubs.items() for root in ((hub or {}).get("roots") or [f"clusters/{name}"])
                    if not (repo / root / "kustomization.yaml").is_file()})
    return {"kind": "template", "repo": str(repo), "hubs": sorted(hubs), "kustomize_roots": top_kustomize_roots(repo),
            "plain_roots": plain}


def top_kustomize_roots(repo: Path) -> list[str]:
    """Folders with a kustomization file that no other kustomization includes: what a floor
    measurement builds when the corpus does not say which roots its hubs use."""
    import yaml

    roots = {p.parent for p in repo.rglob("kustomization.yaml") if ".git" not in p.parts}
    included = set()
    for root in roots:
        try:
            data = yaml.safe_load((root / "kustomization.yaml").read_text()) or {}
        except yaml.YAMLError:
            continue
        for key in ("resources", "bases", "components"):
            for ref in data.get(key) or []:
                if isinstance(ref, str):
                    included.add((root / ref).resolve())
    return sorted(r.relative_to(repo).as_posix() for r in roots if r.resolve() not in included)


# ---------------------------------------------------------------------------------------------
def reset(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def commit(repo: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env={**os.environ, **GIT_ENV})

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "corpus")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    multi = sub.add_parser("multihub")
    multi.add_argument("out", type=Path)
    multi.add_argument("--hubs", type=int, required=True)
    multi.add_argument("--apps", type=int, required=True)
    secrets = sub.add_parser("secrets")
    secrets.add_argument("out", type=Path)
    secrets.add_argument("--files", type=int, default=10_000)
    template = sub.add_parser("template")
    template.add_argument("out", type=Path)
    template.add_argument("--hubguard", default="hubguard")
    args = parser.parse_args(argv)
    if args.what == "multihub":
        meta = write_multihub(args.out, args.hubs, args.apps)
    elif args.what == "secrets":
        meta = write_secrets(args.out, args.files)
    else:
        meta = write_template(args.out, args.hubguard)
        if meta is None:
            return 1
    args.out.with_name(args.out.name + ".meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    print(f"{args.what}: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
