"""The generated repository deploys (issue 19): what a team checks before applying it to real Azure
Stack Hub clusters, asserted as data on baked repositories."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import sys

import pytest
import yaml
from template_support import MIXED_HUBS, TEMPLATE, TENANT, THREE_HUBS, combo, run, validate_json
from testkit import deployment

sys.path.insert(0, str(TEMPLATE / "hooks"))
import hubgen  # noqa: E402
import hubinputs  # noqa: E402

SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def docs(path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def apimodel(repo, hub: str) -> dict:
    return json.loads((repo / f"clusters/{hub}/aks-engine/apimodel.json").read_text())


# -- 1 and 9: cluster definitions that AKS Engine for Azure Stack Hub accepts ---------------------
def test_apimodel_targets_the_aks_engine_release_and_the_hubs_inputs(bake):
    repo = bake(hubs=json.dumps(THREE_HUBS), repo_name="three-hubs")
    for given in THREE_HUBS:
        model = apimodel(repo, given["name"])
        profile = model["properties"]["orchestratorProfile"]
        # a version the release creates, and no addon its validation refuses (container-monitoring, since v0.81.0)
        assert profile["orchestratorVersion"] == hubinputs.AKS_ENGINE_KUBERNETES[given["kubernetes_version"]]
        assert profile["orchestratorRelease"] == given["kubernetes_version"]
        assert "addons" not in profile["kubernetesConfig"]
        assert model["location"] == given["location"]
        assert model["properties"]["customCloudProfile"] == {
            "portalURL": given["portal_url"], "identitySystem": given.get("identity_system", "azure_ad")}
        assert model["properties"]["customCloudProfile"]["portalURL"].startswith(f"https://portal.{given['location']}.")
        assert model["properties"]["masterProfile"]["availabilityProfile"] == "AvailabilitySet"
        assert {p["availabilityProfile"] for p in model["properties"]["agentPoolProfiles"]} == {"AvailabilitySet"}
    readme = (repo / "README.md").read_text()
    assert f"aks-engine-azurestack deploy" in readme and "aks-engine deploy" not in readme
    assert f"AKS Engine for Azure Stack Hub {hubinputs.AKS_ENGINE_RELEASE}" in readme


def test_dns_server_input_is_the_issuers_nameserver(bake):
    hubs = [dict(MIXED_HUBS[0], gitops_engine="flux", dns_server="10.10.5.5"), dict(MIXED_HUBS[1], gitops_engine="flux")]
    repo = bake(hubs=json.dumps(hubs), dns_server="10.20.0.99", repo_name="dns-inputs")
    nameservers = {hub: docs(repo / f"infrastructure/configs/{hub}/cluster-issuer.yaml")[0]["spec"]["acme"]["solvers"][0]
                   ["dns01"]["rfc2136"]["nameserver"] for hub in ("seattle", "munich")}
    assert nameservers == {"seattle": "10.10.5.5:53", "munich": "10.20.0.99:53"}


# -- 8: a network address plan the site-to-site VPN can route -------------------------------------
def test_each_hub_gets_its_own_non_overlapping_networks(bake):
    repo = bake(hubs=json.dumps(THREE_HUBS), repo_name="three-hubs")
    networks = []
    for given in THREE_HUBS:
        props = apimodel(repo, given["name"])["properties"]
        config = props["orchestratorProfile"]["kubernetesConfig"]
        vnet = ipaddress.ip_network(props["masterProfile"]["vnetCidr"])
        pods, services = ipaddress.ip_network(config["clusterSubnet"]), ipaddress.ip_network(config["serviceCidr"])
        assert ipaddress.ip_address(props["masterProfile"]["firstConsecutiveStaticIP"]) in vnet
        assert ipaddress.ip_address(config["dnsServiceIP"]) in services
        networks += [(given["name"], n) for n in (vnet, pods, services)]
        networks += [(given["name"] + " on-prem", ipaddress.ip_network(c)) for c in given["onprem_cidrs"]]
    overlapping = [(a, b) for i, a in enumerate(networks) for b in networks[i + 1:] if a[1].overlaps(b[1])]
    assert overlapping == []
    # the NetworkPolicies and the policy use the same plan: munich's node network is allowed on seattle
    munich_vnet = apimodel(repo, "munich")["properties"]["masterProfile"]["vnetCidr"]
    cross = docs(repo / "apps/ratings/overlays/seattle/networkpolicy-cross-hub.yaml")[0]
    assert munich_vnet in [b["ipBlock"]["cidr"] for b in cross["spec"]["ingress"][0]["from"]]
    assert munich_vnet in yaml.safe_load((repo / ".hubguard.yaml").read_text())["hubs"]["munich"]["onprem_cidrs"]


# -- 2: backups that exist end to end, off the hub --------------------------------------------------
def test_backup_goes_to_the_backup_hubs_storage_with_retention(bake):
    repo = bake()
    job = docs(repo / "apps/ratings/overlays/seattle/backup.yaml")[0]
    spec = job["spec"]
    assert (spec["timeZone"], spec["startingDeadlineSeconds"]) == ("Etc/UTC", 3600)
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    upload = pod["containers"][0]
    env = {e["name"]: e for e in upload["env"]}
    # munich's storage, in munich's Azure Stack Hub domain (from its portal URL), one container per source hub
    assert env["BACKUP_CONTAINER_URL"]["value"] == (
        "https://ratingsbakmunich.blob.germanywestcentral.azurestack.corp.example/backup-seattle")
    assert env["BACKUP_SAS"]["valueFrom"]["secretKeyRef"] == {"name": "ratings-mongodb", "key": "backup-sas"}
    script = upload["command"][2]
    assert "% 14" in script and "--upload-file /backup/ratings.archive.gz" in script and "--drop" not in script
    assert "x-ms-version: 2019-02-02" in script
    dump = pod["initContainers"][0]
    assert dump["env"][0]["valueFrom"]["secretKeyRef"]["key"] == "backup-source-uri"
    assert job["metadata"]["labels"]["hubguard.io/backup-target"] == "munich"
    readme = (repo / "README.md").read_text()
    runbook = readme[readme.index("## Disaster recovery runbook"):]
    for step in ("generate-sas", "az storage blob download", "mongorestore", "--archive --gzip"):
        assert step in runbook


def test_a_backup_across_a_border_is_said_at_generation(cookies, tmp_path):
    hubs = [dict(MIXED_HUBS[0], gitops_engine="flux", jurisdiction="US"),
            dict(MIXED_HUBS[1], gitops_engine="flux", jurisdiction="DE")]
    result = cookies.bake(extra_context={"hubs": json.dumps(hubs), "secrets_backend": "external-secrets-vault"},
                          template=str(TEMPLATE))
    assert result.exit_code == 0, result.exception
    readme = (result.project_path / "README.md").read_text()
    assert "hub seattle (US) backs up personal data to munich (DE)" in readme
    assert hubgen.border_crossings(hubs) == [
        "hub seattle (US) backs up personal data to hub munich (DE): a transfer across a border is a decision to take, not a default",
        "hub munich (DE) backs up personal data to hub seattle (US): a transfer across a border is a decision to take, not a default"]


# -- 3: Argo CD converges on a fresh hub ------------------------------------------------------------
def test_argocd_defines_its_plugin_health_check_retries_and_crd_order(bake):
    repo = bake(**combo("argocd", "sops-age"))
    apps = {d["metadata"]["name"]: d for f in sorted((repo / "clusters/seattle/argocd").glob("*.yaml")) for d in docs(f)}
    argocd = apps["argocd"]["spec"]["source"]["helm"]["valuesObject"]
    plugins = argocd["configs"]["cmp"]["plugins"]
    assert apps["ratings"]["spec"]["source"]["plugin"]["name"] in plugins
    plugin = plugins["sops-kustomize"]
    assert "--decrypt --in-place" in plugin["init"]["args"][0] and plugin["generate"]["command"] == ["kustomize", "build", "."]
    sidecar = argocd["repoServer"]["extraContainers"][0]
    assert sidecar["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert {m["name"] for m in sidecar["volumeMounts"]} >= {"sops-age", "sops-bin", "argocd-cmp-cm"}
    health = argocd["configs"]["cm"]["resource.customizations.health.argoproj.io_Application"]
    assert "obj.status.health.status" in health
    waves = {name: int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) for name, app in apps.items()}
    assert waves["argocd"] < waves["cert-manager"] < waves["infra-configs"] < waves["ratings"]
    assert all(app["spec"]["syncPolicy"]["retry"]["limit"] > 0 for app in apps.values())
    assert "SkipDryRunOnMissingResource=true" in apps["infra-configs"]["spec"]["syncPolicy"]["syncOptions"]
    # the first install uses the values the Application then manages
    assert yaml.safe_load((repo / "clusters/seattle/argocd-values.yaml").read_text()) == argocd


# -- 4: one engine per hub ----------------------------------------------------------------------------
def test_each_hub_is_bootstrapped_by_exactly_one_engine(bake):
    repo = bake(**combo("both", "sops-age"))
    assert sorted(p.name for p in (repo / "clusters/seattle/flux-system").iterdir()) == [
        "gotk-components.yaml", "gotk-sync.yaml", "kustomization.yaml"]
    assert sorted(p.name for p in (repo / "clusters/munich/bootstrap").iterdir()) == ["argocd-root.yaml"]
    assert not (repo / "clusters/seattle/argocd").exists() and not (repo / "clusters/seattle/bootstrap").exists()
    assert not (repo / "clusters/munich/flux").exists() and not (repo / "clusters/munich/flux-system").exists()
    roots = {hub: spec["roots"] for hub, spec in yaml.safe_load((repo / ".hubguard.yaml").read_text())["hubs"].items()}
    assert roots == {"seattle": ["clusters/seattle/flux-system"], "munich": ["clusters/munich/bootstrap"]}
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])


def test_the_old_both_layout_is_reported_by_ha_engine_overlap(bake):
    """Both engines' entries on one hub (what gitops_engine=both generated before): the validator says so."""
    repo = bake(**combo("both", "sops-age"), repo_name="engine-overlap")
    (repo / "clusters/munich/bootstrap/flux-sync.yaml").write_text(
        (repo / "clusters/seattle/flux-system/gotk-sync.yaml").read_text().replace("./clusters/seattle", "./clusters/munich/flux"))
    (repo / "clusters/munich/flux").mkdir()
    for name in ("apps.yaml", "infrastructure.yaml"):
        (repo / "clusters/munich/flux" / name).write_text(
            (repo / "clusters/seattle/flux" / name).read_text().replace("seattle", "munich"))
    result = run(["hubguard", "validate", ".", "--format", "json", "--select", "ha/engine-overlap", "--hub", "munich"], repo)
    report = json.loads(result.stdout)
    assert result.returncode == 1
    where = {(f["path"], f["object"]) for f in report["findings"]}
    assert ("apps/ratings/base/mongodb.yaml", "StatefulSet/ratings/mongodb") in where
    assert ("clusters/munich/argocd/infrastructure.yaml", "Application/argocd/ingress-nginx") in where
    assert all("on hub munich" in f["message"] for f in report["findings"])


