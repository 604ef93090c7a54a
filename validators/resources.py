"""Data shipped with the package (JSON Schemas), loaded lazily and once per process."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


def schema_files():
    return resources.files("hubguard.schemas")


@functools.lru_cache(maxsize=None)
def load_json_schema(name: str) -> Any:
    return json.loads(schema_files().joinpath(name).read_text(encoding="utf-8"))
