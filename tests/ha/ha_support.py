"""Helpers shared by the ha/* rule tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from testkit import dedent, deployment, line_of, repo_from_files, run_rule, where

__all__ = ["dedent", "deployment", "findings_of", "line_of"]


def findings_of(rule_id: str, files: dict[str, str], *, hubs=None, policy=None) -> list[tuple]:
    """(rule, path, line) of what `rule_id` reports on a repository made of `files`."""
    return where(run_rule(rule_id, repo_from_files(files, hubs=hubs, policy=policy)))
