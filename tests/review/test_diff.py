"""`hubguard diff`: per-hub rendered change between two states of a real git repository."""

from __future__ import annotations

import json

import pytest
from review_support import PASSWORD, SECRET, commit, git, make_review_repo, write

from hubguard.report.diff_formats import markdown
from hubguard.report.hub_diff import HubChange, ObjectChange, Side


@pytest.fixture
def repo(tmp_path):
    return make_review_repo(tmp_path / "repo")


def diff_json(hubguard, repo, *args: str) -> tuple[int, dict]:
    code, out, err = hubguard("diff", "-C", str(repo), *args, "--format", "json")
    assert code in (0, 1), err
    return code, json.loads(out)


def hub(doc: dict, name: str) -> dict:
    (entry,) = [h for h in doc["hubs"] if h["hub"] == name]
    return entry


def test_a_base_change_alters_both_hubs(hubguard, repo):
    text = (repo / "apps/base/web.yaml").read_text()
    write(repo, {"apps/base/web.yaml": text.replace("web:1.0.0", "web:1.1.0")})
    commit(repo, "bump web")
    code, doc = diff_json(hubguard, repo, "HEAD~1", "HEAD")
    assert code == 0
    for name in ("a", "b"):
        entry = hub(doc, name)
        assert [c["object"] for c in entry["changed"]] == ["Deployment/shop/web"]
        assert entry["added"] == entry["removed"] == []
        diff = entry["changed"][0]["diff"]
        assert "-      - image: registry.local/web:1.0.0" in diff and "+      - image: registry.local/web:1.1.0" in diff
        assert entry["changed"][0]["source"] == "apps/base/web.yaml:1"


def test_an_overlay_change_alters_one_hub_and_a_finding_appears(hubguard, repo):
    write(repo, {"apps/a/kustomization.yaml": "resources:\n- ../base\n- cache.yaml\n",
                 "apps/a/cache.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cache, namespace: shop}\ndata: {size: '1'}\n"})
    commit(repo, "a gets a cache config")
    code, doc = diff_json(hubguard, repo, "HEAD~1", "HEAD")
    assert [c["object"] for c in hub(doc, "a")["added"]] == ["ConfigMap/shop/cache"]
    assert hub(doc, "a")["added"][0]["source"] == "apps/a/cache.yaml:1"
    assert hub(doc, "b")["added"] == hub(doc, "b")["changed"] == []


def test_a_moved_file_alters_no_hub(hubguard, repo):
    git(repo, "mv", "apps/base/api.yaml", "apps/base/api-deployment.yaml")
    text = (repo / "apps/base/kustomization.yaml").read_text()
    write(repo, {"apps/base/kustomization.yaml": text.replace("- api.yaml\n", "- api-deployment.yaml\n")})
    commit(repo, "rename")
    code, doc = diff_json(hubguard, repo, "HEAD~1", "HEAD")
    assert code == 0
    for entry in doc["hubs"]:
        assert entry["added"] == entry["removed"] == entry["changed"] == [], entry
    # findings moved with the file: they are the same findings, neither new nor fixed on any hub
    assert all(not e["new_findings"] and not e["fixed_findings"] for e in doc["hubs"] if e["hub"]), doc["hubs"]


def test_a_secret_change_is_shown_redacted(hubguard, repo):
    write(repo, {"apps/base/secret.yaml": SECRET.replace(PASSWORD, "Another-Real-pass-2025!")})
    commit(repo, "rotate")
    code, out, err = hubguard("diff", "-C", str(repo), "HEAD~1", "HEAD", "--format", "json")
    assert PASSWORD not in out and "Another-Real-pass-2025!" not in out, out
    entry = hub(json.loads(out), "a")
    diff = entry["changed"][0]["diff"]
    assert entry["changed"][0]["object"] == "Secret/shop/db"
    assert "-  password: Zq8-…(23 chars)" in diff and "+  password: Anot…(23 chars)" in diff
    _, text, _ = hubguard("diff", "-C", str(repo), "HEAD~1", "HEAD")
    _, md, _ = hubguard("diff", "-C", str(repo), "HEAD~1", "HEAD", "--format", "markdown")
    assert PASSWORD not in text + md and "Another-Real-pass-2025!" not in text + md


def test_a_finding_introduced_and_one_fixed(hubguard, repo):
    api = (repo / "apps/base/api.yaml").read_text()
    worker = (repo / "apps/b/worker.yaml").read_text()
    write(repo, {"apps/base/api.yaml": api.replace("  replicas: 2\n", "  replicas: 1\n"),       # introduces ha/replicas
                 "apps/b/worker.yaml": worker.replace("  replicas: 1\n", "  replicas: 3\n")})  # fixes it on b
    commit(repo, "trade one replica problem for another")
    code, doc = diff_json(hubguard, repo, "HEAD~1", "HEAD")
    assert code == 1  # a new error
    every = hub(doc, "")
    assert [(f["rule"], f["path"], f["line"]) for f in every["new_findings"] if f["rule"] == "ha/replicas"] == [
        ("ha/replicas", "apps/base/api.yaml", 5)]
    assert [(f["rule"], f["path"]) for f in hub(doc, "b")["fixed_findings"] if f["rule"] == "ha/replicas"] == [
        ("ha/replicas", "apps/b/worker.yaml")]


