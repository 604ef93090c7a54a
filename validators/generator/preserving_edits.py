"""Edits of files a user may have changed, keeping every byte the edit does not concern.

YAML: a ruamel round trip, used only when loading and dumping the file unchanged gives back the
very same bytes (indentation is detected by trying the usual styles); otherwise the edit is
refused, never a reformatted file. JSON: the file is parsed into value spans and only the text
of the edited array items is inserted or cut, so layout and indentation stay as they are.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from hubguard.errors import HubguardError

INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (2, 2, 2), (4, 4, 0))


class NotStructured(HubguardError):
    """A file cannot be edited without reformatting it; str() says which."""


def _yaml(mapping: int, sequence: int, offset: int):
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


class YamlDocs:
    """The documents of one YAML file, for a comment-preserving edit."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.explicit_start = text.lstrip().startswith("---")
        for indent in INDENTS:
            yaml = _yaml(*indent)
            try:
                docs = list(yaml.load_all(text))
            except Exception as exc:  # ruamel's error types vary by version
                raise NotStructured(f"{path}: not valid YAML ({type(exc).__name__}); edit it by hand") from None
            if self._dump(yaml, docs) == text:
                self.yaml, self.docs = yaml, docs
                return
        raise NotStructured(f"{path}: its layout would change on a YAML round trip; edit it by hand")

    def _dump(self, yaml, docs: list[Any]) -> str:
        yaml.explicit_start = self.explicit_start
        out = io.StringIO()
        yaml.dump_all(docs, out)
        return out.getvalue()

    def text(self) -> str:
        return self._dump(self.yaml, self.docs)


def load_yaml_node(text: str) -> Any:
    """A round-trip node from rendered template text (its flow style and quotes kept), to insert."""
    return _yaml(2, 4, 2).load(text)


# -- JSON spans ------------------------------------------------------------------------------
@dataclass
class Span:
    """A JSON value at text[start:end]; `items` for arrays, `keys` (name -> Span) for objects."""

    start: int
    end: int
    value: Any = None
    items: list["Span"] = field(default_factory=list)
    keys: dict[str, "Span"] = field(default_factory=dict)


_WS = re.compile(r"\s*")
_SCALAR = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null')


def json_spans(text: str) -> Span:
    decoder = json.JSONDecoder()

    def skip(pos: int) -> int:
        return _WS.match(text, pos).end()

    def value(pos: int) -> Span:
        pos = skip(pos)
        if text.startswith("{", pos):
            span, pos = Span(pos, 0, {}), skip(pos + 1)
            while not text.startswith("}", pos):
                key, pos = decoder.raw_decode(text, pos)
                pos = skip(skip(pos) + 1)  # the colon
                child = value(pos)
                span.keys[key], span.value[key] = child, child.value
                pos = skip(child.end)
                if text.startswith(",", pos):
                    pos = skip(pos + 1)
            span.end = pos + 1
            return span
        if text.startswith("[", pos):
            span, pos = Span(pos, 0, []), skip(pos + 1)
            while not text.startswith("]", pos):
                child = value(pos)
                span.items.append(child)
                span.value.append(child.value)
                pos = skip(child.end)
                if text.startswith(",", pos):
                    pos = skip(pos + 1)
            span.end = pos + 1
            return span
        match = _SCALAR.match(text, pos)
        if not match:
            raise ValueError(f"unexpected character at {pos}")
        return Span(pos, match.end(), json.loads(match.group(0)))

    try:
        json.loads(text)
        return value(0)
    except (ValueError, IndexError) as exc:
        raise NotStructured(f"not valid JSON ({exc}); edit it by hand") from None


def line_indent(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    return text[start:pos]


def reindent(block: str, old: str, new: str) -> str:
    """`block` (its first line without indentation) moved from indentation `old` to `new`."""
    if old == new:
        return block
    lines = block.split("\n")
    return "\n".join([lines[0]] + [new + line[len(old):] if line.startswith(old) else line for line in lines[1:]])


def append_item(text: str, array: Span, item_text: str, item_indent: str) -> str:
    """`text` with `item_text` (indented for `item_indent`) appended to the non-empty `array`."""
    if not array.items:
        raise NotStructured("an empty array cannot be extended in place; edit it by hand")
    last = array.items[-1]
    indent = line_indent(text, last.start)
    block = reindent(item_text, item_indent, indent)
    separator = text[array.items[-2].end:array.items[-1].start] if len(array.items) > 1 else f",\n{indent}"
    return text[:last.end] + separator + block + text[last.end:]


def remove_item(text: str, array: Span, index: int) -> str:
    """`text` without the `index`th item of `array` (with its separating comma)."""
    items = array.items
    if len(items) == 1:
        raise NotStructured("the last item of an array is not removed in place; edit it by hand")
    if index > 0:
        return text[:items[index - 1].end] + text[items[index].end:]
    return text[:items[0].start] + text[items[1].start:]
