"""Promtail and Grafana Alloy configurations read as log routes (both ship to Loki).

Promtail: each `scrape_configs` entry that discovers pods (`kubernetes_sd_configs` role pod) or
reads container log files (`__path__`) goes to every `clients` URL. Its exclusions count:
`namespaces.names` of the discovery, `relabel_configs` that `drop`/`keep` on
`__meta_kubernetes_namespace` (regexes anchored, as Prometheus does), and `pipeline_stages`
`match` selectors with `action: drop` on the namespace label.

Alloy: the components of its configuration are read as a graph: `loki.source.kubernetes`,
`loki.source.podlogs` and `loki.source.file` (on container log paths) forward through
`loki.process` to `loki.write` endpoints; `discovery.relabel` rules and `stage.drop` on the
namespace on the way are exclusions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from hubguard.rules.pii.log_routes import ALL_POD_LOGS, NamespaceFilter, Route, line_of
from hubguard.rules.pii.value_lines import Spot

NAMESPACE_LABELS = ("__meta_kubernetes_namespace", "__meta_kubernetes_pod_namespace")
_MATCH_NAMESPACE = re.compile(r'namespace\s*(=~|=|!=|!~)\s*"([^"]*)"')


# ---- Promtail ---------------------------------------------------------------------------------


def is_promtail_config(config: dict) -> bool:
    return isinstance(config.get("scrape_configs"), list) and isinstance(config.get("clients") or config.get("client"), (list, dict))


def promtail_routes(path: tuple, config: dict, text: str | None) -> list[Route]:
    clients = config.get("clients") or [config.get("client")]
    routes = []
    for scrape in config.get("scrape_configs") or []:
        if not isinstance(scrape, dict):
            continue
        includes = _promtail_paths(scrape)
        if not includes:
            continue
        filters = promtail_filters(scrape)
        for index, client in enumerate(clients if isinstance(clients, list) else []):
            if not isinstance(client, dict) or not client.get("url"):
                continue
            spot = (Spot(path, text, line_of(text, f"url: {client['url']}")) if text is not None
                    else Spot(path + ("clients", index, "url")))
            routes.append(Route("Promtail", includes, [], "loki", [str(client["url"])], spot, filters))
    return routes


def _promtail_paths(scrape: dict) -> list[str]:
    paths = [str(s.get("labels", {}).get("__path__")) for s in scrape.get("static_configs") or []
             if isinstance(s, dict) and isinstance(s.get("labels"), dict) and s["labels"].get("__path__")]
    discovers_pods = any(isinstance(sd, dict) and sd.get("role") == "pod" for sd in scrape.get("kubernetes_sd_configs") or [])
    return paths or ([ALL_POD_LOGS] if discovers_pods else [])


def promtail_filters(scrape: dict) -> tuple[NamespaceFilter, ...]:
    """A scrape config's own namespace exclusions (also used for the Helm chart's snippets)."""
    filters: list[NamespaceFilter] = []
    for sd in scrape.get("kubernetes_sd_configs") or []:
        names = (sd.get("namespaces") or {}).get("names") if isinstance(sd, dict) and isinstance(sd.get("namespaces"), dict) else None
        if isinstance(names, list) and names:
            filters.append(NamespaceFilter(keep=True, names=frozenset(map(str, names))))
    filters += relabel_filters(scrape.get("relabel_configs"))
    for stage in scrape.get("pipeline_stages") or []:
        match = stage.get("match") if isinstance(stage, dict) else None
        if isinstance(match, dict) and match.get("action") == "drop":
            filters += _selector_filters(str(match.get("selector") or ""), drop=True)
    return tuple(filters)


def relabel_filters(rules: object) -> list[NamespaceFilter]:
    """`drop`/`keep` relabel rules on the namespace label, Prometheus style (regex anchored)."""
    filters = []
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict) or rule.get("action") not in ("drop", "keep"):
            continue
        labels = rule.get("source_labels")
        if isinstance(labels, list) and len(labels) == 1 and labels[0] in NAMESPACE_LABELS:
            filters.append(NamespaceFilter(keep=rule["action"] == "keep", regex=str(rule.get("regex", "(.*)"))))
    return filters


def _selector_filters(selector: str, *, drop: bool) -> list[NamespaceFilter]:
    """A LogQL stream selector's namespace matchers: the streams it picks are dropped (or kept)."""
    filters = []
    for op, value in _MATCH_NAMESPACE.findall(selector):
        if op in ("=", "=~"):
            regex = value if op == "=~" else re.escape(value)
            filters.append(NamespaceFilter(keep=not drop, regex=regex))
    return filters


# ---- Grafana Alloy ----------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # e.g. "loki.write"
    label: str
    body: str
    line: int  # 0-based line of the block's header in the config text
    children: list["_Block"] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.kind}.{self.label}"

    def attribute(self, name: str) -> str | None:
        match = re.search(r"(?m)^\s*" + re.escape(name) + r"\s*=\s*(.+?)\s*$", _strip_children(self.body))
        return match.group(1) if match else None

    def strings(self, name: str) -> list[str]:
        value = self.attribute(name) or ""
        return re.findall(r'"((?:[^"\\]|\\.)*)"', value)


