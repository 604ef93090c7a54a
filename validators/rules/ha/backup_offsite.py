"""ha/backup-offsite: a hub's backups must not land on that same hub."""

from __future__ import annotations

import re
from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.rules.ha.common import policy_location
from hubguard.rules.ha.hub_addresses import Destination, HubAddresses
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.workloads import containers, pod_template

TARGET_LABEL = "hubguard.io/backup-target"
# Values that name where a backup reads from, not where it writes.
_SOURCE_NAME = re.compile(r"(^|[_-])(SOURCE|SRC|FROM|INPUT)([_-]|$)", re.IGNORECASE)
_SOURCE_FLAG = re.compile(r"^--?(source|src|from|input)\b", re.IGNORECASE)


def _values(container: dict) -> Iterator[tuple[tuple, str]]:
    """(path in the container, text) of every env value, arg and command word that may name a
    destination (values named as the backup's source are left out)."""
    for index, env in enumerate(container.get("env") or []):
        if isinstance(env, dict) and isinstance(env.get("value"), (str, int)) and not _SOURCE_NAME.search(str(env.get("name"))):
            yield ("env", index, "value"), str(env["value"])
    for field in ("args", "command"):
        for index, word in enumerate(container.get(field) or []):
            if isinstance(word, (str, int)) and not _SOURCE_FLAG.match(str(word)):
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


def _destinations(job: K8sObject, addresses: HubAddresses) -> list[tuple[tuple, Destination]]:
    """(path, destination) of every value of the job that points into a hub."""
    found = []
    for path, container in containers(job):
        for where, text in _values(container):
            found += [((*path, *where), d) for d in addresses.destinations(text)]
    return found


def check_backup(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    if hub.policy.backup_hub == hub.name:
        yield ctx.finding(
            f"the policy sends this hub's backups to the hub itself (backup_hub: {hub.name}); "
            "losing the hub would lose its backups too",
            policy_location(ctx.repo, "hubs", hub.name, "backup_hub"),
            hub=hub.name,
        )
    addresses = HubAddresses(ctx.policy)
    for job in hub.of_kind("CronJob"):
        if _is_backup_job(job):
            yield from _job_findings(job, hub, addresses, ctx)


def _job_findings(job: K8sObject, hub: HubInventory, addresses: HubAddresses, ctx: RuleContext) -> Iterator[Finding]:
    """The destination decides; the label is checked against it (and alone when there is none)."""
    label_path = _label_path(job)
    label = str(job.get(*label_path)) if label_path is not None else None
    destinations = _destinations(job, addresses)
    own = next(((p, d) for p, d in destinations if d.hub == hub.name), None)
    key = f"{job.ref}:backup-target"
    if own is not None:
        path, dest = own
        contradiction = f"; its label {TARGET_LABEL}: {label} says otherwise" if label not in (None, hub.name) else ""
        yield ctx.finding(
            f"backup CronJob {job.name} writes to {dest.text} ({dest.why}), the hub it backs up{contradiction}; "
            "send it to another hub", job.locate(*path), hub=hub.name, obj=job, key=key)
        return
    if label_path is None:
        return
    other = next((d for _, d in destinations if d.hub != label), None)
    if label == hub.name:
        where = f"; it writes to {other.text} ({other.why}): fix the label" if other is not None else "; send it to another hub"
        yield ctx.finding(f"backup CronJob {job.name} targets the hub it backs up ({TARGET_LABEL}: {label}){where}",
                          job.locate(*label_path), hub=hub.name, obj=job, key=key)
    elif other is not None:
        yield ctx.finding(
            f"backup CronJob {job.name} is labelled {TARGET_LABEL}: {label} but writes to {other.text} "
            f"({other.why}); make the label and the destination agree",
            job.locate(*label_path), hub=hub.name, obj=job, key=key)


BACKUP = Rule(
    id="ha/backup-offsite",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="A hub's backups land on that same hub (policy backup_hub, or a backup CronJob targeting it).",
    doc="""Seed rule: never store backups on the hub whose data they hold — a fire, a flood or a failed
Azure Stack Hub update would take the data and its backups together. For each hub the rule reads:
- the policy: `hubs.<hub>.backup_hub` in .hubguard.yaml must not be the hub itself;
- the backup CronJobs the hub receives (labelled `hubguard.io/backup-target`, or named `*backup*`).
  Their destination decides: an address (IPv4 or IPv6) in the env values, args or command that
  lies in the hub's own `onprem_cidrs`, or a host name that is the hub's `ingress_host` or lies
  under the hub's own domain (the parent domain of its ingress host, or a `pii.onprem_domains`
  entry that holds this hub's ingress host and no other's). Values named as the backup's source
  (`SOURCE_URI`, `--from`) are not destinations. The label (on the CronJob or its pod template)
  must not name the hub itself, and a label that contradicts the destination is a finding too.
The check runs on rendered objects, so a label filled by Flux `postBuild.substitute` per hub is
read with its per-hub value.

FAIL (rendered for seattle, whose onprem_cidrs are 10.10.0.0/16; the label says munich):

    metadata:
      name: mongodb-backup
      labels: {hubguard.io/backup-target: munich}
    ...
        env:
        - name: TARGET_URI
          value: mongodb://10.10.4.4:27017/backup

PASS (seattle backs up to munich, 10.20.0.0/16, and says so):

    metadata:
      name: mongodb-backup
      labels: {hubguard.io/backup-target: munich}
    ...
        env:
        - name: TARGET_URI
          value: mongodb://[fd00:20::5]:27017/backup      # in munich's onprem_cidrs
""",
    remediation="""Point the backups at another hub, in .hubguard.yaml and in the job:

    hubs:
      munich: {backup_hub: seattle, onprem_cidrs: [10.20.0.0/16]}
      seattle: {backup_hub: munich, onprem_cidrs: [10.10.0.0/16]}

    # apps/munich/kustomization.yaml (or Flux postBuild.substitute: {BACKUP_TARGET: seattle})
    labels:
    - pairs: {hubguard.io/backup-target: seattle}

Declare every hub's `onprem_cidrs` and `ingress_host` so destinations given as addresses or host
names are attributed to the right hub. The rule has no threshold; a job that is not a backup
despite its name is suppressed with the annotation `hubguard.io/ignore: "ha/backup-offsite"`.""",
    check=check_backup,
    cross_hub=True,
)

RULES = [BACKUP]
