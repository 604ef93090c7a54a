"""`hubguard install-hook`: adds the hook, keeps every existing byte, and is idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hubguard import __version__
from hubguard.commands.install_hook import HOOK_REPO, LOCAL_SETTINGS, HookSource, add_hook, hook_entry
from hubguard.errors import HubguardError

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
    updated = add_hook(original, HookSource(local=local))
    # Every original byte is still there, in order: the update is the original (plus a final newline
    # if it had none) with one block inserted at one place.
    base = original if not original or original.endswith("\n") else original + "\n"
    prefix = next((i for i, (a, b) in enumerate(zip(base, updated)) if a != b), len(base))
    assert updated[:prefix] == base[:prefix] and updated.endswith(base[prefix:])
    assert len(updated) > len(base)
    hooks = hubguard_hooks(updated)
    if local:
        assert hooks == [("local", {"id": "hubguard", "name": "hubguard", "entry": "hubguard validate --staged",
                                    "language": "system", "pass_filenames": False, "require_serial": True, "always_run": True})]
    else:
        assert hooks == [(HOOK_REPO, {"id": "hubguard"})]
        assert f"rev: v{__version__}" in updated
    assert add_hook(updated, HookSource(local=local)) == updated  # idempotent
    if "\r\n" in original:
        assert "\n" not in updated.replace("\r\n", "")


def test_pre_commit_style_is_followed_and_the_next_key_keeps_its_comment():
    updated = add_hook(PRE_COMMIT_STYLE, HookSource(rev="v1.2.3"))
    assert updated == PRE_COMMIT_STYLE.replace(
        "    -   id: black\n",
        "    -   id: black\n-   repo: https://github.com/hubguard/hubguard\n    rev: v1.2.3\n    hooks:\n    -   id: hubguard\n")


def test_indented_style_is_followed():
    updated = add_hook(INDENTED, HookSource(rev="v1.2.3"))
    assert updated == INDENTED + "\n  - repo: https://github.com/hubguard/hubguard\n    rev: v1.2.3\n    hooks:\n      - id: hubguard\n"


def test_a_flow_style_list_is_re_emitted_with_comments():
    updated = add_hook(FLOW, HookSource(rev="v1.2.3"))
    assert updated.startswith("# keep me\n")
    assert hubguard_hooks(updated) == [(HOOK_REPO, {"id": "hubguard"})]


def test_an_existing_hook_from_the_same_source_is_left_alone():
    local = "repos:\n- repo: local\n  hooks:\n  - id: hubguard\n    entry: hubguard validate --staged\n    language: system\n"
    assert add_hook(local, HookSource(local=True)) == local
    pinned = "repos:\n- repo: https://git.corp.example/mirror/hubguard\n  rev: v0.0.9\n  hooks:\n  - id: hubguard\n"
    assert add_hook(pinned, HookSource()) == pinned  # no --repo/--rev asked: what is pinned stays
    assert add_hook(pinned, HookSource(rev="v0.0.9")) == pinned


def test_local_after_a_remote_install_switches_in_place_keeping_args_and_other_bytes():
    original = PRE_COMMIT_STYLE.replace(
        "# CI settings", "-   repo: https://github.com/hubguard/hubguard\n    rev: v0.0.1\n    hooks:\n"
        "    -   id: hubguard\n        args: [--select, secret/, --select, 'schema/']\n    -   id: hubguard-secrets\n"
        "# CI settings")
    switched = add_hook(original, HookSource(local=True))
    assert switched.startswith(PRE_COMMIT_STYLE.split("# CI settings")[0])
    assert switched.endswith("# CI settings for pre-commit.ci\nci:\n    autofix_prs: false\n")
    hooks = {hook["id"]: (repo, hook) for repo, hook in
             [(r["repo"], h) for r in yaml.safe_load(switched)["repos"] for h in r["hooks"]]}
    assert hooks["hubguard"] == ("local", {"id": "hubguard", "name": "hubguard", "entry": "hubguard validate --staged",
                                           **LOCAL_SETTINGS, "args": ["--select", "secret/", "--select", "schema/"]})
    assert hooks["hubguard-secrets"][0] == "local"
    assert hooks["hubguard-secrets"][1]["entry"] == "hubguard validate --staged --select secret/"
    assert "v0.0.1" not in switched
    back = add_hook(switched, HookSource(repo="https://git.corp.example/mirror/hubguard", rev="v0.1.0"))
    assert "-   repo: https://git.corp.example/mirror/hubguard\n    rev: v0.1.0\n    hooks:\n    -   id: hubguard\n" \
           "        args: [--select, secret/, --select, schema/]\n    -   id: hubguard-secrets\n" in back
    assert add_hook(back, HookSource(rev="v0.2.0")).count("rev: v0.2.0\n    hooks:\n    -   id: hubguard\n") == 1


def test_a_hook_sharing_its_entry_with_other_hooks_is_not_rewritten():
    text = "repos:\n- repo: local\n  hooks:\n  - id: lint\n    entry: make lint\n    language: system\n" \
           "  - id: hubguard\n    entry: hubguard validate --staged\n    language: system\n"
    with pytest.raises(HubguardError, match="shares its `repos:` entry"):
        add_hook(text, HookSource())


def test_an_internal_mirror_is_written_as_given():
    updated = add_hook("", HookSource(repo="ssh://git@git.corp.example:7999/tools/hubguard.git", rev="3f2a9c1"))
    assert hubguard_hooks(updated) == [("ssh://git@git.corp.example:7999/tools/hubguard.git", {"id": "hubguard"})]
    assert yaml.safe_load(updated)["repos"][0]["rev"] == "3f2a9c1"


def test_the_command_says_when_it_switched(tmp_path, hubguard):
    assert hubguard("install-hook", str(tmp_path))[0] == 0
    code, out, err = hubguard("install-hook", str(tmp_path), "--local")
    assert code == 0 and "switched the hubguard hook" in out and "local hook" in out
    assert hubguard_hooks((tmp_path / ".pre-commit-config.yaml").read_text())[0][0] == "local"
    code, out, err = hubguard("install-hook", str(tmp_path), "--local")
    assert code == 0 and "nothing changed" in out
    code, out, err = hubguard("install-hook", str(tmp_path), "--local", "--rev", "v1")
    assert code == 2 and "--local" in err


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
    assert code == 0 and "already has the hubguard hook" in out and "nothing changed" in out
    assert config.read_bytes() == first


def test_a_missing_directory_is_a_usage_error(tmp_path, hubguard):
    code, out, err = hubguard("install-hook", str(tmp_path / "nope"))
    assert code == 2 and "no such directory" in err


def test_the_local_hooks_match_the_manifest():
    """The local hooks run what .pre-commit-hooks.yaml runs, on the same occasions: always (no
    `files` filter: the secret rules read every text file, and a deletion can break a hub)."""
    manifest = {hook["id"]: hook for hook in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())}
    local = {hook["id"]: hook for hook in hook_entry(HookSource(local=True), ("hubguard", "hubguard-secrets"))["hooks"]}
    assert set(manifest) == set(local) == {"hubguard", "hubguard-secrets"}
    for hook_id, hook in manifest.items():
        assert "files" not in hook and "types" not in hook and hook["always_run"] is True
        assert (hook["language"], hook["pass_filenames"], hook["require_serial"]) == ("python", False, True)
        assert hook["entry"] == local[hook_id]["entry"]
        assert {k: local[hook_id][k] for k in ("pass_filenames", "require_serial", "always_run")} == \
               {k: hook[k] for k in ("pass_filenames", "require_serial", "always_run")}
    assert manifest["hubguard"]["entry"] == "hubguard validate --staged"
    assert manifest["hubguard-secrets"]["entry"] == "hubguard validate --staged --select secret/"
