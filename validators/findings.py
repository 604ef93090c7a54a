"""Findings are small immutable values; everything downstream (suppression, formatting) reads them.
A Report is what one run found: the findings, the counts and the notes every output format shows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping


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
    # A shard's file finding, not yet given the hubs it holds on: the file whose receiving hubs
    # decide them (`hubguard merge` knows every shard's). None once attributed.
    received_in: str | None = None

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


SUPPRESSION_KINDS = ("comment", "file", "annotation", "baseline")


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding that a suppression (a `# hubguard: ignore[...]` comment, an `ignore-file` comment,
    an object annotation) or the baseline silenced, with the reason given: listed in JSON
    `suppressed` and SARIF `suppressions` so that suppressions can be audited."""

    finding: Finding
    kind: str  # one of SUPPRESSION_KINDS
    reason: str

    def to_dict(self) -> dict:
        return {**self.finding.to_dict(), "suppression": {"kind": self.kind, "reason": self.reason}}


def finding_record(finding: Finding) -> dict:
    """A finding in full as JSON (with its key), for files hubguard reads back: shards, hub records."""
    record = {**finding.to_dict(), "key": finding.key}
    if finding.received_in is not None:
        record["received_in"] = finding.received_in
    return record


def finding_from_record(record: Mapping[str, Any]) -> Finding:
    return Finding(rule=str(record["rule"]), severity=Severity(record["severity"]), path=record.get("path"),
                   line=record.get("line"), column=record.get("column"), hub=record.get("hub"),
                   object=record.get("object"), message=str(record["message"]), key=record.get("key"),
                   received_in=record.get("received_in"))


@dataclass
class Report:
    findings: list[Finding]
    files: int
    objects: int
    hubs: list[str]
    suppressed: int = 0
    notes: list[str] = field(default_factory=list)
    hub_files: dict[str, set[str]] = field(default_factory=dict)
    baseline_known: int = 0
    internal_errors: list[str] = field(default_factory=list)  # rule crashes: exit 3 after the report
    shard: dict | None = None  # what `hubguard merge` needs of a --shard run (JSON format only)
    suppressed_findings: list[Suppressed] = field(default_factory=list)  # `suppressed` counts the non-baseline ones
    skipped_files: list[str] = field(default_factory=list)  # "path: why" for each file not checked; one note sums them up

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)