def test_work_tree_and_staged_against_the_last_commit(hubguard, repo):
    text = (repo / "apps/base/api.yaml").read_text()
    write(repo, {"apps/base/api.yaml": text.replace("web:1.0.0", "api:2.0.0")})
    git(repo, "add", "apps/base/api.yaml")
    write(repo, {"apps/base/api.yaml": text.replace("web:1.0.0", "api:3.0.0")})  # unstaged on top
    _, staged = diff_json(hubguard, repo, "HEAD", "--staged")
    _, work = diff_json(hubguard, repo, "HEAD")
    assert staged["head"] == "index" and work["head"] == "work tree"
    assert "+      - image: registry.local/api:2.0.0" in hub(staged, "a")["changed"][0]["diff"]
    assert "+      - image: registry.local/api:3.0.0" in hub(work, "a")["changed"][0]["diff"]


def test_default_base_is_the_merge_base_with_main(hubguard, repo):
    git(repo, "branch", "-M", "main")
    git(repo, "checkout", "-qb", "feature")
    text = (repo / "apps/base/web.yaml").read_text()
    write(repo, {"apps/base/web.yaml": text.replace("web:1.0.0", "web:9.9.9")})
    commit(repo, "feature")
    _, doc = diff_json(hubguard, repo)
    assert doc["base"] == git(repo, "rev-parse", "main").strip()[:12]
    assert "web:9.9.9" in hub(doc, "a")["changed"][0]["diff"]


def test_markdown_summary_and_cut_to_the_comment_limit(hubguard, repo):
    text = (repo / "apps/base/web.yaml").read_text()
    write(repo, {"apps/base/web.yaml": text.replace("web:1.0.0", "web:1.1.0")})
    commit(repo, "bump web")
    code, md, _ = hubguard("diff", "-C", str(repo), "HEAD~1", "HEAD", "--format", "markdown")
    assert "| hub a | 0 | 0 | 1 | 0 | 0 |" in md and "| hub b | 0 | 0 | 1 | 0 | 0 |" in md
    assert md.count("<details>") == 2 and "```diff" in md
    big = [HubChange(name, changed=[ObjectChange("ConfigMap/x/y", "x.yaml:1", "+" + "z" * 3000)]) for name in "abcd"]
    side = Side("base", {}, [])
    cut = markdown(side, side, big, limit=7000)
    assert len(cut) < 7000 + 400 and cut.count("<details>") == 2
    assert "2 hub section(s) left out to stay within the comment limit of 7,000 characters" in cut


def test_a_bad_base_is_one_line(hubguard, repo):
    code, out, err = hubguard("diff", "-C", str(repo), "no-such-ref")
    assert code == 2 and err.strip() == "hubguard: no-such-ref: no such commit", err


def test_a_secret_value_substituted_into_a_configmap_is_masked(hubguard, repo):
    substituted = "correct-horse-battery-staple"  # no shape a token scanner would mask on its own
    flux = (repo / "clusters/a/apps.yaml").read_text()
    write(repo, {
        "clusters/a/apps.yaml": flux + "  postBuild:\n    substituteFrom:\n    - {kind: Secret, name: app-vars}\n",
        "clusters/a/vars.yaml": f"apiVersion: v1\nkind: Secret\nmetadata: {{name: app-vars, namespace: flux-system}}\n"
                                f"stringData:\n  DB_PASSWORD: {substituted}\n",
        "apps/a/kustomization.yaml": "resources:\n- ../base\n- settings.yaml\n",
        "apps/a/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\n"
                                "data:\n  url: mongodb://app:${DB_PASSWORD}@db:27017/shop\n  pool: '5'\n",
    })
    commit(repo, "settings from a substituted secret")
    settings = (repo / "apps/a/settings.yaml").read_text()
    write(repo, {"apps/a/settings.yaml": settings.replace("pool: '5'", "pool: '10'")})
    commit(repo, "bigger pool")
    code, out, err = hubguard("diff", "-C", str(repo), "HEAD~1", "HEAD", "--format", "json")
    assert substituted not in out, out
    changed = hub(json.loads(out), "a")["changed"]
    assert [c["object"] for c in changed] == ["ConfigMap/shop/settings"]
    assert "corr…(28 chars)" in changed[0]["diff"] and "+  pool: '10'" in changed[0]["diff"]
