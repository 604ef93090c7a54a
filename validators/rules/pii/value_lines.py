"""Lines inside multi-line values: a config file (TOML, Fluent Bit, JSON) held in a ConfigMap key.

The YAML position of the key is known; the line inside its block scalar is found by its text in
the source file, after the key's line, so that findings point at the offending line itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from hubguard.findings import Location
from hubguard.model import K8sObject
from hubguard.rules.registry import RuleContext


@dataclass(frozen=True)
class Spot:
    """A path in an object, plus (optionally) a 0-based line of the multi-line text at that path."""

    path: tuple
    text: str | None = None
    line: int | None = None


def line_containing(text: str | None, needle: str) -> int | None:
    """0-based index of the first line of a multi-line `text` containing `needle`."""
    if not text or "\n" not in text.strip():
        return None
    for index, line in enumerate(text.splitlines()):
        if needle in line:
            return index
    return None


def locate_in_text(ctx: RuleContext, obj: K8sObject, spot: Spot) -> Location:
    """The source line of line `spot.line` of a multi-line value (a config file inside YAML):
    found by its text in the source file, after the line of the key that holds the value."""
    base = obj.locate(*spot.path)
    src = ctx.repo.file(base.path) if base.line else None
    if spot.text is None or spot.line is None or src is None:
        return base
    lines = spot.text.splitlines()
    wanted = lines[spot.line].strip() if spot.line < len(lines) else ""
    if not wanted:
        return base
    skip = sum(1 for line in lines[: spot.line] if line.strip() == wanted)  # same text earlier in the value
    for number, line in enumerate(src.lines[base.line - 1 :], start=base.line):
        if line.strip() == wanted:
            if skip == 0:
                return Location(base.path, number, len(line) - len(line.lstrip()) + 1)
            skip -= 1
    return base
