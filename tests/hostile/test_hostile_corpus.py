"""The whole validator (every rule) over the hostile corpus: findings or notes, never a crash,
a hang, an executed plugin or a fetched URL."""

from __future__ import annotations

import json
import socket

import pytest
from hubguard.cli import main


@pytest.fixture
def no_network(monkeypatch):
    """Any socket connection from this process fails loudly."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def run_json(capsys, *args):
    code = main(["validate", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def test_hostile_repo_gives_findings_and_notes_not_crashes(hostile_repo, capsys, no_network):
    root, marker = hostile_repo
    code, report, err = run_json(capsys, str(root))
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    assert not marker.exists(), "a kustomize exec plugin was run"
    by_path: dict[str, set[str]] = {}
    for f in report["findings"]:
        by_path.setdefault(f["path"], set()).add(f["rule"])
    for bad in ("yaml/bomb.yaml", "yaml/deep-flow.yaml", "yaml/deep-block.yaml", "yaml/tabs.yaml", "json/bad.json", "json/deep.json"):
        assert "schema/yaml-error" in by_path.get(bad, set()), bad
    assert "schema/yaml-error" not in by_path.get("charts/app/templates/dep.yaml", set())
    notes = " ".join(report["notes"])
    for skipped, why in (("yaml/huge.yaml", "larger than"), ("yaml/binary.yaml", "binary"), ("yaml/nul.yaml", "binary"),
                         ("yaml/latin1.yaml", "not UTF-8")):
        assert f"{skipped}: " in notes and why in notes, skipped
    render_errors = [(f["path"], f["hub"], f["message"]) for f in report["findings"] if f["rule"] == "schema/render-error"]
    messages = " | ".join(m for _, _, m in render_errors)
    assert "remote reference" in messages and "cycle" in messages and "leaves the repository" in messages
    assert "enumerates 600 folders" in messages
    assert any(p == "apps/plugin/kustomization.yaml" and h == "b" for p, h, _ in render_errors)
    assert any(p == "apps/helm/kustomization.yaml" and h == "b" for p, h, _ in render_errors)
    assert report["summary"]["hubs"] == ["a", "b"]


def test_each_hostile_file_alone_never_crashes_any_rule(hostile_repo, capsys):
    """Every file of the corpus as a one-file repository, every rule: exit 0 or 1, never 3."""
    import shutil
    import subprocess

    root, _ = hostile_repo
    listing = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "yaml", "json", "charts"], capture_output=True, check=True)
    for rel in filter(None, listing.stdout.decode().split("\0")):
        single = root.parent / "single"
        shutil.rmtree(single, ignore_errors=True)
        (single / rel).parent.mkdir(parents=True)
        shutil.copyfile(root / rel, single / rel)
        code, _, err = run_json(capsys, str(single))
        assert code in (0, 1), f"{rel}: exit {code}: {err[-400:]}"
