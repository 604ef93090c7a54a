"""Configuration errors stop a run with exit 2 and one line naming the culprit (SPEC "Command line"):
an unknown rule ID or prefix, an invalid CIDR, a hub root that does not exist."""

from __future__ import annotations

import pytest

FLUX_APPS = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n"
             "spec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n")
APP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: demo}\ndata: {LOG_LEVEL: info}\n"
TWO_HUBS = "hubs:\n  a: {roots: [clusters/a], onprem_cidrs: [10.10.0.0/16]}\n  b: {roots: [clusters/b]}\n"


@pytest.fixture
def repo(make_repo):
    return make_repo({".hubguard.yaml": TWO_HUBS, "clusters/a/apps.yaml": FLUX_APPS, "clusters/b/apps.yaml": FLUX_APPS,
                      "apps/cm.yaml": APP})


@pytest.mark.parametrize(("args", "expected"), [
    (("--select", "secrets/"), "--select: no rule 'secrets/'; did you mean 'secret/'?"),
    (("--ignore", "ha/replica"), "--ignore: no rule 'ha/replica'; did you mean 'ha/replicas'?"),
    (("--select", "ha/", "--ignore", "zzz"), "--ignore: no rule 'zzz' (see `hubguard rules`)"),
])
def test_an_unknown_rule_pattern_is_a_configuration_error_with_a_suggestion(repo, hubguard, args, expected):
    code, out, err = hubguard("validate", str(repo), *args)
    assert (code, out) == (2, "")
    assert err.strip() == f"hubguard: {expected}"


def test_known_prefixes_and_ids_are_accepted(repo, validate_json):
    code, report = validate_json(repo, "--select", "secret/", "--select", "ha/replicas", "--ignore", "secret/known-token")
    assert code == 0 and report["findings"] == []


def test_an_unknown_rule_in_the_policy_names_the_closest(repo, hubguard):
    (repo / ".hubguard.yaml").write_text(TWO_HUBS + "rules:\n  ha/replica: {min: 3}\n")
    code, _, err = hubguard("validate", str(repo))
    assert code == 2
    assert err.strip() == "hubguard: .hubguard.yaml: rules: no rule 'ha/replica'; did you mean 'ha/replicas'?"


@pytest.mark.parametrize("cidr", ["10.10.0.0/33", "10.10.0/16x", "fd00::/129", "not-a-network"])
def test_an_invalid_cidr_is_a_configuration_error_naming_key_and_value(repo, hubguard, cidr):
    (repo / ".hubguard.yaml").write_text(TWO_HUBS.replace("10.10.0.0/16", f"10.20.0.0/16, {cidr}"))
    code, out, err = hubguard("validate", str(repo))
    assert (code, out) == (2, "")
    assert err.strip() == f"hubguard: .hubguard.yaml: hubs.a.onprem_cidrs.1: {cidr!r} is not a valid CIDR (address/prefix length)"


def test_ipv6_and_single_address_ranges_are_valid(repo, validate_json):
    (repo / ".hubguard.yaml").write_text(TWO_HUBS.replace("10.10.0.0/16", "10.10.0.0/16, fd00:10::/48, 192.168.7.9"))
    assert validate_json(repo, "--select", "schema/")[0] == 0


def test_a_hub_root_that_does_not_exist_is_a_configuration_error(repo, hubguard):
    (repo / ".hubguard.yaml").write_text(TWO_HUBS.replace("clusters/b]", "clusters/nope]"))
    code, out, err = hubguard("validate", str(repo))
    assert (code, out) == (2, "")
    assert err.strip() == "hubguard: .hubguard.yaml: hubs.b.roots: clusters/nope does not exist"


def test_the_default_root_of_a_declared_hub_must_exist_too(repo, hubguard):
    (repo / ".hubguard.yaml").write_text(TWO_HUBS + "  c: {}\n")
    code, _, err = hubguard("validate", str(repo))
    assert code == 2 and err.strip() == "hubguard: .hubguard.yaml: hubs.c.roots: clusters/c does not exist"
