"""Where a command's text goes: a file (`--output`), or stdout."""

from __future__ import annotations

from pathlib import Path

import click
from hubguard.errors import HubguardError


def emit(text: str, output: Path | None, what: str) -> None:
    """Write `text` to `output`, or print it; an unwritable file is one line naming it (exit 2)."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise HubguardError(f"{output}: cannot write the {what} ({exc.strerror})") from None
