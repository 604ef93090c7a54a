"""Findings are small immutable values; everything downstream (suppression, formatting) reads them."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"

    @property
    def rank(self) -> int:
        return 2 if self is Severity.ERROR else 1


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file: POSIX path relative to the validated root, 1-based line/column."""

    path: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: Severity
    path: str | None
    line: int | None
    column: int | None
    hub: str | None
    object: str | None
    message: str
    # Stable identity of what was found (e.g. the key holding a secret), used by baselines so that
    # a fingerprint survives unrelated edits that move lines. Never the secret itself.
    key: str | None = None

    def sort_key(self) -> tuple:
        return (self.path or "", self.line or 0, self.column or 0, self.rule, self.hub or "", self.message)

    def to_dict(self) -> dict:
        """The stable JSON shape of SPEC.md."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "hub": self.hub,
            "object": self.object,
            "message": self.message,
        }