# -- 12: Flux manages itself from Git, laid out as `flux bootstrap` lays it out ---------------------------
def test_flux_hub_is_laid_out_as_flux_bootstrap_writes_it(bake):
    repo = bake(**combo("both", "sops-age"), flux_version="v2.9.4")
    system = repo / "clusters/seattle/flux-system"
    kustomization = yaml.safe_load((system / "kustomization.yaml").read_text())
    assert kustomization["resources"] == ["gotk-components.yaml", "gotk-sync.yaml"] and "images" not in kustomization
    # what pkg/manifestgen/sync of flux2 generates for --url/--branch/--path (defaults: interval 1m, secret flux-system)
    source, sync = docs(system / "gotk-sync.yaml")
    assert (source["kind"], source["metadata"], source["spec"]) == ("GitRepository", {"name": "flux-system", "namespace": "flux-system"}, {
        "interval": "1m0s", "ref": {"branch": "main"}, "secretRef": {"name": "flux-system"},
        "url": "https://git.corp.example/platform/ratings-on-hubs.git"})
    assert (sync["kind"], sync["metadata"], sync["spec"]) == ("Kustomization", {"name": "flux-system", "namespace": "flux-system"}, {
        "interval": "10m0s", "path": "./clusters/seattle", "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"}})
    # bootstrap writes the components; until then the file holds no object, and says which release and command
    components = (system / "gotk-components.yaml").read_text()
    assert docs(system / "gotk-components.yaml") == [] and "flux bootstrap git --version=v2.9.4" in components
    policy = yaml.safe_load((repo / ".hubguard.yaml").read_text())["hubs"]["seattle"]
    assert (policy["roots"], policy["flux_version"]) == (["clusters/seattle/flux-system"], "2.9")
    readme = (repo / "README.md").read_text()
    assert ("flux bootstrap git --url=https://git.corp.example/platform/ratings-on-hubs.git --branch=main "
            "--path=clusters/$HUB --version=v2.9.4 --username=<user> --ca-file=<git server CA>") in readme
    # Flux is never installed by hand: `flux install` only exports the components an upgrade commits
    installs = [line for line in readme.splitlines() if "flux install" in line]
    assert installs and all("--export > clusters/$HUB/flux-system/gotk-components.yaml" in line for line in installs)
    assert "flux-sync.yaml" not in readme
    # the hub receives what Flux applies from ./clusters/seattle: its Kustomizations, the releases, the app
    result = run(["hubguard", "render", ".", "--hub", "seattle", "--format", "json"], repo)
    assert result.returncode == 0, result.stderr
    received = {(o["object"]["kind"], o["object"]["metadata"]["name"]) for o in json.loads(result.stdout)["objects"]}
    assert {("Kustomization", "flux-system"), ("Kustomization", "infra-controllers"), ("Kustomization", "apps"),
            ("HelmRelease", "cert-manager"), ("StatefulSet", "mongodb")} <= received


