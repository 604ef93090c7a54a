"""Baked repositories, shared across the template tests: each combination is baked once per
session (baking takes about a second; validating and building every root more)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from template_support import TEMPLATE


@pytest.fixture(scope="session")
def _bakes() -> dict:
    return {}


@pytest.fixture
def bake(cookies_session, _bakes):
    """bake(**extra_context) -> Path of the baked repository (cached per context)."""

    def make(**context) -> Path:
        key = json.dumps(context, sort_keys=True)
        if key not in _bakes:
            result = cookies_session.bake(extra_context=context, template=str(TEMPLATE))
            assert result.exception is None, f"bake failed for {context}: {result.exception}"
            assert result.exit_code == 0
            _bakes[key] = Path(result.project_path)
        return _bakes[key]

    return make
