"""Bake the template (defaults, every engine x secrets backend, three hubs) and check the result
with the real tools: kustomize, sops, git, pre-commit and hubguard itself."""

from __future__ import annotations

import json
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from template_support import (
    COMBOS,
    THREE_HUBS,
    combo,
    kustomize_roots,
    run,
    text_files,
    validate_json,
)

UNRENDERED = re.compile(r"\{\{\s*cookiecutter|\{%|\{#|__hub__|@HUBGUARD_INSTALL@|_hub_template|_repo_template")


def combo_params():
    for engine, backend in COMBOS:
        yield pytest.param(engine, backend, id=f"{engine}-{backend}")


@pytest.mark.parametrize(("engine", "backend"), COMBOS)
def test_nothing_unrendered_and_ci_braces_intact(bake, engine, backend):
    repo = bake(**combo(engine, backend))
    files = text_files(repo)
    leftovers = {path: m.group(0) for path, text in files.items() if (m := UNRENDERED.search(text))}
    assert leftovers == {}
    with_braces = sorted(path for path, text in files.items() if "{{" in text)
    assert with_braces == [".github/workflows/hubguard.yml", "azure-pipelines.yml"]
    workflow = yaml.safe_load(files[".github/workflows/hubguard.yml"])
    assert workflow["jobs"]["validate"]["strategy"]["matrix"]["hub"] == "${{ fromJSON(needs.hubs.outputs.hubs) }}"
    assert any("upload-sarif" in step.get("uses", "") for step in workflow["jobs"]["validate"]["steps"])
    pipeline = yaml.safe_load(files["azure-pipelines.yml"])
    validate_job = pipeline["jobs"][1]
    assert "${{ parameters.failOn }}" in validate_job["steps"][2]["script"]
    assert any(step.get("task") == "PublishTestResults@2" for step in validate_job["steps"])
    assert not any(path.startswith(("_hub_template", "_repo_template")) for path in files)
    from hubguard.generator.template_record import record_problem

    assert record_problem(json.loads(files[".hubguard-template.json"])) is None


# Together these cover every engine and every backend (the roots depend on one or the other);
# `hubguard validate` below builds every root of all nine combinations as well.
@pytest.mark.parametrize(("engine", "backend"), [("flux", "sops-age"), ("argocd", "external-secrets-keyvault"),
                                                 ("both", "external-secrets-vault")])
def test_every_kustomize_root_builds(bake, engine, backend):
    repo = bake(**combo(engine, backend))
    roots = kustomize_roots(repo)
    expected = {"apps/ratings/base", "apps/ratings/overlays/seattle", "apps/ratings/overlays/munich",
                "infrastructure/configs/seattle", "infrastructure/configs/munich"}
    if engine != "argocd":
        expected.add("infrastructure/controllers/flux")
    expected |= {f"clusters/{hub}/flux-system" for hub in ("seattle", "munich") if engine == "flux"}
    expected |= {"clusters/seattle/flux-system"} if engine == "both" else set()  # seattle is the Flux hub of MIXED_HUBS
    assert {r.relative_to(repo).as_posix() for r in roots} == expected
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda root: run(["kubectl", "kustomize", str(root)], repo), roots))
    for root, result in zip(roots, results):
        assert result.returncode == 0, f"{root.relative_to(repo)}: {result.stderr}"
        assert [d for d in yaml.safe_load_all(result.stdout) if d], root


@pytest.mark.parametrize(("engine", "backend"), list(combo_params()))
def test_hubguard_validate_finds_nothing(bake, engine, backend):
    repo = bake(**combo(engine, backend))
    code, report = validate_json(repo)
    assert report["findings"] == []
    assert code == 0
    assert report["summary"]["hubs"] == ["munich", "seattle"]


@pytest.mark.parametrize(("engine", "backend"), [("flux", "sops-age"), ("argocd", "external-secrets-vault")])
def test_entry_points_per_engine(bake, engine, backend):
    repo = bake(**combo(engine, backend))
    flux_sync = repo / "clusters/seattle/flux-system/gotk-sync.yaml"
    argo_root = repo / "clusters/seattle/bootstrap/argocd-root.yaml"
    assert flux_sync.exists() == (engine == "flux")
    assert argo_root.exists() == (engine == "argocd")
    if engine == "flux":
        docs = list(yaml.safe_load_all((repo / "clusters/seattle/flux/apps.yaml").read_text()))
        assert docs[0]["spec"]["dependsOn"] == [{"name": "infra-configs"}]
        assert docs[0]["spec"]["decryption"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}
    else:
        store = yaml.safe_load((repo / "infrastructure/configs/seattle/cluster-secret-store.yaml").read_text())
        assert store["spec"]["provider"]["vault"]["auth"]["kubernetes"]["role"] == "external-secrets"
        assert not (repo / ".sops.yaml").exists()