def test_flux_of_a_disconnected_hub_comes_from_the_mirror_and_ssh_urls_are_urls(bake):
    mirror = "registry.corp.example:5000/mirror"
    repo = bake(registry_mirror=mirror, git_url="git@git.corp.example:platform/ratings.git", repo_name="flux-mirror")
    kustomization = yaml.safe_load((repo / "clusters/munich/flux-system/kustomization.yaml").read_text())
    assert kustomization["images"] == [{"name": f"ghcr.io/fluxcd/{c}", "newName": f"{mirror}/fluxcd/{c}"} for c in
                                       ("source-controller", "kustomize-controller", "helm-controller", "notification-controller")]
    source = docs(repo / "clusters/munich/flux-system/gotk-sync.yaml")[0]
    assert source["spec"]["url"] == "ssh://git@git.corp.example/platform/ratings.git"  # Flux takes no scp-like address
    readme = (repo / "README.md").read_text()
    assert ("flux bootstrap git --url=ssh://git@git.corp.example/platform/ratings.git --branch=main --path=clusters/$HUB "
            "--version=v2.9.4 --private-key-file=<deploy key> --silent") in readme
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])


# What `flux bootstrap git` commits as gotk-components.yaml, cut down to what matters here: its
# header, and the default controllers as flux2's manifests/install lays them out (labelled part-of
# flux, one replica, images from ghcr.io/fluxcd).
FLUX_CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller", "notification-controller")
BOOTSTRAPPED_COMPONENTS = "# This manifest was generated by flux. DO NOT EDIT.\n# Flux Version: v2.9.4\n" + "".join(
    "---\n" + deployment(name, replicas=1, namespace="flux-system", labels=f"{{app: {name}}}",
                         object_labels="{app.kubernetes.io/instance: flux-system, app.kubernetes.io/part-of: flux}",
                         image=f"ghcr.io/fluxcd/{name}:v1.9.0", container="""
                             livenessProbe: {httpGet: {path: /healthz, port: 9440}}
                             readinessProbe: {httpGet: {path: /readyz, port: 9440}}
                             resources: {limits: {cpu: "1", memory: 1Gi}, requests: {cpu: 100m, memory: 64Mi}}
                             """)
    for name in FLUX_CONTROLLERS)


