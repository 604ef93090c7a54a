"""Flux post-build substitution as kustomize-controller applies it, on small repositories rendered
with the real kustomize: envsubst semantics, the disabled label and annotation, newline stripping,
and variables from `substitute` and `substituteFrom` (ConfigMaps, Secrets, SOPS)."""

from __future__ import annotations

import base64
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from hubguard.engine import ValidateOptions, load_repository, render_hubs
from testkit import flux_kustomization, sops_binary


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def render(root: Path, hub: str = "a"):
    policy, files, _ = load_repository(ValidateOptions(root=root))
    return render_hubs(root, policy, files, [hub], None)[hub]


def objects(result) -> dict:
    return {o.ref: o for o in result.inventory.objects}


POLICY = ".hubguard.yaml", "hubs:\n  a: {roots: [clusters/a]}\n"
SETTINGS = d("""
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings, namespace: demo}
    data:
      host: ${DOMAIN/./-}
      all: ${DOMAIN//./-}
      upper: ${NAME^^}
      lower: ${NAME,,}
      length: ${#NAME}
      slice: ${NAME:1:3}
      stem: ${FILE%.*}
      ext: ${FILE#*.}
      empty_colon_equals: ${EMPTY:=fallback}
      empty_colon_dash: ${EMPTY:-fallback}
      empty_equals: ${EMPTY=fallback}
      nested: ${UNSET:=${NAME}-x}
      escaped: $${DOMAIN}
      folded: ${MULTI}
    """)
DISABLED_BY_LABEL = d("""
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: by-label
      namespace: demo
      labels: {kustomize.toolkit.fluxcd.io/substitute: disabled}
    data: {host: "${DOMAIN}"}
    """)
DISABLED_BY_ANNOTATION = DISABLED_BY_LABEL.replace("by-label", "by-annotation").replace("labels:", "annotations:")


def test_bash_string_operations_defaults_escapes_and_newlines_as_flux(make_repo):
    ks = flux_kustomization("./apps", {"DOMAIN": "example.com", "NAME": "Ratings", "FILE": "app.tar.gz",
                                       "EMPTY": '""', "MULTI": '"one\\ntwo"'})
    root = make_repo({
        POLICY[0]: POLICY[1], "clusters/a/apps.yaml": ks,
        "apps/kustomization.yaml": "resources: [settings.yaml, label.yaml, annotation.yaml]\n",
        "apps/settings.yaml": SETTINGS, "apps/label.yaml": DISABLED_BY_LABEL, "apps/annotation.yaml": DISABLED_BY_ANNOTATION,
    })
    result = render(root)
    assert result.problems == []
    rendered = objects(result)
    assert rendered["ConfigMap/demo/settings"].get("data") == {
        "host": "example-com", "all": "example-com", "upper": "RATINGS", "lower": "ratings", "length": 7,
        "slice": "ati", "stem": "app.tar", "ext": "tar.gz", "empty_colon_equals": "fallback",
        "empty_colon_dash": "fallback", "empty_equals": "fallback", "nested": "Ratings-x",
        "escaped": "${DOMAIN}", "folded": "onetwo",
    }
    assert rendered["ConfigMap/demo/by-label"].get("data", "host") == "${DOMAIN}"
    assert rendered["ConfigMap/demo/by-annotation"].get("data", "host") == "${DOMAIN}"


def test_an_expression_flux_cannot_parse_is_a_render_problem_and_the_object_stays_as_written(make_repo):
    root = make_repo({
        POLICY[0]: POLICY[1], "clusters/a/apps.yaml": flux_kustomization("./apps", {"V": "x"}),
        "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: demo}\ndata: {k: '${V-default}'}\n",
    })
    result = render(root)
    (problem,) = result.problems
    assert "ConfigMap/demo/cm fails (envsubst error: missing closing brace)" in problem.message
    assert (problem.location.path, problem.location.line) == ("clusters/a/apps.yaml", 8)
    assert objects(result)["ConfigMap/demo/cm"].get("data", "k") == "${V-default}"


