"""ha/backup-offsite: a hub's backups must not land on that same hub."""

from __future__ import annotations

import ipaddress
import re
from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.rules.addresses import parse_networks
from hubguard.rules.ha.common import policy_location
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.workloads import containers, pod_template

TARGET_LABEL = "hubguard.io/backup-target"
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")


def _addresses(text: str) -> Iterator[ipaddress.IPv4Address]:
    for match in _IPV4.finditer(text):
        try:
            yield ipaddress.IPv4Address(match.group(1))
        except ValueError:
            continue


def _values(container: dict) -> Iterator[tuple[tuple, str]]:
    """(path in the container, text) of every env value, arg and command word."""
    for index, env in enumerate(container.get("env") or []):
        if isinstance(env, dict) and isinstance(env.get("value"), (str, int)):
            yield ("env", index, "value"), str(env["value"])
    for field in ("args", "command"):
        for index, word in enumerate(container.get(field) or []):
            if isinstance(word, (str, int)):
                yield (field, index), str(word)


def _label_path(job: K8sObject) -> tuple | None:
    if TARGET_LABEL in job.labels:
        return ("metadata", "labels", TARGET_LABEL)
    template = pod_template(job)
    if template is not None and TARGET_LABEL in template.labels:
        return (*template.path, "metadata", "labels", TARGET_LABEL)
    return None


def _is_backup_job(job: K8sObject) -> bool:
    return _label_path(job) is not None or "backup" in job.name.lower()


def check_backup(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    if hub.policy.backup_hub == hub.name:
        yield ctx.finding(
            f"the policy sends this hub's backups to the hub itself (backup_hub: {hub.name}); "
            "losing the hub would lose its backups too",
            policy_location(ctx.repo, "hubs", hub.name, "backup_hub"),
            hub=hub.name,
        )
    own = parse_networks(hub.policy.onprem_cidrs)
    for job in hub.of_kind("CronJob"):
        if not _is_backup_job(job):
            continue
        label = _label_path(job)
        if label is not None:
            if str(job.get(*label)) == hub.name:
                yield ctx.finding(
                    f"backup CronJob {job.name} targets the hub it backs up ({TARGET_LABEL}: {hub.name}); "
                    "send it to another hub",
                    job.locate(*label), hub=hub.name, obj=job,
                )
            continue  # the declared target wins over addresses in its configuration
        yield from _address_findings(job, hub, own, ctx)


def _address_findings(job: K8sObject, hub: HubInventory, own: list, ctx: RuleContext) -> Iterator[Finding]:
    host = (hub.policy.ingress_host or "").lower()
    for path, container in containers(job):
        for where, text in _values(container):
            local = next((str(a) for a in _addresses(text) if any(a in net for net in own)), None)
            if local is None and host and host in text.lower():
                local = host
            if local is None:
                continue
            yield ctx.finding(
                f"backup CronJob {job.name} writes to {local}, an address of the hub it backs up; "
                "send it to another hub",
                job.locate(*path, *where), hub=hub.name, obj=job,
            )
            return  # one finding per job is enough to act on


BACKUP = Rule(
    id="ha/backup-offsite",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A hub's backups land on that same hub (policy backup_hub, or a backup CronJob targeting it).",
    doc="""Seed rule: never store backups on the hub whose data they hold — a fire, a flood or a failed
Azure Stack Hub update would take the data and its backups together. For each hub the rule reads:
- the policy: `hubs.<hub>.backup_hub` in .hubguard.yaml must not be the hub itself;
- the backup CronJobs the hub receives (labelled `hubguard.io/backup-target`, or named `*backup*`):
  the label (on the CronJob or its pod template) must not name the hub itself; a job without the
  label must not write to an IP address inside the hub's own `onprem_cidrs` or to its own
  `ingress_host` (env values, args and command are read).
The check runs on rendered objects, so a label filled by Flux `postBuild.substitute` per hub is
read with its per-hub value.

FAIL (rendered for munich):

    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: mongodb-backup
      labels: {hubguard.io/backup-target: munich}

PASS (munich backs up to seattle):

    metadata:
      name: mongodb-backup
      labels: {hubguard.io/backup-target: seattle}
""",
    remediation="""Point the backups at another hub, in .hubguard.yaml and in the job:

    hubs:
      munich: {backup_hub: seattle, onprem_cidrs: [10.20.0.0/16]}
      seattle: {backup_hub: munich, onprem_cidrs: [10.10.0.0/16]}

    # apps/munich/kustomization.yaml (or Flux postBuild.substitute: {BACKUP_TARGET: seattle})
    labels:
    - pairs: {hubguard.io/backup-target: seattle}

Declare every hub's `onprem_cidrs` so destinations given as addresses are attributed to the right
hub. The rule has no threshold; a job that is not a backup despite its name is suppressed with the
annotation `hubguard.io/ignore: "ha/backup-offsite"`.""",
    check=check_backup,
    cross_hub=True,
)

RULES = [BACKUP]