def test_a_bootstrapped_flux_hub_still_validates_clean(bake, tmp_path):
    """After the README's bootstrap: Flux's single-replica controllers on the Flux hub only are
    declared to hubguard by the kept kustomization.yaml, and come from the mirror."""
    mirror = "registry.corp.example:5000/mirror"
    baked = bake(**combo("both", "external-secrets-vault"), registry_mirror=mirror)
    repo = tmp_path / "bootstrapped"
    shutil.copytree(baked, repo)
    (repo / "clusters/seattle/flux-system/gotk-components.yaml").write_text(BOOTSTRAPPED_COMPONENTS)
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])
    flux = [f for f in report["suppressed"] if f["object"].startswith("Deployment/flux-system/")]
    assert {(f["rule"], f["object"].rsplit("/", 1)[1]) for f in flux} == {
        (rule, name) for rule in ("ha/replicas", "ha/hub-parity")
        for name in FLUX_CONTROLLERS}
    result = run(["hubguard", "render", ".", "--hub", "seattle", "--format", "json"], repo)
    images = {c["image"] for o in json.loads(result.stdout)["objects"] if o["object"]["metadata"].get("namespace") == "flux-system"
              and o["object"]["kind"] == "Deployment" for c in o["object"]["spec"]["template"]["spec"]["containers"]}
    assert images == {f"{mirror}/fluxcd/{name}:v1.9.0" for name in FLUX_CONTROLLERS}


