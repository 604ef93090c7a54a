"""Source lines around findings, for reports a person reads (HTML), with secrets masked.

A line that carries a `secret/*` finding keeps its key and loses its value; on every line, known
token formats and long high-variety words (key material, PEM bodies) are masked too, so that context
lines cannot show a secret that was reported on a neighbouring line or never recognised at all.
Masked values keep at most their first 4 characters and their length, as everywhere (SPEC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hubguard.findings import Finding
from hubguard.model import SourceFile
from hubguard.redact import redact
from hubguard.rules.secret.token_formats import find_tokens

CONTEXT = 2  # lines shown above and below a finding's line
_KEY_VALUE = re.compile(r"""^(\s*(?:-\s+)?["']?[^\s:="']+["']?\s*[:=]\s*)(\S.*?)\s*$""")
_LONG_WORD = re.compile(r"[A-Za-z0-9+/=_\-.~%]{24,}")


@dataclass(frozen=True)
class Excerpt:
    first_line: int  # 1-based number of lines[0]
    lines: tuple[str, ...]


def excerpts(files: list[SourceFile], findings: list[Finding]) -> dict[tuple[str, int], Excerpt]:
    """(path, line) -> the masked lines around it, for every finding with a line in a text file."""
    by_path = {f.path: f for f in files}
    secret_lines = {(f.path, f.line) for f in findings if f.rule.startswith("secret/") and f.line}
    out: dict[tuple[str, int], Excerpt] = {}
    for finding in findings:
        key = (finding.path, finding.line)
        source = by_path.get(finding.path or "")
        if not finding.line or key in out or source is None or source.text is None:
            continue
        lines = source.lines
        start = max(1, finding.line - CONTEXT)
        end = min(len(lines), finding.line + CONTEXT)
        shown = tuple(mask_line(lines[n - 1], (finding.path, n) in secret_lines) for n in range(start, end + 1))
        out[key] = Excerpt(start, shown)
    return out


def mask_line(line: str, carries_secret: bool) -> str:
    if carries_secret:
        match = _KEY_VALUE.match(line)
        line = match.group(1) + redact(match.group(2)) if match else _indent(line) + redact(line.strip())
    for hit in sorted(find_tokens(line), key=lambda h: -h.start):
        line = line[: hit.start] + redact(hit.value) + line[hit.start + len(hit.value):]
    return _LONG_WORD.sub(lambda m: redact(m.group(0)) if _key_material(m.group(0)) else m.group(0), line)


def _key_material(word: str) -> bool:
    """Long, varied and mixed-case with digits: what base64 keys and token bodies look like (an
    occasional path or digest masked as well costs a reader little)."""
    return (len(set(word)) >= 14 and any(c.isdigit() for c in word) and any(c.isupper() for c in word)
            and any(c.islower() for c in word))


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]
