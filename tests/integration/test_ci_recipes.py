"""The CI recipes under docs/ci parse, are wired as documented, and every hubguard command in them
runs with the real CLI on a two-hub repository."""

from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from integration_helpers import two_hub_files

CI = Path(__file__).resolve().parents[2] / "docs" / "ci"
RECIPES = ["github-actions.yml", "azure-pipelines.yml", "azure-pipelines-self-hosted.yml"]


def load(name: str) -> dict:
    return yaml.safe_load((CI / name).read_text())


def steps_of(document: dict) -> list[dict]:
    """Every step of every job (GitHub jobs, Azure jobs and stages, `${{ each }}` expansions)."""
    found: list[dict] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("steps"), list):
                found.extend(s for s in node["steps"] if isinstance(s, dict))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found


def commands(document: dict) -> list[str]:
    """The hubguard command lines of the `run:`/`script:` steps."""
    lines = []
    for step in steps_of(document):
        for line in str(step.get("run") or step.get("script") or "").splitlines():
            match = re.search(r"(?:^|\s|/)(hubguard (?:validate|render)\b.*)$", line.strip())
            if match:
                lines.append(match.group(1))
    return lines


def output_of(command: str, fmt: str) -> str | None:
    """The file `command` writes format `fmt` to: `--format FMT=FILE`, or `--format FMT --output FILE`."""
    match = re.search(rf'--format (?:"{fmt}=([^"]+)"|{fmt}=(\S+))', command)
    if match:
        return match.group(1) or match.group(2)
    match = re.search(r'--output (?:"([^"]+)"|(\S+))', command)
    return (match.group(1) or match.group(2)) if match and f"--format {fmt}" in command else None


def test_github_actions_matrix_sarif_and_annotations():
    workflow = load("github-actions.yml")
    validate = workflow["jobs"]["validate"]
    assert validate["strategy"]["matrix"]["hub"] == ["seattle", "munich"]
    assert validate["permissions"]["security-events"] == "write"
    steps = validate["steps"]
    runs = [s["run"] for s in steps if "hubguard validate" in s.get("run", "")]
    assert len(runs) == 1  # one run writes annotations and SARIF
    assert '--hub "${{ matrix.hub }}"' in runs[0] and "--format github" in runs[0]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["if"] == "always()" and upload["with"]["sarif_file"] == output_of(runs[0], "sarif")
    full = workflow["jobs"]["full"]  # every hub at once on the default branch: the cross-hub rules
    full_run = next(s["run"] for s in full["steps"] if "hubguard validate" in s.get("run", ""))
    assert full["if"] == "github.event_name == 'push'" and workflow[True]["push"]["branches"] == ["main"]
    assert "--hub" not in full_run and output_of(full_run, "sarif")
    changed = workflow["jobs"]["changed"]
    assert changed["steps"][0]["with"]["fetch-depth"] == 0
    assert "--changed-since" in changed["steps"][-1]["run"]


@pytest.mark.parametrize("name", ["azure-pipelines.yml", "azure-pipelines-self-hosted.yml"])
def test_azure_pipelines_publish_junit_results(name):
    pipeline = load(name)
    steps = steps_of(pipeline)
    junit = [s["script"] for s in steps if output_of(s.get("script", ""), "junit")]
    publish = [s for s in steps if s.get("task") == "PublishTestResults@2"]
    assert junit and len(publish) == len(junit)
    for command, task in zip(junit, publish):
        assert task["inputs"]["testResultsFormat"] == "JUnit"
        assert task["inputs"]["testResultsFiles"] == output_of(command, "junit")
        assert task["condition"] == "succeededOrFailed()"
    # one run without --hub, on the default branch: the cross-hub rules need every hub
    assert sum("--hub" not in command for command in junit) == 1
    assert "eq(variables['Build.SourceBranch'], 'refs/heads/main')" in str(pipeline)


def test_the_self_hosted_variant_runs_on_a_pool_per_hub():
    pipeline = load("azure-pipelines-self-hosted.yml")
    assert pipeline["parameters"][0]["default"] == ["seattle", "munich"]
    per_hub = [stage for stage in pipeline["stages"] if stage["stage"] != "validate_all"]
    pools = [job["pool"] for stage in per_hub for each in stage["jobs"] for jobs in each.values() for job in jobs]
    assert pools and all(pool == {"name": "hub-${{ hub }}"} for pool in pools)
    (full,) = [stage for stage in pipeline["stages"] if stage["stage"] == "validate_all"]
    assert full["jobs"][0]["pool"] == {"name": "hub-${{ parameters.hubs[0] }}"}
    assert any("kubectl apply --dry-run=server" in s.get("script", "") for s in steps_of(pipeline))


SUBSTITUTIONS = {
    "${{ matrix.hub }}": "{hub}", "$(hub)": "{hub}", "${{ hub }}": "{hub}",
    "${{ github.event.pull_request.base.sha }}": "HEAD",
    "$(Build.ArtifactStagingDirectory)": "{out}", "$(Agent.TempDirectory)": "{out}",
}


@pytest.mark.parametrize("name", RECIPES)
@pytest.mark.parametrize("hub", ["seattle", "munich"])
def test_every_hubguard_command_runs(name, hub, make_repo, hubguard, monkeypatch, tmp_path):
    lines = commands(load(name))
    assert lines, f"{name} runs no hubguard command"
    root = make_repo(two_hub_files())
    monkeypatch.chdir(root)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    for line in lines:
        for old, new in SUBSTITUTIONS.items():
            line = line.replace(old, new)
        line = line.format(hub=hub, out=out_dir).split(" || ")[0].split(" > ")[0]
        argv = shlex.split(line)
        assert argv[0] == "hubguard"
        code, out, err = hubguard(*argv[1:])
        assert code in (0, 1), (line, err)  # findings are fine here; usage errors are not
        if output_of(line, "sarif"):
            assert json.loads(Path(output_of(line, "sarif")).read_text())["version"] == "2.1.0"
        if output_of(line, "junit"):
            assert ET.parse(output_of(line, "junit")).getroot().tag in ("testsuites", "testsuite")
        if "--format github" in line:
            assert out.rstrip().splitlines()[-1].startswith(("::notice", "::error", "::warning", "hubguard"))
        elif "--format text" in line:
            assert "error(s)" in out and "error(s)" in err  # the summary on stdout, and on stderr as a file is written
        elif argv[1] == "render":
            assert any(isinstance(doc, dict) and doc.get("kind") == "Deployment" for doc in yaml.safe_load_all(out))


def test_the_readme_names_every_recipe_and_the_real_options():
    readme = (CI / "README.md").read_text()
    for name in RECIPES:
        assert f"`{name}`" in readme
    for option in ("--staged", "--changed-since", "--write-baseline", "--baseline", "install-hook", "--local"):
        assert option in readme
