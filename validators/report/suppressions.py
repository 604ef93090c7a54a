"""Suppressions, in one place (SPEC "Suppressions"). Accepted spellings, all case-insensitive:

    # hubguard: ignore[ha/pdb] single replica by design          same line or the line above
    # hubguard: ignore[ha/pdb, ha/spread] -- reason               several ids; `--` or `:` before the reason is fine
    # hubguard: ignore[ha/] reason                                a family (prefix ending in /)
    #hubguard:ignore[secret/known-token] reason                   spaces are optional
    # hubguard: ignore-file[secret/known-token] reason            the whole file
    metadata.annotations: {hubguard.io/ignore: "ha/pdb,ha/spread", hubguard.io/ignore-reason: "..."}

Suppressions of `secret/*` and `pii/*` need a reason; one without is not honoured and is itself a
finding (`suppress/missing-reason`), so that nobody silences a leak by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hubguard.rules.registry import id_matches

COMMENT = re.compile(r"#\s*hubguard\s*:\s*(?P<scope>ignore-file|ignore)\s*\[(?P<ids>[^\]]*)\]\s*(?:(?:--|:)\s*)?(?P<reason>.*)$", re.I)
ANNOTATION = "hubguard.io/ignore"
ANNOTATION_REASON = "hubguard.io/ignore-reason"
REASON_REQUIRED = ("secret/", "pii/")


@dataclass(frozen=True)
class Suppression:
    ids: tuple[str, ...]
    reason: str
    path: str
    line: int  # the comment's line (or the object's line for annotations)
    column: int
    scope: str  # "line" | "file" | "object"
    applies_to: tuple[int, ...] = ()  # lines covered, for line suppressions

    def covers(self, rule_id: str) -> bool:
        return any(id_matches(rule_id, i) for i in self.ids)

    def needs_reason_for(self, rule_id: str) -> bool:
        return rule_id.startswith(REASON_REQUIRED) and not self.reason


def parse_ids(text: str) -> tuple[str, ...]:
    return tuple(i.strip() for i in re.split(r"[,\s]+", text) if i.strip())


def comment_suppressions(path: str, text: str) -> list[Suppression]:
    """Suppressions written as comments in one file. A comment on a code line covers that line; a
    comment alone on its line covers the next line that is not itself a comment."""
    if "hubguard" not in text.lower():
        return []
    lines = text.splitlines()
    found: list[Suppression] = []
    for index, line in enumerate(lines):
        match = COMMENT.search(line)
        if not match:
            continue
        ids, reason = parse_ids(match.group("ids")), match.group("reason").strip()
        column = match.start() + 1
        if match.group("scope").lower() == "ignore-file":
            found.append(Suppression(ids, reason, path, index + 1, column, "file"))
            continue
        covered = [index + 1]
        if not line[: match.start()].strip():
            nxt = index + 1
            while nxt < len(lines) and lines[nxt].strip().startswith("#"):
                nxt += 1
            covered.append(nxt + 1)
        found.append(Suppression(ids, reason, path, index + 1, column, "line", tuple(covered)))
    return found


def annotation_suppression(annotations: dict, path: str, line: int | None) -> Suppression | None:
    value = annotations.get(ANNOTATION)
    if not isinstance(value, str) or not value.strip():
        return None
    reason = str(annotations.get(ANNOTATION_REASON) or "").strip()
    return Suppression(parse_ids(value), reason, path, line or 1, 1, "object")
