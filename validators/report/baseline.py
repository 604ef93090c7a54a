"""Baselines: adopt hubguard on an existing repository without fixing everything first.

`--write-baseline FILE` records today's findings; `--baseline FILE` then reports only findings not
recorded there and counts the known ones in the summary.

A fingerprint is made of the rule, the path, the object and the finding's `key` (what was found,
e.g. the env variable holding a password) — never the line, so that inserting lines above a known
finding, or merging two branches that both edited the file, does not churn the baseline (the
complaint about line-based baselines such as detect-secrets'). Findings without a key that share
a fingerprint are counted: a new one of the same rule in the same file and object is reported.

The file holds no secret, not even redacted: no messages, and object and key only inside a
SHA-256 hash salted with a random value kept in the file (the salt is reused when the file is
rewritten, so unchanged findings keep their fingerprints). Rule and path are kept in clear text
so that a reviewer can see what a baseline accepts.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from hubguard import __version__
from hubguard.errors import HubguardError
from hubguard.findings import Finding, Report, Suppressed

VERSION = 1
# Used without being named when it exists at the repository root, so that the pre-commit hook and
# CI use the baseline that `--write-baseline .hubguard-baseline.json` wrote, without editing them.
DEFAULT_FILE = ".hubguard-baseline.json"
SALT_BYTES = 16


def fingerprint(finding: Finding, salt: str) -> str:
    parts = (salt, finding.rule, finding.path or "", finding.object or "", finding.key or "")
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def write(path: Path, findings: Iterable[Finding]) -> None:
    """Records `findings` in the baseline file `path` (deterministic: sorted, no timestamps)."""
    salt = _existing_salt(path) or secrets.token_hex(SALT_BYTES)
    counts: Counter[tuple[str, str, str]] = Counter(
        (f.path or "", f.rule, fingerprint(f, salt)) for f in findings
    )
    entries = [
        {"rule": rule, "path": rel or None, "fingerprint": digest, **({"count": n} if n > 1 else {})}
        for (rel, rule, digest), n in sorted(counts.items())
    ]
    document = {"version": VERSION, "tool": {"name": "hubguard", "version": __version__}, "salt": salt, "findings": entries}
    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise HubguardError(f"{path}: cannot write the baseline ({exc.strerror})") from None


def filter_known(report: Report, path: Path) -> Report:
    """The report without the findings recorded in the baseline `path`; they are counted in
    `baseline_known`. When more findings share a fingerprint than were recorded, the first ones
    (in report order) count as known and the rest are reported."""
    salt, recorded = load(path)
    return without_known(report, salt, recorded, path.name)


def without_known(report: Report, salt: str, recorded: Counter[str], name: str) -> Report:
    """`filter_known` with the baseline `name` already read: its salt and recorded fingerprints."""
    remaining = Counter(recorded)
    kept: list[Finding] = []
    known: list[Suppressed] = []
    for finding in report.findings:
        digest = fingerprint(finding, salt)
        if remaining[digest] > 0:
            remaining[digest] -= 1
            known.append(Suppressed(finding, "baseline", f"recorded in the baseline {name}"))
        else:
            kept.append(finding)
    return replace(report, findings=kept, baseline_known=report.baseline_known + len(known),
                   suppressed_findings=sorted(report.suppressed_findings + known, key=lambda s: s.finding.sort_key()))


def load(path: Path) -> tuple[str, Counter[str]]:
    """The salt and the recorded fingerprints (with their counts) of a baseline file."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HubguardError(f"{path}: baseline not found (create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HubguardError(f"{path}: not a hubguard baseline ({exc})") from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        found = document.get("version") if isinstance(document, dict) else None
        raise HubguardError(f"{path}: baseline version {found!r} is not supported (expected {VERSION}); rewrite it with --write-baseline")
    salt, entries = document.get("salt"), document.get("findings")
    if not isinstance(salt, str) or not salt or not isinstance(entries, list):
        raise HubguardError(f"{path}: not a hubguard baseline (salt and findings are required)")
    known: Counter[str] = Counter()
    for entry in entries:
        digest = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if not isinstance(digest, str) or not isinstance(count, int) or count < 1:
            raise HubguardError(f"{path}: not a hubguard baseline (bad entry {entry!r})")
        known[digest] += count
    return salt, known


def shard_record(path: Path) -> dict:
    """The baseline as a `--shard` run hands it to `hubguard merge`, which sets the whole run's
    findings against it (a shard cannot: several findings may share a fingerprint across shards)."""
    salt, recorded = load(path)
    return {"file": path.name, "salt": salt, "fingerprints": dict(sorted(recorded.items()))}


def from_shard_record(report: Report, record: dict) -> Report:
    return without_known(report, record["salt"], Counter(record["fingerprints"]), record["file"])


def _existing_salt(path: Path) -> str | None:
    try:
        return load(path)[0]
    except HubguardError:
        return None


def baseline_for(root: Path, given: Path | None, policy_baseline: str | None) -> Path | None:
    """The baseline a run uses: `--baseline FILE`, else the policy's `baseline:` (relative to the
    repository root; it must exist), else `.hubguard-baseline.json` at the root if it exists."""
    if given is not None:
        return given
    if policy_baseline:
        path = root / policy_baseline
        if not path.is_file():
            raise HubguardError(f"baseline: {policy_baseline} not found (the policy names it; create it with "
                                f"--write-baseline {policy_baseline})")
        return path
    default = root / DEFAULT_FILE
    return default if default.is_file() else None
