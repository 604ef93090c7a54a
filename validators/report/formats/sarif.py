"""SARIF 2.1.0 for code scanning: rule metadata, real physical lines, logical object locations."""

from __future__ import annotations

import json

from hubguard import __version__
from hubguard.findings import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning"}


def _rule_descriptor(rule) -> dict:
    return {
        "id": rule.id,
        "name": rule.id.replace("/", "-"),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc.strip().split("\n\n")[0]},
        "help": {"text": f"{rule.doc.strip()}\n\nFix: {rule.remediation}", "markdown": f"{rule.doc.strip()}\n\n**Fix:** {rule.remediation}"},
        "defaultConfiguration": {"level": LEVEL[rule.severity.value]},
        "properties": {"tags": [rule.family]},
    }


def render(report: Report, rules: dict) -> str:
    used = sorted({f.rule for f in report.findings} | set(rules))
    descriptors = [_rule_descriptor(rules[r]) for r in used if r in rules]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for f in report.findings:
        # Code scanning needs a physical location with a region on every result; a finding about
        # a file as a whole (or the repository) points at its first line.
        region = {"startLine": f.line or 1}
        if f.line and f.column:
            region["startColumn"] = f.column
        location: dict = {"physicalLocation": {"artifactLocation": {"uri": f.path or ".hubguard.yaml", "uriBaseId": "SRCROOT"}, "region": region}}
        if f.object:
            location["logicalLocations"] = [{"fullyQualifiedName": f.object, "kind": "resource"}]
        result: dict = {
            "ruleId": f.rule,
            "level": LEVEL[f.severity.value],
            "message": {"text": f.message + (f" [hub {f.hub}]" if f.hub else "")},
        }
        if f.rule in index:
            result["ruleIndex"] = index[f.rule]
        result["locations"] = [location]
        if f.hub:
            result["properties"] = {"hub": f.hub}
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "hubguard", "version": __version__, "informationUri": "https://github.com/hubguard/hubguard", "rules": descriptors}},
                "originalUriBaseIds": {"SRCROOT": {"uri": "./"}},
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
