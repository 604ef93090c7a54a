"""The generated repository's CI validates each hub in its own job (`--hub`), which cannot run the
cross-hub rules, and so keeps one run over every hub on the default branch (issue 18, item 4); the
commands of both run on the baked repository."""

from __future__ import annotations

import re
import shutil
import subprocess

import yaml
from template_support import run

NOTE = "not run: ha/hub-parity: compares every hub, and --hub checks only"


def _hubguard_commands(steps: list[dict]) -> list[str]:
    return [re.sub(r"\s+", " ", str(s.get("run") or s.get("script"))).strip() for s in steps
            if "hubguard validate" in str(s.get("run") or s.get("script") or "")]


def test_a_full_run_on_the_default_branch_beside_the_per_hub_jobs(bake, tmp_path):
    baked = bake()
    workflow = yaml.safe_load((baked / ".github/workflows/hubguard.yml").read_text())
    assert workflow[True]["push"]["branches"] == ["main"] and workflow["jobs"]["full"]["if"] == "github.event_name == 'push'"
    (github_full,) = _hubguard_commands(workflow["jobs"]["full"]["steps"])
    (github_hub,) = _hubguard_commands(workflow["jobs"]["validate"]["steps"])
    pipeline = yaml.safe_load((baked / "azure-pipelines.yml").read_text())
    jobs = {job["job"]: job for job in pipeline["jobs"]}
    assert pipeline["trigger"]["branches"]["include"] == ["main"]
    assert jobs["full"]["condition"] == "eq(variables['Build.SourceBranch'], 'refs/heads/main')"
    (azure_full,) = _hubguard_commands(jobs["full"]["steps"])
    (azure_hub,) = _hubguard_commands(jobs["validate"]["steps"])
    assert "--hub" not in github_full + azure_full and "--hub" in github_hub and "--hub" in azure_hub

    repo = tmp_path / "repo"
    shutil.copytree(baked, repo, ignore=shutil.ignore_patterns(".git"))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    out = tmp_path / "out"
    out.mkdir()
    for command, full in ((github_full, True), (azure_full, True), (github_hub, False), (azure_hub, False)):
        line = (command.replace("${{ matrix.hub }}", "seattle").replace("$(hub)", "seattle")
                .replace("${{ parameters.failOn }}", "error").replace("$(Build.ArtifactStagingDirectory)", str(out)))
        done = run(["bash", "-c", line + " --format json=" + str(out / "report.json")], repo)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        notes = yaml.safe_load((out / "report.json").read_text())["notes"]
        assert any(note.startswith(NOTE) for note in notes) is not full, (line, notes)
