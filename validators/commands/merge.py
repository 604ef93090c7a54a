"""`hubguard merge`: the report of a whole run from the JSON reports of its `--shard K/N` runs."""

from __future__ import annotations

from pathlib import Path

from hubguard.commands.validate import write_report
from hubguard.report.outputs import Display, Output
from hubguard.engine import collapse, suppress, suppressed_places, with_policy_severity
from hubguard.errors import HubguardError
from hubguard.findings import Finding, Report
from hubguard.model import RepoContext
from hubguard.policy import Policy
from hubguard.report.shard_file import comment_index, finding_from_record, read_shards
from hubguard.rules.registry import all_rules
from hubguard.rules.runner import RuleRunner


def run_merge(paths: list[Path], output_format: str, output: Path | None, fail_on: str, debug: bool = False) -> int:
    return write_report(merge_shards(paths), [Output(output_format, output)], Display(), fail_on, debug=debug)


def merge_shards(paths: list[Path]) -> Report:
    """The report of the unsharded run, from its shards: their findings, and the fleet rules run
    over the summaries of every hub, folded together as `validate` folds one run's findings."""
    documents = read_shards(paths)
    sections = [document["shard"] for document in documents]
    run_hubs = list(sections[0]["hubs"])
    fleet = sections[0]["fleet"]
    known = all_rules()
    unknown = [rule_id for rule_id in fleet["rules"] if rule_id not in known]
    if unknown:
        raise HubguardError(f"{paths[0]}: written by another hubguard version (rule {unknown[0]!r} is unknown here)")
    policy = Policy(hub_local=tuple(fleet["hub_local"]), rules=dict(fleet["policy_rules"]))
    repo = RepoContext(root=Path("."), policy=policy, run_hubs=run_hubs,
                       summaries={hub: kept for section in sections for hub, kept in section["summaries"].items()})
    errors = [error for section in sections for error in section["internal_errors"]]
    runner = RuleRunner(repo, [known[rule_id] for rule_id in fleet["rules"]], errors)
    kept, silenced, extra = suppress([with_policy_severity(f, policy) for f in runner.fleet()], comment_index(sections), {})
    suppressed = suppressed_places(silenced)
    if fleet["missing_reason"]:
        kept.extend(with_policy_severity(f, policy) for f in extra)
    findings = _attributed([finding_from_record(record) for section in sections for record in section["findings"]]) + kept
    suppressed |= {tuple(key) for section in sections for key in section["suppressed"]}
    return Report(
        findings=sorted(collapse(findings, run_hubs), key=Finding.sort_key),
        files=documents[0]["summary"]["files"],
        objects=sum(document["summary"]["objects"] for document in documents),
        hubs=run_hubs,
        suppressed=len(suppressed),
        notes=list(dict.fromkeys(note for document in documents for note in document.get("notes", []))),
        internal_errors=errors,
    )


def _attributed(findings: list[Finding]) -> list[Finding]:
    """A file finding that a shard could not attribute (no hub of that shard receives the file)
    carries no hub; where another shard attributed the same finding to its hubs, those stand."""
    def identity(f: Finding) -> tuple:
        return (f.rule, f.path, f.line, f.column, f.object, f.message)

    attributed = {identity(f) for f in findings if f.hub is not None}
    return [f for f in findings if f.hub is not None or identity(f) not in attributed]
