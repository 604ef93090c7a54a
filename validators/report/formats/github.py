"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request diff."""

from __future__ import annotations

from hubguard.findings import Report


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(report: Report, rules: dict) -> str:
    lines = []
    for f in report.findings:
        level = "error" if f.severity.value == "error" else "warning"
        props = []
        if f.path:
            props.append(f"file={_escape_property(f.path)}")
        if f.line:
            props.append(f"line={f.line}")
        if f.column:
            props.append(f"col={f.column}")
        props.append(f"title={_escape_property(f.rule)}")
        hub = f" [hub {f.hub}]" if f.hub else ""
        lines.append(f"::{level} {','.join(props)}::{_escape_data(f.message + hub)}")
    lines.append(f"hubguard: {report.errors} error(s), {report.warnings} warning(s), {report.suppressed} suppressed")
    return "\n".join(lines) + "\n"
