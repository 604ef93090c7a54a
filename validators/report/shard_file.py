"""The shard file: the JSON report of `validate --shard K/N` plus what `hubguard merge` needs
(findings in full, the fleet rules' per-hub summaries and policy settings, comment suppressions,
what was suppressed), and reading N of them back as the shards of one run."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Mapping

from hubguard.errors import HubguardError
from hubguard.findings import Finding, Suppressed, finding_from_record, finding_record
from hubguard.model import RepoContext
from hubguard.render.shard_plan import Shard
from hubguard.report.suppressions import Suppression, comment_suppressions
from hubguard.rules.registry import Rule, Scope
from hubguard.rules.suppress.missing_reason import MISSING_REASON

# 2: suppressed findings with their reasons, and the baseline; 3: receivers, file findings unattributed;
# 4: the annotations of the shard's hubs' objects
SHARD_FORMAT = 4


def read_shards(paths: list[Path]) -> list[dict]:
    """The JSON reports of `paths`, checked to be the N shards of one run, in shard order."""
    sections: dict[int, dict] = {}
    first: dict | None = None
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise HubguardError(f"{path}: cannot read ({exc.strerror})") from None
        except ValueError:
            raise HubguardError(f"{path}: not a JSON report") from None
        section = document.get("shard") if isinstance(document, dict) else None
        if not isinstance(section, dict) or section.get("format") != SHARD_FORMAT:
            raise HubguardError(f"{path}: not a shard of `hubguard validate --shard K/N --format json` "
                                f"(shard format {SHARD_FORMAT})")
        if first is None:
            first = section
        elif (section.get("count"), section.get("hubs")) != (first.get("count"), first.get("hubs")):
            raise HubguardError(f"{path}: a shard of another run (its shard count or hubs differ from {paths[0]})")
        if section.get("index") in sections:
            raise HubguardError(f"{path}: shard {section.get('index')}/{section.get('count')} is given twice")
        sections[section["index"]] = document
    assert first is not None
    missing = [str(i) for i in range(1, first["count"] + 1) if i not in sections]
    if missing:
        raise HubguardError(f"shard(s) {', '.join(missing)} of {first['count']} missing")
    return [sections[i] for i in sorted(sections)]


def suppressed_record(item: Suppressed) -> dict:
    return {**finding_record(item.finding), "suppression": {"kind": item.kind, "reason": item.reason}}


def suppressed_from_record(record: Mapping[str, Any]) -> Suppressed:
    return Suppressed(finding_from_record(record), str(record["suppression"]["kind"]), str(record["suppression"]["reason"]))


def shard_section(shard: Shard, run_hubs: list[str], findings: list[Finding], repo: RepoContext, rules: list[Rule],
                  suppressed: set[tuple], suppressed_findings: list[Suppressed], internal_errors: list[str],
                  annotations: Mapping[tuple[str | None, str], Suppression]) -> dict:
    """What `merge` needs of this shard besides its report: its findings in full, the fleet rules'
    summaries of its hubs, those rules' policy settings, the comment suppressions that may cover
    their findings, the suppressions its hubs' objects carry (for file findings, which every
    shard's hubs receive), and what it suppressed (counted once over all shards)."""
    fleet = [rule.id for rule in rules if rule.scope is Scope.FLEET]
    comments = [asdict(s) for src in repo.files if src.text and "hubguard" in src.text.lower()
                for s in comment_suppressions(src.path, src.text)] if shard.runs_repository_rules else []
    return {
        "format": SHARD_FORMAT,
        "index": shard.index,
        "count": shard.count,
        "hubs": run_hubs,
        "rendered": sorted(repo.summaries),
        "findings": [finding_record(f) for f in findings],
        "summaries": repo.summaries,
        # path -> this shard's hubs that receive something written in it: merge attributes the
        # file findings of every shard with all shards' receivers
        "receivers": {path: sorted(hubs) for path, hubs in sorted(repo.receivers.items())},
        "fleet": {"rules": fleet,
                  "policy_rules": {rule_id: repo.policy.rules[rule_id] for rule_id in (*fleet, MISSING_REASON.id)
                                   if rule_id in repo.policy.rules},
                  "hub_local": [dict(entry) for entry in repo.policy.hub_local],
                  "missing_reason": any(rule.id == MISSING_REASON.id for rule in rules)},
        "comment_suppressions": comments,
        "annotations": [[hub, ref, asdict(suppression)] for (hub, ref), suppression in sorted(annotations.items(), key=str)
                        if hub is not None],
        "suppressed": sorted([list(key) for key in suppressed], key=json.dumps),
        "suppressed_findings": [suppressed_record(s) for s in suppressed_findings],
        "internal_errors": internal_errors,
    }




def comment_index(sections: list[dict]) -> dict[str, list[Suppression]]:
    """The comment suppressions the shards carried, by path."""
    by_path: dict[str, list[Suppression]] = {}
    for section in sections:
        for record in section["comment_suppressions"]:
            found = _suppression(record)
            by_path.setdefault(found.path, []).append(found)
    return by_path


def annotation_index(sections: list[dict]) -> dict[tuple[str | None, str], Suppression]:
    """The suppressions every shard's hubs' objects carry, by (hub, object ref)."""
    return {(hub, ref): _suppression(record) for section in sections for hub, ref, record in section["annotations"]}


def _suppression(record: Mapping[str, Any]) -> Suppression:
    return Suppression(**{**record, "ids": tuple(record["ids"]), "applies_to": tuple(record["applies_to"])})
