"""Generated repositories for the day-2 tests: generated once per module, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dayzero_support import GIT_ENV
from hubguard.generator.new_repository import generate


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """generated(**answers) -> a pristine generated repository (cached for the module)."""
    cache: dict[str, Path] = {}
    home = tmp_path_factory.mktemp("generated-home")
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n")

    def make(**answers: str) -> Path:
        key = repr(sorted(answers.items()))
        if key not in cache:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("HOME", str(home))
                for name, value in GIT_ENV.items():
                    patch.setenv(name, value)
                out = tmp_path_factory.mktemp("generated")
                cache[key] = generate(out, no_input=True, config_file=None, extra_context=answers)
        return cache[key]

    return make


@pytest.fixture
def repo_copy(generated, tmp_path):
    """repo_copy(**answers) -> a private copy (with .git and the private age keys) to change."""

    def make(**answers: str) -> Path:
        source = generated(**answers)
        target = tmp_path / source.name
        shutil.copytree(source, target, symlinks=True)
        return target

    return make
