"""The render cache: kustomize outputs kept between runs, keyed by every file a build reads.

Each test renders a real repository with the real kustomize twice through one cache directory and
asserts both what was served from the cache (hits, misses) and the rendered value after the change:
a cache that served a stale build would show the old value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hubguard.engine import ValidateOptions, load_repository, render_hubs
from hubguard.render.build_cache import BuildCache, default_directory
from testkit import BASE, COMPONENT, DEPLOY, POLICY, REPLICAS, VARS, two_hub_cache_repo

def write_tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def _git_status(root: Path) -> str:
    return subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--ignored"], check=True,
                          capture_output=True, text=True).stdout


def _render(root: Path, cache: BuildCache) -> dict[str, dict[str, dict]]:
    """hub -> `Kind/name` -> rendered data, with the render cache."""
    policy, files, _ = load_repository(ValidateOptions(root=root))
    renders = render_hubs(root, policy, files, sorted(policy.hubs), None, cache=cache)
    return {hub: {f"{o.kind}/{o.name}": o.data for o in r.inventory.objects} for hub, r in renders.items()}


def _web(rendered: dict, hub: str) -> dict:
    return rendered[hub]["Deployment/web"]


def _counts(cache: BuildCache) -> tuple[int, int]:
    return cache.stats.hits, cache.stats.misses


@pytest.fixture
def repo(make_repo):
    return make_repo(two_hub_cache_repo())


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    return tmp_path / "cache"


def _again(cache_dir: Path) -> BuildCache:
    return BuildCache(cache_dir, "kustomize-under-test")


def test_a_second_run_reads_every_build_from_the_cache_and_renders_the_same(repo, cache_dir):
    cold = _again(cache_dir)
    first = _render(repo, cold)
    assert _counts(cold) == (0, 2)  # apps/a and apps/b: the clusters/ folders are no kustomizations
    warm = _again(cache_dir)
    assert _render(repo, warm) == first
    assert _counts(warm) == (2, 0)
    assert _web(first, "a")["spec"]["replicas"] == 3 and _web(first, "b")["spec"]["replicas"] == 4
    assert _git_status(repo) == ""  # nothing written into the repository


@pytest.mark.parametrize("change, misses, check", [
    ("apps/base/deploy.yaml", 2, lambda r: _web(r, "b")["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.local/web:2.0.0"),
    ("apps/a/replicas.yaml", 1, lambda r: _web(r, "a")["spec"]["replicas"] == 5 and _web(r, "b")["spec"]["replicas"] == 4),
    ("apps/components/team/kustomization.yaml", 2, lambda r: _web(r, "a")["metadata"]["labels"]["team"] == "green"),
    ("apps/base/settings.properties", 2, lambda r: any(v.get("data", {}).get("settings.properties") == "color=red\n"
                                                       for k, v in r["a"].items() if k.startswith("ConfigMap/settings"))),
])
def test_a_changed_input_rebuilds_exactly_the_builds_that_read_it(repo, cache_dir, change, misses, check):
    before = _render(repo, _again(cache_dir))
    edits = {"apps/base/deploy.yaml": DEPLOY.replace("web:1.0.0", "web:2.0.0"),
             "apps/a/replicas.yaml": REPLICAS.replace("{count}", "5"),
             "apps/components/team/kustomization.yaml": COMPONENT.replace("blue", "green"),
             "apps/base/settings.properties": "color=red\n"}
    write_tree(repo, {change: edits[change]})
    warm = _again(cache_dir)
    after = _render(repo, warm)
    assert _counts(warm) == (2 - misses, misses)
    assert check(after) and not check(before)
    assert after == _render(repo, BuildCache(cache_dir.parent / "fresh", "kustomize-under-test"))  # = a cold run


def test_a_flux_substitution_source_is_applied_after_the_cached_build(repo, cache_dir):
    _render(repo, _again(cache_dir))
    write_tree(repo, {"clusters/a/vars.yaml": VARS.replace("{region}", "north")})
    warm = _again(cache_dir)
    after = _render(repo, warm)
    assert _counts(warm) == (2, 0)  # kustomize's output does not depend on it; the substitution does
    assert _web(after, "a")["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "north"
    assert _web(after, "b")["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "east"


def test_the_policy_decides_which_builds_a_hub_needs(repo, cache_dir):
    _render(repo, _again(cache_dir))
    write_tree(repo, {".hubguard.yaml": POLICY + "  c: {roots: [apps/c]}\n",
                      "apps/c/kustomization.yaml": "resources:\n- ../base\n"})
    warm = _again(cache_dir)
    after = _render(repo, warm)
    assert _counts(warm) == (2, 1)  # hub c is new; a and b read what they read before
    assert _web(after, "c")["spec"]["replicas"] == 2


def test_another_kustomize_or_hubguard_version_is_another_key(repo, cache_dir):
    _render(repo, _again(cache_dir))
    other = BuildCache(cache_dir, "another-kustomize")
    _render(repo, other)
    assert _counts(other) == (0, 2)


def test_a_corrupt_or_foreign_entry_is_ignored_and_rebuilt(repo, cache_dir):
    first = _render(repo, _again(cache_dir))
    entries = sorted(cache_dir.rglob("*.entry"))
    assert len(entries) == 2
    entries[0].write_bytes(entries[0].read_bytes()[:-20] + b"garbage" * 3)  # same size, other content
    entries[1].write_bytes(entries[0].read_bytes())  # another key's entry under this name
    warm = _again(cache_dir)
    assert _render(repo, warm) == first
    assert _counts(warm) == (0, 2)
    rewarmed = _again(cache_dir)
    assert _render(repo, rewarmed) == first and _counts(rewarmed) == (2, 0)  # rebuilt entries are good


def test_the_cache_is_trimmed_to_its_cap_least_recently_used_first(repo, cache_dir):
    cache = BuildCache(cache_dir, "kustomize-under-test", max_bytes=1)
    _render(repo, cache)
    cache.trim()
    assert list(cache_dir.rglob("*.entry")) == []


def _cli(root: Path, env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hubguard", "validate", str(root), "--format", "json", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_runs_sharing_a_cache_at_once_agree_with_an_uncached_run(repo, tmp_path):
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "xdg"))
    runs = [_cli(repo, env), _cli(repo, env)]
    outputs = [run.communicate(timeout=240) for run in runs]
    reference = _cli(repo, env, "--no-cache").communicate(timeout=240)[0]
    warm = _cli(repo, env).communicate(timeout=240)[0]
    findings = lambda out: json.loads(out)["findings"]
    assert [findings(out) for out, _ in outputs] == [findings(reference)] * 2 == [findings(warm)] * 2
    cache = tmp_path / "xdg" / "hubguard" / "renders"
    entries = sorted(cache.rglob("*"))
    assert [p.name for p in entries if p.is_file() and not p.name.endswith(".entry")] == []  # no torn temporaries
    keys = [p.name.removesuffix(".entry") for p in entries if p.is_file()]
    assert len(keys) == 2 and all(BuildCache(cache, "any").get(key) for key in keys)
    records = [p for p in (tmp_path / "xdg" / "hubguard" / "hubs").rglob("*") if p.is_file()]
    assert sorted(p.suffix for p in records) == [".record", ".record"]  # one per hub, no torn temporaries


def test_cache_clear_and_no_cache(repo, tmp_path, monkeypatch, hubguard):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_directory() == tmp_path / "xdg" / "hubguard" / "renders"
    assert hubguard("validate", str(repo), "--no-cache")[0] in (0, 1)
    assert not default_directory().exists()
    assert hubguard("validate", str(repo))[0] in (0, 1)
    assert len(list(default_directory().rglob("*.entry"))) == 2
    code, _, err = hubguard("cache", "clear")
    assert code == 0 and "removed 2 cached build(s)" in err and "and 2 hub record(s)" in err
    assert not default_directory().exists() and not (default_directory().parent / "hubs").exists()
