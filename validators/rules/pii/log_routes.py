"""What a log agent's configuration says, as routes: which namespaces' container logs go to which
output. Every agent parser (Fluent Bit, Fluentd, OpenTelemetry Collector, Vector, Promtail,
Grafana Alloy, Datadog) produces these; pii/log-collection judges them. No rule logic here.

Container log files name their namespace: `/var/log/containers/<pod>_<namespace>_<container>-<id>.log`
and `/var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log`. An include glob is assumed to cover
a namespace unless its namespace part rules it out; an exclude glob removes a namespace only when
its namespace part says so. Exclusions written elsewhere in the agent's config (a grep filter, a
relabel rule, a field selector) are `NamespaceFilter`s. When in doubt, logs are collected.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from hubguard.rules.pii.value_lines import Spot

# What an agent reads when nothing narrows it: every container log file of the node.
ALL_POD_LOGS = "/var/log/pods/*/*/*.log"
# Keys that name where an output sends data, across the tools.
HOST_KEYS = {"host", "hosts", "endpoint", "endpoints", "url", "uri", "brokers", "hec_host", "logs_endpoint", "server",
             "address", "servers"}


@dataclass(frozen=True)
class NamespaceFilter:
    """A namespace condition in the agent's own config: matching namespaces are kept (`keep`)
    or dropped. Matching is by name, by regex (`anchored` as Prometheus relabelling does, else a
    search as Fluent Bit's grep does), or by a label selector on the namespace's labels."""

    keep: bool
    names: frozenset[str] = frozenset()
    regex: str | None = None
    anchored: bool = True
    label_selector: str | None = None

    def matches(self, namespace: str, labels: dict) -> bool:
        if self.names and namespace in self.names:
            return True
        if self.regex is not None:
            try:
                found = re.fullmatch(self.regex, namespace) if self.anchored else re.search(self.regex, namespace)
            except re.error:
                return not self.keep  # an unreadable regex narrows nothing
            return found is not None
        if self.label_selector is not None:
            return label_selector_matches(self.label_selector, labels)
        return False

    def passes(self, namespace: str, labels: dict) -> bool:
        return self.matches(namespace, labels) if self.keep else not self.matches(namespace, labels)


@dataclass
class Route:
    tool: str
    includes: list[str]  # log file globs read
    excludes: list[str]  # log file globs skipped
    output: str  # output plugin / exporter / sink type, normalised (lower case, `-` -> `_`)
    hosts: list[str] = field(default_factory=list)
    spot: Spot = Spot(())
    filters: tuple[NamespaceFilter, ...] = ()


def namespace_covered(route: Route, namespace: str, labels: dict | None = None) -> bool:
    included = any(_matches(_namespace_part(g, include=True), namespace) for g in route.includes)
    excluded = any(_matches(_namespace_part(g, include=False), namespace) for g in route.excludes)
    return included and not excluded and all(f.passes(namespace, labels or {}) for f in route.filters)


def _matches(pattern: str | None, namespace: str) -> bool:
    return pattern is not None and fnmatch.fnmatchcase(namespace, pattern)


def _namespace_part(glob: str, *, include: bool) -> str | None:
    glob = glob.strip().strip("\"'")
    if "/var/log/containers/" in glob:
        parts = glob.rsplit("/", 1)[-1].split("_")
    elif "/var/log/pods/" in glob:
        first = glob.split("/var/log/pods/", 1)[1].split("/", 1)[0]
        parts = ["", *first.split("_")] if "_" in first else [first]
        if len(parts) >= 3 or (len(parts) == 2 and not include):
            return parts[1]
    else:
        return None  # not container logs (syslog, journald, audit)
    if len(parts) >= 3:
        return parts[1]
    return "*" if include else None


def norm(name: object) -> str:
    return str(name or "").strip().lower().replace("-", "_")


def hosts_of(settings: dict) -> list[str]:
    """Destination values of an output's settings (strings, lists, `servers: [{host: …}]`)."""
    found: list[str] = []
    for key, value in settings.items():
        if str(key).lower() not in HOST_KEYS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                found += [str(v) for k, v in item.items() if str(k).lower() in HOST_KEYS and v]
            elif item not in (None, ""):
                found.append(str(item))
    return found


def line_of(text: str | None, needle: str) -> int | None:
    """0-based index of the first line of `text` that starts with `needle` (list dashes ignored)."""
    for index, line in enumerate((text or "").splitlines()):
        if line.strip().startswith(needle) or line.strip().lstrip("- ").startswith(needle):
            return index
    return None


_SELECTOR_TERM = re.compile(r"\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*")


def label_selector_matches(selector: str, labels: dict) -> bool:
    """Kubernetes' label selector string (`a=b,c!=d,e in (f,g),!h`) against `labels`."""
    labels = {str(k): str(v) for k, v in (labels or {}).items()}
    for term in re.split(r",(?![^(]*\))", selector):
        if not term.strip():
            continue
        match = _SELECTOR_TERM.fullmatch(term)
        if match is None:
            return True  # unreadable: assume it selects (collects)
        negated, key, op, value, set_op, values = match.groups()
        if op in ("=", "=="):
            ok = labels.get(key) == value
        elif op == "!=":
            ok = labels.get(key) != value
        elif set_op:
            listed = {v.strip() for v in values.split(",")}
            ok = labels.get(key) in listed if set_op == "in" else labels.get(key) not in listed
        else:
            ok = (key in labels) != bool(negated)
        if not ok:
            return False
    return True
