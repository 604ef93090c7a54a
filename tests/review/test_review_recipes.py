"""The pull-request review recipes in docs/ci parse, post what they produce, and every hubguard
command in them runs with the real CLI on a repository with a change."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from review_support import commit, make_review_repo, write

CI = Path(__file__).resolve().parents[2] / "docs" / "ci"
SUBSTITUTIONS = {"${{ github.event.pull_request.base.sha }}": "HEAD~1", '"$base"': "HEAD~1",
                 "$(Build.ArtifactStagingDirectory)": "{out}"}


def steps(document: dict) -> list[dict]:
    if "jobs" in document:
        return [s for job in document["jobs"].values() for s in job["steps"]]
    return document["steps"]


def hubguard_lines(document: dict) -> list[str]:
    lines = []
    for step in steps(document):
        for line in str(step.get("run") or step.get("script") or "").splitlines():
            match = re.search(r"(hubguard (?:validate|diff)\b.*?)(?:\s*\|\|\s*true)?$", line.strip())
            if match:
                lines.append(match.group(1))
    return lines


@pytest.mark.parametrize("name", ["github-review.yml", "azure-pipelines-review.yml"])
def test_review_recipe_commands_run(name, hubguard, monkeypatch, tmp_path):
    document = yaml.safe_load((CI / name).read_text())
    lines = hubguard_lines(document)
    assert any(" diff " in f" {line} " and "--format markdown" in line for line in lines)
    assert any("--format html" in line for line in lines)
    repo = make_review_repo(tmp_path / "repo")
    text = (repo / "apps/base/web.yaml").read_text()
    write(repo, {"apps/base/web.yaml": text.replace("web:1.0.0", "web:2.0.0")})
    commit(repo, "bump")
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(repo)
    for line in lines:
        for placeholder, value in SUBSTITUTIONS.items():
            line = line.replace(placeholder, value.format(out=out))
        args = shlex.split(line)[1:]
        code, stdout, err = hubguard(*args)
        assert code in (0, 1), (line, err)
        if "--output" in args:
            target = Path(args[args.index("--output") + 1])
            assert target.is_file() and target.stat().st_size > 0, line
    markdown = (repo / "hubguard-diff.md").read_text()
    assert "| hub a | 0 | 0 | 1 | 0 | 0 |" in markdown


def test_github_review_posts_one_comment_and_uploads_the_report():
    workflow = yaml.safe_load((CI / "github-review.yml").read_text())
    job = workflow["jobs"]["review"]
    assert workflow["permissions"]["pull-requests"] == "write"
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"] == "hubguard-report.html"
    post = next(s for s in job["steps"] if "gh api" in s.get("run", ""))
    assert "hubguard-diff" in post["run"] and "PATCH" in post["run"]  # one comment, updated


def test_azure_review_posts_a_thread_and_publishes_the_report():
    pipeline = yaml.safe_load((CI / "azure-pipelines-review.yml").read_text())
    post = next(s for s in pipeline["steps"] if "pullRequests" in s.get("script", ""))
    assert post["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
    publish = next(s for s in pipeline["steps"] if s.get("task") == "PublishPipelineArtifact@1")
    assert publish["inputs"]["targetPath"].endswith("hubguard-report.html")
