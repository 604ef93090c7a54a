"""Rendering per hub with the real kustomize: origins, overlays, Flux and Argo CD paths, refusals."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hubguard.engine import ValidateOptions, load_repository, render_hubs
from testkit import flux_kustomization


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


FLUX_APPS = flux_kustomization("./apps/overlays/seattle", {"REGION": "west"})
ARGO_APP = d("""
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: apps
      namespace: argocd
    spec:
      project: default
      source:
        repoURL: https://git.example.local/ratings.git
        path: apps/overlays/munich
      destination:
        server: https://kubernetes.default.svc
    """)
DEPLOYMENT = d("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: ratings
    spec:
      replicas: 3
      selector:
        matchLabels: {app: web}
      template:
        metadata:
          labels: {app: web}
        spec:
          containers:
          - name: web
            image: nginx:1.27
    """)
CONFIGMAP = d("""
    # settings shared by every hub
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: settings
      namespace: ratings
    data:
      REGION: ${REGION:=none}
    """)
PATCH = d("""
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
      namespace: ratings
    spec:
      replicas: 2
    """)

TREE = {
    ".hubguard.yaml": "hubs:\n  seattle: {}\n  munich: {}\n",
    "clusters/seattle/apps.yaml": FLUX_APPS,
    "clusters/munich/apps.yaml": ARGO_APP,
    "apps/base/kustomization.yaml": "resources:\n- deployment.yaml\n- configmap.yaml\n",
    "apps/base/deployment.yaml": DEPLOYMENT,
    "apps/base/configmap.yaml": CONFIGMAP,
    "apps/overlays/seattle/kustomization.yaml": "resources:\n- ../../base\npatches:\n- path: replicas.yaml\n",
    "apps/overlays/seattle/replicas.yaml": PATCH,
    "apps/overlays/munich/kustomization.yaml": "resources:\n- ../../base\n",
}


def render(root: Path, *hubs: str):
    policy, files, _ = load_repository(ValidateOptions(root=root))
    names = list(hubs) or sorted(policy.hubs)
    return render_hubs(root, policy, files, names, None)


def objects_by_ref(result) -> dict:
    return {o.ref: o for o in result.inventory.objects}


def test_every_object_keeps_its_source_file_and_line(make_repo):
    results = render(make_repo(TREE))
    seattle, munich = objects_by_ref(results["seattle"]), objects_by_ref(results["munich"])
    assert sorted(seattle) == ["ConfigMap/ratings/settings", "Deployment/ratings/web", "Kustomization/flux-system/apps"]
    assert sorted(munich) == ["Application/argocd/apps", "ConfigMap/ratings/settings", "Deployment/ratings/web"]
    cm = seattle["ConfigMap/ratings/settings"]
    assert (cm.source.path, cm.source.line) == ("apps/base/configmap.yaml", 2)  # after the comment line
    assert (seattle["Kustomization/flux-system/apps"].source.path, seattle["Kustomization/flux-system/apps"].source.line) == ("clusters/seattle/apps.yaml", 1)
    assert munich["Deployment/ratings/web"].source.path == "apps/base/deployment.yaml"
    assert not results["seattle"].problems and not results["munich"].problems


def test_a_field_set_by_an_overlay_patch_is_located_in_the_patch(make_repo):
    results = render(make_repo(TREE))
    seattle_web = objects_by_ref(results["seattle"])["Deployment/ratings/web"]
    munich_web = objects_by_ref(results["munich"])["Deployment/ratings/web"]
    assert seattle_web.get("spec", "replicas") == 2
    loc = seattle_web.locate("spec", "replicas")
    assert (loc.path, loc.line) == ("apps/overlays/seattle/replicas.yaml", 7)
    loc = munich_web.locate("spec", "replicas")
    assert (munich_web.get("spec", "replicas"), loc.path, loc.line) == (3, "apps/base/deployment.yaml", 7)


def test_flux_post_build_substitution_applies_only_under_flux(make_repo):
    results = render(make_repo(TREE))
    assert objects_by_ref(results["seattle"])["ConfigMap/ratings/settings"].get("data", "REGION") == "west"
    # Argo CD does not substitute: the hub receives the literal text.
    assert objects_by_ref(results["munich"])["ConfigMap/ratings/settings"].get("data", "REGION") == "${REGION:=none}"


def test_substitution_turns_numbers_into_numbers_and_defaults_apply(make_repo):
    tree = dict(TREE)
    tree["clusters/seattle/apps.yaml"] = FLUX_APPS.replace("REGION: west", "OTHER: x")
    tree["apps/base/deployment.yaml"] = DEPLOYMENT.replace("replicas: 3", "replicas: ${REPLICAS:=4}")
    tree["apps/overlays/seattle/kustomization.yaml"] = "resources:\n- ../../base\n"
    seattle = objects_by_ref(render(make_repo(tree), "seattle")["seattle"])
    assert seattle["Deployment/ratings/web"].get("spec", "replicas") == 4
    assert seattle["ConfigMap/ratings/settings"].get("data", "REGION") == "none"


