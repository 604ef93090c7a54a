"""`hubguard install-hook`: adds the hook, keeps every existing byte, and is idempotent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hubguard import __version__
from hubguard.commands.install_hook import HOOK_FILES, HOOK_REPO, add_hook

PROJECT = Path(__file__).resolve().parents[2]

# pre-commit's own sample style: 4-space offsets, comments everywhere, a key after repos.
PRE_COMMIT_STYLE = """\
# See https://pre-commit.com for more information
default_stages: [pre-commit]
repos:
-   repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0   # pinned
    hooks:
    -   id: trailing-whitespace
    -   id: check-yaml
        args: ['--allow-multiple-documents']
# the formatter
-   repo: https://github.com/psf/black
    rev: "24.4.2"
    hooks:
    -   id: black

# CI settings for pre-commit.ci
ci:
    autofix_prs: false
"""
# Indented sequences, repos last, no newline at the end of the file.
INDENTED = "repos:\n  - repo: local\n    hooks:\n      - id: lint  # ours\n        name: lint\n        entry: make lint\n        language: system"
CRLF = "repos:\r\n- repo: https://github.com/adrienverge/yamllint\r\n  rev: v1.35.1\r\n  hooks:\r\n  - id: yamllint\r\n"
ONLY_COMMENTS = "# nothing configured yet\n"
NO_REPOS = "default_language_version:\n  python: python3.11\n"
FLOW = "# keep me\nrepos: []  # empty for now\n"


def hubguard_hooks(text: str) -> list[tuple[str, dict]]:
    data = yaml.safe_load(text)
    return [(repo["repo"], hook) for repo in data["repos"] for hook in repo["hooks"] if hook["id"] == "hubguard"]


@pytest.mark.parametrize("original", [PRE_COMMIT_STYLE, INDENTED, CRLF, ONLY_COMMENTS, NO_REPOS, ""],
                         ids=["pre-commit-style", "indented-no-final-newline", "crlf", "only-comments", "no-repos", "empty"])
@pytest.mark.parametrize("local", [False, True], ids=["pinned", "local"])
def test_existing_bytes_are_kept_and_the_hook_is_added_once(original, local):
    updated = add_hook(original, local=local, rev=f"v{__version__}")
    # Every original byte is still there, in order: the update is the original (plus a final newline
    # if it had none) with one block inserted at one place.
    base = original if not original or original.endswith("\n") else original + "\n"
    prefix = next((i for i, (a, b) in enumerate(zip(base, updated)) if a != b), len(base))
    assert updated[:prefix] == base[:prefix] and updated.endswith(base[prefix:])
    assert len(updated) > len(base)
    hooks = hubguard_hooks(updated)
    if local:
        assert hooks == [("local", {"id": "hubguard", "name": "hubguard", "entry": "hubguard validate --staged",
                                    "language": "system", "pass_filenames": False, "require_serial": True, "files": HOOK_FILES})]
    else:
        assert hooks == [(HOOK_REPO, {"id": "hubguard"})]
        assert f"rev: v{__version__}" in updated
    assert add_hook(updated, local=local, rev=f"v{__version__}") == updated  # idempotent
    if "\r\n" in original:
        assert "\n" not in updated.replace("\r\n", "")


def test_pre_commit_style_is_followed_and_the_next_key_keeps_its_comment():
    updated = add_hook(PRE_COMMIT_STYLE, local=False, rev="v1.2.3")
    assert updated == PRE_COMMIT_STYLE.replace(
        "    -   id: black\n",
        "    -   id: black\n-   repo: https://github.com/hubguard/hubguard\n    rev: v1.2.3\n    hooks:\n    -   id: hubguard\n")


def test_indented_style_is_followed():
    updated = add_hook(INDENTED, local=False, rev="v1.2.3")
    assert updated == INDENTED + "\n  - repo: https://github.com/hubguard/hubguard\n    rev: v1.2.3\n    hooks:\n      - id: hubguard\n"


def test_a_flow_style_list_is_re_emitted_with_comments():
    updated = add_hook(FLOW, local=False, rev="v1.2.3")
    assert updated.startswith("# keep me\n")
    assert hubguard_hooks(updated) == [(HOOK_REPO, {"id": "hubguard"})]


def test_an_existing_hubguard_hook_of_any_repo_counts():
    text = "repos:\n- repo: local\n  hooks:\n  - id: hubguard\n    entry: hubguard validate --staged\n    language: system\n"
    assert add_hook(text, local=False, rev="v9") == text


@pytest.mark.parametrize("text, message", [
    ("repos: [\n", "not valid YAML"),
    ("- a\n- b\n", "expected a mapping"),
    ("repos: 3\n", "`repos:` must be a list"),
])
def test_a_bad_config_is_a_usage_error(tmp_path, hubguard, text, message):
    (tmp_path / ".pre-commit-config.yaml").write_text(text)
    code, out, err = hubguard("install-hook", str(tmp_path))
    assert code == 2 and message in err
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == text


def test_the_command_writes_once_then_reports_nothing_to_do(tmp_path, hubguard):
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_bytes(PRE_COMMIT_STYLE.encode())
    code, out, err = hubguard("install-hook", str(tmp_path))
    assert code == 0 and "added the hubguard hook" in out
    first = config.read_bytes()
    code, out, err = hubguard("install-hook", str(tmp_path))
    assert code == 0 and "already has the hubguard hook; nothing changed" in out
    assert config.read_bytes() == first


def test_a_missing_directory_is_a_usage_error(tmp_path, hubguard):
    code, out, err = hubguard("install-hook", str(tmp_path / "nope"))
    assert code == 2 and "no such directory" in err


def test_the_local_hook_matches_the_manifest():
    """The `files` pattern and the commands of the generated hook are those of .pre-commit-hooks.yaml."""
    manifest = {hook["id"]: hook for hook in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())}
    assert set(manifest) == {"hubguard", "hubguard-secrets"}
    for hook in manifest.values():
        assert hook["files"] == HOOK_FILES
        assert (hook["language"], hook["pass_filenames"], hook["require_serial"]) == ("python", False, True)
    assert manifest["hubguard"]["entry"] == "hubguard validate --staged"
    assert manifest["hubguard-secrets"]["entry"] == "hubguard validate --staged --select secret/"


@pytest.mark.parametrize("path, runs", [
    ("apps/base/deploy.yaml", True), ("clusters/a/Kustomization", True), (".env", True), (".env.local", True),
    ("infra/main.tf", True), ("scripts/deploy.sh", True), ("keys/tls.key", True), ("values.YML", True),
    ("README.md", False), ("src/app.py", False), ("envoy.txt", False),
])
def test_the_hook_runs_for_config_files_only(path, runs):
    assert bool(re.search(HOOK_FILES, path)) is runs