SUBSTITUTE_FROM = flux_kustomization("./apps", {"FROM_INLINE": "inline"}, substitute_from=[
    "{kind: ConfigMap, name: cluster-vars}", "{kind: Secret, name: cluster-secrets}"])
USES = d("""
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: uses, namespace: demo}
    data:
      region: ${REGION}
      token: ${TOKEN}
      user: ${USER}
      both: ${BOTH}
      inline: ${FROM_INLINE}
    """)


def secret(data: dict[str, str], string_data: dict[str, str]) -> str:
    lines = ["apiVersion: v1", "kind: Secret", "metadata: {name: cluster-secrets, namespace: flux-system}", "data:"]
    lines += [f"  {k}: {base64.b64encode(v.encode()).decode()}" for k, v in data.items()]
    lines += ["stringData:"] + [f"  {k}: {v}" for k, v in string_data.items()]
    return "\n".join(lines) + "\n"


def test_substitute_from_reads_configmap_data_and_decoded_secret_data_with_string_data_over_it(make_repo):
    root = make_repo({
        POLICY[0]: POLICY[1], "clusters/a/apps.yaml": SUBSTITUTE_FROM,
        "clusters/a/vars.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cluster-vars, namespace: flux-system}\n"
                                "data: {REGION: west}\n",
        "clusters/a/secrets.yaml": secret({"TOKEN": "t0ken-from-data\n", "BOTH": "from-data"}, {"USER": "admin", "BOTH": "from-stringData"}),
        "apps/uses.yaml": USES,
    })
    result = render(root)
    assert result.problems == []
    assert objects(result)["ConfigMap/demo/uses"].get("data") == {
        "region": "west", "token": "t0ken-from-data", "user": "admin", "both": "from-stringData", "inline": "inline"}


@pytest.fixture(scope="module")
def sops_secret(tmp_path_factory) -> str:
    from pyrage import x25519

    identity = x25519.Identity.generate()
    plain = tmp_path_factory.mktemp("sops") / "secret.yaml"
    plain.write_text(secret({}, {"TOKEN": "s3cr3t-t0ken-value", "USER": "admin"}))
    return subprocess.run([sops_binary(), "--encrypt", "--age", str(identity.to_public()), "--encrypted-regex", "^TOKEN$",
                           "--input-type", "yaml", "--output-type", "yaml", str(plain)],
                          check=True, capture_output=True, text=True, env={**os.environ, "SOPS_AGE_KEY": str(identity)}).stdout


def test_a_sops_encrypted_value_is_a_marked_placeholder_never_null(make_repo, sops_secret):
    assert "ENC[AES256_GCM" in sops_secret
    root = make_repo({
        POLICY[0]: POLICY[1], "clusters/a/apps.yaml": SUBSTITUTE_FROM.replace("- {kind: ConfigMap, name: cluster-vars}\n", ""),
        "clusters/a/secrets.yaml": sops_secret, "apps/uses.yaml": USES,
    })
    data = objects(render(root))["ConfigMap/demo/uses"].get("data")
    assert data["token"] == "<sops-encrypted:TOKEN>"
    assert data["user"] == "admin"  # left in clear by the encrypted_regex: its value is known


def test_render_masks_a_secret_value_that_substitution_copied_into_another_object(make_repo, hubguard):
    token = "t0ken-Qz81-rendered"
    root = make_repo({
        POLICY[0]: POLICY[1], "clusters/a/apps.yaml": SUBSTITUTE_FROM.replace("- {kind: ConfigMap, name: cluster-vars}\n", ""),
        "clusters/a/secrets.yaml": secret({"TOKEN": token}, {}), "apps/uses.yaml": USES,
    })
    assert objects(render(root))["ConfigMap/demo/uses"].get("data", "token") == token  # what Flux applies
    for output_format in ("yaml", "json"):
        code, out, err = hubguard("render", str(root), "--hub", "a", "--format", output_format)
        assert code == 0 and token not in out + err and "t0ke…(19 chars)" in out
