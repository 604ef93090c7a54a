"""SPEC's stable JSON shape."""

from __future__ import annotations

import json

from hubguard import __version__
from hubguard.findings import Report


def render(report: Report, rules: dict) -> str:
    document = {
        "tool": {"name": "hubguard", "version": __version__},
        "summary": {
            "files": report.files,
            "objects": report.objects,
            "hubs": report.hubs,
            "errors": report.errors,
            "warnings": report.warnings,
            "suppressed": report.suppressed,
        },
        "findings": [f.to_dict() for f in report.findings],
        # Every note, each file not checked included: a program reading this wants them all.
        "notes": report.notes + report.skipped_files,
        "suppressed": [s.to_dict() for s in report.suppressed_findings],
    }
    if report.baseline_known:
        document["summary"]["baseline"] = report.baseline_known
    if report.shard is not None:
        document["shard"] = report.shard
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
