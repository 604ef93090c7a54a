"""Helpers shared by the ha/* rule tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import textwrap

from testkit import repo_from_files, run_rule, where


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle`: tests name the offending line by its text."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{needle!r} not found {nth} time(s)")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def findings_of(rule_id: str, files: dict[str, str], *, hubs=None, policy=None) -> list[tuple]:
    """(rule, path, line) of what `rule_id` reports on a repository made of `files`."""
    return where(run_rule(rule_id, repo_from_files(files, hubs=hubs, policy=policy)))


def deployment(name: str = "web", *, replicas: object = 3, kind: str = "Deployment", namespace: str = "shop",
               labels: str = "{app: web}", pod_spec: str = "") -> str:
    """A minimal workload; `replicas=None` leaves the field out, `pod_spec` is indented for you."""
    replicas_line = "" if replicas is None else f"  replicas: {replicas}\n"
    extra = textwrap.indent(dedent(pod_spec), "      ") if pod_spec else ""
    return (
        f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n"
        f"{replicas_line}  selector:\n    matchLabels: {labels}\n  template:\n    metadata:\n      labels: {labels}\n"
        f"    spec:\n{extra}      containers:\n      - name: {name}\n        image: example/{name}:1.0\n"
    )
