"""Runs that check only some hubs say which rules they could not judge (SPEC: notes name the rules
skipped because of --hub/--changed-since), so a per-hub CI job never looks like a full check."""

from __future__ import annotations

from integration_helpers import git, two_hub_files

PARITY = "ha/hub-parity"


def only_on_seattle(make_repo):
    """seattle deploys a workload munich lacks: a finding only a run over both hubs can make."""
    files = two_hub_files()
    files["apps/seattle/extra.yaml"] = files["apps/base/deploy.yaml"].replace("name: web", "name: only-here")
    files["apps/seattle/kustomization.yaml"] = files["apps/seattle/kustomization.yaml"].replace("- ../base\n", "- ../base\n- extra.yaml\n")
    return make_repo(files)


def test_a_per_hub_run_names_the_rule_it_skipped(make_repo, validate_json, hubguard):
    root = only_on_seattle(make_repo)
    code, whole = validate_json(root, "--select", "ha/")
    assert [(f["rule"], f["hub"]) for f in whole["findings"] if f["rule"] == PARITY] == [(PARITY, "munich")]
    assert not any(PARITY in note for note in whole["notes"])

    note = (f"not run: {PARITY}: compares every hub, and --hub checks only seattle; a run over every hub "
            "(e.g. on the default branch) checks it")
    for hub in ("seattle", "munich"):
        code, one = validate_json(root, "--select", "ha/", "--hub", hub)
        assert not [f for f in one["findings"] if f["rule"] == PARITY]
        assert note.replace("seattle", hub) in one["notes"]
    code, out, err = hubguard("validate", str(root), "--select", PARITY, "--hub", "seattle")
    assert code == 0 and f"note: not run: {PARITY}: compares every hub" in out
    code, every = validate_json(root, "--select", PARITY, "--hub", "seattle", "--hub", "munich")
    assert [f["hub"] for f in every["findings"]] == ["munich"] and not any(PARITY in n for n in every["notes"])


def test_a_focused_run_names_the_rule_when_no_hub_changed(make_repo, validate_json):
    root = only_on_seattle(make_repo)
    # A change to one hub's render: every hub is rendered for the comparison, and it runs.
    patch = root / "apps/munich/patch.yaml"
    patch.write_text(patch.read_text().replace("replicas: 3", "replicas: 4"))
    git(root, "commit", "-qam", "munich: 4 replicas")
    code, report = validate_json(root, "--select", "ha/", "--changed-since", "HEAD~1")
    assert report["summary"]["hubs"] == ["munich"]
    assert [(f["rule"], f["hub"]) for f in report["findings"] if f["rule"] == PARITY] == [(PARITY, "munich")]
    assert not any(PARITY in note for note in report["notes"])
    # A change no hub reads: the comparison is as before the change, and the note says it did not run.
    (root / "README.md").write_text("# demo\n\nMore words.\n")
    git(root, "commit", "-qam", "docs")
    code, report = validate_json(root, "--select", "ha/", "--changed-since", "HEAD~1")
    assert (code, report["findings"], report["summary"]["hubs"]) == (0, [], [])
    assert (f"not run: {PARITY}: the change alters no hub's render, so what the hubs deploy compares as it did "
            "before the change") in report["notes"]
