"""Where a value is written: positions in the node trees of libyaml's composer.

Rules read plain data (loaded by libyaml's C parser); a finding's line and column come from the
composed nodes of the same text, made again on first use. libyaml composes in C, so locating a
field costs a fraction of a round-trip parse (which kept comments hubguard never reads).
"""

from __future__ import annotations

from typing import Any, Iterable

# A document that expands past this many nodes is an alias bomb (or absurdly large) and is refused.
MAX_NODES = 1_000_000


def compose_documents(text: str) -> list[Any]:
    """One node tree per document of a YAML (or JSON) text, as the loader counts documents; [] when
    libyaml cannot compose it (positions then fall back to document starts)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    nodes = []
    try:
        while loader.check_node():
            nodes.append(loader.get_node())
    except (yaml.YAMLError, ValueError, TypeError, RecursionError):
        return []
    finally:
        loader.dispose()
    return nodes


def position(root: Any, path: Iterable[Any], *, key: bool = False) -> tuple[int, int] | None:
    """1-based (line, column) of the value at `path` in a composed node tree (or of its key if `key`).

    A value that is a collection is reported at its key (a block collection starts on the next
    line). Falls back to the deepest ancestor that has a position when the path is only partly
    present, so a finding about a missing field still points at the object that lacks it.
    """
    import yaml

    node = root
    best = _start(root)
    for step in path:
        if isinstance(node, yaml.MappingNode):
            pair = _pair(node, step)
            if pair is None:
                break
            key_node, value_node = pair
            collection = isinstance(value_node, (yaml.MappingNode, yaml.SequenceNode))
            best = _start(key_node if key or collection else value_node)
            node = value_node
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            best = _start(node)
        else:
            break
    return best


def _pair(mapping: Any, step: Any) -> tuple[Any, Any] | None:
    """The key and value nodes of `step`; the last one written wins, as it does when loading."""
    wanted = step if isinstance(step, str) else None
    for key_node, value_node in reversed(mapping.value):
        text = getattr(key_node, "value", None)
        if not isinstance(text, str):
            continue
        if text == wanted or (wanted is None and text == _scalar_text(step)):
            return key_node, value_node
    return None


def _scalar_text(value: Any) -> str:
    """How a non-string key (`80:`, `true:`) is written, for matching it against loaded data."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _start(node: Any) -> tuple[int, int] | None:
    mark = getattr(node, "start_mark", None)
    return None if mark is None else (mark.line + 1, mark.column + 1)
