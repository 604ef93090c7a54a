"""A Flux hub's Kubernetes version must be one its Flux release supports: generation refuses any
other pair in one line and writes nothing; the edges of a release's range bake and validate clean."""

from __future__ import annotations

import json
import os
import re
import sys

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from hubguard.errors import HubguardError
from hubguard.generator.new_repository import generate
from template_support import MIXED_HUBS, TEMPLATE, validate_json

sys.path.insert(0, str(TEMPLATE / "hooks"))
import hubinputs  # noqa: E402

FLUX_HUBS = [dict(MIXED_HUBS[0], gitops_engine="flux"), dict(MIXED_HUBS[1], gitops_engine="flux")]


def hubs_at(seattle: str, munich: str, munich_engine: str = "flux") -> str:
    return json.dumps([dict(FLUX_HUBS[0], kubernetes_version=seattle),
                       dict(FLUX_HUBS[1], kubernetes_version=munich, gitops_engine=munich_engine)])


REFUSED = [
    ("below the default Flux's range", {"hubs": hubs_at("1.34", "1.33")},
     "ERROR: hub munich: kubernetes_version 1.33 is not supported by Flux v2.9.4 (Flux 2.9 supports Kubernetes 1.34 to 1.36); "
     "Flux 2.6, 2.7 or 2.8 supports it"),
    ("above an older Flux's range", {"hubs": hubs_at("1.35", "1.34"), "flux_version": "v2.7.5"},
     "ERROR: hub seattle: kubernetes_version 1.35 is not supported by Flux v2.7.5 (Flux 2.7 supports Kubernetes 1.32 to 1.34); "
     "Flux 2.8 or 2.9 supports it"),
    ("a Flux release newer than the table", {"flux_version": "v2.10.0"},
     "ERROR: flux_version: v2.10.0: the Kubernetes versions Flux 2.10 supports are not known to this template "
     "(it knows Flux 2.3 to 2.9); pin one of those"),
]


@pytest.mark.parametrize(("case", "context", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_pre_gen_hook_refuses_the_pair_in_one_line_and_writes_nothing(tmp_path, capfd, case, context, message):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context={"secrets_backend": "external-secrets-vault", **context},
                     output_dir=str(out))
    errors = [line for line in capfd.readouterr().err.splitlines() if line.strip()]
    assert errors == [message]
    assert os.listdir(out) == []


def test_hubguard_new_refuses_before_cookiecutter_runs(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(HubguardError, match=re.escape(
            "hub munich: kubernetes_version 1.33 is not supported by Flux v2.9.4 (Flux 2.9 supports Kubernetes 1.34 to 1.36)")):
        generate(out, no_input=True, config_file=None, extra_context={"hubs": hubs_at("1.34", "1.33")})
    assert not out.exists()


def test_pytest_cookies_bake_of_an_unsupported_pair_fails_without_a_project(cookies):
    result = cookies.bake(extra_context={"hubs": hubs_at("1.33", "1.34")}, template=str(TEMPLATE))
    assert isinstance(result.exception, FailedHookException)
    assert result.exit_code != 0 and result.project_path is None


def test_lowest_and_highest_minor_of_a_flux_release_bake_and_validate_clean(bake):
    # Flux 2.8 supports 1.33 to 1.35, both edges being versions AKS Engine creates.
    assert hubinputs.FLUX_KUBERNETES["2.8"] == ("1.33", "1.35")
    repo = bake(hubs=hubs_at("1.33", "1.35"), flux_version="v2.8.8", secrets_backend="external-secrets-vault")
    policy = yaml.safe_load((repo / ".hubguard.yaml").read_text())["hubs"]
    assert {name: (hub["kubernetes_version"], hub["flux_version"]) for name, hub in policy.items()} == {
        "seattle": ("1.33", "2.8"), "munich": ("1.35", "2.8")}
    assert "--version=v2.8.8" in (repo / "README.md").read_text()
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])


def test_default_flux_at_its_lowest_minor_bakes_and_validates_clean(bake):
    repo = bake(hubs=hubs_at("1.34", "1.34"), secrets_backend="external-secrets-vault")
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])


def test_only_flux_hubs_are_checked(bake):
    # munich runs Argo CD at 1.33, which Flux 2.9 does not support: not Flux's to refuse.
    repo = bake(gitops_engine="both", hubs=hubs_at("1.34", "1.33", munich_engine="argocd"),
                secrets_backend="external-secrets-vault")
    assert (repo / "clusters/munich/bootstrap/argocd-root.yaml").is_file()
    assert (repo / "clusters/seattle/flux-system/gotk-sync.yaml").is_file()
