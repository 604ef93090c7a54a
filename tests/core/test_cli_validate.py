"""`hubguard validate` end to end on real repositories: findings, exit codes, hostile files."""

from __future__ import annotations

import os

import pytest
from testkit import billion_laughs

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: demo\ndata:\n  LOG_LEVEL: info\n"


def test_a_broken_line_is_a_yaml_error_at_that_line(make_repo, validate_json):
    root = make_repo({"notes/ok.yaml": "a: 1\n", "notes/broken.yaml": "a: 1\nb: [unclosed\nc: 3\n"})
    code, report = validate_json(root, "--select", "schema/")
    assert code == 1
    assert [(f["rule"], f["path"], f["line"]) for f in report["findings"]] == [("schema/yaml-error", "notes/broken.yaml", 3)]


def test_render_error_on_one_hub_only(make_repo, validate_json):
    root = make_repo({
        "clusters/a/kustomization.yaml": "resources:\n- cm.yaml\n",
        "clusters/a/cm.yaml": CM,
        "clusters/b/kustomization.yaml": "resources:\n- cm.yaml\npatches:\n- path: nope.yaml\n",
        "clusters/b/cm.yaml": CM,
    })
    code, report = validate_json(root, "--select", "schema/render-error")
    assert code == 1
    assert [(f["path"], f["line"], f["hub"]) for f in report["findings"]] == [("clusters/b/kustomization.yaml", 4, "b")]
    assert report["summary"]["hubs"] == ["a", "b"] and report["summary"]["objects"] == 1


