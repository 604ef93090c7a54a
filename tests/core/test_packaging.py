"""The wheel carries everything `pip install .` users need: schemas and the whole template."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_schemas_and_every_template_file(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("hubguard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "cookiecutter.json", "hooks", "{{cookiecutter.repo_name}}"],
                             capture_output=True, text=True, check=True).stdout.split()
    template_files = [p for p in tracked if not p.endswith((".pyc",))]
    assert template_files, "the template is tracked in git"
    missing = [p for p in template_files if f"hubguard/_template/{p}" not in names]
    assert missing == []
    assert "hubguard/schemas/policy.schema.json" in names
    assert any(n.startswith("hubguard/schemas/crds/") and n.endswith(".json") for n in names)
    assert not any(n.startswith(("hubguard/_template/tests/", "hubguard/_template/validators/", "hubguard/_template/.venv")) for n in names)
