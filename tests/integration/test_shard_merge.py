"""`validate --shard K/N` + `merge` = the unsharded run, finding for finding.

The corpus has findings of every kind a merge must fold: a file finding on no hub (a password in
the docs), a file finding on the hubs that receive the file (a plaintext Secret in the shared
base), rendered findings per hub (a password substituted by Flux on two hubs
of three), hub rules, a render error on one hub, repository rules naming hubs (the traffic manager
lacks one), the cross-hub rule (a workload missing on one hub) and a comment suppression of a
cross-hub finding."""

from __future__ import annotations

import json
import subprocess

import pytest
from testkit import flux_kustomization

HUBS = ("amsterdam", "berlin", "cairo", "dublin")
DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: {name}
        image: registry.local/{name}:1.0.0
        env:
        - {{name: DB_PASSWORD, value: "${{DB_PASSWORD}}"}}
"""
SECRET = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: shop}\nstringData:\n  password: Zq8-very-Real-pass-2024\n"
TRAFFIC = json.dumps({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                      "contentVersion": "1.0.0.0", "resources": [{
                          "type": "Microsoft.Network/trafficManagerProfiles", "name": "shop", "apiVersion": "2018-08-01",
                          "properties": {"trafficRoutingMethod": "Priority", "monitorConfig": {"protocol": "HTTPS", "port": 443},
                                         "endpoints": [{"name": hub, "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
                                                        "properties": {"target": f"shop.{hub}.local", "endpointStatus": "Enabled"}}
                                                       for hub in HUBS[:3]]}}]}, indent=2)


def corpus() -> dict[str, str]:
    files = {
        ".hubguard.yaml": "hubs:\n" + "".join(f"  {hub}: {{roots: [clusters/{hub}], onprem_cidrs: [10.{i}.0.0/16]}}\n"
                                             for i, hub in enumerate(HUBS)),
        "apps/base/kustomization.yaml": "resources:\n- web.yaml\n- secret.yaml\n",
        "apps/base/web.yaml": DEPLOY.format(name="web"),
        "apps/base/secret.yaml": SECRET,
        "apps/extra/kustomization.yaml": "resources:\n- ../base\n- worker.yaml\n- reports.yaml\n",
        "apps/extra/worker.yaml": DEPLOY.format(name="worker"),
        "apps/extra/reports.yaml": DEPLOY.format(name="reports").replace(
            "metadata: {name: reports, namespace: shop}", "metadata: {name: reports, namespace: shop}  # hubguard: ignore[ha/hub-parity] reports run where the archive is"),
        "apps/broken/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: missing.yaml\n",
        "global/traffic-manager.json": TRAFFIC,
        "docs/operations.md": "Database login for the runbook: `DB_PASSWORD=Hq2-runbook-pass-7731`\n",
    }
    overlays = {"amsterdam": "extra", "berlin": "extra", "cairo": "base", "dublin": "broken"}
    for hub in HUBS:
        password = "Xk4-rendered-secret-99" if hub in ("amsterdam", "berlin") else "${DB_PASSWORD}"
        substitute = {"DB_PASSWORD": password} if hub in ("amsterdam", "berlin") else None
        files[f"clusters/{hub}/apps.yaml"] = flux_kustomization(f"./apps/{overlays[hub]}", substitute)
    return files


def _key(finding: dict) -> tuple:
    return tuple(json.dumps(finding[k]) for k in sorted(finding))


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    from hubguard.cli import main

    root = tmp_path_factory.mktemp("shards") / "repo"
    for rel, text in corpus().items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    out = tmp_path_factory.mktemp("out") / "whole.json"
    code = main(["validate", str(root), "--format", "json", "--output", str(out), "--no-cache"])
    return root, code, json.loads(out.read_text())


def test_the_corpus_has_every_kind_of_finding_a_merge_folds(whole):
    _, code, report = whole
    rules = {(f["rule"], f["hub"]) for f in report["findings"]}
    assert code == 1
    assert ("secret/sensitive-literal", None) in rules  # a file finding no hub receives
    # a file finding on the hubs that receive the file (dublin's render breaks): a shard without
    # them cannot attribute it, the merge keeps the shards' that can
    assert {hub for rule, hub in rules if rule == "secret/plaintext-secret"} == {"amsterdam", "berlin", "cairo"}
    assert ("schema/render-error", "dublin") in rules
    assert ("ha/hub-parity", "cairo") in rules and ("ha/hub-parity", "dublin") in rules
    assert ("ha/traffic-routing", "dublin") in rules and ("ha/replicas", None) not in rules
    assert any(rule == "ha/replicas" and hub is not None for rule, hub in rules)  # on some hubs only
    assert report["summary"]["suppressed"] == 2  # reports, missing on cairo and dublin


@pytest.mark.parametrize("count", [2, 3, 4])
def test_shards_merged_are_the_whole_run(whole, tmp_path, hubguard, count):
    root, code, report = whole
    shards = []
    for index in range(1, count + 1):
        shard = tmp_path / f"shard-{index}.json"
        result = hubguard("validate", str(root), "--shard", f"{index}/{count}", "--format", "json", "--output", str(shard))
        assert result[0] in (0, 1), result[2]
        shards.append(shard)
    rendered = [json.loads(s.read_text())["shard"]["rendered"] for s in shards]
    assert sorted(h for hubs in rendered for h in hubs) == sorted(HUBS) and all(rendered)  # each hub once
    # each file is checked by the file rules in one shard only, its findings' hubs left to merge
    file_findings = [(f["rule"], f["path"], f["line"], f["received_in"]) for s in shards
                     for f in json.loads(s.read_text())["shard"]["findings"] if "received_in" in f]
    assert len(file_findings) == len(set(file_findings))
    assert ("secret/plaintext-secret", "apps/base/secret.yaml", 5, "apps/base/secret.yaml") in file_findings
    assert ("secret/sensitive-literal", "docs/operations.md", 1, "docs/operations.md") in file_findings
    merged_code, out, err = hubguard("merge", *map(str, shards), "--format", "json")
    merged = json.loads(out)
    assert merged_code == code, err
    assert sorted(map(_key, merged["findings"])) == sorted(map(_key, report["findings"]))
    assert merged["findings"] == report["findings"]  # same order too
    assert merged["summary"] == report["summary"]


def test_merge_writes_any_format_with_validates_exit_codes(whole, tmp_path, hubguard):
    root, _, _ = whole
    shards = [str(tmp_path / f"s{i}.json") for i in (1, 2)]
    for index, shard in enumerate(shards, 1):
        hubguard("validate", str(root), "--shard", f"{index}/2", "--format", "json", "--output", shard)
    code, out, _ = hubguard("merge", *shards, "--format", "sarif")
    sarif = json.loads(out)
    assert code == 1 and any(r["ruleId"] == "ha/hub-parity" for r in sarif["runs"][0]["results"])
    code, out, _ = hubguard("merge", *shards)
    assert code == 1 and "ha/hub-parity" in out


def test_merge_refuses_what_is_not_the_shards_of_one_run(whole, tmp_path, hubguard):
    root, _, _ = whole
    shards = [str(tmp_path / f"s{i}.json") for i in (1, 2, 3)]
    for index, shard in enumerate(shards, 1):
        hubguard("validate", str(root), "--shard", f"{index}/3", "--format", "json", "--output", shard)
    code, _, err = hubguard("merge", shards[0], shards[1])
    assert code == 2 and "shard(s) 3 of 3 missing" in err
    code, _, err = hubguard("merge", shards[0], shards[0], shards[1], shards[2])
    assert code == 2 and "given twice" in err
    plain = tmp_path / "plain.json"
    hubguard("validate", str(root), "--format", "json", "--output", str(plain), "--no-cache")
    code, _, err = hubguard("merge", str(plain))
    assert code == 2 and "not a shard" in err
    code, _, err = hubguard("validate", str(root), "--shard", "3/2", "--format", "json")
    assert code == 2 and "--shard" in err
    code, _, err = hubguard("validate", str(root), "--shard", "1/2")
    assert code == 2 and "--format json" in err


def test_hubs_are_shared_out_by_what_they_read(make_repo):
    from hubguard.engine import ValidateOptions, open_repository
    from hubguard.render.shard_plan import Shard

    files = corpus()
    files.update({f"apps/extra/job-{i}.yaml": DEPLOY.format(name=f"job-{i}") for i in range(12)})
    files["apps/extra/kustomization.yaml"] = "resources:\n- ../base\n- worker.yaml\n- reports.yaml\n" + "".join(
        f"- job-{i}.yaml\n" for i in range(12))
    root = make_repo(files)
    policy, loader, _ = open_repository(ValidateOptions(root=root))
    names = sorted(policy.hubs)
    shares = [Shard(i, 2).hubs(names, policy, loader) for i in (1, 2)]
    # amsterdam and berlin read apps/extra (17 files): one each, the small hubs go with them
    assert shares == [["amsterdam", "cairo"], ["berlin", "dublin"]]
    assert shares == [Shard(i, 2).hubs(names, policy, loader) for i in (1, 2)]  # deterministic


def shards_of(hubguard, root, tmp_path, count: int) -> list[str]:
    shards = []
    for index in range(1, count + 1):
        shard = tmp_path / f"shard-{index}.json"
        code, _, err = hubguard("validate", str(root), "--shard", f"{index}/{count}", "--format", "json", "--output", str(shard))
        assert code in (0, 1), err
        shards.append(str(shard))
    return shards


def test_shards_and_merge_honour_the_baseline_a_whole_run_finds(whole, tmp_path, hubguard):
    """`.hubguard-baseline.json` at the root is used without being named: by one unsharded run and
    by shards + merge alike (the shards hand it to merge, which sets the whole run against it)."""
    import shutil

    root = tmp_path / "repo"
    shutil.copytree(whole[0], root)
    code, _, err = hubguard("validate", str(root), "--select", "secret/", "--select", "ha/hub-parity",
                            "--write-baseline", str(root / ".hubguard-baseline.json"), "--no-cache")
    assert code == 0, err
    code, out, _ = hubguard("validate", str(root), "--format", "json", "--no-cache")
    report = json.loads(out)
    assert report["summary"]["baseline"] > 0 and not [f for f in report["findings"] if f["rule"].startswith("secret/")]
    assert {f["rule"] for f in report["findings"]} >= {"schema/render-error", "ha/traffic-routing"}
    assert any(s["suppression"]["kind"] == "baseline" for s in report["suppressed"])

    for count in (2, 3):
        merged_code, out, err = hubguard("merge", *shards_of(hubguard, root, tmp_path, count), "--format", "json")
        merged = json.loads(out)
        assert merged_code == code, err
        assert merged["findings"] == report["findings"]
        assert merged["summary"] == report["summary"]
        assert merged["suppressed"] == report["suppressed"]


def test_merge_writes_several_outputs_in_one_run_as_validate_does(whole, tmp_path, hubguard):
    root, code, report = whole
    shards = shards_of(hubguard, root, tmp_path, 2)
    sarif, junit = tmp_path / "hubguard.sarif", tmp_path / "hubguard.xml"
    merged_code, out, err = hubguard("merge", *shards, "--format", "text", "--format", f"sarif={sarif}",
                                     "--format", f"junit={junit}", "--color", "never")
    assert merged_code == code == 1
    assert "ha/hub-parity" in out and "error(s)" in out
    _, alone, _ = hubguard("merge", *shards, "--format", "sarif")
    assert json.loads(sarif.read_text()) == json.loads(alone)
    assert junit.read_text().count("<testcase") >= len(report["findings"])
    suppressed = [r for r in json.loads(alone)["runs"][0]["results"] if r.get("suppressions")]
    assert [s["suppressions"][0]["justification"] for s in suppressed] == ["reports run where the archive is"] * 2
    code, out, err = hubguard("merge", *shards, "--quiet", "--exit-zero")
    assert code == 0 and "ha/hub-parity" in out and "error(s)" not in out + err
    code, _, err = hubguard("merge", *shards, "--format", "text", "--format", "json")
    assert code == 2 and "only one format can go to stdout" in err


@pytest.mark.parametrize("recipe, written", [("github-actions-sharded.yml", "hubguard.sarif"),
                                             ("azure-pipelines-sharded.yml", "hubguard-junit.xml")])
def test_the_sharded_recipes_merge_in_one_run(whole, tmp_path, hubguard, monkeypatch, recipe, written):
    """The merge step of each sharded CI recipe, as written: one run, every output it uploads."""
    import shlex
    from pathlib import Path

    root, code, _ = whole
    text = (Path(__file__).resolve().parents[2] / "docs/ci" / recipe).read_text()
    (line,) = [ln.strip().removeprefix("run: ") for ln in text.splitlines()
               if ln.strip().removeprefix("run: ").startswith("hubguard merge ")]
    shards = shards_of(hubguard, root, tmp_path, 2)
    argv = [arg for arg in shlex.split(line)[2:] if "shard-*" not in arg]
    monkeypatch.chdir(tmp_path)
    merged_code, out, err = hubguard("merge", *shards, *argv)
    assert merged_code == code == 1, err
    assert "ha/hub-parity" in out and "ha/hub-parity" in (tmp_path / written).read_text()


@pytest.mark.parametrize("count", [2, 3])
def test_an_annotation_one_hubs_overlay_adds_suppresses_on_that_hub_in_shards_too(make_repo, tmp_path, hubguard, count):
    """The shared Secret's file is checked in one shard, which may not render the hub whose overlay
    annotates it: merge decides with every shard's hubs, as one run does."""
    from testkit import flux_hub_repo

    secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n  password: Zq8-very-Real-pass-2024\n"
    quiet = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\n  annotations:\n"
             "    hubguard.io/ignore: secret/plaintext-secret\n    hubguard.io/ignore-reason: sealed by the vault operator\n")
    hubs = {hub: {"onprem_cidrs": [f"10.{i}.0.0/16"]} for i, hub in enumerate(("munich", "oslo", "seattle"), 1)}
    # and a workload only seattle runs, annotated so: the cross-hub finding on the other hubs is
    # suppressed by seattle's copy, in merge too
    archive = DEPLOY.format(name="archive").replace(
        "metadata: {name: archive, namespace: shop}",
        "metadata:\n  name: archive\n  namespace: shop\n  annotations:\n    hubguard.io/ignore: ha/hub-parity\n"
        "    hubguard.io/ignore-reason: the archive runs where the tapes are")
    root = make_repo(flux_hub_repo({"secret.yaml": secret}, hubs=hubs,
                                   overlays={"seattle": {"patch-quiet.yaml": quiet, "archive.yaml": archive}}))
    select = ("--select", "secret/plaintext-secret", "--select", "ha/hub-parity", "--no-cache", "--format", "json")
    _, out, _ = hubguard("validate", str(root), *select)
    whole = json.loads(out)
    rows = [(f["rule"], f["path"], f["line"], f["hub"]) for f in whole["findings"]]
    assert rows == [("secret/plaintext-secret", "apps/base/secret.yaml", 7, hub) for hub in ("munich", "oslo")]
    assert sorted((s["rule"], s["hub"], s["suppression"]["reason"]) for s in whole["suppressed"]) == [
        ("ha/hub-parity", hub, "the archive runs where the tapes are") for hub in ("munich", "oslo")] + [
        ("secret/plaintext-secret", "seattle", "sealed by the vault operator")]
    shards = [tmp_path / f"shard-{index}.json" for index in range(1, count + 1)]
    for index, shard in enumerate(shards, 1):
        hubguard("validate", str(root), "--shard", f"{index}/{count}", *select, "--output", str(shard))
    _, out, _ = hubguard("merge", *map(str, shards), "--format", "json")
    merged = json.loads(out)
    assert sorted(map(_key, merged["findings"])) == sorted(map(_key, whole["findings"]))
    assert merged["suppressed"] == whole["suppressed"] and merged["summary"] == whole["summary"]
