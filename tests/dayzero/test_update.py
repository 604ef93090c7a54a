"""`hubguard update` with a template of version N and N+1 (a copy of the template in a temp dir)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from dayzero_support import OSLO, commit_all, git
from hubguard.generator.new_repository import template_root

PARTS = ("cookiecutter.json", "hooks", "{{cookiecutter.repo_name}}")
ROOT = "{{cookiecutter.repo_name}}"
WEB = "apps/ratings/base/ratings-web.yaml"
WEB_COMMENT = "  # No replicas: the HorizontalPodAutoscaler below owns the count (at least 2).\n"
INGRESS_COMMENT = "# Served under this hub's own name"


def template_copy(dest: Path, *, in_git: bool) -> Path:
    """Template version N: a copy of the bundled template, committed in its own git repository."""
    dest.mkdir()
    for part in PARTS:
        source = template_root() / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, dest / part)
    if in_git:
        git(dest, "init", "-q")
        commit_all(dest, "template N")
    return dest


def next_version(template: Path, *, in_git: bool) -> None:
    """Template version N+1: a changed comment in a shared file and in every hub's Ingress, one
    more .gitignore line, a new file."""
    web = template / ROOT / "_repo_template" / WEB
    web.write_text(web.read_text().replace(WEB_COMMENT, "  # No replicas: the HorizontalPodAutoscaler owns the count (minimum 2).\n"))
    ingress = template / ROOT / "_hub_template/apps/ratings/overlays/__hub__/ingress.yaml"
    ingress.write_text(ingress.read_text().replace(INGRESS_COMMENT, "# Served under the hub's own host name"))
    gitignore = template / ROOT / ".gitignore"
    gitignore.write_text(gitignore.read_text() + "# Terraform state\n*.tfstate\n")
    (template / ROOT / "_repo_template/docs").mkdir()
    (template / ROOT / "_repo_template/docs/upgrading.md").write_text("# Upgrading {{ c.project_name }}\n")
    if in_git:
        commit_all(template, "template N+1")


def bake(template: Path, out: Path) -> Path:
    from cookiecutter.main import cookiecutter

    return Path(cookiecutter(str(template), no_input=True, output_dir=str(out), default_config=True))


def edit(repo: Path, *, conflicting: bool) -> None:
    """A user's edits: one the template change does not touch, one beside it, maybe one on it."""
    readme = repo / "README.md"
    readme.write_text(readme.read_text() + "\n## Our notes\n")
    ingress = repo / "apps/ratings/overlays/seattle/ingress.yaml"
    ingress.write_text(ingress.read_text().replace(
        "  annotations:\n", "  annotations:\n    nginx.ingress.kubernetes.io/proxy-body-size: 1m\n"))
    if conflicting:
        web = repo / WEB
        web.write_text(web.read_text().replace(WEB_COMMENT, "  # No replicas here (team decision, change 4711).\n"))
    commit_all(repo, "our edits")


@pytest.fixture
def versions(tmp_path):
    def make(*, in_git: bool = True, own_version: bool = False) -> tuple[Path, Path]:
        template = template_copy(tmp_path / "template", in_git=in_git)
        if own_version:  # version N is not the installed template either
            gitignore = template / ROOT / ".gitignore"
            gitignore.write_text(gitignore.read_text() + "# version N\n")
        repo = bake(template, tmp_path / "out")
        return template, repo
    return make


def test_template_change_arrives_and_edits_survive(versions, hubguard, validate_json):
    template, repo = versions()
    assert json.loads((repo / ".hubguard-template.json").read_text())["template"]["commit"] == git(template, "rev-parse", "HEAD").strip()
    edit(repo, conflicting=False)
    next_version(template, in_git=True)
    code, out, err = hubguard("update", "-C", str(repo), "--template", str(template), "--commit")
    assert (code, err) == (0, ""), out
    for line in ("changed  .gitignore", "created  docs/upgrading.md", "changed  apps/ratings/overlays/munich/ingress.yaml",
                 "changed  apps/ratings/overlays/seattle/ingress.yaml", f"changed  {WEB}", "committed"):
        assert line in out
    assert (repo / ".gitignore").read_text().endswith("*.tfstate\n")
    assert (repo / "docs/upgrading.md").read_text() == "# Upgrading Ratings on hubs\n"
    seattle = (repo / "apps/ratings/overlays/seattle/ingress.yaml").read_text()
    assert seattle.startswith("# Served under the hub's own host name")
    assert "    nginx.ingress.kubernetes.io/proxy-body-size: 1m\n" in seattle
    assert (repo / "README.md").read_text().endswith("\n## Our notes\n")
    assert "minimum 2" in (repo / WEB).read_text()
    record = json.loads((repo / ".hubguard-template.json").read_text())
    assert record["template"]["commit"] == git(template, "rev-parse", "HEAD").strip()
    assert git(repo, "status", "--porcelain") == ""
    code, report = validate_json(repo)
    assert (code, report["findings"]) == (0, [])
    # A second run has nothing left to do.
    code, out, _ = hubguard("update", "-C", str(repo), "--template", str(template))
    assert (code, out.strip()) == (0, f"update: already at template 0.1.0 (sha256 {record['template']['sha256'][:12]}, "
                                      f"commit {record['template']['commit'][:12]})")


