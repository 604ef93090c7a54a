"""`hubguard merge`: the report of a whole run from the JSON reports of its `--shard K/N` runs,
written to the same outputs as `validate`'s and set against the baseline the shards found."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hubguard.commands.validate import write_report
from hubguard.report.outputs import Display, Output
from hubguard.engine import collapse, collapse_suppressed, suppress, suppressed_places, with_policy_severity
from hubguard.errors import HubguardError
from hubguard.findings import Finding, Report
from hubguard.model import RepoContext
from hubguard.policy import Policy
from hubguard.findings import finding_from_record
from hubguard.report.baseline import from_shard_record
from hubguard.report.shard_file import annotation_index, comment_index, read_shards, suppressed_from_record
from hubguard.rules.registry import all_rules
from hubguard.rules.runner import RuleRunner

def run_merge(paths: list[Path], outputs: list[Output], display: Display, fail_on: str, exit_zero: bool = False,
              debug: bool = False) -> int:
    return write_report(merge_shards(paths), outputs, display, fail_on, exit_zero, debug)


def merge_shards(paths: list[Path]) -> Report:
    """The report of the unsharded run, from its shards: their findings, and the fleet rules run
    over the summaries of every hub, folded together as `validate` folds one run's findings; then
    what the baseline records, as `validate` leaves it out."""
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
    annotations = annotation_index(sections)
    kept, silenced, extra = suppress([with_policy_severity(f, policy) for f in runner.fleet()], comment_index(sections),
                                     annotations)
    suppressed = suppressed_places(silenced)
    if fleet["missing_reason"]:
        kept.extend(with_policy_severity(f, policy) for f in extra)
    receivers: dict[str, set[str]] = {}
    for section in sections:
        for path, hubs in section["receivers"].items():
            receivers.setdefault(path, set()).update(hubs)
    shard_findings = [finding_from_record(r) for section in sections for r in section["findings"]]
    # A shard left its file findings' object annotations to the merge: only every shard's hubs
    # tell which hubs' copies carry one.
    received = [f for finding in shard_findings if finding.received_in is not None
                for f in _received(finding, receivers, run_hubs)]
    received, annotated, missing = suppress(received, {}, annotations, receivers, run_hubs)
    silenced += annotated
    suppressed |= suppressed_places(annotated)
    if fleet["missing_reason"]:
        kept.extend(with_policy_severity(f, policy) for f in missing)
    findings = [f for f in shard_findings if f.received_in is None] + received + kept
    suppressed |= {tuple(key) for section in sections for key in section["suppressed"]}
    silenced += [replace(item, finding=f) for item in (suppressed_from_record(r) for section in sections for r in section["suppressed_findings"])
                 for f in _received(item.finding, receivers, run_hubs)]
    report = Report(
        findings=sorted(collapse(findings, run_hubs), key=Finding.sort_key),
        files=documents[0]["summary"]["files"],
        objects=sum(document["summary"]["objects"] for document in documents),
        hubs=run_hubs,
        suppressed=len(suppressed),
        suppressed_findings=collapse_suppressed(silenced, run_hubs),
        notes=list(dict.fromkeys(note for document in documents for note in document.get("notes", []))),
        internal_errors=errors,
    )
    baseline = sections[0].get("baseline")
    return from_shard_record(report, baseline) if baseline is not None else report


def _received(finding: Finding, receivers: dict[str, set[str]], run_hubs: list[str]) -> list[Finding]:
    """A shard's file finding given the hubs it holds on, as `validate` gives them in one run: the
    hubs receiving its file, from every shard's renders; none (hub null) when every hub of the run
    or none receives it."""
    if finding.received_in is None:
        return [finding]
    hubs = receivers.get(finding.received_in, set())
    if not hubs or hubs >= set(run_hubs):
        return [replace(finding, received_in=None)]
    return [replace(finding, hub=hub, received_in=None) for hub in sorted(hubs)]
