"""Log shipper configurations read as routes: which container log files go to which output.

Supported: Fluent Bit (classic `.conf` and YAML `pipeline:`), Fluentd (`<source>`/`<match>`) and the
OpenTelemetry Collector (`filelog` receivers in `logs` pipelines), in ConfigMaps and in
`OpenTelemetryCollector` resources. No rule logic: the rule decides what is PII and off-prem.

Container log files name their namespace: `/var/log/containers/<pod>_<namespace>_<container>-<id>.log`
and `/var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log`. An include glob is assumed to cover
a namespace unless its namespace part rules it out; an exclude glob removes a namespace only when
its namespace part says so — when in doubt, logs are collected.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

import yaml
from hubguard.model import K8sObject
from hubguard.rules.pii.value_lines import Spot

# Keys that name where an output sends data, across the three tools.
HOST_KEYS = {"host", "hosts", "endpoint", "endpoints", "url", "uri", "brokers", "hec_host", "logs_endpoint", "server"}


@dataclass
class Route:
    tool: str
    includes: list[str]
    excludes: list[str]
    output: str  # output plugin / exporter type, normalised (lower case, `-` -> `_`)
    hosts: list[str] = field(default_factory=list)
    spot: Spot = Spot(())


def namespace_covered(route: Route, namespace: str) -> bool:
    included = any(_matches(_namespace_part(g, include=True), namespace) for g in route.includes)
    excluded = any(_matches(_namespace_part(g, include=False), namespace) for g in route.excludes)
    return included and not excluded


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


def _norm(name: object) -> str:
    return str(name or "").strip().lower().replace("-", "_")


def _split(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value or "").strip().strip("[]")
    return [p.strip().strip("\"'") for p in text.split(",") if p.strip()]


# ---- Fluent Bit -------------------------------------------------------------------------------


def _fluent_bit_sections(text: str) -> list[tuple[str, dict[str, str], int]]:
    sections: list[tuple[str, dict[str, str], int]] = []
    for index, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line or line.startswith(("#", "@")):
            continue
        header = re.fullmatch(r"\[([A-Za-z_]+)\]", line)
        if header:
            sections.append((header.group(1).upper(), {}, index))
        elif sections:
            key, _, value = line.partition(" ")
            sections[-1][1][key.lower()] = value.strip()
    return sections


def fluent_bit_routes(obj: K8sObject, key: str, text: str, all_texts: list[tuple[str, str]]) -> list[Route]:
    """Routes of a classic config; inputs may sit in another key of the same ConfigMap (@INCLUDE)."""
    inputs = [s for _, t in all_texts for s in _fluent_bit_sections(t) if s[0] == "INPUT"]
    routes = []
    for kind, props, index in _fluent_bit_sections(text):
        if kind != "OUTPUT":
            continue
        hosts = [v for k, v in props.items() if k in HOST_KEYS]
        for n, (_, inp, _) in enumerate(inputs):
            if _norm(inp.get("name")) == "tail" and _fb_routed(inp.get("tag") or f"tail.{n}", props):
                routes.append(Route("Fluent Bit", _split(inp.get("path")), _split(inp.get("exclude_path")),
                                    _norm(props.get("name")), hosts, Spot(("data", key), text, index)))
    return routes


def _fb_routed(tag: str, output: dict) -> bool:
    tag = tag.replace("*", "var.log.containers.pod_ns_c.log")  # tail expands `*` to the file path
    if output.get("match_regex"):
        try:
            return re.search(output["match_regex"], tag) is not None
        except re.error:
            return True  # Fluent Bit would refuse to start; assume the worst rather than crash
    return fnmatch.fnmatchcase(tag, output.get("match") or "\0no-match")


def fluent_bit_yaml_routes(obj: K8sObject, key: str, text: str, config: dict) -> list[Route]:
    pipeline = config.get("pipeline") if isinstance(config.get("pipeline"), dict) else {}
    inputs = _dicts(pipeline.get("inputs"))
    routes = []
    for output in _dicts(pipeline.get("outputs")):
        props = {str(k).lower(): str(v) for k, v in output.items()}
        hosts = [v for k, v in props.items() if k in HOST_KEYS]
        line = _line_of(text, f"name: {output.get('name')}")
        for n, inp in enumerate(inputs):
            if _norm(inp.get("name")) == "tail" and _fb_routed(str(inp.get("tag") or f"tail.{n}"), props):
                routes.append(Route("Fluent Bit", _split(inp.get("path")), _split(inp.get("exclude_path")),
                                    _norm(output.get("name")), hosts, Spot(("data", key), text, line)))
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


def fluentd_routes(obj: K8sObject, key: str, text: str) -> list[Route]:
    root = _fluentd_tree(text)
    labels = {d.arg: d for d in root.children if d.name == "label"}
    routes = []
    for source in [d for d in root.children if d.name == "source" and _norm(d.props.get("@type")) == "tail"]:
        tag = (source.props.get("tag") or "").replace("*", "var.log.containers.pod_ns_c.log")
        scope = labels.get(source.props.get("@label", ""), root)
        for _hop in range(3):  # follow @type relabel a few times
            match = next((m for m in scope.children if m.name == "match" and _fluentd_pattern(m.arg, tag)), None)
            if match is None or _norm(match.props.get("@type")) != "relabel":
                break
            scope = labels.get(match.props.get("@label", ""), root)
        if match is None:
            continue
        is_copy = _norm(match.props.get("@type")) == "copy"
        stores = [s for s in match.children if s.name == "store"] if is_copy else [match]
        for store in stores:
            hosts = [v for k, v in store.props.items() if k in HOST_KEYS]
            hosts += [s.props["host"] for s in store.children if s.name == "server" and "host" in s.props]
            routes.append(Route("Fluentd", _split(source.props.get("path")), _split(source.props.get("exclude_path")),
                                _norm(store.props.get("@type")), hosts, Spot(("data", key), text, store.line)))
    return routes


# ---- OpenTelemetry Collector ------------------------------------------------------------------


def otel_routes(obj: K8sObject, path: tuple, config: dict, text: str | None) -> list[Route]:
    receivers = config.get("receivers") if isinstance(config.get("receivers"), dict) else {}
    exporters = config.get("exporters") if isinstance(config.get("exporters"), dict) else {}
    pipelines = (config.get("service") or {}).get("pipelines") if isinstance(config.get("service"), dict) else None
    routes = []
    for name, pipeline in (pipelines if isinstance(pipelines, dict) else {}).items():
        if not str(name).startswith("logs") or not isinstance(pipeline, dict):
            continue
        for receiver in _names(pipeline.get("receivers")):
            spec = receivers.get(receiver) if isinstance(receivers.get(receiver), dict) else {}
            if receiver.split("/")[0] != "filelog":
                continue
            for exporter in _names(pipeline.get("exporters")):
                settings = exporters.get(exporter) if isinstance(exporters.get(exporter), dict) else {}
                hosts = [str(h) for k, v in settings.items() if k in HOST_KEYS
                         for h in (v if isinstance(v, list) else [v])]
                spot = (Spot(path, text, _line_of(text, f"{exporter}:")) if text is not None
                        else Spot(path + ("exporters", exporter)))
                routes.append(Route("OpenTelemetry Collector", _split(spec.get("include")), _split(spec.get("exclude")),
                                    _norm(str(exporter).split("/")[0]), hosts, spot))
    return routes


def _dicts(value: object) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _names(value: object) -> list[str]:
    return [str(v) for v in value if isinstance(v, (str, int))] if isinstance(value, list) else []


def _line_of(text: str, needle: str) -> int | None:
    for index, line in enumerate(text.splitlines()):
        if line.strip().startswith(needle) or line.strip().lstrip("- ").startswith(needle):
            return index
    return None


# ---- discovery --------------------------------------------------------------------------------


def routes_of(obj: K8sObject) -> list[Route]:
    """Every log route an object configures (a ConfigMap of one of the tools, or an OTel CR)."""
    if obj.kind == "OpenTelemetryCollector":
        config = obj.get("spec", "config")
        if isinstance(config, dict):
            return otel_routes(obj, ("spec", "config"), config, None)
        parsed = _yaml(config)
        return otel_routes(obj, ("spec", "config"), parsed, str(config)) if parsed else []
    if obj.kind != "ConfigMap" or not isinstance(obj.get("data"), dict):
        return []
    texts = [(str(k), str(v)) for k, v in obj.get("data").items() if isinstance(v, str)]
    routes: list[Route] = []
    for key, text in texts:
        if re.search(r"^\s*\[OUTPUT\]", text, re.MULTILINE | re.IGNORECASE):
            routes += fluent_bit_routes(obj, key, text, texts)
        elif re.search(r"^\s*<match\b", text, re.MULTILINE):
            routes += fluentd_routes(obj, key, text)
        elif key.endswith((".yaml", ".yml")) or "receivers:" in text or "pipeline:" in text:
            parsed = _yaml(text)
            if parsed and isinstance(parsed.get("pipeline"), dict):
                routes += fluent_bit_yaml_routes(obj, key, text, parsed)
            elif parsed and "exporters" in parsed:
                routes += otel_routes(obj, ("data", key), parsed, text)
    return routes


def _yaml(text: object) -> dict | None:
    try:
        data = yaml.safe_load(str(text or ""))
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None