def test_a_conflicting_edit_is_left_as_a_conflict(versions, hubguard):
    template, repo = versions()
    edit(repo, conflicting=True)
    next_version(template, in_git=True)
    head = git(repo, "rev-parse", "HEAD")
    code, out, err = hubguard("update", "-C", str(repo), "--template", str(template), "--commit")
    assert code == 1, out + err
    assert f"changed  {WEB} (conflict)" in out
    assert "1 file(s) have conflicts to resolve" in out and "not committed" in out
    web = (repo / WEB).read_text()
    assert "<<<<<<< yours\n  # No replicas here (team decision, change 4711).\n" in web
    assert "=======\n  # No replicas: the HorizontalPodAutoscaler owns the count (minimum 2).\n>>>>>>> template" in web
    assert WEB_COMMENT in web  # the base version, shown between ||||||| and =======
    assert (repo / ".gitignore").read_text().endswith("*.tfstate\n")  # the rest arrived
    assert git(repo, "rev-parse", "HEAD") == head


def test_old_version_from_the_repositorys_first_commit(versions, hubguard):
    """Without the template's git history, the first commit (hubguard new's output) is version N."""
    template, repo = versions(in_git=False, own_version=True)
    edit(repo, conflicting=False)
    next_version(template, in_git=False)
    code, out, err = hubguard("update", "-C", str(repo), "--template", str(template))
    assert (code, err) == (0, "")
    assert (repo / "apps/ratings/overlays/seattle/ingress.yaml").read_text().startswith("# Served under the hub's own host name")
    assert (repo / "README.md").read_text().endswith("\n## Our notes\n")
    assert "apps/ratings/overlays/seattle/mongodb-credentials.sops.yaml" not in out  # data, never template


def test_unrecoverable_old_version_is_refused_with_the_way_out(versions, hubguard, monkeypatch):
    """After hub add the first commit no longer shows today's answers; N is nowhere else."""
    template, repo = versions(in_git=False, own_version=True)
    monkeypatch.setenv("HUBGUARD_TEMPLATE_DIR", str(template))
    code, _, err = hubguard("hub", "add", "oslo", *OSLO, "-C", str(repo), "--commit")
    assert code == 0, err
    version_n = shutil.copytree(template, template.parent / "version-n")
    next_version(template, in_git=False)
    code, _, err = hubguard("update", "-C", str(repo), "--template", str(template))
    assert code == 2
    assert err.count("\n") == 1 and "is not available: pass --old-template DIR" in err
    assert git(repo, "status", "--porcelain") == ""
    # Given version N, the update goes through, the added hub included.
    code, out, err = hubguard("update", "-C", str(repo), "--template", str(template), "--old-template", str(template))
    assert code == 2 and "--old-template" in err and "but this repository was generated from" in err
    code, out, err = hubguard("update", "-C", str(repo), "--template", str(template), "--old-template", str(version_n))
    assert (code, err) == (0, "")
    assert (repo / "apps/ratings/overlays/oslo/ingress.yaml").read_text().startswith("# Served under the hub's own host name")


def test_dirty_work_tree_is_a_dry_run(versions, hubguard):
    template, repo = versions()
    next_version(template, in_git=True)
    (repo / "README.md").write_text("uncommitted\n")
    code, out, err = hubguard("update", "-C", str(repo), "--template", str(template), "--commit")
    assert (code, err) == (0, "")
    assert "dry run: the work tree has uncommitted changes" in out
    assert "+*.tfstate" in out
    assert not (repo / "docs").exists()
    assert git(repo, "status", "--porcelain") == " M README.md\n"