def test_keyvault_store_targets_azure_stack(bake):
    repo = bake(**combo("flux", "external-secrets-keyvault"))
    store = yaml.safe_load((repo / "infrastructure/configs/munich/cluster-secret-store.yaml").read_text())
    assert store["spec"]["provider"]["azurekv"]["environmentType"] == "AzureStackCloud"


def test_age_keys_private_ignored_and_never_committed(bake):
    repo = bake()
    for hub in ("seattle", "munich"):
        key = repo / ".age" / f"{hub}.agekey"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert "AGE-SECRET-KEY-" in key.read_text()
        assert run(["git", "check-ignore", "-q", str(key)], repo).returncode == 0
    assert run(["git", "status", "--porcelain"], repo).stdout == ""
    tracked = run(["git", "ls-files"], repo).stdout.split()
    assert not [p for p in tracked if p.startswith(".age")]
    grep = run(["git", "grep", "-i", "-c", "AGE-SECRET-KEY", "HEAD"], repo)
    assert grep.returncode == 1 and grep.stdout == ""  # 1: no match anywhere in the commit


def test_sops_files_decrypt_with_the_hubs_key_only(bake):
    repo = bake()
    sops_rules = yaml.safe_load((repo / ".sops.yaml").read_text())["creation_rules"]
    assert [r["path_regex"] for r in sops_rules] == [
        r"^apps/ratings/overlays/seattle/.*\.sops\.yaml$", r"^apps/ratings/overlays/munich/.*\.sops\.yaml$"]
    keys = {hub: (repo / ".age" / f"{hub}.agekey").read_text() for hub in ("seattle", "munich")}
    for hub in ("seattle", "munich"):
        encrypted = repo / f"apps/ratings/overlays/{hub}/mongodb-credentials.sops.yaml"
        assert "ENC[AES256_GCM" in encrypted.read_text()
        plain = run(["sops", "--decrypt", str(encrypted)], repo, SOPS_AGE_KEY=keys[hub])
        assert plain.returncode == 0, plain.stderr
        secret = yaml.safe_load(plain.stdout)
        assert set(secret["stringData"]) == {"root-username", "root-password", "app-password", "backup-password", "uri",
                                             "backup-source-uri", "backup-sas", "replica-set-key"}
        assert secret["stringData"]["root-password"] not in encrypted.read_text()
        # the API and the backup connect as their own users, never as root
        assert secret["stringData"]["uri"].startswith(f"mongodb://ratings-app:{secret['stringData']['app-password']}@")
        assert secret["stringData"]["backup-source-uri"].startswith("mongodb://ratings-backup:")
        other = "munich" if hub == "seattle" else "seattle"
        assert run(["sops", "--decrypt", str(encrypted)], repo, SOPS_AGE_KEY=keys[other]).returncode != 0


def test_three_hubs(bake):
    repo = bake(hubs=json.dumps(THREE_HUBS), repo_name="three-hubs")
    assert sorted(p.name for p in (repo / "clusters").iterdir()) == ["munich", "oslo", "seattle"]
    profile = json.loads((repo / "global/traffic-manager.json").read_text())["resources"][0]["properties"]
    assert [(e["name"], e["properties"]["target"]) for e in profile["endpoints"]] == [
        (h["name"], h["ingress_host"]) for h in THREE_HUBS]
    assert profile["monitorConfig"]["path"] == "/healthz"
    cross = list(yaml.safe_load_all((repo / "apps/ratings/overlays/seattle/networkpolicy-cross-hub.yaml").read_text()))
    # the other hubs' node networks (munich's /16 is the second of the address space, oslo's the third), then their sites
    assert [b["ipBlock"]["cidr"] for b in cross[0]["spec"]["egress"][0]["to"]] == [
        "10.241.0.0/20", "10.242.0.0/20", "10.20.0.0/16", "172.20.0.0/20", "10.30.0.0/16"]
    assert [b.get("ipBlock", {}).get("cidr") for b in cross[1]["spec"]["egress"][0]["to"]] == [None]
    assert [b["ipBlock"]["cidr"] for b in cross[1]["spec"]["egress"][1]["to"]] == ["10.20.0.0/16", "172.20.0.0/20"]
    assert cross[1]["spec"]["egress"][1]["ports"] == [{"protocol": "TCP", "port": 443}]
    backup = yaml.safe_load((repo / "apps/ratings/overlays/munich/backup.yaml").read_text())
    assert backup["metadata"]["labels"]["hubguard.io/backup-target"] == "oslo"
    policy = yaml.safe_load((repo / ".hubguard.yaml").read_text())
    assert policy["hubs"]["oslo"] == {
        "roots": ["clusters/oslo/flux-system"], "flux_version": "2.9", "location": "norwayeast", "kubernetes_version": "1.35",
        "ingress_host": "ratings.oslo.corp.example", "onprem_cidrs": ["10.30.0.0/16", "10.242.0.0/20"], "backup_hub": "seattle"}
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["hubs"] == ["munich", "oslo", "seattle"]


