"""YAML or JSON written inside a string field of another document, with positions in the outer file.

GitOps files carry whole documents as strings: Argo CD `spec.source.helm.values: |`, kustomize
inline patches (`patches: [{patch: |-}]`), a ConfigMap's `config.yaml: |`, Helm `values: |`. Rules
and the renderer read them as documents of their own; a position inside one is mapped back to the
line a person edits. Inside a literal block (`|`) lines map one to one, shifted by the block's
indentation; any other string (quoted, folded, one line of JSON) maps to the field's own place.
"""

from __future__ import annotations

from typing import Any, Callable

from hubguard.load.sources import parse_yaml
from hubguard.model import Document

MAX_EMBEDDED_CHARS = 256 * 1024  # a larger string is data, not configuration


def may_embed(text: Any) -> bool:
    """Cheap test before parsing: a multi-line string with a `key:` in it, or one line of JSON."""
    if not isinstance(text, str) or len(text) > MAX_EMBEDDED_CHARS:
        return False
    stripped = text.strip()
    if "\n" in stripped:
        return ":" in stripped
    return stripped[:1] in "{[" and stripped[-1:] in "}]"


def embedded_documents(outer: Document, path: tuple, text: str, outer_lines: Callable[[], list[str]]) -> list[Document]:
    """The mappings and lists written in the string `text` at `path` of `outer` (none when it is
    not YAML or JSON of that shape). `outer_lines` gives the outer file's lines, read only when a
    position is asked for."""
    if not may_embed(text):
        return []
    docs, error = parse_yaml(outer.path, text)  # JSON is YAML
    if error is not None:
        return []
    placement = _Placement(outer, path, outer_lines)
    return [
        Document(outer.path, outer.index, doc.data, outer.line, _EmbeddedPositions(doc, placement))
        for doc in docs
        if isinstance(doc.data, (dict, list)) and doc.data
    ]


class _Placement:
    """Where the string sits in the outer file: the first line and indentation of a literal block,
    or the one place of any other string. Worked out on first use."""

    def __init__(self, outer: Document, path: tuple, outer_lines: Callable[[], list[str]]):
        self._outer, self._path, self._outer_lines = outer, path, outer_lines
        self._block: tuple[int, int] | None = None
        self._at: tuple[int, int] | None = None

    def map(self, line: int, column: int) -> tuple[int, int]:
        if self._at is None:
            self._resolve()
        if self._block is not None:
            first, indent = self._block
            return first + line - 1, indent + column
        return self._at or (self._outer.line, 1)

    def _resolve(self) -> None:
        line, column = self._outer.position(*self._path)
        self._at = (line, column)
        lines = self._outer_lines()
        if not 0 < line <= len(lines) or not lines[line - 1][column - 1:].lstrip().startswith("|"):
            return
        # A literal block: its content starts on the next line, dedented by the first content
        # line's indentation (blank lines before it are part of the string).
        for text in lines[line:]:
            if text.strip():
                self._block = (line + 1, len(text) - len(text.lstrip(" ")))
                return


class _EmbeddedPositions:
    """Positions of one embedded document, mapped into the outer file."""

    def __init__(self, inner: Document, placement: _Placement):
        self._inner, self._placement = inner, placement

    def node(self, index: int) -> Any:
        return self._inner.node

    def position(self, index: int, path: tuple, key: bool) -> tuple[int, int] | None:
        line, column = self._inner.position(*path, key=key)
        return self._placement.map(line, column)
