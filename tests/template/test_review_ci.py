"""The generated repository's CI publishes the HTML report as an artifact and posts `hubguard diff`
on pull requests (issue 20), on GitHub and Azure Pipelines; the commands run on the baked repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from template_support import run

SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _commands(steps: list[dict]) -> list[str]:
    lines = []
    for step in steps:
        for line in str(step.get("run") or step.get("script") or "").splitlines():
            match = re.search(r"(hubguard (?:validate|diff)\b.*?)(?:\s*\|\|\s*true)?$", line.strip())
            if match:
                lines.append(match.group(1))
    return lines


def test_review_jobs_publish_the_report_and_post_the_diff(bake, tmp_path):
    baked = bake()
    workflow = yaml.safe_load((baked / ".github/workflows/hubguard.yml").read_text())
    review = workflow["jobs"]["review"]
    assert review["permissions"]["pull-requests"] == "write" and review["steps"][0]["with"]["fetch-depth"] == 0
    upload = next(s for s in review["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert SHA_PINNED.match(upload["uses"]) and upload["with"]["path"] == "hubguard-report.html"
    post = next(s for s in review["steps"] if "gh api" in s.get("run", ""))
    assert post["if"] == "github.event_name == 'pull_request'" and "hubguard-diff.md" in post["run"]
    pipeline = yaml.safe_load((baked / "azure-pipelines.yml").read_text())
    (azure,) = [job for job in pipeline["jobs"] if job["job"] == "review"]
    publish = next(s for s in azure["steps"] if s.get("task") == "PublishPipelineArtifact@1")
    assert publish["inputs"]["artifact"] == "hubguard-report"
    assert any("pullRequests" in s.get("script", "") for s in azure["steps"])

    # run every hubguard command of both review jobs on a copy of the baked repository with a change
    repo = tmp_path / "repo"
    shutil.copytree(baked, repo, ignore=shutil.ignore_patterns(".git"))
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "generated", "--no-verify")
    changed = next(repo.glob("apps/**/ratings-api*.yaml"), None) or next(repo.rglob("*.yaml"))
    changed.write_text(changed.read_text() + "\n")
    _git(repo, "commit", "-qam", "a change", "--no-verify")
    out = tmp_path / "out"
    out.mkdir()
    lines = _commands(review["steps"]) + _commands(azure["steps"])
    assert len(lines) == 4
    for line in lines:
        line = (line.replace("${{ github.event.pull_request.base.sha }}", "HEAD~1").replace('"$base"', "HEAD~1")
                .replace("$(Build.ArtifactStagingDirectory)", str(out)))
        done = run(["bash", "-c", line], repo)
        assert done.returncode in (0, 1), (line, done.stderr)
    assert "<html" in (repo / "hubguard-report.html").read_text() and (out / "hubguard-report.html").is_file()
    assert "### hubguard: what each hub receives after this change" in (repo / "hubguard-diff.md").read_text()