# -- 11: each engine gets the on-prem Git server's credentials and CA (HTTPS) or host key (SSH) ----------
@pytest.mark.parametrize(("git_url", "scheme"), [
    ("https://git.corp.example/platform/ratings.git", "https"),
    ("ssh://git@git.corp.example:2222/platform/ratings.git", "ssh"),
])
def test_git_credentials_and_ca_for_both_engines(bake, git_url, scheme):
    repo = bake(**combo("both", "external-secrets-vault"), git_url=git_url, repo_name=f"git-{scheme}")
    readme = (repo / "README.md").read_text()
    # Flux (seattle): the GitRepository names the Secret that `flux bootstrap git` fills from its flags
    source = docs(repo / "clusters/seattle/flux-system/gotk-sync.yaml")[0]["spec"]
    assert source["secretRef"] == {"name": "flux-system"} and source["url"] == git_url
    flux_auth = "--username=<user> --ca-file=<git server CA>" if scheme == "https" else "--private-key-file=<deploy key> --silent"
    assert f"flux bootstrap git --url={git_url} --branch=main --path=clusters/$HUB --version=v2.9.4 {flux_auth}" in readme
    # Argo CD (munich): the chart leaves the CA / known-hosts ConfigMap to the README's step, in the
    # first install's values and in the Application that then manages Argo CD alike
    installed = yaml.safe_load((repo / "clusters/munich/argocd-values.yaml").read_text())
    managed = next(d for d in docs(repo / "clusters/munich/argocd/argocd.yaml"))["spec"]["source"]["helm"]["valuesObject"]
    for values in (installed, managed):
        assert values["configs"]["tls" if scheme == "https" else "ssh"] == {"create": False}
        assert ("ssh" if scheme == "https" else "tls") not in values["configs"]  # the chart keeps the other one
    if scheme == "https":
        assert ("kubectl -n argocd create configmap argocd-tls-certs-cm --from-file=git.corp.example=<git server CA>"
                in readme)
    else:
        assert "ssh-keyscan -p 2222 git.corp.example > known_hosts" in readme
        assert "create configmap argocd-ssh-known-hosts-cm --from-file=ssh_known_hosts=known_hosts" in readme
    # the repository Secret: Argo CD matches it to Applications by URL, so it names their repoURL exactly
    urls = re.findall(r"create secret generic git-repo --from-literal=type=git --from-literal=url=(\S+) ", readme)
    repo_urls = {d["spec"]["source"]["repoURL"] for f in ("bootstrap/argocd-root.yaml", "argocd/apps.yaml", "argocd/infrastructure.yaml")
                 for d in docs(repo / "clusters/munich" / f) if "path" in d["spec"]["source"]}
    assert urls == [git_url] and repo_urls == {git_url}
    assert "argocd.argoproj.io/secret-type=repository" in readme
    # no credential is committed: the only Secrets in the repository are none at all (ESO backend)
    assert not [p for p in repo.rglob("*.yaml") if ".git" not in p.parts and "kind: Secret" in p.read_text()]
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])


def flux_steps(readme: str) -> list[str]:
    """The numbered sub-steps that follow the Flux bootstrap step, as one line each."""
    part = readme[readme.index("Then take the write credential out of the cluster"):]
    part = part[:part.index("\n1", part.index("The cluster now holds no credential that may push"))]
    return [" ".join(step.split()) for step in re.split(r"\n    \d\. ", part)[1:]]


@pytest.mark.parametrize(("git_url", "scheme"), [
    ("https://git.corp.example/platform/ratings.git", "https"),
    ("ssh://git@git.corp.example:2222/platform/ratings.git", "ssh"),
])
def test_flux_swaps_the_bootstrap_credential_for_a_read_only_one(bake, git_url, scheme):
    """flux bootstrap stores a credential that may push; the README's next steps replace it with a
    read-only one through Flux's documented rotation (delete the Secret, flux create secret git)."""
    repo = bake(**combo("both", "external-secrets-vault"), git_url=git_url, repo_name=f"git-{scheme}")
    steps = flux_steps((repo / "README.md").read_text())
    assert len(steps) == 5, steps
    assert steps[1] == "`kubectl -n flux-system delete secret flux-system`"
    if scheme == "ssh":
        assert "deploy key **without** write access" in steps[0] and 'ssh-keygen -t ed25519 -N ""' in steps[0]
        assert steps[2].startswith(f'`flux create secret git flux-system --url={git_url} --private-key-file="$KEY"`')
        assert "the deploy key with write access" in steps[4]
    else:
        assert "may only read this repository" in steps[0]
        assert steps[2].startswith(f"`flux create secret git flux-system --url={git_url} --username=<read-only user> "
                                   "--password=<read-only token> --ca-crt-file=<git server CA>`")
        assert "revoke the token you bootstrapped with" in steps[4]
    assert steps[3].startswith("`flux reconcile source git flux-system`")
    # an upgrade goes through Git: bootstrap run again with credentials would put the write credential back
    readme = " ".join((repo / "README.md").read_text().split())
    assert ("**Upgrading Flux** goes through Git (Flux docs, \"Upgrade Flux\", with Git): with the Flux CLI of the new release, "
            "`flux install --version=<new release> --export > clusters/$HUB/flux-system/gotk-components.yaml`, commit and push") in readme
    assert "would replace the read-only Secret with that credential" in readme
    # the Secret the steps recreate is the one Flux's GitRepository reads
    source = docs(repo / "clusters/seattle/flux-system/gotk-sync.yaml")[0]["spec"]
    assert source["secretRef"] == {"name": "flux-system"}


def test_argocd_only_repository_has_no_flux_credential_steps(bake):
    readme = (bake(**combo("argocd", "external-secrets-vault")) / "README.md").read_text()
    assert "flux create secret git" not in readme and "--from-literal=password=<read-only token>" in readme  # Argo CD reads only


