"""fluent-operator custom resources read as log routes.

Fluent Bit (`fluentbit.fluent.io`): `ClusterInput`s with a `tail` input feed every `ClusterOutput`
whose `match`/`matchRegex` takes their tag, through the `ClusterFilter` `grep` filters whose
`match` takes it too (an `exclude` on the namespace drops it; a `regex` keeps only matching). A
namespaced `Output` only receives its own namespace's logs.

Fluentd (`fluentd.fluent.io`): Fluentd receives what Fluent Bit forwards (container logs). A
`ClusterOutput` delivers the namespaces its `ClusterFluentdConfig`s watch (`watchedNamespaces`;
empty: all) and those of the `FluentdConfig`s that select it; an `Output` only its own namespace.
An output no config selects is assumed to be used. No rule logic here.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Iterator

from hubguard.model import HubInventory, K8sObject
from hubguard.rules.pii.classification import namespace_of
from hubguard.rules.pii.log_routes import (
    ALL_POD_LOGS,
    NamespaceFilter,
    Route,
    hosts_of,
    norm,
)
from hubguard.rules.pii.value_lines import Spot
from hubguard.rules.selectors import selector_matches

FLUENT_BIT_GROUP = "fluentbit.fluent.io"
FLUENTD_GROUP = "fluentd.fluent.io"
# Keys of a Fluent Bit output spec that are not its plugin.
_OUTPUT_COMMON = {"match", "matchRegex", "alias", "retry_limit", "logLevel", "processors"}
_FLUENTD_COMMON = {"buffer", "format", "inject", "parse", "logLevel", "id", "label", "tag"}
_GREP_NAMESPACE = re.compile(r"^\s*(\$kubernetes\['namespace_name'\]|\$kubernetes\[\"namespace_name\"\]|kubernetes_namespace_name|namespace_name)\s+(.+?)\s*$")


def _group(obj: K8sObject) -> str:
    return obj.api_version.split("/", 1)[0]


def operator_routes(hub: HubInventory) -> Iterator[tuple[K8sObject, Route]]:
    yield from _fluent_bit(hub)
    yield from _fluentd(hub)


def tag_routed(tag: str, match: str | None, match_regex: str | None) -> bool:
    """Whether a Fluent Bit `Match`/`Match_Regex` takes records of `tag` (a tail `*` expands to
    the file path, so it stands for any text)."""
    tag = tag.replace("*", "var.log.containers.pod_ns_c.log")
    if match_regex:
        try:
            return re.search(match_regex, tag) is not None
        except re.error:
            return True  # Fluent Bit would refuse to start; assume the worst rather than crash
    return fnmatch.fnmatchcase(tag, match or "\0no-match")


def grep_filters(tag: str, grep_specs: list[tuple[str | None, str | None, dict]]) -> tuple[NamespaceFilter, ...]:
    """Namespace filters of the grep filters that take `tag`: (match, match_regex, grep settings)."""
    filters: list[NamespaceFilter] = []
    for match, match_regex, grep in grep_specs:
        if not tag_routed(tag, match, match_regex):
            continue
        for key, keep in (("exclude", False), ("regex", True)):
            for rule in grep.get(key) if isinstance(grep.get(key), list) else [grep.get(key)]:
                found = _GREP_NAMESPACE.match(str(rule or ""))
                if found:
                    filters.append(NamespaceFilter(keep=keep, regex=found.group(2), anchored=False))
    return tuple(filters)


def _fluent_bit(hub: HubInventory) -> Iterator[tuple[K8sObject, Route]]:
    inputs = [i for i in hub.of_kind("ClusterInput") if _group(i) == FLUENT_BIT_GROUP
              and isinstance(i.get("spec", "tail"), dict)]
    greps = [(f.get("spec", "match"), f.get("spec", "matchRegex"), item["grep"])
             for f in hub.of_kind("ClusterFilter", "Filter") if _group(f) == FLUENT_BIT_GROUP
             for item in (f.get("spec", "filters") or []) if isinstance(item, dict) and isinstance(item.get("grep"), dict)]
    for output in hub.of_kind("ClusterOutput", "Output"):
        spec = output.get("spec")
        if _group(output) != FLUENT_BIT_GROUP or not isinstance(spec, dict):
            continue
        plugin = next((k for k in spec if k not in _OUTPUT_COMMON and isinstance(spec[k], dict)), None)
        if plugin is None:
            continue
        own = (NamespaceFilter(keep=True, names=frozenset({namespace_of(output)})),) if output.kind == "Output" else ()
        for source in inputs:
            tail = source.get("spec", "tail")
            tag = str(tail.get("tag") or "kube.*")
            if not tag_routed(tag, spec.get("match"), spec.get("matchRegex")):
                continue
            includes = [p.strip() for p in str(tail.get("path") or "").split(",") if p.strip()]
            excludes = [p.strip() for p in str(tail.get("excludePath") or "").split(",") if p.strip()]
            yield output, Route("Fluent Bit (fluent-operator)", includes, excludes, norm(plugin), hosts_of(spec[plugin]),
                                Spot(("spec", plugin)), own + grep_filters(tag, greps))


def _fluentd(hub: HubInventory) -> Iterator[tuple[K8sObject, Route]]:
    configs = [c for c in hub.of_kind("ClusterFluentdConfig", "FluentdConfig") if _group(c) == FLUENTD_GROUP]
    for output in hub.of_kind("ClusterOutput", "Output"):
        outputs = output.get("spec", "outputs")
        if _group(output) != FLUENTD_GROUP or not isinstance(outputs, list):
            continue
        filters = _fluentd_scope(output, configs)
        if filters is None:
            continue
        for index, item in enumerate(outputs):
            plugin = next((k for k in item if isinstance(item[k], dict) and k not in _FLUENTD_COMMON), None) if isinstance(item, dict) else None
            if plugin is None:
                continue
            yield output, Route("Fluentd (fluent-operator)", [ALL_POD_LOGS], [], norm(plugin), hosts_of(item[plugin]),
                                Spot(("spec", "outputs", index, plugin)), filters)


def _fluentd_scope(output: K8sObject, configs: list[K8sObject]) -> tuple[NamespaceFilter, ...] | None:
    """The namespaces an output receives, as filters; None when it receives none of them."""
    if output.kind == "Output":
        return (NamespaceFilter(keep=True, names=frozenset({namespace_of(output)})),)
    selecting = [c for c in configs if selector_matches(c.get("spec", "clusterOutputSelector"), output.labels)]
    if not selecting:
        return ()  # unselected or configured elsewhere: assume every namespace
    watched: set[str] = set()
    for config in selecting:
        if config.kind == "FluentdConfig":
            watched.add(namespace_of(config))
            continue
        names = config.get("spec", "watchedNamespaces")
        if not isinstance(names, list) or not names:
            return ()  # a cluster config watching every namespace
        watched.update(map(str, names))
    return (NamespaceFilter(keep=True, names=frozenset(watched)),)
