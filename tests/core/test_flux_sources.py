"""Which sources a hub's render follows (only this repository, at the checked-out revision), Flux 2.7
ArtifactGenerators, references resolved across Kustomizations, and notes for what is not followed;
each on a small git repository rendered with the real kustomize."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from hubguard.engine import ValidateOptions, load_repository, render_hubs
from testkit import flux_kustomization


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def add_remote(root: Path, url: str) -> None:
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", url], check=True)


def render(root: Path, hub: str = "a"):
    policy, files, _ = load_repository(ValidateOptions(root=root))
    return render_hubs(root, policy, files, [hub], None)[hub]


def refs(result) -> list[str]:
    return sorted(o.ref for o in result.inventory.objects)


def objects(result) -> dict:
    return {o.ref: o for o in result.inventory.objects}


POLICY = "hubs:\n  a: {roots: [clusters/a]}\n"
REMOTE = "https://github.com/example/fleet.git"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: demo}}\ndata: {{k: v}}\n"

# flux2-multi-tenancy's layout: a tenant's GitRepository names a branch of the same repository (or
# another repository), and the overlay patches the tenant Kustomization's path for the cluster.
TENANT_SYNC = d("""
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata: {name: dev-team, namespace: apps}
    spec:
      interval: 1m
      url: https://github.com/example/fleet
      ref: {branch: dev-team}
    ---
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: GitRepository
    metadata: {name: ops-team, namespace: apps}
    spec:
      interval: 1m
      url: https://github.com/example/ops-manifests
      ref: {branch: main}
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {name: dev-team, namespace: apps}
    spec:
      interval: 5m
      sourceRef: {kind: GitRepository, name: dev-team}
      prune: true
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {name: ops-team, namespace: apps}
    spec:
      interval: 5m
      path: ./production
      sourceRef: {kind: GitRepository, name: ops-team}
      prune: true
    ---
    apiVersion: source.toolkit.fluxcd.io/v1
    kind: OCIRepository
    metadata: {name: kyverno, namespace: flux-system}
    spec: {interval: 1h, url: oci://ghcr.io/kyverno/manifests/kyverno, ref: {tag: v1.14.4}}
    ---
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {name: kyverno, namespace: flux-system}
    spec:
      interval: 1h
      path: ./
      sourceRef: {kind: OCIRepository, name: kyverno}
      prune: true
    """)
TENANT_PATCH = d("""
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {name: dev-team, namespace: apps}
    spec:
      path: ./production
    """)
MULTI_TENANCY = {
    ".hubguard.yaml": POLICY,
    "clusters/a/tenants.yaml": flux_kustomization("./tenants/a", name="tenants"),
    "tenants/base/kustomization.yaml": "resources: [sync.yaml]\n",
    "tenants/base/sync.yaml": TENANT_SYNC,
    "tenants/a/kustomization.yaml": "namespace: apps\nresources: [../base]\npatches:\n- path: dev-team-patch.yaml\n",
    "tenants/a/dev-team-patch.yaml": TENANT_PATCH,
}


def test_other_repositories_and_revisions_are_notes_not_render_errors(make_repo):
    root = make_repo(MULTI_TENANCY)
    add_remote(root, REMOTE)
    result = render(root)
    assert result.problems == []
    assert result.notes == [
        "tenants/base/sync.yaml:22: not followed: source GitRepository/apps/dev-team is branch 'dev-team' of this "
        "repository, not the checked-out revision",
        "tenants/base/sync.yaml:45: not followed: source OCIRepository/apps/kyverno is another repository "
        "(OCIRepository sources are never fetched)",
        "tenants/base/sync.yaml:31: not followed: source GitRepository/apps/ops-team is another repository "
        "(https://github.com/example/ops-manifests)",
    ]


def test_a_git_repository_naming_this_repository_in_another_spelling_is_followed(make_repo):
    tree = dict(MULTI_TENANCY)
    tree["tenants/base/sync.yaml"] = TENANT_SYNC.replace("url: https://github.com/example/fleet\n", "url: ssh://git@github.com/Example/fleet.git\n").replace(
        "ref: {branch: dev-team}", "ref: {branch: main}")
    tree["tenants/a/production/cm.yaml"] = CONFIGMAP.format(name="from-tenant-path")
    root = make_repo(tree)
    add_remote(root, "git@github.com:example/fleet.git")
    result = render(root)
    assert "ConfigMap/apps/from-tenant-path" not in refs(result)  # ./production is relative to the source root
    tree["production/cm.yaml"] = CONFIGMAP.format(name="from-tenant-path")
    root = make_repo(tree)
    add_remote(root, "git@github.com:example/fleet.git")
    assert "ConfigMap/demo/from-tenant-path" in refs(render(root))


ARGO = d("""
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata: {name: guestbook, namespace: argocd}
    spec:
      project: default
      sources:
      - repoURL: https://github.com/argoproj/argocd-example-apps.git
        path: guestbook
        targetRevision: HEAD
      - repoURL: https://charts.bitnami.com/bitnami
        chart: redis
        targetRevision: 19.0.0
      - repoURL: https://git.corp.example/platform/fleet.git
        path: apps/web
        targetRevision: main
      - repoURL: https://git.corp.example/platform/fleet.git
        path: apps/chart
      destination: {server: https://kubernetes.default.svc, namespace: web}
    """)


def test_argo_sources_of_other_repositories_and_helm_charts_are_notes(make_repo):
    root = make_repo({
        ".hubguard.yaml": POLICY + "repository:\n  urls: [https://git.corp.example/platform/fleet]\n",
        "clusters/a/apps.yaml": ARGO, "apps/web/cm.yaml": CONFIGMAP.format(name="web"),
        "apps/chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
        "apps/chart/templates/cm.yaml": "{{- if .Values.on }}\nkind: ConfigMap\n{{- end }}\n",
    })
    result = render(root)
    assert result.problems == []
    assert refs(result) == ["Application/argocd/guestbook", "ConfigMap/demo/web"]
    assert result.notes == [
        "clusters/a/apps.yaml:7: not followed: source https://github.com/argoproj/argocd-example-apps.git of "
        "Application/argocd/guestbook is another repository",
        "clusters/a/apps.yaml:10: not followed: Helm chart 'redis' of https://charts.bitnami.com/bitnami "
        "(Application/argocd/guestbook) is not rendered",
        "clusters/a/apps.yaml:17: not followed: the Helm chart at apps/chart (Application/argocd/guestbook) is not rendered",
    ]


# substituteFrom a ConfigMap that another Kustomization of the hub creates (in Flux, one it
# dependsOn), and one nothing creates.
VARS_KS = flux_kustomization("./vars", name="vars")
APPS_KS = flux_kustomization("./apps", substitute_from=["{kind: ConfigMap, name: cluster-vars}",
                                                      "{kind: ConfigMap, name: maybe, optional: true}"])


def test_substitute_from_reads_a_config_map_another_kustomization_creates(make_repo):
    root = make_repo({
        ".hubguard.yaml": POLICY,
        "clusters/a/1-apps.yaml": APPS_KS, "clusters/a/2-vars.yaml": VARS_KS,  # apps is listed (and walked) first
        "vars/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cluster-vars, namespace: flux-system}\n"
                        "data: {REGION: west}\n",
        "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: demo}\ndata: {region: '${REGION}'}\n",
    })
    result = render(root)
    assert result.problems == []
    assert objects(result)["ConfigMap/demo/app"].get("data", "region") == "west"


def test_a_required_substitute_from_nothing_provides_is_a_warning(make_repo, hubguard):
    root = make_repo({
        ".hubguard.yaml": POLICY, "clusters/a/apps.yaml": APPS_KS,
        "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: demo}\ndata: {region: '${REGION}'}\n",
    })
    assert objects(render(root))["ConfigMap/demo/app"].get("data", "region") == "${REGION}"  # checked unsubstituted
    code, out, _ = hubguard("validate", str(root), "--format", "json", "--select", "schema/")
    (finding,) = json.loads(out)["findings"]
    assert (finding["rule"], finding["severity"], finding["path"], finding["line"]) == (
        "schema/unresolved-reference", "warning", "clusters/a/apps.yaml", 15)
    assert "ConfigMap/flux-system/cluster-vars" in finding["message"] and code == 0


# The Flux Kustomization's own kustomization fields, targetNamespace and commonMetadata.
FIELDS_KS = d("""
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {name: tenant, namespace: flux-system}
    spec:
      interval: 10m
      path: ./tenant
      prune: true
      sourceRef: {kind: GitRepository, name: flux-system}
      targetNamespace: team-a
      namePrefix: a-
      nameSuffix: -v2
      images:
      - {name: nginx, newTag: "1.27.1"}
      patches:
      - patch: |
          - op: replace
            path: /spec/replicas
            value: 3
        target: {kind: Deployment}
      components: [../components/audit]
      commonMetadata:
        labels: {team: a}
        annotations: {owner: team-a}
    """)
TENANT = {
    "tenant/kustomization.yaml": "resources: [rbac.yaml, web.yaml]\n",
    "tenant/rbac.yaml": d("""
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: deployer, namespace: apps}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: deployer, namespace: apps}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
        subjects:
        - {kind: ServiceAccount, name: deployer, namespace: apps}
        """),
    "tenant/web.yaml": d("""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: apps}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, image: nginx:1.25}]
        """),
    "components/audit/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [audit.yaml]\n",
    "components/audit/audit.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: audit}\ndata: {level: full}\n",
}


def test_flux_kustomization_fields_are_built_by_kustomize_and_objects_keep_their_source(make_repo):
    root = make_repo({".hubguard.yaml": POLICY, "clusters/a/tenant.yaml": FIELDS_KS, **TENANT})
    result = render(root)
    assert result.problems == []
    rendered = objects(result)
    assert sorted(rendered) == ["ConfigMap/team-a/a-audit-v2", "Deployment/team-a/a-web-v2", "Kustomization/flux-system/tenant",
                                "RoleBinding/team-a/a-deployer-v2", "ServiceAccount/team-a/a-deployer-v2"]
    web = rendered["Deployment/team-a/a-web-v2"]
    assert web.get("spec", "replicas") == 3
    assert web.get("spec", "template", "spec", "containers", 0, "image") == "nginx:1.27.1"
    assert web.labels == {"team": "a"} and web.annotations == {"owner": "team-a"}
    assert (web.source.path, web.source.line) == ("tenant/web.yaml", 1)
    # kustomize's namespace transformer (not a plain overwrite) moves the ServiceAccount subject too
    assert rendered["RoleBinding/team-a/a-deployer-v2"].get("subjects") == [
        {"kind": "ServiceAccount", "name": "a-deployer-v2", "namespace": "team-a"}]
    assert rendered["ConfigMap/team-a/a-audit-v2"].source.path == "components/audit/kustomization.yaml"
    (producer,) = {p for o, p in zip(result.inventory.objects, result.producers) if o.kind != "Kustomization"}
    assert producer == "Kustomization/flux-system/tenant"


# Flux 2.7: an ArtifactGenerator composes artifacts from folders of the monorepo (as
# fluxcd/flux2-kustomize-helm-example does), and Kustomizations apply paths inside them.
ARTIFACTS = d("""
    apiVersion: source.extensions.fluxcd.io/v1beta1
    kind: ArtifactGenerator
    metadata: {name: flux-system, namespace: flux-system}
    spec:
      sources:
      - {alias: monorepo, kind: GitRepository, name: flux-system}
      artifacts:
      - name: apps
        originRevision: "@monorepo"
        copy:
        - {from: "@monorepo/apps/base/**", to: "@artifact/base/"}
        - {from: "@monorepo/apps/a/**", to: "@artifact/a/"}
      - name: moved
        copy:
        - {from: "@monorepo/apps/base/**", to: "@artifact/elsewhere/"}
    """)
ARTIFACT_KS = d("""
    apiVersion: kustomize.toolkit.fluxcd.io/v1
    kind: Kustomization
    metadata: {name: %(name)s, namespace: flux-system}
    spec:
      interval: 1h
      path: %(path)s
      prune: true
      sourceRef: {kind: ExternalArtifact, name: %(name)s}
    """)


def test_kustomizations_are_followed_into_artifacts_built_from_this_repository(make_repo):
    root = make_repo({
        ".hubguard.yaml": POLICY,
        "clusters/a/apps.yaml": ARTIFACT_KS % {"name": "apps", "path": "./a"},
        "clusters/a/moved.yaml": ARTIFACT_KS % {"name": "moved", "path": "./elsewhere"},
        "clusters/a/artifacts.yaml": ARTIFACTS,
        "apps/base/kustomization.yaml": "resources: [cm.yaml]\n",
        "apps/base/cm.yaml": CONFIGMAP.format(name="podinfo"),
        "apps/a/kustomization.yaml": "resources: [../base]\nnamespace: podinfo\n",
    })
    result = render(root)
    assert result.problems == []
    assert "ConfigMap/podinfo/podinfo" in refs(result)
    assert result.notes == ["clusters/a/moved.yaml:8: not followed: artifact 'moved' of ArtifactGenerator/flux-system/"
                            "flux-system: copy rule 1 moves 'apps/base' to 'elsewhere'; hubguard does not reproduce it"]


def test_notes_are_listed_in_json_and_text_output(make_repo, hubguard):
    root = make_repo(MULTI_TENANCY)
    add_remote(root, REMOTE)
    _, out, _ = hubguard("validate", str(root), "--format", "json")
    notes = json.loads(out)["notes"]
    assert any("not followed: source GitRepository/apps/dev-team is branch 'dev-team'" in n for n in notes)
    assert not [f for f in json.loads(out)["findings"] if f["rule"] == "schema/render-error"]
    _, text, err = hubguard("validate", str(root))
    assert "not followed: source GitRepository/apps/ops-team is another repository" in text + err


PASSWORD = "Zq8-very-Real-pass-2024"


def test_render_json_names_hub_source_and_producer_and_redacts_secrets(make_repo, hubguard):
    root = make_repo({
        **MULTI_TENANCY,
        "clusters/a/apps.yaml": flux_kustomization("./apps", name="apps"),
        "apps/secret.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: demo}}\nstringData:\n  password: {PASSWORD}\n",
    })
    code, out, err = hubguard("render", str(root), "--hub", "a", "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    (secret,) = [o for o in document["objects"] if o["object"]["kind"] == "Secret"]
    assert (document["hub"], secret["source"], secret["applied_by"]) == (
        "a", {"path": "apps/secret.yaml", "line": 1}, "Kustomization/flux-system/apps")
    assert secret["object"]["stringData"]["password"] == "Zq8-…(23 chars)"
    entry = [o for o in document["objects"] if o["object"]["kind"] == "Kustomization" and o["object"]["metadata"]["name"] == "apps"]
    assert entry[0]["applied_by"] is None  # written in the hub's roots
    assert any("GitRepository/apps/dev-team" in note for note in document["notes"])
    code, out, err = hubguard("render", str(root), "--hub", "a")
    assert code == 0 and PASSWORD not in out + err and "Zq8-…(23 chars)" in out
    assert "# from apps/secret.yaml:1\n# hub a, applied by Kustomization/flux-system/apps\n" in out
    assert "note: tenants/base/sync.yaml:22: not followed:" in err


def test_substitute_from_falls_back_to_the_one_document_of_the_repository_that_defines_it(make_repo, hubguard):
    vars_cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cluster-vars, namespace: flux-system}\ndata: {REGION: %s}\n"
    tree = {
        ".hubguard.yaml": POLICY, "clusters/a/apps.yaml": APPS_KS,
        "bootstrap/a/cluster-vars.yaml": vars_cm % "west",  # applied by hand at bootstrap, rendered by no Kustomization
        "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: demo}\ndata: {region: '${REGION}'}\n",
    }
    result = render(make_repo(tree))
    assert result.problems == [] and objects(result)["ConfigMap/demo/app"].get("data", "region") == "west"
    tree["bootstrap/b/cluster-vars.yaml"] = vars_cm % "east"  # two candidates: which one the cluster holds is unknown
    result = render(make_repo(tree))
    assert [p.rule for p in result.problems] == ["schema/unresolved-reference"]
    assert objects(result)["ConfigMap/demo/app"].get("data", "region") == "${REGION}"


def release_by_chart_ref(name: str, source: str) -> str:
    return ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
            f"metadata: {{name: {name}, namespace: default}}\n"
            f"spec:\n  interval: 1h\n  chartRef: {{kind: OCIRepository, name: {source}}}\n")


def test_a_helm_release_by_chart_ref_names_the_chart_its_source_holds(make_repo):
    """Home-ops repositories name the OCIRepository after the app (`atuin`), not the chart it holds
    (bjw-s app-template): the note names what is not rendered."""
    root = make_repo({
        ".hubguard.yaml": POLICY,
        "clusters/a/atuin.yaml": d("""
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: OCIRepository
            metadata: {name: atuin, namespace: default}
            spec:
              interval: 1h
              url: oci://ghcr.io/bjw-s-labs/helm/app-template
              ref: {tag: 4.1.2}
            ---
            """) + release_by_chart_ref("atuin", "atuin"),
        "clusters/a/other.yaml": release_by_chart_ref("other", "elsewhere"),
    })
    result = render(root)
    assert result.notes == [
        "clusters/a/atuin.yaml:14: not followed: the chart 'oci://ghcr.io/bjw-s-labs/helm/app-template:4.1.2' "
        "(OCIRepository/default/atuin) of HelmRelease/default/atuin is not rendered (the HelmRelease is checked as an object)",
        "clusters/a/other.yaml:6: not followed: the chart of OCIRepository/default/elsewhere of HelmRelease/default/other "
        "is not rendered (the HelmRelease is checked as an object)",
    ]
