"""JUnit XML as Azure Pipelines' PublishTestResults and Jenkins read it: a testsuite per rule family,
one testcase per finding (named by rule, file and line; warnings too, marked as such), one passing
testcase per rule without findings, and a skipped testcase per suppressed finding.

One testcase per finding, never several `<failure>` elements in one testcase: Azure Pipelines keeps
only the first failure of a testcase, so the others would be lost, and `failures` would count
findings while the run shows failed tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hubguard.findings import Finding, Report
from hubguard.report.formats.text import one_line, where_text


def _case_name(f: Finding) -> str:
    return f"{f.rule} {where_text(f)}" + (f" [hub {f.hub}]" if f.hub else "")


def render(report: Report, rules: dict) -> str:
    by_rule: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule, []).append(f)
    silenced: dict[str, list] = {}
    for s in report.suppressed_findings:
        silenced.setdefault(s.finding.rule, []).append(s)
    families: dict[str, list[str]] = {}
    for rule_id in sorted(set(rules) | set(by_rule) | set(silenced)):
        families.setdefault(rule_id.split("/", 1)[0], []).append(rule_id)
    suites = ET.Element("testsuites", name="hubguard")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for family, rule_ids in sorted(families.items()):
        suite = ET.SubElement(suites, "testsuite", name=f"hubguard.{family}")
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for rule_id in rule_ids:
            classname = f"hubguard.{family}"
            for f in by_rule.get(rule_id, []):
                case = ET.SubElement(suite, "testcase", classname=classname, name=_case_name(f), time="0")
                hub = f" [hub {f.hub}]" if f.hub else ""
                failure = ET.SubElement(case, "failure", message=f"{where_text(f)} {one_line(f.message)}{hub}", type=f.severity.value)
                failure.text = f"{where_text(f)} {f.severity.value} {f.rule} {one_line(f.message)}{hub}" + (f" ({f.object})" if f.object else "")
                counts["tests"] += 1
                counts["failures"] += 1
            for s in silenced.get(rule_id, []):
                case = ET.SubElement(suite, "testcase", classname=classname, name=_case_name(s.finding), time="0")
                ET.SubElement(case, "skipped", message=f"suppressed ({s.kind}): {one_line(s.reason) or 'no reason given'}")
                counts["tests"] += 1
                counts["skipped"] += 1
            if rule_id not in by_rule and rule_id not in silenced:
                ET.SubElement(suite, "testcase", classname=classname, name=rule_id, time="0")
                counts["tests"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
        suite.set("time", "0")
    for key, value in totals.items():
        suites.set(key, str(value))
    suites.set("errors", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
