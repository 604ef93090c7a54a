"""Integration fixtures: the CLI in-process, through its real error boundary."""

from __future__ import annotations

import json

import pytest

from hubguard.cli import main


@pytest.fixture
def hubguard(capsys):
    """hubguard(*args) -> (exit code, stdout, stderr), through the CLI's real error boundary."""

    def run(*args: str):
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def validate_json(hubguard):
    """validate_json(path, *args) -> (exit code, parsed JSON report)."""

    def run(path, *args: str):
        code, out, err = hubguard("validate", str(path), "--format", "json", *args)
        assert "Traceback" not in err, err
        assert code in (0, 1), err
        return code, json.loads(out)

    return run


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: installs a pre-commit hook environment (20-30 s); runs by default")
