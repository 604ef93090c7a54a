"""JUnit XML as Azure Pipelines' PublishTestResults and Jenkins read it: a testsuite per rule family,
a testcase per rule, a failure per finding (warnings too, marked as such)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hubguard.findings import Report
from hubguard.report.formats.text import one_line, where_text


def render(report: Report, rules: dict) -> str:
    families: dict[str, list[str]] = {}
    for rule_id in sorted(set(rules) | {f.rule for f in report.findings}):
        families.setdefault(rule_id.split("/", 1)[0], []).append(rule_id)
    by_rule: dict[str, list] = {}
    for f in report.findings:
        by_rule.setdefault(f.rule, []).append(f)
    suites = ET.Element("testsuites", name="hubguard")
    total_tests = total_failures = 0
    for family, rule_ids in sorted(families.items()):
        failures = sum(1 for r in rule_ids if by_rule.get(r))
        suite = ET.SubElement(suites, "testsuite", name=f"hubguard.{family}", tests=str(len(rule_ids)),
                              failures=str(failures), errors="0", skipped="0", time="0")
        for rule_id in rule_ids:
            case = ET.SubElement(suite, "testcase", classname=f"hubguard.{family}", name=rule_id, time="0")
            for f in by_rule.get(rule_id, []):
                where = where_text(f)
                hub = f" [hub {f.hub}]" if f.hub else ""
                failure = ET.SubElement(case, "failure", message=f"{where} {one_line(f.message)}{hub}", type=f.severity.value)
                failure.text = f"{where} {f.severity.value} {f.rule} {one_line(f.message)}{hub}" + (f" ({f.object})" if f.object else "")
        total_tests += len(rule_ids)
        total_failures += failures
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    suites.set("errors", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
