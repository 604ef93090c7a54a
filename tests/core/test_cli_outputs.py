"""Several outputs in one run, where the summary goes, --quiet/--verbose/--exit-zero, colour, and
the one-line summary of files not checked."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from hubguard.report.formats.text import use_colour

SARIF_SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
BROKEN = {"a.yaml": "a: [1\n", "ok.yaml": "b: 1\n"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def test_text_on_stdout_sarif_and_junit_to_files_in_one_run(make_repo, hubguard, tmp_path):
    root = make_repo(BROKEN)
    sarif, junit = tmp_path / "out.sarif", tmp_path / "out.xml"
    code, out, err = hubguard("validate", str(root), "--select", "schema/", "--format", "text", "--format", f"sarif={sarif}",
                              "--format", f"junit={junit}")
    assert code == 1
    assert "a.yaml:2:1 error schema/yaml-error" in out and out.rstrip().splitlines()[-1].startswith("1 error(s)")
    assert err.strip().startswith("1 error(s), 0 warning(s)")  # findings went to files: the summary on stderr
    doc = json.loads(sarif.read_text())
    jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text()), cls=jsonschema.Draft4Validator)
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["schema/yaml-error"]
    assert ET.parse(junit).getroot().get("failures") == "1"


def test_output_sends_the_report_to_a_file_and_the_summary_to_stderr(make_repo, hubguard, tmp_path):
    root = make_repo(BROKEN)
    target = tmp_path / "report.json"
    code, out, err = hubguard("validate", str(root), "--select", "schema/", "--format", "json", "--output", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["summary"]["errors"] == 1
    assert err.strip().splitlines()[-1].startswith("1 error(s), 0 warning(s), 0 suppressed")
    code, out, err = hubguard("validate", str(root), "--select", "schema/", "--format", "json", "--output", str(target), "--quiet")
    assert code == 1 and out == "" and err == ""


@pytest.mark.parametrize("argv, message", [
    (["--format", "text", "--format", "json"], "only one format can go to stdout"),
    (["--format", "yaml"], "unknown format 'yaml'"),
    (["--format", "sarif="], "file name is missing"),
    (["--format", "sarif=x.sarif", "--format", "junit=x.sarif"], "same file"),
    (["--format", "sarif=a.sarif", "--output", "b.txt"], "--output names the file"),
    (["--quiet", "--verbose"], "cannot be combined"),
])
def test_bad_output_options_are_usage_errors(make_repo, hubguard, tmp_path, monkeypatch, argv, message):
    root = make_repo(BROKEN)
    monkeypatch.chdir(tmp_path)
    code, out, err = hubguard("validate", str(root), "--select", "schema/", *argv)
    assert code == 2 and message in err
    assert list(tmp_path.glob("*.sarif")) == [] and not (tmp_path / "b.txt").exists()


def test_exit_zero_and_quiet(make_repo, hubguard):
    root = make_repo(BROKEN)
    code, out, err = hubguard("validate", str(root), "--select", "schema/", "--exit-zero")
    assert code == 0 and "schema/yaml-error" in out
    code, out, err = hubguard("validate", str(root), "--select", "schema/", "--quiet")
    assert code == 1 and out.strip().splitlines() == ["a.yaml", "  a.yaml:2:1 error schema/yaml-error" + out.split("schema/yaml-error", 1)[1].splitlines()[0]]
    assert "error(s)" not in out and "note:" not in out


def test_files_not_checked_are_one_note_listed_with_verbose_and_in_json(make_repo, hubguard, validate_json):
    root = make_repo({**{f"img/{i}.png": PNG for i in range(5)}, "ok.yaml": "b: 1\n"})
    code, out, err = hubguard("validate", str(root), "--select", "schema/")
    notes = [line for line in out.splitlines() if line.startswith("note:") and "not checked" in line]
    assert notes == ["note: 5 files not checked (5 binary); --verbose lists them"]
    code, out, err = hubguard("validate", str(root), "--select", "schema/", "--verbose")
    assert "note: img/3.png: binary file, not checked" in out
    code, report = validate_json(root, "--select", "schema/")
    listed = [note for note in report["notes"] if "not checked" in note]
    assert listed[0] == "5 files not checked (5 binary); --verbose lists them"
    assert sorted(listed[1:]) == [f"img/{i}.png: binary file, not checked" for i in range(5)]


@pytest.mark.parametrize("mode, env, tty, expected", [
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"CLICOLOR_FORCE": "1"}, False, True),
    ("auto", {"FORCE_COLOR": "0"}, True, False),
    ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
    ("auto", {"TERM": "dumb"}, True, False),
    ("always", {"NO_COLOR": "1"}, False, True),
    ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_colour_follows_the_flag_then_the_environment_then_the_terminal(mode, env, tty, expected):
    class Stream:
        def isatty(self) -> bool:
            return tty

    assert use_colour(mode, Stream(), env) is expected


def test_color_flag_on_the_command_line(make_repo, hubguard, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    root = make_repo(BROKEN)
    assert "\033[31merror\033[0m" in hubguard("validate", str(root), "--select", "schema/", "--color", "always")[1]
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\033[" in hubguard("validate", str(root))[1]
    assert "\033[" not in hubguard("validate", str(root), "--select", "schema/", "--color", "never")[1]


def test_fail_on_and_the_new_flags_have_help(hubguard):
    code, out, err = hubguard("validate", "--help")
    assert code == 0
    for flag, words in [("--fail-on", "lowest severity"), ("--exit-zero", "Exit 0"), ("--quiet", "findings only"),
                        ("--color", "NO_COLOR"), ("--format", "FORMAT=FILE")]:
        assert flag in out and words in " ".join(out.split())