# -- 5: External Secrets with Key Vault on Azure Stack Hub ----------------------------------------------
def test_keyvault_store_has_the_tenant_vault_and_environment_file(bake):
    repo = bake(**combo("flux", "external-secrets-keyvault"))
    store = docs(repo / "infrastructure/configs/munich/cluster-secret-store.yaml")[0]["spec"]["provider"]["azurekv"]
    assert store["tenantId"] == TENANT
    assert store["vaultUrl"] == "https://ratings-munich.vault.germanywestcentral.azurestack.corp.example"
    releases = {d["metadata"]["name"]: d for d in docs(repo / "infrastructure/controllers/flux/releases.yaml")}
    values = releases["external-secrets"]["spec"]["values"]
    assert values["extraEnv"] == [{"name": "AZURE_ENVIRONMENT_FILEPATH", "value": "/etc/kubernetes/azurestackcloud.json"}]
    assert values["extraVolumeMounts"][0]["mountPath"] == "/etc/kubernetes/azurestackcloud.json"
    assert values["extraVolumes"][0]["hostPath"]["path"] == "/etc/kubernetes/azurestackcloud.json"
    assert values["replicaCount"] == 2 and values["leaderElect"] is True
    assert "<tenant-id>" not in "".join(p.read_text() for p in repo.rglob("*.yaml"))


# -- 6 and 13: what CI installs, and pins ---------------------------------------------------------------
def test_ci_and_pre_commit_install_the_given_spec(bake):
    spec = "hubguard @ git+https://git.corp.example/tools/hubguard@0123456789abcdef0123456789abcdef01234567"
    repo = bake(hubguard_install=spec)
    workflow = yaml.safe_load((repo / ".github/workflows/hubguard.yml").read_text())
    assert workflow["env"]["HUBGUARD_INSTALL"] == spec
    assert yaml.safe_load((repo / "azure-pipelines.yml").read_text())["variables"]["HUBGUARD_INSTALL"] == spec
    hook = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"][0]
    assert hook["additional_dependencies"] == [spec]
    uses = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert uses and all(SHA_PINNED.match(u) for u in uses), uses


def test_default_install_spec_is_where_this_hubguard_came_from(bake):
    repo = bake()
    answers = dict(json.loads((repo / ".hubguard-template.json").read_text())["answers"])
    assert answers["hubguard_install"] == hubgen.hubguard_install(hubgen.hubguard_version())
    assert yaml.safe_load((repo / "azure-pipelines.yml").read_text())["variables"]["HUBGUARD_INSTALL"] == answers["hubguard_install"]


def test_install_spec_of_each_kind_of_source(tmp_path):
    assert hubgen.install_spec({"url": "https://git.corp.example/hubguard.git",
                                "vcs_info": {"vcs": "git", "commit_id": "a" * 40}}, "0.1.0") == (
        f"hubguard @ git+https://git.corp.example/hubguard.git@{'a' * 40}")
    assert hubgen.install_spec({"url": "https://files.corp.example/hubguard-0.1.0.tar.gz",
                                "archive_info": {"hashes": {"sha256": "b" * 64}}}, "0.1.0") == (
        f"hubguard @ https://files.corp.example/hubguard-0.1.0.tar.gz#sha256={'b' * 64}")
    assert hubgen.install_spec(None, "0.1.0") == "hubguard==0.1.0"
    # a local checkout: its committed HEAD at its origin remote; uncommitted changes: the released version
    checkout = tmp_path / "hubguard"
    (checkout / "validators").mkdir(parents=True)
    (checkout / "validators" / "__init__.py").write_text("")
    (checkout / "pyproject.toml").write_text("[project]\nname = 'hubguard'\n")
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
                 ["remote", "add", "origin", "https://git.corp.example/tools/hubguard.git"]):
        run(["git", *args], checkout)
    head = run(["git", "rev-parse", "HEAD"], checkout).stdout.strip()
    local = {"url": checkout.as_uri(), "dir_info": {"editable": True}}
    assert hubgen.install_spec(local, "0.1.0") == f"hubguard @ git+https://git.corp.example/tools/hubguard.git@{head}"
    (checkout / "validators" / "__init__.py").write_text("changed = True\n")
    assert hubgen.install_spec(local, "0.1.0") == "hubguard==0.1.0"


def test_ingress_nginx_is_a_release_with_the_ingressnightmare_fixes(bake):
    repo = bake()
    releases = {d["metadata"]["name"]: d for d in docs(repo / "infrastructure/controllers/flux/releases.yaml")}
    version = tuple(int(p) for p in releases["ingress-nginx"]["spec"]["chart"]["spec"]["version"].split("."))
    # CVE-2025-1974 is fixed in chart 4.11.5 (controller v1.11.5) and 4.12.1 (v1.12.1)
    assert version >= (4, 12, 1) or (4, 11, 5) <= version < (4, 12, 0)


