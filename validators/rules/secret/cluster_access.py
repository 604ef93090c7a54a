"""secret/kubeconfig and secret/cluster-definition: cluster access material committed to Git."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Location, Severity
from hubguard.model import SourceFile
from hubguard.rules.aks_engine import is_api_model
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.secret import common, secret_documents, token_formats
from hubguard.rules.secret.candidates import Hit

KUBECONFIG_MESSAGE = "kubeconfig carries a credential: {where} ({value}); use short-lived credentials (az login, exec plugins)"
CLUSTER_MESSAGE = "AKS Engine cluster definition holds a {kind} in {where} ({value}); reference it with keyvaultSecretRef instead"


def check_kubeconfig(src: SourceFile, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    for doc in common.documents(src):
        if secret_documents.is_kubeconfig(doc.data):
            yield from common.findings(ctx, src.path, secret_documents.kubeconfig_hits(doc.data, common.locator(doc)), KUBECONFIG_MESSAGE)


def _in_output(path: str) -> bool:
    return "_output/" in f"/{path}"


def check_cluster_definition(src: SourceFile, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    for doc in src.documents:
        locate = common.locator(doc)
        if is_api_model(doc.data):
            yield from common.findings(ctx, src.path, secret_documents.api_model_hits(doc.data, locate), CLUSTER_MESSAGE)
        elif secret_documents.is_deployment_parameters(src.path, doc.data):
            yield from common.findings(ctx, src.path, secret_documents.deployment_parameter_hits(doc.data, locate), CLUSTER_MESSAGE)
    if _in_output(src.path) and not src.documents:
        # `_output/<cluster>/*.key` and friends: the private keys AKS Engine generated.
        for found in token_formats.find_tokens(src.text or ""):
            if found.detector.name == "private-key":
                hit = Hit(1, 1, found.value, "generated private key", src.path.rsplit("/", 1)[-1], f"output:{src.path}")
                if not common.allowed(ctx, hit):
                    message = f"AKS Engine _output/ holds a generated private key ({hit.where}); never commit _output/"
                    yield ctx.finding(message, Location(src.path, 1, 1), key=hit.ident)
                break


KUBECONFIG = Rule(
    id="secret/kubeconfig",
    severity=Severity.ERROR,
    scope=Scope.FILE,
    summary="A kubeconfig that carries a token, password or client key.",
    doc="""A kubeconfig with a bearer token, basic-auth password, client key or auth-provider secret
gives cluster access to whoever reads it. Files are recognised by content (`clusters`, `contexts`,
`users`), whatever their name (`kubeconfig`, `.kube/config`, AKS Engine's
`_output/*/kubeconfig/*.json`). Exec plugins and file references are fine.

FAIL:

    users:
      - name: admin
        user:
          client-key-data: LS0tLS1CRUdJTi...

PASS:

    users:
      - name: admin
        user:
          exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: kubelogin, args: [get-token]}
""",
    remediation="Delete the file, rotate the credential (the cluster's admin certificate or service "
    "account token), and give people and pipelines short-lived credentials (`az aks get-credentials` "
    "with kubelogin, workload identity for CI).\n\n" + common.ALLOW_HELP.format(id="secret/kubeconfig"),
    check=check_kubeconfig,
    options=dict(common.ALLOW_OPTION),
)

CLUSTER_DEFINITION = Rule(
    id="secret/cluster-definition",
    severity=Severity.ERROR,
    scope=Scope.FILE,
    summary="An AKS Engine API model (or its _output/) with secret fields filled in.",
    doc="""Azure Stack Hub clusters are built by AKS Engine from an API model (`apiVersion: vlabs`).
Its `servicePrincipalProfile.secret`, `windowsProfile.adminPassword` and
`certificateProfile.*PrivateKey` fields, and everything AKS Engine writes to `_output/`
(`apimodel.json`, `azuredeploy.parameters.json`, `*.key`), hold credentials to the cluster and the
subscription. A `keyvaultSecretRef` in place of the secret is the right way.

FAIL:

    {"apiVersion": "vlabs", "properties": {"servicePrincipalProfile": {
        "clientId": "...", "secret": "hunter2-but-longer"}}}

PASS:

    {"apiVersion": "vlabs", "properties": {"servicePrincipalProfile": {
        "clientId": "...", "keyvaultSecretRef": {"vaultID": "/subscriptions/.../vaults/kv", "secretName": "sp"}}}}
""",
    remediation="Keep the API model with `keyvaultSecretRef` entries and empty certificate fields, pass "
    "secrets at deploy time, add `_output/` to .gitignore, and rotate what was committed (service "
    "principal secret, admin password, cluster CA).\n\n" + common.ALLOW_HELP.format(id="secret/cluster-definition"),
    check=check_cluster_definition,
    options=dict(common.ALLOW_OPTION),
)

RULES = [KUBECONFIG, CLUSTER_DEFINITION]
