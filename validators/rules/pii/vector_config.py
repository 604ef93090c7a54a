"""Vector configurations read as log routes: `kubernetes_logs` (or `file`) sources, through
`filter`/`route` transforms, to sinks.

A sink receives what its `inputs` (names or globs) produce; a transform passes on what its own
inputs produce, narrowed by its condition where that condition names namespaces
(`.kubernetes.pod_namespace != "ratings"`, `includes([...], .kubernetes.pod_namespace)`). The
source's own exclusions count: `extra_field_selector` (`metadata.namespace!=ratings`),
`extra_namespace_label_selector` and `exclude_paths_glob_patterns`. A condition we cannot read
narrows nothing: when in doubt, logs are collected.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Iterator

from hubguard.rules.pii.log_routes import (
    ALL_POD_LOGS,
    NamespaceFilter,
    Route,
    hosts_of,
    line_of,
)
from hubguard.rules.pii.value_lines import Spot

LOG_SOURCES = ("kubernetes_logs", "file")
# Sink types that always deliver to a cloud service.
CLOUD_SINKS = (
    "datadog_logs", "new_relic", "new_relic_logs", "honeycomb", "aws_s3", "aws_cloudwatch_logs",
    "aws_kinesis_firehose", "aws_kinesis_streams", "azure_monitor_logs", "azure_blob", "gcp_stackdriver_logs",
    "gcp_cloud_storage", "gcp_pubsub", "gcp_chronicle_unstructured", "logdna", "mezmo", "sematext_logs", "axiom",
    "appsignal",
)
_NAMESPACE = r"\.kubernetes\.pod_namespace"
_NOT_EQUAL = re.compile(_NAMESPACE + r'\s*!=\s*"([^"]*)"|"([^"]*)"\s*!=\s*' + _NAMESPACE)
_EQUAL = re.compile(_NAMESPACE + r'\s*==\s*"([^"]*)"|"([^"]*)"\s*==\s*' + _NAMESPACE)
_INCLUDES = re.compile(r"(!?)\s*includes\(\s*\[([^\]]*)\]\s*,\s*" + _NAMESPACE + r"\s*\)")


def is_vector_config(config: dict) -> bool:
    sinks = config.get("sinks")
    return isinstance(sinks, dict) and isinstance(config.get("sources"), dict)


def vector_routes(path: tuple, config: dict, text: str | None) -> list[Route]:
    sources = _components(config, "sources")
    transforms = _components(config, "transforms")
    routes = []
    for name, sink in _components(config, "sinks").items():
        line = line_of(text, f"{name}:")
        line = line if line is not None else line_of(text, f"[sinks.{name}]")  # TOML
        spot = Spot(path, text, line) if text is not None else Spot(path + ("sinks", name))
        for source, filters in _upstream(sink, sources, transforms, ()):
            includes = [str(p) for p in source.get("include_paths_glob_patterns") or source.get("include") or [ALL_POD_LOGS]]
            excludes = [str(p) for p in source.get("exclude_paths_glob_patterns") or source.get("exclude") or []]
            routes.append(Route("Vector", includes, excludes, str(sink.get("type", "")).lower(), hosts_of(sink), spot,
                                filters + _source_filters(source)))
    return routes


def _components(config: dict, section: str) -> dict[str, dict]:
    found = config.get(section)
    return {str(k): v for k, v in found.items() if isinstance(v, dict)} if isinstance(found, dict) else {}


def _inputs(component: dict, names: list[str]) -> Iterator[str]:
    wanted = component.get("inputs")
    for pattern in wanted if isinstance(wanted, list) else [wanted] if isinstance(wanted, str) else []:
        yield from (n for n in names if fnmatch.fnmatchcase(n, str(pattern)))


def _upstream(component: dict, sources: dict, transforms: dict, seen: tuple) -> Iterator[tuple[dict, tuple]]:
    """(log source, namespace filters on the way) for every path from a log source to `component`."""
    names = list(sources) + list(transforms) + [f"{t}.{r}" for t, spec in transforms.items()
                                                   if isinstance(spec.get("route"), dict) for r in spec["route"]]
    for name in _inputs(component, names):
        if name in sources:
            if str(sources[name].get("type")) in LOG_SOURCES:
                yield sources[name], ()
            continue
        transform_name, _, branch = name.partition(".")
        if transform_name in seen or transform_name not in transforms:
            continue
        transform = transforms[transform_name]
        narrowing = _condition_filters(_condition(transform, branch))
        for source, filters in _upstream(transform, sources, transforms, seen + (transform_name,)):
            yield source, filters + narrowing


def _condition(transform: dict, branch: str) -> str:
    if branch:
        route = transform.get("route") if isinstance(transform.get("route"), dict) else {}
        condition = route.get(branch)
    elif transform.get("type") == "filter":
        condition = transform.get("condition")
    else:
        return ""
    if isinstance(condition, dict):
        condition = condition.get("source")
    return str(condition or "")


def _condition_filters(condition: str) -> tuple[NamespaceFilter, ...]:
    """Namespace conditions joined by `&&`; anything with `||` may let more through: ignored."""
    if not condition or "||" in condition:
        return ()
    filters: list[NamespaceFilter] = []
    for match in _NOT_EQUAL.finditer(condition):
        filters.append(NamespaceFilter(keep=False, names=frozenset({match.group(1) or match.group(2)})))
    for match in _EQUAL.finditer(condition):
        filters.append(NamespaceFilter(keep=True, names=frozenset({match.group(1) or match.group(2)})))
    for match in _INCLUDES.finditer(condition):
        listed = frozenset(n.strip().strip("\"'") for n in match.group(2).split(",") if n.strip())
        filters.append(NamespaceFilter(keep=not match.group(1), names=listed))
    return tuple(filters)


def _source_filters(source: dict) -> tuple[NamespaceFilter, ...]:
    filters: list[NamespaceFilter] = []
    for term in str(source.get("extra_field_selector") or "").split(","):
        field_name, op, value = re.split(r"(!=|==|=)", term, maxsplit=1) if re.search(r"!=|=", term) else (term, "", "")
        if field_name.strip() == "metadata.namespace" and value.strip():
            filters.append(NamespaceFilter(keep=op != "!=", names=frozenset({value.strip()})))
    selector = str(source.get("extra_namespace_label_selector") or "").strip()
    if selector:
        filters.append(NamespaceFilter(keep=True, label_selector=selector))
    return tuple(filters)
