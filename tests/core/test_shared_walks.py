"""Kustomize walks share each folder's reading across hubs (a base 20 overlays include is read once),
and give exactly the graphs, and the hub inputs, of separate walks: shared bases, a base reached
twice in one walk, components, a cycle, a symlinked folder, missing, remote and outside references."""

from __future__ import annotations

import os
from pathlib import Path

from hubguard.engine import ValidateOptions, load_repository
from hubguard.render import kustomize
from hubguard.render.inputs import InputGraph

DEPLOY = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 2\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
HUBS = ("h1", "h2", "h3")
FILES = {
    ".hubguard.yaml": "hubs:\n" + "".join(f"  {hub}: {{roots: [overlays/{hub}]}}\n" for hub in HUBS),
    "base/common/kustomization.yaml": "namePrefix: c-\nresources:\n- cm.yaml\n",
    "base/common/cm.yaml": CM.format(name="common"),
    "base/app1/kustomization.yaml": "resources:\n- ../common\n- deploy.yaml\npatches:\n- path: p.yaml\n"
                                    "configMapGenerator:\n- name: cfg\n  envs: [cfg.env]\n",
    "base/app1/deploy.yaml": DEPLOY.format(name="app1"),
    "base/app1/p.yaml": DEPLOY.format(name="app1").replace("2", "3"),
    "base/app1/cfg.env": "A=1\n",
    # reaches common twice (directly and through app1): walked once per walk
    "base/app2/kustomization.yaml": "resources:\n- ../common\n- ../app1\n- svc.yaml\n- missing.yaml\n",
    "base/app2/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: app2\n",
    "components/c1/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                        "resources:\n- ../../base/common\npatches:\n- patch: |\n"
                                        "    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: app1}\n"
                                        "    spec: {replicas: 5}\n",
    "cycle/a/kustomization.yaml": "resources:\n- ../b\n- a.yaml\n",
    "cycle/a/a.yaml": CM.format(name="a"),
    "cycle/b/kustomization.yml": "resources:\n- ../a\n- b.yaml\n",  # found after a name that is absent
    "cycle/b/b.yaml": CM.format(name="b"),
    "overlays/h1/kustomization.yaml": "resources:\n- ../../base/app2\n- ../../base/app1\n"
                                      "components:\n- ../../components/c1\n",
    "overlays/h2/kustomization.yaml": "resources:\n- ../../base/app1\n- ../../cycle/b\n"
                                      "- https://github.com/example/repo//deploy?ref=v1\n",
    "overlays/h3/kustomization.yaml": "resources:\n- ../../cycle/a\n- ../../alias\n- ../../base/app2\n- ../../../outside\n"
                                      "patchesStrategicMerge:\n- sm.yaml\nreplacements:\n- path: r.yaml\n",
    "overlays/h3/sm.yaml": DEPLOY.format(name="app1"),
}
FOLDERS = ["overlays/h1", "overlays/h2", "overlays/h3", "base/app2", "cycle/a", "cycle/b", "components/c1", "base/app1"]


