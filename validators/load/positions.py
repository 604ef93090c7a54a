"""Positions in ruamel.yaml round-trip documents, and conversion to plain Python values.

Rules read plain dicts/lists/str/int/bool (ruamel's round-trip scalars are subclasses with surprises,
e.g. its booleans are not `bool`); positions come from the ruamel nodes kept beside them.
"""

from __future__ import annotations

from typing import Any, Iterable

# A document that expands past this many nodes is an alias bomb (or absurdly large) and is refused.
MAX_NODES = 1_000_000


class TooManyNodes(ValueError):
    pass


def to_plain(node: Any) -> Any:
    """Deep-convert ruamel round-trip data to plain Python, refusing alias bombs.

    An alias is the same Python object as its anchor, so conversion is memoised per object and
    costs only the distinct nodes; the size a consumer would walk (aliases expanded) is summed on
    the way and refused past MAX_NODES, before any rule can try to walk it.
    """
    memo: dict[int, tuple[Any, int]] = {}
    value, size = _convert(node, memo)
    if size > MAX_NODES:
        raise TooManyNodes("document expands to more than %d nodes (YAML alias bomb?)" % MAX_NODES)
    return value


def _convert(node: Any, memo: dict[int, tuple[Any, int]]) -> tuple[Any, int]:
    if isinstance(node, (dict, list, tuple)):
        known = memo.get(id(node))
        if known is not None:
            return known
        size = 1
        if isinstance(node, dict):
            out: Any = {}
            for k, v in node.items():
                value, child = _convert(v, memo)
                out[_plain_key(k)] = value
                size += child
        else:
            out = []
            for v in node:
                value, child = _convert(v, memo)
                out.append(value)
                size += child
        size = min(size, MAX_NODES + 1)  # saturate: 9**10 is not worth counting exactly
        memo[id(node)] = (out, size)
        return out, size
    return _scalar(node), 1


def _scalar(node: Any) -> Any:
    if isinstance(node, bool) or node is None:
        return node
    # ruamel's ScalarBoolean is an int subclass; recognise it by name to keep it a bool.
    if type(node).__name__ == "ScalarBoolean":
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)  # timestamps, binary and other exotic scalars: their text is what rules need


def _plain_key(key: Any) -> Any:
    if isinstance(key, (str, int, float, bool)) or key is None:
        return _scalar(key)
    return str(key)


def position(root: Any, path: Iterable[Any], *, key: bool = False) -> tuple[int, int] | None:
    """1-based (line, column) of the value at `path` in a ruamel node tree (or of its key if `key`).

    Falls back to the deepest ancestor that has a position when the path is only partly present,
    so a finding about a missing field still points at the object that lacks it.
    """
    node = root
    best = _own_position(root)
    for step in path:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and step in node:
            if lc is not None:
                try:
                    kl, kc = lc.key(step)
                    vl, vc = lc.value(step)
                    child = node[step]
                    # A value that is a block collection starts on the next line; report the key.
                    if key or isinstance(child, (dict, list)):
                        best = (kl + 1, kc + 1)
                    else:
                        best = (vl + 1, vc + 1)
                except (KeyError, TypeError, AttributeError):
                    pass
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            if lc is not None:
                try:
                    il, ic = lc.item(step)
                    best = (il + 1, ic + 1)
                except (KeyError, TypeError, AttributeError):
                    pass
            node = node[step]
        else:
            break
    return best


def _own_position(node: Any) -> tuple[int, int] | None:
    lc = getattr(node, "lc", None)
    if lc is None or getattr(lc, "line", None) is None:
        return None
    return (lc.line + 1, lc.col + 1)
