"""`--changed-since REF`: only the hubs whose render reads a changed file (now or at REF), and the
file-level rules on the changed files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest
from integration_helpers import CONFIGMAP, edit, git, steps, two_hub_files, write


def remove(rel: str) -> Callable[[Path], None]:
    return lambda root: os.remove(root / rel)


def git_mv(old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        git(root, "mv", old, new)
    return apply


CASES = [
    # (id, change, hubs checked, words the note must contain)
    ("overlay", edit("apps/seattle/patch.yaml", "replicas: 3", "replicas: 4"), ["seattle"],
     ["seattle (apps/seattle/patch.yaml)", "not checked: munich"]),
    ("base", edit("apps/base/deploy.yaml", "nginx:1.27", "nginx:1.28"), ["munich", "seattle"],
     ["all hubs checked", "apps/base/deploy.yaml read by every hub"]),
    # Only the render at REF read the deleted file: the current render cannot know of it.
    ("delete-plain-folder-file", remove("clusters/munich/extra/munich-settings.yaml"), ["munich"],
     ["munich (clusters/munich/extra/munich-settings.yaml)"]),
    ("delete-git-rm", lambda root: git(root, "rm", "-q", "clusters/seattle/extra/seattle-settings.yaml"), ["seattle"],
     ["seattle (clusters/seattle/extra/seattle-settings.yaml)"]),
    ("rename-in-overlay", steps(git_mv("apps/seattle/patch.yaml", "apps/seattle/replicas.yaml"),
                                edit("apps/seattle/kustomization.yaml", "patch.yaml", "replicas.yaml")), ["seattle"],
     # The old name is no longer read nor looked for: the kustomization that changed names the new one.
     ["apps/seattle/kustomization.yaml", "apps/seattle/replicas.yaml"]),
    # Both sides of a rename count: the old path was seattle's, the new one is munich's.
    ("rename-across-hubs", git_mv("clusters/seattle/extra/seattle-settings.yaml", "clusters/munich/extra/moved.yaml"),
     ["munich", "seattle"], ["munich (clusters/munich/extra/moved.yaml)", "seattle (clusters/seattle/extra/seattle-settings.yaml)"]),
    ("rename-untracked", steps(write("clusters/munich/extra/new.yaml", CONFIGMAP.format(name="moved")),
                               remove("clusters/seattle/extra/seattle-settings.yaml")), ["munich", "seattle"], []),
    ("unrelated-file", edit("README.md", "demo", "demo!"), [], ["no hub checked: no hub's render reads any of the 1 changed file;", "file-level rules on 1 changed file"]),
    ("policy", edit(".hubguard.yaml", "seattle:", "seattle: "), ["munich", "seattle"],
     [".hubguard.yaml changed, so every hub and every file is checked"]),
    # Which files must be encrypted changed: every file is judged again.
    ("sops-config", write("apps/.sops.yaml", "creation_rules:\n- path_regex: .*secret.*\\.yaml$\n"), ["munich", "seattle"],
     ["apps/.sops.yaml changed, so every hub and every file is checked"]),
]


@pytest.mark.parametrize("change, hubs, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_only_hubs_whose_render_reads_a_changed_file(make_repo, validate_json, change, hubs, words):
    root = make_repo(two_hub_files())
    change(root)
    code, report = validate_json(root, "--changed-since", "HEAD", "--select", "schema/")
    assert code == 0, report["findings"]
    assert report["summary"]["hubs"] == hubs
    note = report["notes"][0]
    assert note.startswith("changed since HEAD: ")
    for word in words:
        assert word in note


def test_a_deleted_patch_still_referenced_fails_that_hub_only(make_repo, validate_json):
    root = make_repo(two_hub_files())
    os.remove(root / "apps/munich/patch.yaml")
    code, report = validate_json(root, "--changed-since", "HEAD", "--select", "schema/")
    assert code == 1
    assert report["summary"]["hubs"] == ["munich"]
    assert [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]] == [
        ("schema/render-error", "apps/munich/kustomization.yaml", 4, "munich")]  # as a full run reports it


def test_nothing_changed_checks_nothing(make_repo, validate_json):
    root = make_repo(two_hub_files())
    code, report = validate_json(root, "--changed-since", "HEAD", "--select", "schema/")
    assert (code, report["findings"], report["summary"]["hubs"]) == (0, [], [])
    assert report["notes"] == ["changed since HEAD: no file changed; nothing to check"]


def test_nothing_staged_checks_nothing_and_copies_no_index(make_repo, validate_json, monkeypatch):
    """`git commit --amend` of the message alone: the hook answers before writing the index out."""
    import hubguard.load.git_index as git_index

    root = make_repo(two_hub_files())
    write("apps/base/deploy.yaml", "a: [broken, not staged\n")(root)  # unstaged: not part of the commit
    copies = []
    real = git_index.staged_tree
    monkeypatch.setattr(git_index, "staged_tree", lambda path: copies.append(path) or real(path))
    code, report = validate_json(root, "--staged")
    assert (code, report["findings"], report["summary"]["hubs"], copies) == (0, [], [], [])
    assert report["notes"] == ["staged changes: no file changed; nothing to check"]
    git(root, "add", "apps/base/deploy.yaml")
    code, report = validate_json(root, "--staged", "--select", "schema/")
    assert code == 1 and copies == [root] and report["summary"]["hubs"] == ["munich", "seattle"]


def test_an_ignored_change_checks_nothing(make_repo, validate_json):
    root = make_repo({**two_hub_files(), ".gitignore": "build/\n"})
    write("build/out.yaml", "a: [broken\n")(root)
    code, report = validate_json(root, "--changed-since", "HEAD", "--select", "schema/")
    assert (code, report["findings"], report["summary"]["hubs"]) == (0, [], [])
    assert "changed since HEAD: no file changed" in report["notes"][0]


def test_file_rules_see_changed_files_only(make_repo, validate_json):
    """A broken file committed at REF is not reported again; a broken file added since is."""
    root = make_repo({**two_hub_files(), "notes/old.yaml": "a: [broken\n"})
    write("notes/new.yaml", "b: {broken\n")(root)
    code, report = validate_json(root, "--changed-since", "HEAD", "--select", "schema/")
    assert code == 1
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [("schema/yaml-error", "notes/new.yaml")]
    assert report["summary"]["hubs"] == []


def test_changes_since_an_older_commit(make_repo, validate_json):
    root = make_repo(two_hub_files())
    base = git(root, "rev-parse", "HEAD").strip()
    edit("apps/munich/patch.yaml", "replicas: 3", "replicas: 5")(root)
    git(root, "commit", "-qam", "munich: 5 replicas")
    code, report = validate_json(root, "--changed-since", base, "--select", "schema/")
    assert code == 0 and report["summary"]["hubs"] == ["munich"]


def test_a_repository_in_a_subfolder_of_the_git_work_tree(make_repo, validate_json):
    root = make_repo({**two_hub_files("gitops/"), "other/apps/base/deploy.yaml": "x: 1\n"})
    edit("gitops/apps/seattle/patch.yaml", "replicas: 3", "replicas: 4")(root)
    edit("other/apps/base/deploy.yaml", "1", "2")(root)  # outside the validated folder: not a change of it
    code, report = validate_json(root / "gitops", "--changed-since", "HEAD", "--select", "schema/")
    assert code == 0
    assert report["summary"]["hubs"] == ["seattle"]
    assert "seattle (apps/seattle/patch.yaml)" in report["notes"][0]


def test_explicit_hubs_are_intersected(make_repo, validate_json):
    root = make_repo(two_hub_files())
    edit("apps/base/deploy.yaml", "nginx:1.27", "nginx:1.28")(root)
    code, report = validate_json(root, "--changed-since", "HEAD", "--hub", "munich", "--select", "schema/")
    assert code == 0 and report["summary"]["hubs"] == ["munich"]


@pytest.mark.parametrize("ref", ["no-such-branch", "0123456789abcdef0123456789abcdef01234567"])
def test_an_unknown_ref_is_a_usage_error(make_repo, hubguard, ref):
    root = make_repo(two_hub_files())
    code, out, err = hubguard("validate", str(root), "--changed-since", ref)
    assert code == 2
    assert f"--changed-since {ref}: unknown revision" in err


def test_outside_a_git_repository_is_a_usage_error(make_repo, hubguard):
    root = make_repo(two_hub_files(), git_init=False)
    code, out, err = hubguard("validate", str(root), "--changed-since", "HEAD", "--select", "schema/")
    assert code == 2 and "not inside a git repository" in err


def test_a_policy_change_checks_every_file(make_repo, validate_json):
    """The policy decides severities, options and ignore_paths: unchanged files are judged again."""
    root = make_repo({**two_hub_files(), "notes/old.yaml": "a: [broken\n"})
    edit(".hubguard.yaml", "hubs:", "min_hubs: 2\nhubs:")(root)
    code, report = validate_json(root, "--changed-since", "HEAD", "--select", "schema/")
    assert code == 1
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [("schema/yaml-error", "notes/old.yaml")]
    assert report["summary"]["hubs"] == ["munich", "seattle"]


def test_planning_follows_a_source_the_policy_names_as_this_repository(make_repo, validate_json):
    """No git remote; `repository.urls` says which URL is this repository. The walk that plans
    must follow that GitRepository as the render does, or a change under it checks no hub."""
    source = ("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: fleet, namespace: flux-system}\n"
              "spec:\n  interval: 1m\n  url: https://git.corp.example/platform/fleet.git\n  ref: {branch: main}\n---\n")
    kustomization = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\n"
                     "spec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef: {kind: GitRepository, name: fleet}\n")
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web, namespace: demo}\ndata: {level: info}\n"
    root = make_repo({
        ".hubguard.yaml": "hubs:\n  a: {roots: [clusters/a]}\nrepository:\n  urls: [https://git.corp.example/platform/fleet.git]\n",
        "clusters/a/apps.yaml": source + kustomization,
        "apps/cm.yaml": config,
    })
    _, full = validate_json(root, "--select", "schema/", "--no-cache")
    assert (full["summary"]["hubs"], full["summary"]["objects"]) == (["a"], 3)  # the source, its Kustomization, the ConfigMap
    edit("apps/cm.yaml", "level: info", "level: debug")(root)
    for cache in (["--no-cache"], []):  # planned by walking, and from a hub record that no longer holds
        _, report = validate_json(root, "--changed-since", "HEAD", "--select", "schema/", *cache)
        assert (report["summary"]["hubs"], report["summary"]["objects"]) == (["a"], 3)
        assert report["notes"][0].startswith("changed since HEAD: checked hub(s) a (apps/cm.yaml)")