def make(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    os.symlink(root / "base/app1", root / "alias")  # the same folder under another name: one folder
    return root


def plain(graph: kustomize.KustomizeGraph) -> dict:
    """A graph with its documents as values (documents compare by identity)."""
    return {
        "files": graph.files, "resources": graph.resources, "prefixes": graph.prefixes, "suffixes": graph.suffixes,
        "absent": graph.absent, "refused": graph.refused, "missing": graph.missing,
        "patches": [(d.path, d.index, d.line, d.data) for d in graph.patches],
        "generators": [(g.kind, g.name, g.hashed, g.document.path, g.keys) for g in graph.generators],
    }


def test_a_walker_shared_by_every_walk_gives_the_graphs_of_separate_walks(tmp_path):
    root = make(tmp_path)
    separate = {rel: plain(kustomize.walk(root / rel, root)) for rel in FOLDERS}
    reads: list[str] = []

    def counting(rel: str, path: Path):
        reads.append(rel)
        return kustomize.read_documents(rel, path)

    shared = kustomize.Walker(root, counting)
    for order in (FOLDERS, FOLDERS[::-1], FOLDERS):  # every order, and folders remembered from earlier walks
        assert {rel: plain(shared.walk(root / rel)) for rel in order} == separate
    assert reads.count("base/common/kustomization.yaml") == 1 and reads.count("base/app1/p.yaml") == 1
    h3 = separate["overlays/h3"]
    assert h3["resources"] == ["cycle/b/b.yaml", "cycle/a/a.yaml", "base/common/cm.yaml", "base/app1/deploy.yaml",
                               "base/app2/svc.yaml"]
    assert {"cycle/b/kustomization.yaml", "overlays/h3/r.yaml", "base/app2/missing.yaml"} <= h3["absent"]
    assert [message for message, _ in h3["refused"]] == ["reference '../../../outside' leaves the repository (refused)"]
    assert [(message, where.path, where.line) for message, where in h3["missing"]] == [
        ("resources entry 'missing.yaml' does not exist", "base/app2/kustomization.yaml", 5)]
    assert [d[3]["spec"]["replicas"] for d in separate["overlays/h1"]["patches"]] == [3, 5]


def test_hub_inputs_planned_for_every_hub_at_once_equal_each_hub_planned_alone(tmp_path):
    root = make(tmp_path)
    policy, files, _ = load_repository(ValidateOptions(root=root))
    by_path = {f.path: f for f in files}
    together = InputGraph(root, by_path)
    planned = {hub: together.inputs(policy.hubs[hub]) for hub in HUBS}
    for hub in HUBS:
        alone = InputGraph(root, by_path).inputs(policy.hubs[hub])
        assert (planned[hub].files, planned[hub].absent, planned[hub].listed) == (alone.files, alone.absent, alone.listed)
    readers = {hub for hub in HUBS if planned[hub].changed_by("base/common/cm.yaml")}
    assert readers == {"h1", "h2", "h3"}
    assert {hub for hub in HUBS if planned[hub].changed_by("cycle/a/a.yaml")} == {"h2", "h3"}
    assert {hub for hub in HUBS if planned[hub].changed_by("cycle/b/kustomization.yaml")} == {"h2", "h3"}


FLUX = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: apps, namespace: flux-system}}\n"
        "spec:\n  path: {path}\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n")


def test_planning_parses_only_the_patches_that_may_rewrite_a_followed_path(tmp_path):
    """A patch that can reach a Flux Kustomization may send the hub anywhere: the hub reads every
    file. A patch that names no Flux or Argo CD object cannot, and planning does not parse it."""
    root = tmp_path / "repo"
    files = {
        ".hubguard.yaml": "hubs:\n  h1: {roots: [clusters/h1]}\n  h2: {roots: [clusters/h2]}\n",
        "apps/base/kustomization.yaml": "resources:\n- cm.yaml\n",
        "apps/base/cm.yaml": CM.format(name="base"),
    }
    for hub in ("h1", "h2"):
        files[f"clusters/{hub}/kustomization.yaml"] = "resources:\n- flux.yaml\npatches:\n- path: p.yaml\n"
        files[f"clusters/{hub}/flux.yaml"] = FLUX.format(path="./apps/base")
    files["clusters/h1/p.yaml"] = FLUX.format(path="./apps/other")  # moves the Kustomization: any path may be read
    files["clusters/h2/p.yaml"] = CM.format(name="base") + "data: {a: b}\n"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    policy, loaded, _ = load_repository(ValidateOptions(root=root))
    by_path = {f.path: f for f in loaded}
    graph = InputGraph(root, by_path)
    h1, h2 = graph.inputs(policy.hubs["h1"]), graph.inputs(policy.hubs["h2"])
    assert h1.changed_by("apps/elsewhere/x.yaml") and not h2.changed_by("apps/elsewhere/x.yaml")
    assert h2.changed_by("clusters/h2/p.yaml") and h2.changed_by("apps/base/cm.yaml")
    assert by_path["clusters/h2/p.yaml"]._parsed is None  # read as text only
