"""`hubguard new`: the bundled cookiecutter template, via hubguard.generator.new_repository."""

from __future__ import annotations

from pathlib import Path

import click
from hubguard.errors import HubguardError


def parse_extra(pairs: tuple[str, ...]) -> dict[str, str]:
    extra = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise HubguardError(f"{pair!r}: expected KEY=VALUE")
        extra[key] = value
    return extra


def run_new(output_dir: Path, *, no_input: bool, config_file: Path | None, extra: tuple[str, ...]) -> int:
    from hubguard.generator.new_repository import generate

    created = generate(output_dir, no_input=no_input, config_file=config_file, extra_context=parse_extra(extra))
    click.echo(f"hubguard: generated {created}")
    return 0