@pytest.mark.parametrize(
    "name, content, expected_note",
    [
        ("bin.yaml", b"\x00\x01\x02kind: x\n", "binary"),
        ("latin1.yaml", "name: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_files_are_skipped_with_a_note(make_repo, validate_json, name, content, expected_note):
    root = make_repo({name: content})
    code, report = validate_json(root, "--select", "schema/")
    assert code == 0 and report["findings"] == []
    assert any(name in n and expected_note in n for n in report["notes"])


def test_alias_bomb_file_is_a_finding_not_a_hang(make_repo, validate_json):
    root = make_repo({"bomb.yaml": billion_laughs()})
    code, report = validate_json(root, "--select", "schema/")
    assert code == 1 and report["findings"][0]["rule"] == "schema/yaml-error"


def test_symlink_out_of_the_repo_is_not_followed(make_repo, validate_json, tmp_path):
    secret = tmp_path / "outside.yaml"
    secret.write_text("a: [broken\n")
    root = make_repo({"ok.yaml": "a: 1\n"}, commit=False)
    os.symlink(secret, root / "link.yaml")
    code, report = validate_json(root, "--select", "schema/")
    assert code == 0 and report["findings"] == []
    assert any("link.yaml" in n and "symlink" in n for n in report["notes"])


def test_untracked_ignored_files_are_not_checked_but_untracked_ones_are(make_repo, validate_json):
    root = make_repo({".gitignore": "ignored.yaml\n", "ok.yaml": "a: 1\n"})
    (root / "ignored.yaml").write_text("a: [\n")
    (root / "new.yaml").write_text("b: [\n")
    code, report = validate_json(root, "--select", "schema/")
    assert [f["path"] for f in report["findings"]] == ["new.yaml"]


def test_ignore_paths_from_the_policy(make_repo, validate_json):
    root = make_repo({".hubguard.yaml": "ignore_paths: ['docs/**']\n", "docs/x/broken.yaml": "a: [\n", "broken.yaml": "a: [\n"})
    code, report = validate_json(root, "--select", "schema/")
    assert [f["path"] for f in report["findings"]] == ["broken.yaml"]


def test_a_plain_folder_without_git_is_walked(make_repo, validate_json):
    root = make_repo({"a/broken.yaml": "a: [\n"}, git_init=False)
    code, report = validate_json(root, "--select", "schema/")
    assert [f["path"] for f in report["findings"]] == ["a/broken.yaml"]


@pytest.mark.parametrize(
    "policy, needle",
    [
        ("no_such_key: 1\n", "no_such_key"),
        ("hubs:\n  a: {rootz: [x]}\n", "rootz"),
        ("min_hubs: two\n", "min_hubs"),
        ("rules:\n  schema/yaml-error: {severity: fatal}\n", "severity"),
        ("rules:\n  schema/yaml-error: {bogus_option: 1}\n", "bogus_option"),
        ("rules:\n  ha/replicas: {min: two}\n", "rules.ha/replicas.min: 'two' is not of type 'integer'"),
        ("rules:\n  ha/probes: {probes: [liveness, sideways]}\n", "rules.ha/probes.probes.1: 'sideways' is not one of"),
        ("hubs: [unclosed\n", ".hubguard.yaml:2"),
    ],
)
def test_bad_policy_is_exit_2_with_one_line_naming_the_key(make_repo, hubguard, policy, needle):
    root = make_repo({".hubguard.yaml": policy})
    code, out, err = hubguard("validate", str(root))
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_path_is_exit_2(hubguard, tmp_path):
    code, _, err = hubguard("validate", str(tmp_path / "nope"))
    assert code == 2 and "nope" in err


def test_unknown_hub_is_exit_2(make_repo, hubguard):
    root = make_repo({"clusters/a/cm.yaml": CM})
    code, _, err = hubguard("validate", str(root), "--hub", "zzz")
    assert code == 2 and "zzz" in err


def test_policy_severity_and_fail_on(make_repo, hubguard):
    root = make_repo({".hubguard.yaml": "rules:\n  schema/yaml-error: {severity: warning}\n", "b.yaml": "a: [\n"})
    assert hubguard("validate", str(root), "--select", "schema/")[0] == 0
    assert hubguard("validate", str(root), "--select", "schema/", "--fail-on", "warning")[0] == 1


def test_disabled_rule_does_not_run(make_repo, hubguard):
    root = make_repo({".hubguard.yaml": "rules:\n  schema/yaml-error: {enabled: false}\n", "b.yaml": "a: [\n"})
    assert hubguard("validate", str(root), "--select", "schema/")[0] == 0


def test_select_and_ignore_longest_prefix_wins(make_repo, validate_json):
    root = make_repo({"b.yaml": "a: [\n"})
    assert validate_json(root, "--select", "schema/", "--ignore", "schema/yaml-error")[1]["findings"] == []
    code, report = validate_json(root, "--select", "schema/render-error", "--ignore", "schema/", "--select", "schema/yaml-error")
    assert [f["rule"] for f in report["findings"]] == ["schema/yaml-error"]


def test_text_output_and_summary(make_repo, hubguard):
    root = make_repo({"b.yaml": "a: [\n"})
    code, out, _ = hubguard("validate", str(root), "--select", "schema/")
    assert code == 1
    assert "  b.yaml:2:1 error schema/yaml-error" in out
    assert out.strip().splitlines()[-1].startswith("1 error(s), 0 warning(s), 0 suppressed")
    assert "\033[" not in out  # no colour when not on a terminal


def test_github_format_is_the_default_under_github_actions(make_repo, hubguard, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    root = make_repo({"b.yaml": "a: [\n"})
    _, out, _ = hubguard("validate", str(root), "--select", "schema/")
    assert out.startswith("::error file=b.yaml,line=2,col=1,title=schema/yaml-error::")


def test_output_file(make_repo, hubguard, tmp_path):
    root = make_repo({"b.yaml": "a: [\n"})
    target = tmp_path / "report.json"
    code, out, _ = hubguard("validate", str(root), "--format", "json", "--output", str(target))
    assert code == 1 and out == "" and '"schema/yaml-error"' in target.read_text()


def test_rules_explain_and_version(hubguard):
    code, out, _ = hubguard("rules", "--format", "json")
    assert code == 0 and any(r["id"] == "schema/render-error" for r in __import__("json").loads(out))
    code, out, _ = hubguard("explain", "schema/yaml-error")
    assert code == 0 and "How to fix" in out and "ignore[schema/yaml-error]" in out
    code, _, err = hubguard("explain", "nope/nope")
    assert code == 2 and "nope/nope" in err
    assert hubguard("--version")[0] == 0


def test_render_command_prints_objects_with_origins(make_repo, hubguard):
    root = make_repo({"clusters/a/kustomization.yaml": "resources:\n- cm.yaml\n", "clusters/a/cm.yaml": CM})
    code, out, _ = hubguard("render", str(root), "--hub", "a")
    assert code == 0 and out.startswith("# from clusters/a/cm.yaml:1\n") and "LOG_LEVEL: info" in out
    assert "config.kubernetes.io/origin" not in out


def test_progress_is_drawn_on_a_terminal_only_after_a_moment(monkeypatch):
    import io
    import time

    from hubguard.render import progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.05)
    stream = Tty()
    bar = progress.HubProgress(["munich", "seattle"], stream)
    bar.hub_done("munich")
    time.sleep(0.3)
    bar.hub_done("seattle")
    bar.close()
    text = stream.getvalue()
    assert "1/2 hubs  rendering seattle" in text and "2/2 hubs" in text and text.endswith("\r\033[K")
    quiet = io.StringIO()  # not a terminal: nothing at all
    bar = progress.HubProgress(["a"], quiet)
    time.sleep(0.1)
    bar.close()
    assert quiet.getvalue() == ""
