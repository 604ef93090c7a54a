"""No network: the full validator, kubectl included, in a network namespace with no interfaces up."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest


def can_unshare_network() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not can_unshare_network(), reason="this machine does not allow network namespaces (unshare -rn)")
def test_full_validation_passes_without_any_network(hostile_repo):
    root, marker = hostile_repo
    proc = subprocess.run(["unshare", "-rn", sys.executable, "-m", "hubguard", "validate", str(root), "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr[-800:]
    report = json.loads(proc.stdout)
    assert report["summary"]["hubs"] == ["a", "b"]
    assert any(f["rule"] == "schema/render-error" and "remote reference" in f["message"] for f in report["findings"])
    assert "Traceback" not in proc.stderr and not marker.exists()