_HEADER = re.compile(r'([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)*)\s*(?:"([^"]*)")?\s*\{')


def _blocks(text: str, offset_line: int = 0) -> list[_Block]:
    """Top-level blocks of River/Alloy syntax, with their nested blocks (brace matching; strings
    and comments are skipped)."""
    blocks: list[_Block] = []
    index, length = 0, len(text)
    while index < length:
        match = _HEADER.search(text, index)
        if match is None:
            break
        start = match.end()
        end = _closing_brace(text, start)
        body = text[start:end]
        line = offset_line + text.count("\n", 0, match.start())
        block = _Block(match.group(1), match.group(2) or "", body, line)
        block.children = _blocks(body, line)
        blocks.append(block)
        index = end + 1
    return blocks


def _closing_brace(text: str, start: int) -> int:
    depth, index, in_string = 1, start, False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "#/" and text.startswith(("//", "#"), index):
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
            continue
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return len(text)


def _strip_children(body: str) -> str:
    out, depth = [], 0
    for char in body:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def is_alloy_config(text: str) -> bool:
    return "loki.write" in text and "{" in text


def alloy_routes(path: tuple, text: str) -> list[Route]:
    blocks = {b.ref: b for b in _blocks(text)}
    routes = []
    for writer in (b for b in blocks.values() if b.kind == "loki.write"):
        urls = [u for e in writer.children if e.kind == "endpoint" for u in e.strings("url")]
        if not urls:
            continue
        spot = Spot(path, text, next((e.line + _url_offset(e) for e in writer.children if e.kind == "endpoint"), writer.line))
        for source, filters in _alloy_upstream(writer.ref + ".receiver", blocks, ()):
            includes = _alloy_includes(source, blocks)
            if includes:
                routes.append(Route("Grafana Alloy", includes, [], "loki", urls, spot, filters + _targets_filters(source, blocks, ())))
    return routes


def _url_offset(endpoint: _Block) -> int:
    for offset, line in enumerate(endpoint.body.splitlines()):
        if re.match(r"\s*url\s*=", line):
            return offset
    return 0


def _alloy_upstream(receiver: str, blocks: dict[str, _Block], seen: tuple) -> Iterator[tuple[_Block, tuple]]:
    for block in blocks.values():
        if block.ref in seen or receiver not in (block.attribute("forward_to") or ""):
            continue
        if block.kind.startswith("loki.source."):
            yield block, ()
        elif block.kind == "loki.process":
            dropped = tuple(f for stage in block.children for f in _stage_filters(stage))
            for source, filters in _alloy_upstream(block.ref + ".receiver", blocks, seen + (block.ref,)):
                yield source, filters + dropped


def _stage_filters(stage: _Block) -> list[NamespaceFilter]:
    if stage.kind == "stage.drop" and (stage.strings("source") or [""])[0] == "namespace":
        values = stage.strings("value")
        regex = stage.strings("expression")
        if values:
            return [NamespaceFilter(keep=False, names=frozenset(values))]
        if regex:
            return [NamespaceFilter(keep=False, regex=regex[0])]
    if stage.kind == "stage.match" and (stage.strings("action") or [""])[0] == "drop":
        return _selector_filters(bytes((stage.strings("selector") or [""])[0], "utf-8").decode("unicode_escape"), drop=True)
    return []


def _alloy_includes(source: _Block, blocks: dict[str, _Block]) -> list[str]:
    if source.kind in ("loki.source.kubernetes", "loki.source.podlogs"):
        return [ALL_POD_LOGS]
    if source.kind == "loki.source.file":
        targets = source.attribute("targets") or ""
        paths = re.findall(r'__path__\s*=\s*"([^"]*)"', targets)
        producer = blocks.get(targets.rsplit(".", 1)[0]) if not paths else None
        if producer is not None and producer.kind == "local.file_match":
            paths = re.findall(r'__path__\s*=\s*"([^"]*)"', producer.body)
        return paths
    return []


def _targets_filters(block: _Block, blocks: dict[str, _Block], seen: tuple) -> tuple[NamespaceFilter, ...]:
    """Exclusions on the discovery chain feeding a source's `targets`."""
    producer = blocks.get((block.attribute("targets") or "").rsplit(".", 1)[0])
    if producer is None or producer.ref in seen:
        return ()
    filters: list[NamespaceFilter] = []
    if producer.kind == "discovery.relabel":
        for rule in (c for c in producer.children if c.kind == "rule"):
            action = (rule.strings("action") or ["replace"])[0]
            if action in ("drop", "keep") and rule.strings("source_labels") in ([n] for n in NAMESPACE_LABELS):
                filters.append(NamespaceFilter(keep=action == "keep", regex=(rule.strings("regex") or ["(.*)"])[0]))
    elif producer.kind == "discovery.kubernetes":
        names = [n for c in producer.children if c.kind == "namespaces" for n in c.strings("names")]
        if names:
            filters.append(NamespaceFilter(keep=True, names=frozenset(names)))
    return tuple(filters) + _targets_filters(producer, blocks, seen + (producer.ref,))
