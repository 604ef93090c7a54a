"""Hostile and wrong inputs: refused with one clear line, never evaluated, nothing left behind.
Also `hubguard new`'s generate(): refuses existing targets and template syntax up front."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from hubguard.errors import HubguardError
from hubguard.generator.new_repository import generate, template_root
from template_support import TEMPLATE, THREE_HUBS

sys.path.insert(0, str(TEMPLATE / "hooks"))
import hubinputs  # noqa: E402

TWO = THREE_HUBS[:2]


def hubs_with(**changes) -> list[dict]:
    """Two valid hubs (seattle, munich), then `changes` as {index: {key: value}} applied."""
    hubs = [dict(h) for h in TWO]
    hubs[1]["backup_hub"] = "seattle"
    for index, patch in changes.get("patch", {}).items():
        hubs[index].update(patch)
    return hubs


HOSTILE = [
    ("one hub", {"hubs": json.dumps([dict(TWO[0], backup_hub="seattle")])}, "at least 2 hubs"),
    ("duplicate hubs", {"hubs": json.dumps(hubs_with(patch={1: {"name": "seattle"}}))}, "duplicate hub name 'seattle'"),
    ("not DNS-1123", {"hubs": json.dumps(hubs_with(patch={1: {"name": "Munich_1"}}))}, "is not a DNS-1123 label"),
    ("bad CIDR", {"hubs": json.dumps(hubs_with(patch={1: {"onprem_cidrs": ["10.20.0.0/33"]}}))}, "'10.20.0.0/33' is not a valid network"),
    ("host bits CIDR", {"hubs": json.dumps(hubs_with(patch={1: {"onprem_cidrs": ["10.20.0.1/16"]}}))}, "is not a valid network"),
    ("overlapping CIDRs", {"hubs": json.dumps(hubs_with(patch={1: {"onprem_cidrs": ["10.10.128.0/17"]}}))},
     "10.10.128.0/17 overlaps 10.10.0.0/16 of hub seattle"),
    ("everything CIDR", {"hubs": json.dumps(hubs_with(patch={1: {"onprem_cidrs": ["0.0.0.0/0"]}}))}, "covers every address"),
    ("backup self", {"hubs": json.dumps(hubs_with(patch={0: {"backup_hub": "seattle"}}))}, "backup_hub must be another hub"),
    ("backup unknown", {"hubs": json.dumps(hubs_with(patch={0: {"backup_hub": "oslo"}}))}, "backup_hub 'oslo' is not one of the hubs"),
    ("hubs not JSON", {"hubs": "[{'name': 'seattle'}]"}, "hubs: not valid JSON"),
    ("unknown hub key", {"hubs": json.dumps(hubs_with(patch={0: {"password": "x"}}))}, "unknown key 'password'"),
    ("dot-dot repo", {"repo_name": "../escape"}, "is not a safe folder name"),
    ("injection, raw-escaped", {"project_name": "{% raw %}{{ 7*7 }}{% endraw %}"}, "template syntax"),
    ("injection in a hub", {"hubs": json.dumps(hubs_with(patch={0: {"location": "{% raw %}{{ 7*7 }}{% endraw %}"}}))}, "template syntax"),
    ("bad choice", {"traffic_routing": "Priority"} | {"registry_mirror": "https://evil/"}, "registry_mirror"),
    ("kubernetes AKS Engine cannot create", {"hubs": json.dumps(hubs_with(patch={1: {"kubernetes_version": "1.30"}}))},
     "kubernetes_version '1.30' cannot be created by AKS Engine"),
    ("key vault without tenant", {"secrets_backend": "external-secrets-keyvault"}, "azure_tenant_id: '' must be"),
    ("address space on a site", {"cluster_address_space": "10.0.0.0/8"}, "cluster_address_space: 10.0.0.0/8 overlaps"),
]


@pytest.mark.parametrize(("case", "context", "message"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_pre_gen_hook_refuses_with_one_line_and_leaves_nothing(tmp_path, capfd, case, context, message):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context=context, output_dir=str(out))
    errors = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert len(errors) == 1, errors
    assert errors[0].startswith("ERROR: ") and message in errors[0]
    assert "49" not in errors[0]
    assert sorted(os.listdir(out)) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing next to it either (../escape)


@pytest.mark.parametrize("value", ["{{ 7*7 }}", "{% if 1 %}x{% endif %}", "{# c #}", "${{ secrets.X }}"])
def test_template_syntax_is_never_accepted_as_a_value(value):
    with pytest.raises(hubinputs.InputError, match="template syntax"):
        hubinputs.injection_in({"a": [value]}, "project_name")


@pytest.mark.parametrize(("hubs", "message"), [
    ([dict(TWO[0], backup_hub="munich"), dict(TWO[1], backup_hub="seattle", ingress_host="Bad_Host")], "ingress_host"),
    ([dict(TWO[0], backup_hub="munich"), dict(TWO[1], backup_hub="seattle", kubernetes_version="latest")], "kubernetes_version"),
    ([dict(TWO[0], backup_hub="munich"), dict(TWO[1], backup_hub="seattle", age_recipient="AGE-SECRET-KEY-1")], "age_recipient"),
    ([dict(TWO[0], backup_hub="munich"), dict(TWO[1], backup_hub="seattle", onprem_cidrs=[])], "non-empty list"),
    ("{}", "must be a list of objects"),
])
def test_hub_field_checks(hubs, message):
    with pytest.raises(hubinputs.InputError, match=message):
        hubinputs.validate_hubs(hubs)


def test_geographic_routing_needs_geo_mapping():
    hubs = [dict(TWO[0], backup_hub="munich"), dict(TWO[1], backup_hub="seattle")]
    with pytest.raises(hubinputs.InputError, match="geo_mapping"):
        hubinputs.validate_hubs(hubs, "Geographic")
    hubs[1]["geo_mapping"] = ["GEO-EU"]
    assert [h["name"] for h in hubinputs.validate_hubs(hubs, "Geographic")] == ["seattle", "munich"]


def test_template_root_is_the_checkout():
    assert template_root() == Path(__file__).resolve().parents[2]
    assert (template_root() / "cookiecutter.json").is_file()


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(root.rglob("*"))}


def test_generate_refuses_an_existing_directory_and_changes_nothing(tmp_path):
    existing = tmp_path / "ratings-on-hubs"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine\n")
    before = snapshot(tmp_path)
    with pytest.raises(HubguardError, match="already exists; refusing"):
        generate(tmp_path, no_input=True, config_file=None, extra_context={})
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("extra", "message"), [
    ({"project_name": "{{ 7*7 }}"}, "template syntax"),
    ({"hubs": [dict(TWO[0], location="{{ cycler.__init__.__globals__.os.system('id') }}"), TWO[1]]}, "template syntax"),
    ({"repo_name": "../x"}, "not a safe folder name"),
    ({"repo_name": ".."}, "not a safe folder name"),
    ({"repo_name": "a/b"}, "not a safe folder name"),
    ({"no_such_variable": "1"}, "unknown template variable 'no_such_variable'"),
    ({"gitops_engine": "jenkins"}, "jenkins"),
])
def test_generate_checks_inputs_before_cookiecutter_runs(tmp_path, extra, message):
    out = tmp_path / "out"
    with pytest.raises(HubguardError, match=message) as raised:
        generate(out, no_input=True, config_file=None, extra_context=extra)
    assert "49" not in str(raised.value)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == []


def test_generate_with_config_file_and_hubs_as_a_list(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "default_context:\n  repo_name: three\n  secrets_backend: external-secrets-vault\n  hubs:\n"
        + "".join(f"    - {json.dumps(h)}\n" for h in THREE_HUBS)
    )
    out = tmp_path / "out"
    repo = generate(out, no_input=True, config_file=config, extra_context={"gitops_engine": "argocd"})
    assert repo == out / "three"
    assert sorted(p.name for p in out.iterdir()) == ["three"]  # no staging folder left
    assert sorted(p.name for p in (repo / "clusters").iterdir()) == ["munich", "oslo", "seattle"]
    assert (repo / "clusters/oslo/bootstrap/argocd-root.yaml").is_file()
    assert not (repo / ".age").exists()
    assert (repo / ".git").is_dir()


def test_post_gen_failure_leaves_nothing(tmp_path, capfd, monkeypatch):
    # An unusable author date makes the hook's first commit fail, after keys and files were written.
    monkeypatch.setenv("GIT_AUTHOR_DATE", "not a date")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(out))
    errors = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: generation failed: GitCommandError"), errors
    assert os.listdir(out) == []


def test_geographic_routing_bakes_geo_mappings(tmp_path):
    hubs = [dict(TWO[0], backup_hub="munich"), dict(TWO[1], backup_hub="seattle", geo_mapping=["GEO-EU"])]
    repo = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path),
                             extra_context={"hubs": json.dumps(hubs), "traffic_routing": "Geographic",
                                            "secrets_backend": "external-secrets-vault"}))
    profile = json.loads((repo / "global/traffic-manager.json").read_text())["resources"][0]["properties"]
    assert profile["trafficRoutingMethod"] == "Geographic"
    assert [e["properties"]["geoMapping"] for e in profile["endpoints"]] == [["WORLD"], ["GEO-EU"]]


def test_hubguard_new_reports_a_failing_hook_in_one_line_without_traceback(tmp_path, capfd, monkeypatch):
    from hubguard.cli import main

    monkeypatch.setenv("GIT_AUTHOR_DATE", "not a date")  # the post-gen hook's commit fails
    out = tmp_path / "out"
    code = main(["new", "--no-input", "-o", str(out)])
    err = capfd.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].startswith("ERROR: generation failed: GitCommandError") and lines[-1].startswith("hubguard: ")
    assert len(lines) == 2, lines
    assert not out.exists() or os.listdir(out) == []