# -- 7: the replica set initialises itself -----------------------------------------------------------------
def test_replica_set_is_initiated_by_a_job_not_by_hand(bake):
    repo = bake()
    base = {(d["kind"], d["metadata"]["name"]): d for f in ("mongodb.yaml", "mongodb-init.yaml")
            for d in docs(repo / "apps/ratings/base" / f)}
    script = base[("ConfigMap", "mongodb-init")]["data"]["init.js"]
    assert "replSetInitiate" in script and 'createUser({user: "ratings-app"' in script
    job = base[("Job", "mongodb-init")]["spec"]["template"]["spec"]
    assert job["containers"][0]["command"][:2] == ["mongosh", "--quiet"]
    # only member 0 creates the root user before the set exists (CannotInitializeNodeWithData otherwise)
    command = base[("StatefulSet", "mongodb")]["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert 'if [ "${HOSTNAME##*-}" != "0" ]; then unset MONGO_INITDB_ROOT_USERNAME' in command
    readme = (repo / "README.md").read_text()
    assert "rs.initiate" not in readme and "job/mongodb-init" in readme


# -- 10: disconnected hubs pull every image from the mirror ------------------------------------------------
# Every image each pinned chart pulls, by the values key that sets it, as the chart's values.yaml names
# it (cert-manager v1.16.1, external-secrets 0.17.0, ingress-nginx 4.12.1, kured 5.5.2, prometheus
# 25.27.0 with kube-state-metrics 5.25 and prometheus-node-exporter 4.39, argo-cd 8.6.4). A key ending
# in `registry` replaces the registry host of the chart's repository path.
UPSTREAM_IMAGES = {
    "ingress-nginx": {"global.image.registry": "registry.k8s.io/ingress-nginx/controller",
                      "controller.admissionWebhooks.patch.image.registry": "registry.k8s.io/ingress-nginx/kube-webhook-certgen"},
    "cert-manager": {"image.repository": "quay.io/jetstack/cert-manager-controller",
                     "webhook.image.repository": "quay.io/jetstack/cert-manager-webhook",
                     "cainjector.image.repository": "quay.io/jetstack/cert-manager-cainjector",
                     "startupapicheck.image.repository": "quay.io/jetstack/cert-manager-startupapicheck",
                     "acmesolver.image.repository": "quay.io/jetstack/cert-manager-acmesolver"},
    "external-secrets": {"image.repository": "oci.external-secrets.io/external-secrets/external-secrets",
                         "webhook.image.repository": "oci.external-secrets.io/external-secrets/external-secrets",
                         "certController.image.repository": "oci.external-secrets.io/external-secrets/external-secrets"},
    "kured": {"image.repository": "ghcr.io/kubereboot/kured"},
    "prometheus": {"server.image.repository": "quay.io/prometheus/prometheus",
                   "configmapReload.prometheus.image.repository": "quay.io/prometheus-operator/prometheus-config-reloader",
                   "kube-state-metrics.image.registry": "registry.k8s.io/kube-state-metrics/kube-state-metrics",
                   "prometheus-node-exporter.image.registry": "quay.io/prometheus/node-exporter"},
    "argocd": {"global.image.repository": "quay.io/argoproj/argocd",
               "redis.image.repository": "ecr-public.aws.com/docker/library/redis",
               "dex.image.repository": "ghcr.io/dexidp/dex"},
}


def image_settings(values, prefix: str = "") -> dict[str, str]:
    """Every registry/repository value under an `image` key of Helm values, by its dotted key."""
    found = {}
    for key, value in values.items() if isinstance(values, dict) else ():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            if key == "image":
                found.update({f"{path}.{k}": v for k, v in value.items() if k in ("registry", "repository")})
            found.update(image_settings(value, path + "."))
    return found


def test_registry_mirror_covers_every_image_of_every_chart(bake):
    mirror = "registry.corp.example:5000/mirror"
    repo = bake(registry_mirror=mirror, monitoring="prometheus", **combo("both", "external-secrets-vault"))
    values = {d["metadata"]["name"]: d["spec"]["values"] for d in docs(repo / "infrastructure/controllers/flux/releases.yaml")}
    values.update({d["metadata"]["name"]: d["spec"]["source"]["helm"]["valuesObject"]
                   for f in ("argocd.yaml", "infrastructure.yaml") for d in docs(repo / "clusters/munich/argocd" / f)
                   if d["spec"]["source"].get("chart")})
    assert values["cert-manager"] == next(  # the Flux hub and the Argo CD hub install the same values
        d["spec"]["source"]["helm"]["valuesObject"] for d in docs(repo / "clusters/munich/argocd/infrastructure.yaml")
        if d["metadata"]["name"] == "cert-manager")
    readme = (repo / "README.md").read_text()
    listed = set(re.findall(r"\| `([^`]+)` \| `([^`]+)` \|$", readme, re.MULTILINE))
    for chart, upstream in UPSTREAM_IMAGES.items():
        settings = image_settings(values[chart])
        # every image the chart pulls is set, and nothing else under an `image` key escapes the mirror
        assert set(settings) == set(upstream), chart
        for key, image in upstream.items():
            path = image.split("/", 1)[1]
            if key.endswith(".registry"):
                assert settings[key] == mirror, (chart, key)
            else:
                assert settings[key] == f"{mirror}/{path}", (chart, key)
            assert (image, f"{mirror}/{path}") in listed, (chart, image)  # the README's mirror-sync table
    for name in ("source-controller", "kustomize-controller", "helm-controller", "notification-controller"):
        assert (f"ghcr.io/fluxcd/{name}", f"{mirror}/fluxcd/{name}") in listed
    assert ("docker.io/library/mongo:7.0.14", f"{mirror}/library/mongo:7.0.14") in listed
    assert ("https://charts.jetstack.io cert-manager", f"oci://{mirror}/charts/cert-manager") in listed
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])