def test_a_root_without_kustomization_is_every_manifest_in_it(make_repo):
    tree = {"clusters/a/one.yaml": CONFIGMAP, "clusters/a/sub/two.yaml": DEPLOYMENT, "clusters/a/README.md": "# not yaml\n"}
    result = render(make_repo(tree))["a"]
    assert sorted(objects_by_ref(result)) == ["ConfigMap/ratings/settings", "Deployment/ratings/web"]
    assert objects_by_ref(result)["Deployment/ratings/web"].source.path == "clusters/a/sub/two.yaml"


def test_generated_objects_point_at_their_generator(make_repo):
    tree = {
        "clusters/a/kustomization.yaml": d("""
            resources: []
            configMapGenerator:
            - name: app-env
              literals: [MODE=fast]
            """),
    }
    result = render(make_repo(tree))["a"]
    (obj,) = result.inventory.objects
    assert obj.generated and obj.name.startswith("app-env-")
    assert (obj.source.path, obj.source.line) == ("clusters/a/kustomization.yaml", 3)


@pytest.mark.parametrize(
    "kustomization, message, line",
    [
        ("resources:\n- ../base\n- https://example.invalid/base?ref=v1\n", "remote reference", 3),
        ("resources:\n- github.com/org/repo//deploy?ref=main\n", "remote reference", 2),
        ("resources:\n- git::https://example.invalid/x.git\n", "remote reference", 2),
        ("resources:\n- ../../../../outside\n", "leaves the repository", 2),
        ("resources:\n- ../base\npatches:\n- path: missing.yaml\n", "does not exist", 4),
    ],
)
def test_refused_and_missing_references_are_render_errors_at_their_line(make_repo, kustomization, message, line):
    tree = {
        "clusters/a/kustomization.yaml": "resources:\n- ../../apps/a\n",
        "clusters/b/kustomization.yaml": "resources:\n- ../../apps/base\n",
        "apps/a/kustomization.yaml": kustomization,
        "apps/base/kustomization.yaml": "resources:\n- cm.yaml\n",
        "apps/base/cm.yaml": CONFIGMAP,
    }
    results = render(make_repo(tree))
    (problem,) = results["a"].problems
    assert message in problem.message
    assert (problem.location.path, problem.location.line, problem.hub) == ("apps/a/kustomization.yaml", line, "a")
    assert results["b"].problems == [] and len(results["b"].inventory.objects) == 1


def test_kustomize_errors_are_reported_for_the_hub_and_others_still_render(make_repo):
    tree = {
        "clusters/a/kustomization.yaml": "resources:\n- cm.yaml\nnamePrefix: [not, a, string]\n",
        "clusters/a/cm.yaml": CONFIGMAP,
        "clusters/b/cm.yaml": CONFIGMAP,
    }
    results = render(make_repo(tree))
    (problem,) = results["a"].problems
    assert problem.location.path == "clusters/a/kustomization.yaml" and problem.hub == "a"
    assert "/tmp" not in problem.message and "hubguard-build" not in problem.message
    assert len(results["b"].inventory.objects) == 1


def flux_to(path: str, name: str) -> str:
    return FLUX_APPS.replace("./apps/overlays/seattle", path).replace("name: apps", f"name: {name}")


def test_flux_kustomizations_in_a_cycle_are_reported_not_followed_forever(make_repo):
    tree = {
        "clusters/a/entry.yaml": flux_to("./loop/one", "one"),
        "loop/one/ks.yaml": flux_to("./loop/two", "two"),
        "loop/two/ks.yaml": flux_to("./loop/one", "back"),
    }
    (problem,) = render(make_repo(tree))["a"].problems
    assert "cycle" in problem.message and "loop/one -> loop/two -> loop/one" in problem.message
    assert (problem.location.path, problem.location.line) == ("loop/two/ks.yaml", 8)


def test_flux_path_leaving_the_repository_is_refused(make_repo):
    tree = {"clusters/a/entry.yaml": flux_to("../../../etc", "escape")}
    (problem,) = render(make_repo(tree))["a"].problems
    assert "leaves the repository" in problem.message
    assert (problem.location.path, problem.location.line) == ("clusters/a/entry.yaml", 8)


def test_argo_applicationset_git_directories_are_followed(make_repo):
    appset = d("""
        apiVersion: argoproj.io/v1alpha1
        kind: ApplicationSet
        metadata: {name: apps, namespace: argocd}
        spec:
          generators:
          - git:
              repoURL: https://git.example.local/r.git
              revision: HEAD
              directories:
              - path: apps/*
          template:
            metadata: {name: '{{path.basename}}'}
            spec:
              project: default
              source: {repoURL: https://git.example.local/r.git, path: '{{path}}'}
              destination: {server: https://kubernetes.default.svc, namespace: '{{path.basename}}'}
        """)
    tree = {"clusters/a/appset.yaml": appset, "apps/one/cm.yaml": CONFIGMAP, "apps/two/deploy.yaml": DEPLOYMENT}
    result = render(make_repo(tree))["a"]
    assert sorted(objects_by_ref(result)) == ["ApplicationSet/argocd/apps", "ConfigMap/ratings/settings", "Deployment/ratings/web"]


