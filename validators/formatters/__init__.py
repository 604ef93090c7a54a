"""Output formats: small pure functions from a report to text. `--format` choices come from here."""

from __future__ import annotations

from typing import Callable

from hubguard.engine import Report
from hubguard.formatters import github, json_format, junit, sarif, text

Formatter = Callable[[Report, dict], str]

FORMATTERS: dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
}