def test_registry_mirror_rewrites_images_and_charts(bake):
    repo = bake(registry_mirror="registry.corp.example:5000/mirror", monitoring="prometheus", traffic_routing="Weighted")
    base = (repo / "apps/ratings/base/mongodb.yaml").read_text()
    assert "image: registry.corp.example:5000/mirror/library/mongo:7.0.14" in base
    assert "docker.io" not in base
    repos = list(yaml.safe_load_all((repo / "infrastructure/controllers/flux/repositories.yaml").read_text()))
    assert {r["spec"]["url"] for r in repos} == {"oci://registry.corp.example:5000/mirror/charts"}
    assert {r["metadata"]["name"] for r in repos} == {"ingress-nginx", "cert-manager", "kured", "prometheus"}
    assert not (repo / "infrastructure/configs/seattle/container-insights.yaml").exists()
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])


def test_container_insights_excludes_the_pii_namespace(bake):
    repo = bake()
    config = yaml.safe_load((repo / "infrastructure/configs/seattle/container-insights.yaml").read_text())
    assert 'exclude_namespaces = ["kube-system", "gatekeeper-system", "ratings"]' in config["data"]["log-data-collection-settings"]


def test_first_commit_and_clean_tree(bake):
    repo = bake()
    assert run(["git", "rev-list", "--count", "HEAD"], repo).stdout.strip() == "1"
    assert run(["git", "rev-parse", "--abbrev-ref", "HEAD"], repo).stdout.strip() == "main"
    assert "README.md" in run(["git", "ls-files"], repo).stdout.split()


def test_pre_commit_runs_hubguard(bake, tmp_path):
    repo = bake()
    config = repo / ".pre-commit-config.yaml"
    hook = yaml.safe_load(config.read_text())["repos"][0]["hooks"][0]
    spec = json.loads((repo / ".hubguard-template.json").read_text())
    install = dict(spec["answers"])["hubguard_install"]
    assert (hook["language"], hook["additional_dependencies"]) == ("python", [install])
    # pre-commit would pip-install that spec from a package index (not reachable here): run the
    # same hook with the hubguard under test instead, in a copy of the repository.
    offline = tmp_path / "offline"
    run(["git", "clone", "-q", str(repo), str(offline)], tmp_path)
    (offline / ".pre-commit-config.yaml").write_text(
        config.read_text().replace("language: python", "language: system").replace(
            f'additional_dependencies: ["{install}"]', "additional_dependencies: []"))
    result = run(["pre-commit", "run", "--all-files"], offline, PRE_COMMIT_HOME=str(tmp_path / "pre-commit"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hubguard validate" in result.stdout and "Passed" in result.stdout


def test_readme_has_runbook_diagram_and_no_credentials(bake):
    repo = bake()
    readme = (repo / "README.md").read_text()
    for heading in ("## What each folder is", "## Bootstrapping a hub", "## Adding a hub", "## Disaster recovery runbook"):
        assert heading in readme
    assert "```mermaid" in readme and "seattle_db" in readme
    plain = run(["sops", "--decrypt", "apps/ratings/overlays/seattle/mongodb-credentials.sops.yaml"], repo,
                SOPS_AGE_KEY=(repo / ".age/seattle.agekey").read_text())
    password = yaml.safe_load(plain.stdout)["stringData"]["root-password"]
    assert password not in readme
    assert not [p for p, text in text_files(repo).items() if password in text and not p.startswith(".age")]
    assert os.environ.get("SOPS_AGE_KEY") is None  # the key only ever went to the sops child process
