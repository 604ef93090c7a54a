"""SARIF 2.1.0 for code scanning: rule metadata, real physical lines, logical object locations.

- Artifact URIs are relative references, percent-encoded (RFC 3986: a space, `%`, `,` or `:` in a
  file name would otherwise make an invalid or different URI), against the base id `SRCROOT`.
  `originalUriBaseIds` is omitted: SARIF 2.1.0 §3.14.14 wants an absolute URI there, and an
  absolute path of the machine that ran hubguard would make the output differ per checkout; code
  scanning resolves the relative URIs against the repository root.
- `partialFingerprints` identify a finding across commits (rule, path, object, what was found and
  hub; never its line), so code scanning keeps one alert while lines move.
- Security rules (secret/*, pii/*) carry `security-severity` and the `security` tag, which code
  scanning needs to rank them as security alerts.
- Suppressed findings are results with `suppressions` (kind, status, the reason as justification):
  audited, not shown as open alerts.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from hubguard import __version__
from hubguard.findings import Finding, Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning"}
# GitHub code scanning ranks security alerts by this score: 9.0+ critical, 7.0-8.9 high, 4.0-6.9 medium.
SECURITY_SEVERITY = {"secret": {"error": "9.0", "warning": "6.0"}, "pii": {"error": "7.5", "warning": "5.0"}}
# Comments, file comments and annotations sit in the source; a baseline is kept apart from it.
SUPPRESSION_KIND = {"comment": "inSource", "file": "inSource", "annotation": "inSource", "baseline": "external"}
FINGERPRINT = "hubguardFinding/v1"
BASE_ID = "SRCROOT"


def _rule_descriptor(rule) -> dict:
    properties: dict = {"tags": [rule.family]}
    security = SECURITY_SEVERITY.get(rule.family)
    if security is not None:
        properties = {"tags": ["security", rule.family], "security-severity": security[rule.severity.value]}
    return {
        "id": rule.id,
        "name": rule.id.replace("/", "-"),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc.strip().split("\n\n")[0]},
        "help": {"text": f"{rule.doc.strip()}\n\nFix: {rule.remediation}", "markdown": f"{rule.doc.strip()}\n\n**Fix:** {rule.remediation}"},
        "defaultConfiguration": {"level": LEVEL[rule.severity.value]},
        "properties": properties,
    }


def artifact_uri(path: str) -> str:
    """A relative URI reference for a POSIX path: every character outside RFC 3986's unreserved
    set percent-encoded (UTF-8), `/` kept."""
    return quote(path, safe="/")


def fingerprint(f: Finding) -> str:
    parts = (f.rule, f.path or "", f.object or "", f.key or f.message, f.hub or "")
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _result(f: Finding, index: dict[str, int]) -> dict:
    # Code scanning needs a physical location with a region on every result; a finding about
    # a file as a whole (or the repository) points at its first line.
    region = {"startLine": f.line or 1}
    if f.line and f.column:
        region["startColumn"] = f.column
    artifact = {"uri": artifact_uri(f.path or ".hubguard.yaml"), "uriBaseId": BASE_ID}
    location: dict = {"physicalLocation": {"artifactLocation": artifact, "region": region}}
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
    result["partialFingerprints"] = {FINGERPRINT: fingerprint(f)}
    if f.hub:
        result["properties"] = {"hub": f.hub}
    return result


def render(report: Report, rules: dict) -> str:
    used = sorted({f.rule for f in report.findings} | {s.finding.rule for s in report.suppressed_findings} | set(rules))
    descriptors = [_rule_descriptor(rules[r]) for r in used if r in rules]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = [_result(f, index) for f in report.findings]
    for s in report.suppressed_findings:
        result = _result(s.finding, index)
        suppression = {"kind": SUPPRESSION_KIND[s.kind], "status": "accepted"}
        if s.reason:
            suppression["justification"] = s.reason
        result["suppressions"] = [suppression]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "hubguard", "version": __version__, "informationUri": "https://github.com/hubguard/hubguard", "rules": descriptors}},
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
