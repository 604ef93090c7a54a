"""Fluent Bit, Fluentd and OpenTelemetry Collector configurations read as log routes.

Fluent Bit (classic `.conf` and YAML `pipeline:`): `tail` inputs to the outputs whose `Match`/
`Match_Regex` takes their tag, narrowed by the `grep` filters on the way (`Exclude`/`Regex` on the
namespace). Fluentd: `tail` sources to the `<match>` that takes their tag (through `relabel` and
`copy`), narrowed by `grep` filters (`<exclude>`/`<regexp>` on the namespace key). OpenTelemetry
Collector: `filelog` receivers of `logs` pipelines to their exporters. No rule logic here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hubguard.rules.pii.fluent_operator import tag_routed
from hubguard.rules.pii.log_routes import (
    NamespaceFilter,
    Route,
    hosts_of,
    line_of,
    norm,
)
from hubguard.rules.pii.otel_collector import names, pipelines
from hubguard.rules.pii.value_lines import Spot

_NAMESPACE_KEY = re.compile(r"^(\$kubernetes\[['\"]namespace_name['\"]\]|\$\.kubernetes\.namespace_name|kubernetes_namespace_name|namespace_name|\$\.namespace)$")


def _split(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value or "").strip().strip("[]")
    return [p.strip().strip("\"'") for p in text.split(",") if p.strip()]


# ---- Fluent Bit -------------------------------------------------------------------------------


def _fluent_bit_sections(text: str) -> list[tuple[str, list[tuple[str, str]], int]]:
    """(SECTION, [(key, value)] in order, 0-based line) of a classic config."""
    sections: list[tuple[str, list[tuple[str, str]], int]] = []
    for index, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line or line.startswith(("#", "@")):
            continue
        header = re.fullmatch(r"\[([A-Za-z_]+)\]", line)
        if header:
            sections.append((header.group(1).upper(), [], index))
        elif sections:
            key, _, value = line.partition(" ")
            sections[-1][1].append((key.lower(), value.strip()))
    return sections


def fluent_bit_grep_filters(tag: str, greps: list[dict[str, list[str]]]) -> tuple[NamespaceFilter, ...]:
    """Namespace filters of the `grep` filters whose Match takes `tag`: `Exclude KEY REGEX` drops
    matching records, `Regex KEY REGEX` keeps only them (Fluent Bit searches, unanchored)."""
    filters: list[NamespaceFilter] = []
    for grep in greps:
        if not tag_routed(tag, (grep.get("match") or [None])[0], (grep.get("match_regex") or [None])[0]):
            continue
        for key, keep in (("exclude", False), ("regex", True)):
            for rule in grep.get(key, []):
                field_name, _, regex = str(rule).strip().partition(" ")
                if _NAMESPACE_KEY.match(field_name) and regex.strip():
                    filters.append(NamespaceFilter(keep=keep, regex=regex.strip(), anchored=False))
    return tuple(filters)


def _grep_specs(sections: list[dict[str, list[str]]]) -> list[dict[str, list[str]]]:
    return [s for s in sections if norm((s.get("name") or [""])[0]) == "grep"]


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in pairs:
        found.setdefault(key, []).append(value)
    return found


def fluent_bit_routes(path: tuple, text: str, other_texts: list[str] = ()) -> list[Route]:
    """Routes of a classic config at `path`; inputs and filters may sit in other texts of the
    same object (`@INCLUDE`d keys of a ConfigMap, the inputs/filters of Helm values)."""
    everything = [s for t in [text, *other_texts] for s in _fluent_bit_sections(t)]
    inputs = [_multi(p) for kind, p, _ in everything if kind == "INPUT"]
    greps = _grep_specs([_multi(p) for kind, p, _ in everything if kind == "FILTER"])
    routes = []
    for kind, pairs, index in _fluent_bit_sections(text):
        if kind != "OUTPUT":
            continue
        props = {k: v for k, v in pairs}
        for n, source in enumerate(inputs):
            tag = (source.get("tag") or [f"tail.{n}"])[0]
            if norm((source.get("name") or [""])[0]) == "tail" and tag_routed(tag, props.get("match"), props.get("match_regex")):
                routes.append(Route("Fluent Bit", _split((source.get("path") or [""])[0]),
                                    _split((source.get("exclude_path") or [""])[0]), norm(props.get("name")),
                                    hosts_of(props), Spot(path, text, index), fluent_bit_grep_filters(tag, greps)))
    return routes


def fluent_bit_yaml_routes(path: tuple, text: str, config: dict) -> list[Route]:
    pipeline = config.get("pipeline") if isinstance(config.get("pipeline"), dict) else {}
    inputs = _dicts(pipeline.get("inputs"))
    greps = _grep_specs([{str(k).lower(): v if isinstance(v, list) else [str(v)] for k, v in f.items()}
                         for f in _dicts(pipeline.get("filters"))])
    routes = []
    for output in _dicts(pipeline.get("outputs")):
        props = {str(k).lower(): str(v) for k, v in output.items()}
        line = line_of(text, f"name: {output.get('name')}")
        for n, source in enumerate(inputs):
            tag = str(source.get("tag") or f"tail.{n}")
            if norm(source.get("name")) == "tail" and tag_routed(tag, props.get("match"), props.get("match_regex")):
                routes.append(Route("Fluent Bit", _split(source.get("path")), _split(source.get("exclude_path")),
                                    norm(output.get("name")), hosts_of(props), Spot(path, text, line),
                                    fluent_bit_grep_filters(tag, greps)))
    return routes


# ---- Fluentd ----------------------------------------------------------------------------------


@dataclass
class _Directive:
    name: str
    arg: str
    line: int
    props: dict[str, str] = field(default_factory=dict)
    children: list["_Directive"] = field(default_factory=list)


def _fluentd_tree(text: str) -> _Directive:
    root = _Directive("root", "", 0)
    stack = [root]
    for index, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        close = re.fullmatch(r"</\s*([\w@-]+)\s*>", line)
        opening = re.fullmatch(r"<\s*([\w@-]+)\s*([^>]*)>", line)
        if close and len(stack) > 1:
            stack.pop()
        elif opening:
            node = _Directive(opening.group(1).lower(), opening.group(2).strip(), index)
            stack[-1].children.append(node)
            stack.append(node)
        else:
            key, _, value = line.partition(" ")
            stack[-1].props[key.lower()] = value.strip()
    return root


def _fluentd_pattern(pattern: str, tag: str) -> bool:
    for alternative in pattern.split():
        regex = re.escape(alternative).replace(r"\*\*", ".*").replace(r"\*", r"[^.]*")
        regex = re.sub(r"\\\{([^}]*)\\\}", lambda m: "(" + m.group(1).replace(",", "|") + ")", regex)
        if re.fullmatch(regex, tag):
            return True
    return False


def _fluentd_grep_filters(scope: _Directive, tag: str) -> tuple[NamespaceFilter, ...]:
    """`<filter>` grep directives of a scope that take `tag`: `<exclude>`/`<regexp>` on the namespace."""
    filters: list[NamespaceFilter] = []
    for directive in scope.children:
        if directive.name != "filter" or norm(directive.props.get("@type")) != "grep" or not _fluentd_pattern(directive.arg, tag):
            continue
        for rule in directive.children:
            key, pattern = rule.props.get("key", ""), rule.props.get("pattern", "").strip()
            if rule.name in ("exclude", "regexp") and _NAMESPACE_KEY.match(key) and pattern:
                regex = pattern[1:-1] if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/") else pattern
                filters.append(NamespaceFilter(keep=rule.name == "regexp", regex=regex, anchored=False))
    return tuple(filters)


def fluentd_routes(path: tuple, text: str) -> list[Route]:
    root = _fluentd_tree(text)
    labels = {d.arg: d for d in root.children if d.name == "label"}
    routes = []
    for source in [d for d in root.children if d.name == "source" and norm(d.props.get("@type")) == "tail"]:
        tag = (source.props.get("tag") or "").replace("*", "var.log.containers.pod_ns_c.log")
        scope = labels.get(source.props.get("@label", ""), root)
        filters = _fluentd_grep_filters(scope, tag)
        for _hop in range(3):  # follow @type relabel a few times
            match = next((m for m in scope.children if m.name == "match" and _fluentd_pattern(m.arg, tag)), None)
            if match is None or norm(match.props.get("@type")) != "relabel":
                break
            scope = labels.get(match.props.get("@label", ""), root)
            filters += _fluentd_grep_filters(scope, tag)
        if match is None:
            continue
        is_copy = norm(match.props.get("@type")) == "copy"
        stores = [s for s in match.children if s.name == "store"] if is_copy else [match]
        for store in stores:
            hosts = hosts_of(store.props)
            hosts += [s.props["host"] for s in store.children if s.name == "server" and "host" in s.props]
            routes.append(Route("Fluentd", _split(source.props.get("path")), _split(source.props.get("exclude_path")),
                                norm(store.props.get("@type")), hosts, Spot(path, text, store.line), filters))
    return routes


# ---- OpenTelemetry Collector ------------------------------------------------------------------

# What the Helm chart's `presets.logsCollection` adds: every container log file of the node.
PRESET_FILELOG = {"include": ["/var/log/pods/*/*/*.log"]}


def otel_routes(path: tuple, config: dict, text: str | None) -> list[Route]:
    """`filelog` receivers of `logs` pipelines, to each exporter of the pipeline."""
    receivers = config.get("receivers") if isinstance(config.get("receivers"), dict) else {}
    exporters = config.get("exporters") if isinstance(config.get("exporters"), dict) else {}
    routes = []
    for name, pipeline in pipelines(config).items():
        if not name.startswith("logs"):
            continue
        for receiver in names(pipeline.get("receivers")):
            spec = receivers.get(receiver) if isinstance(receivers.get(receiver), dict) else {}
            if receiver.split("/")[0] != "filelog":
                continue
            for exporter in names(pipeline.get("exporters")):
                settings = exporters.get(exporter) if isinstance(exporters.get(exporter), dict) else {}
                spot = (Spot(path, text, line_of(text, f"{exporter}:")) if text is not None
                        else Spot(path + ("exporters", exporter)))
                routes.append(Route("OpenTelemetry Collector", _split(spec.get("include")), _split(spec.get("exclude")),
                                    norm(str(exporter).split("/")[0]), hosts_of(settings), spot))
    return routes


def _dicts(value: object) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