def test_exec_plugins_are_never_run(make_repo, tmp_path):
    marker = tmp_path / "plugin-ran"
    script = f"#!/bin/sh\ntouch {marker}\necho 'apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: evil}}'\n"
    tree = {
        "clusters/a/kustomization.yaml": "generators:\n- gen.yaml\n",
        "clusters/a/gen.yaml": d("""
            apiVersion: example.com/v1
            kind: Evil
            metadata:
              name: evil
              annotations:
                config.kubernetes.io/function: |
                  exec:
                    path: ./plugin.sh
            """),
        "clusters/a/plugin.sh": script,
    }
    root = make_repo(tree)
    (root / "clusters/a/plugin.sh").chmod(0o755)
    result = render(root)["a"]
    assert not marker.exists()
    assert result.problems and result.problems[0].location.path == "clusters/a/kustomization.yaml"


def test_flux_bootstrap_layout_managing_its_own_folder_is_not_a_cycle(make_repo):
    tree = {
        "clusters/a/flux-system/gotk-sync.yaml": flux_to("./clusters/a", "flux-system"),
        "clusters/a/apps.yaml": flux_to("./apps/base", "apps"),
        "apps/base/kustomization.yaml": "resources:\n- cm.yaml\n",
        "apps/base/cm.yaml": CONFIGMAP,
    }
    result = render(make_repo(tree))["a"]
    assert result.problems == []
    refs = [o.ref for o in result.inventory.objects]
    assert sorted(refs) == ["ConfigMap/ratings/settings", "Kustomization/flux-system/apps", "Kustomization/flux-system/flux-system"]


def test_name_prefix_and_suffix_still_find_the_source_and_the_patch(make_repo):
    tree = {
        "clusters/a/kustomization.yaml": "namePrefix: hub-\nnameSuffix: -v2\nresources:\n- ../../apps/base\npatches:\n- path: replicas.yaml\n",
        "clusters/a/replicas.yaml": PATCH,
        "apps/base/kustomization.yaml": "resources:\n- deployment.yaml\n- configmap.yaml\n",
        "apps/base/deployment.yaml": DEPLOYMENT,
        "apps/base/configmap.yaml": CONFIGMAP,
    }
    result = render(make_repo(tree))["a"]
    web = objects_by_ref(result)["Deployment/ratings/hub-web-v2"]
    assert (web.source.path, web.source.line) == ("apps/base/deployment.yaml", 1)
    assert (web.locate("spec", "replicas").path, web.locate("spec", "replicas").line) == ("clusters/a/replicas.yaml", 7)
    assert objects_by_ref(result)["ConfigMap/ratings/hub-settings-v2"].source.path == "apps/base/configmap.yaml"


def test_objects_whose_source_is_ambiguous_are_settled_by_kustomize_origins(make_repo):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  TEAM: {team}\n"
    tree = {
        "clusters/a/kustomization.yaml": "resources:\n- ../../teams/a\n- ../../teams/b\n",
        "teams/a/kustomization.yaml": "namePrefix: a-\nresources:\n- cm.yaml\n",
        "teams/a/cm.yaml": "# team a\n" + cm.format(team="a"),
        "teams/b/kustomization.yaml": "namePrefix: b-\nresources:\n- cm.yaml\n",
        "teams/b/cm.yaml": cm.format(team="b"),
    }
    result = render(make_repo(tree))["a"]
    objs = objects_by_ref(result)
    assert (objs["ConfigMap/a-settings"].source.path, objs["ConfigMap/a-settings"].source.line) == ("teams/a/cm.yaml", 2)
    assert (objs["ConfigMap/b-settings"].source.path, objs["ConfigMap/b-settings"].source.line) == ("teams/b/cm.yaml", 1)
    assert "config.kubernetes.io/origin" not in str(objs["ConfigMap/a-settings"].data)


def test_generator_without_hash_and_with_prefix(make_repo):
    tree = {
        "clusters/a/kustomization.yaml": d("""
            namePrefix: hub-
            generatorOptions:
              disableNameSuffixHash: true
            secretGenerator:
            - name: creds
              literals: [USER=app]
            """),
    }
    (obj,) = render(make_repo(tree))["a"].inventory.objects
    assert obj.generated and obj.name == "hub-creds"
    assert (obj.source.path, obj.source.line) == ("clusters/a/kustomization.yaml", 5)


def test_a_substitution_that_breaks_the_yaml_is_a_render_problem_not_a_crash(make_repo):
    tree = dict(TREE)
    tree["clusters/seattle/apps.yaml"] = FLUX_APPS.replace("REGION: west", "REGION: 'a: b'")
    result = render(make_repo(tree), "seattle")["seattle"]
    messages = [(p.message, p.location.path if p.location else None) for p in result.problems]
    assert messages == [("Flux post-build substitution makes ConfigMap/ratings/settings invalid YAML "
                         "(mapping values are not allowed in this context); Flux will fail to apply it", "clusters/seattle/apps.yaml")]
    # The object stays as written; the other objects are substituted and checked as usual.
    assert objects_by_ref(result)["ConfigMap/ratings/settings"].get("data", "REGION") == "${REGION:=none}"