def test_without_a_mirror_the_charts_keep_their_own_images(bake):
    repo = bake(monitoring="prometheus", **combo("flux", "external-secrets-vault"))
    values = {d["metadata"]["name"]: d["spec"]["values"] for d in docs(repo / "infrastructure/controllers/flux/releases.yaml")}
    assert {chart: image_settings(v) for chart, v in values.items()} == {chart: {} for chart in values}
    assert "## What the registry mirror must hold" not in (repo / "README.md").read_text()


# -- inputs ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "message"), [
    ({"kubernetes_version": "1.30"}, "cannot be created by AKS Engine v0.85.0"),
    ({"kubernetes_version": "1.34.1"}, "is not one AKS Engine v0.85.0 creates"),
    ({"portal_url": "https://portal.elsewhere.corp.example/"}, "must be the hub's Azure Stack Hub user portal"),
    ({"identity_system": "ldap"}, "identity_system 'ldap' must be one of azure_ad, adfs"),
    ({"gitops_engine": "jenkins"}, "gitops_engine 'jenkins' must be one of flux, argocd"),
])
def test_hub_inputs_refused(change, message):
    hubs = [dict(MIXED_HUBS[0]), dict(MIXED_HUBS[1], **change)]
    with pytest.raises(hubinputs.InputError, match=re.escape(message)):
        hubinputs.validate_hubs(hubs)


@pytest.mark.parametrize(("context", "message"), [
    ({"gitops_engine": "both", "hubs": json.dumps([{k: v for k, v in h.items() if k != "gitops_engine"} for h in MIXED_HUBS])},
     "gitops_engine both needs each hub's own gitops_engine"),
    ({"cluster_address_space": "10.0.0.0/8"}, "overlaps 10.10.0.0/16 (onprem_cidrs of hub seattle)"),
    ({"cluster_address_space": "10.240.0.0/17"}, "must be an IPv4 network of /16 or larger"),
    ({"cluster_address_space": "192.168.0.0/16"}, "holds 1 hub block(s) of /16, 2 hubs need one each"),
    ({"secrets_backend": "external-secrets-keyvault", "azure_tenant_id": ""}, "azure_tenant_id: '' must be"),
    ({"hubguard_install": "hubguard; rm -rf /"}, "hubguard_install:"),
    ({"flux_version": "latest"}, "flux_version: 'latest' is not valid"),  # pinned: a release tag, never "latest"
])
def test_context_inputs_refused(context, message):
    defaults = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    values = {k: (v[0] if isinstance(v, list) else v) for k, v in defaults.items()
              if not k.startswith("_") and "{{" not in str(v)}  # the defaults cookiecutter renders from others
    values["repo_name"] = "ratings"
    assert hubinputs.validate_context(values)  # valid as it stands: each case breaks one thing
    with pytest.raises(hubinputs.InputError, match=re.escape(message)):
        hubinputs.validate_context({**values, **context})


# -- 14 ---------------------------------------------------------------------------------------------------
def test_flux_artifacts_leave_out_what_hubs_do_not_need(bake):
    repo = bake()
    ignored = (repo / ".sourceignore").read_text().split()
    assert {"/.age/", "/clusters/*/aks-engine/", "/global/"} <= set(ignored)


def test_vault_store_trusts_the_internal_ca(bake):
    repo = bake(**combo("argocd", "external-secrets-vault"))
    vault = docs(repo / "infrastructure/configs/seattle/cluster-secret-store.yaml")[0]["spec"]["provider"]["vault"]
    assert vault["caProvider"] == {"type": "ConfigMap", "namespace": "external-secrets", "name": "vault-ca", "key": "ca.crt"}
    assert "create configmap vault-ca" in (repo / "README.md").read_text()
