"""Azure resources written in Bicep, read without a Bicep compiler (none ships with hubguard; the
validator runs no downloaded tool) in the shape of an ARM template, so that ha/traffic-routing
reads a Traffic Manager profile declared in a `.bicep` file as it reads one in ARM JSON.

What is read: `resource` declarations (at the top level, nested in a resource's body, or with
`parent: <symbol>`), `if (...)` conditions (the resource is taken as declared), `[for x in ...: {...}]`
loops (one resource per item of a literal array, else one with the loop variable left as written),
object and array literals, strings with `${...}` interpolation, and `param` defaults and `var`
values wherever a value names them. Every value keeps its line and column. Any other expression
(a function call, another resource's property, a module output) is kept as its text: hub names are
still found in it, and a value that cannot be known is never guessed. `module`s, `.bicepparam`
files and user-defined functions are not followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from hubguard.model import Document

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"\d+")
_QUOTED = re.compile(r"'[^'\\]*'")
_CALL = re.compile(r"(length|range)\((.*)\)", re.S)
_INDEX = re.compile(r"(.+)\[([^\[\]]+)\]", re.S)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "'": "'", "\\": "\\", "$": "$"}
_CLOSING = {"(": ")", "[": "]", "{": "}"}
MAX_DEPTH = 64  # nesting read into values; deeper is kept as text (a hostile file cannot exhaust the stack)
MAX_VALUES = 100_000  # values made from one file; past it, loops are no longer expanded (nor blow up)


@dataclass
class _Token:
    kind: str  # nl, str, word, num, punct
    text: str
    line: int
    col: int
    start: int
    end: int
    parts: tuple = ()  # of a string: literal text, and ("expr", text) for each ${...}


@dataclass
class _Node:
    kind: str  # object, array, for, str, raw
    line: int
    col: int
    items: list = field(default_factory=list)  # object: (key, node); array: nodes
    resources: list = field(default_factory=list)  # object: resources declared in it
    text: str = ""  # raw: the expression as written
    parts: tuple = ()  # str
    names: tuple = ()  # for: item variable and optional index variable
    iterable: "_Node | None" = None
    body: "_Node | None" = None


@dataclass
class _Resource:
    symbol: str
    type: str  # without the @api-version
    line: int
    col: int
    body: _Node
    existing: bool = False  # a reference to a resource declared elsewhere, not a declaration


def bicep_documents(path: str, text: str) -> list[Document]:
    """The resources of a Bicep file as one ARM-shaped document (`{"resources": [...]}`), or none
    when it declares no resource."""
    parser = _Parser(text)
    parser.parse()
    if not parser.resources:
        return []
    return [_Arm(parser).document(path)]


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, line, line_start, n = 0, 1, 0, len(text)

    def advance(start: int, end: int) -> None:
        nonlocal line, line_start
        breaks = text.count("\n", start, end)
        if breaks:
            line += breaks
            line_start = text.rfind("\n", start, end) + 1

    while i < n:
        c, col = text[i], i - line_start + 1
        if c == "\n":
            out.append(_Token("nl", c, line, col, i, i + 1))
            advance(i, i + 1)
            i += 1
        elif c in " \t\r\f":
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            advance(i, end)
            i = end
        elif text.startswith("'''", i):
            end = text.find("'''", i + 3)
            end = n if end < 0 else end + 3
            out.append(_Token("str", text[i:end], line, col, i, end, (text[i + 3:end - 3],)))
            advance(i, end)
            i = end
        elif c == "'":
            end, parts = _string(text, i)
            out.append(_Token("str", text[i:end], line, col, i, end, parts))
            advance(i, end)
            i = end
        elif (match := _WORD.match(text, i)) or (match := _NUMBER.match(text, i)):
            kind = "num" if c.isdigit() else "word"
            out.append(_Token(kind, match.group(), line, col, i, match.end()))
            i = match.end()
        else:
            out.append(_Token("punct", c, line, col, i, i + 1))
            i += 1
    return out


def _string(text: str, start: int, depth: int = 0) -> tuple[int, tuple]:
    """The end of the string literal at `start` and its parts: literal text and ("expr", text)."""
    parts: list = []
    buf: list[str] = []
    k, n = start + 1, len(text)
    while k < n:
        ch = text[k]
        if ch == "\\" and k + 1 < n:
            buf.append(_ESCAPES.get(text[k + 1], text[k + 1]))
            k += 2
        elif ch == "'" or ch == "\n":
            k += ch == "'"
            break
        elif text.startswith("${", k):
            braces, m = 1, k + 2
            while m < n and braces:
                if text[m] == "'" and depth < MAX_DEPTH:  # a string inside the interpolation
                    m = _string(text, m, depth + 1)[0]
                    continue
                braces += {"{": 1, "}": -1}.get(text[m], 0)
                m += 1
            parts.extend(["".join(buf), ("expr", text[k + 2:m - 1].strip())])
            buf = []
            k = m
        else:
            buf.append(ch)
            k += 1
    parts.append("".join(buf))
    return k, tuple(p for p in parts if p != "")


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.resources: list[_Resource] = []
        self.values: dict[str, _Node] = {}  # param defaults and var values, by name
        self.depth = 0

    def peek(self, offset: int = 0) -> _Token | None:
        at = self.i + offset
        return self.toks[at] if at < len(self.toks) else None

    def take(self) -> _Token | None:
        tok = self.peek()
        self.i += tok is not None
        return tok

    def skip_newlines(self) -> None:
        while (tok := self.peek()) is not None and (tok.kind == "nl" or tok.text == ","):
            self.i += 1

    def is_(self, text: str, offset: int = 0) -> bool:
        tok = self.peek(offset)
        return tok is not None and tok.text == text and tok.kind != "str"

    def parse(self) -> None:
        while self.peek() is not None:
            self.skip_newlines()
            tok = self.peek()
            if tok is None:
                break
            if tok.text == "@":
                self.skip_decorator()
            elif tok.kind == "word" and tok.text == "resource":
                resource = self.resource()
                if resource is not None:
                    self.resources.append(resource)
            elif tok.kind == "word" and tok.text in ("param", "var") and self.peek(1) is not None and self.peek(1).kind == "word":
                self.i += 1
                name = self.take().text
                self.skip_until({"=", "\n"})
                if self.is_("="):
                    self.i += 1
                    self.values[name] = self.expression()
            else:
                self.skip_until({"\n"})

    def skip_decorator(self) -> None:
        self.i += 1  # @
        while (tok := self.peek()) is not None and (tok.kind == "word" or tok.text == "."):
            self.i += 1
        if self.is_("("):
            self.skip_balanced()

    def skip_until(self, stops: set[str]) -> None:
        """To the next token in `stops` (`\\n`: a line end) outside brackets."""
        while (tok := self.peek()) is not None:
            if tok.kind != "str" and tok.text in stops:
                return
            if tok.kind == "punct" and tok.text in _CLOSING:
                self.skip_balanced()
            else:
                self.i += 1

    def skip_balanced(self) -> None:
        depth = 0
        while (tok := self.take()) is not None:
            if tok.kind == "punct" and tok.text in _CLOSING:
                depth += 1
            elif tok.kind == "punct" and tok.text in _CLOSING.values():
                depth -= 1
                if depth <= 0:
                    return

    def resource(self) -> _Resource | None:
        """`resource sym 'Type@version' [existing] = body`, the cursor on `resource`."""
        start = self.take()
        symbol, kind = self.take(), self.take()
        if symbol is None or symbol.kind != "word" or kind is None or kind.kind != "str":
            self.skip_until({"\n"})
            return None
        existing = self.is_("existing")
        self.skip_until({"=", "\n"})
        if not self.is_("="):
            return None  # not Bicep
        self.i += 1
        body = self.expression()
        type_name = "".join(p for p in kind.parts if isinstance(p, str)).split("@", 1)[0]
        return _Resource(symbol.text, type_name, kind.line, kind.col, body, existing) if start is not None else None

    def expression(self, stops: frozenset[str] = frozenset()) -> _Node:
        """A value: an object, an array or loop, a string, or any other expression as its text."""
        while (tok := self.peek()) is not None and tok.kind == "word" and tok.text == "if" and self.is_("(", 1):
            self.i += 1  # a condition: the resource counts as declared
            self.skip_balanced()
        if tok is None:
            return _Node("raw", 0, 0)
        start = self.i
        node = self.literal(tok) if self.depth < MAX_DEPTH else None
        if node is not None and self.ends_value(stops):
            return node
        self.i = start  # an operator follows (`'a' == x ? ...`): the whole expression, as written
        self.skip_until({"\n", ",", "}", "]", ")", *stops})
        end = self.toks[self.i - 1].end if self.i > start else tok.start
        return _Node("raw", tok.line, tok.col, text=self.text[tok.start:end].strip())

    def literal(self, tok: _Token) -> _Node | None:
        """The string, object, array or loop at the cursor; None for any other expression."""
        if tok.kind == "str":
            self.i += 1
            return _Node("str", tok.line, tok.col, parts=tok.parts)
        if tok.kind != "punct" or tok.text not in ("{", "["):
            return None
        self.depth += 1
        try:
            return self.object() if tok.text == "{" else self.array()
        finally:
            self.depth -= 1

    def ends_value(self, stops: frozenset[str]) -> bool:
        tok = self.peek()
        return tok is None or tok.kind == "nl" or (tok.kind != "str" and tok.text in {",", "}", "]", ")", *stops})

    def object(self) -> _Node:
        open_ = self.take()
        node = _Node("object", open_.line, open_.col)
        self.entries("}", lambda tok: self.member(node, tok))
        return node

    def member(self, node: _Node, tok: _Token) -> None:
        """One entry of an object: `key: value`, a decorator, or a nested `resource`."""
        if tok.text == "@":
            self.skip_decorator()
        elif tok.kind == "word" and tok.text == "resource" and not self.is_(":", 1):
            resource = self.resource()
            if resource is not None:
                node.resources.append(resource)
        else:
            key = tok.text if tok.kind != "str" else "".join(p for p in tok.parts if isinstance(p, str))
            self.i += 1
            if not self.is_(":"):
                self.skip_until({"\n", "}"})
                return
            self.i += 1
            node.items.append((key, self.expression()))

    def array(self) -> _Node:
        open_ = self.take()
        if self.peek() is not None and self.peek().text == "for":
            return self.loop(open_)
        node = _Node("array", open_.line, open_.col)
        self.entries("]", lambda tok: node.items.append(self.expression()))
        return node

    def entries(self, close: str, read: Callable[[_Token], None]) -> None:
        """The entries of an object or array up to `close`, one per line or between commas; `read`
        takes one at the cursor (a token it cannot read, as a stray `)`, is stepped over)."""
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None:
                return
            if tok.kind == "punct" and tok.text == close:
                self.i += 1
                return
            before = self.i
            read(tok)
            self.i += self.i == before

    def loop(self, open_: _Token) -> _Node:
        """`[for item in iterable: body]` or `[for (item, index) in ...: body]`, after `[`."""
        self.i += 1  # for
        names = []
        while (tok := self.take()) is not None and tok.text != "in":
            if tok.kind == "word":
                names.append(tok.text)
        iterable = self.expression(frozenset({":"}))
        if self.is_(":"):
            self.i += 1
        body = self.expression()
        self.skip_until({"]"})
        self.i += 1
        return _Node("for", open_.line, open_.col, names=tuple(names), iterable=iterable, body=body)


class _Arm:
    """The parsed resources as an ARM template's `resources`, with every value's position."""

    def __init__(self, parser: _Parser):
        self.parser = parser
        self.positions: dict[tuple, tuple[int, int]] = {}
        self._resolving: set[str] = set()
        self._named: dict[str, Any] = {}  # param defaults and vars, each evaluated once
        self._emitted: set[int] = set()  # declarations placed (a child once, under its parent's first copy)
        self._budget = MAX_VALUES

    def document(self, path: str) -> Document:
        symbols = {r.symbol for r in self.parser.resources}
        children: dict[str, list[_Resource]] = {}
        top: list[_Resource] = []
        for resource in self.parser.resources:
            parent = _item(resource, "parent")
            if parent is not None and parent.kind == "raw" and parent.text in symbols:
                children.setdefault(parent.text, []).append(resource)
            else:
                top.append(resource)
        resources: list[dict] = []
        for resource in top:
            self.emit(resource, resources, ("resources",), children)
        return Document(path, 0, {"resources": resources}, 1, _Positions(self.positions))

    def emit(self, resource: _Resource, into: list, at: tuple, children: dict[str, list[_Resource]], parent: str = "") -> None:
        """`resource` (one per item of its loop) into the list `into` at path `at`, its children in
        its `resources`. A resource that is only referenced (`existing`) is not one of this file's:
        its children stand alone, named `<parent>/<child>` as ARM names them."""
        if id(resource) in self._emitted:
            return
        self._emitted.add(id(resource))
        body, scopes = resource.body, [{}]
        if body.kind == "for" and body.body is not None:
            scopes, body = self.scopes(body, {}), body.body
        if resource.existing:
            named = self.value(_item(resource, "name") or _Node("raw", 0, 0), {}, None)
            for child in [*body.resources, *children.get(resource.symbol, [])]:
                self.emit(child, into, at, children, parent=str(named or resource.symbol))
            return
        for scope in scopes:
            path = (*at, len(into))
            data = self.value(body, scope, path)
            if not isinstance(data, dict):
                continue
            data = dict(data)  # a body named by a var is that var's (shared) value
            if parent:
                data["name"] = f"{parent}/{data.get('name')}"
            if scope is _UNKNOWN_ITEMS:  # as ARM writes a loop: how many is not known here
                data["copy"] = {"count": "unknown"}
            data["type"] = resource.type
            self.positions[(*path, "type")] = (resource.line, resource.col)
            nested = [*body.resources, *children.get(resource.symbol, [])]
            if nested:
                data["resources"] = []
                for child in nested:
                    self.emit(child, data["resources"], (*path, "resources"), children)
            into.append(data)

    def scopes(self, loop: _Node, scope: dict) -> list[dict]:
        """One scope per item of the loop's array; one scope with the loop variable unknown (left as
        written) when the array is not literal, or when the file has already made too many values."""
        items = self.value(loop.iterable, scope, None) if loop.iterable is not None else None
        if not isinstance(items, list) or self._budget <= 0:
            return [_UNKNOWN_ITEMS]
        names = loop.names
        return [{**scope, **({names[0]: item} if names else {}), **({names[1]: index} if len(names) > 1 else {})}
                for index, item in enumerate(items)]

    def value(self, node: _Node, scope: dict, path: tuple | None) -> Any:
        self._budget -= 1
        if path is not None:
            self.positions[path] = (node.line, node.col)
        if node.kind == "object":
            return {key: self.value(child, scope, None if path is None else (*path, key)) for key, child in node.items}
        if node.kind == "array":
            return [self.value(child, scope, None if path is None else (*path, index)) for index, child in enumerate(node.items)]
        if node.kind == "for" and node.body is not None:
            scopes = self.scopes(node, scope)
            if scopes[:1] == [_UNKNOWN_ITEMS] and scopes[0] is _UNKNOWN_ITEMS:
                return f"[for ... in {node.iterable.text if node.iterable is not None else ''}]"  # items not known
            return [self.value(node.body, inner, None if path is None else (*path, index))
                    for index, inner in enumerate(scopes)]
        if node.kind == "str":
            return "".join(part if isinstance(part, str) else self.interpolated(part[1], scope) for part in node.parts)
        return self.raw(node.text, scope)

    def interpolated(self, text: str, scope: dict) -> str:
        found = self.raw(text, scope)
        return str(found).lower() if isinstance(found, bool) else str(found) if isinstance(found, (str, int)) and found != text else "${" + text + "}"

    def raw(self, text: str, scope: dict, depth: int = 0) -> Any:
        """What an expression evaluates to where that can be known: a number, a boolean, null, a
        quoted string, a loop variable, param or var (`a.b` into an object, `a[i]` into an array),
        `length(x)` and `range(start, count)` (how Bicep loops count); else the text as written."""
        text = text.strip()
        if _NUMBER.fullmatch(text):
            return int(text)
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if _QUOTED.fullmatch(text):
            return text[1:-1]
        if depth > MAX_DEPTH:
            return text
        if (call := _CALL.fullmatch(text)) is not None:
            args = [self.raw(arg, scope, depth + 1) for arg in _arguments(call.group(2))]
            if call.group(1) == "length" and len(args) == 1 and isinstance(args[0], (list, dict, str)) and args[0] != call.group(2):
                return len(args[0])
            if call.group(1) == "range" and len(args) == 2 and all(type(a) is int for a in args) and 0 <= args[1] <= MAX_VALUES:
                return list(range(args[0], args[0] + args[1]))
            return text
        if (index := _INDEX.fullmatch(text)) is not None:
            base, key = self.raw(index.group(1), scope, depth + 1), self.raw(index.group(2), scope, depth + 1)
            if isinstance(base, list) and type(key) is int and 0 <= key < len(base):
                return base[key]
            return base[key] if isinstance(base, dict) and isinstance(key, str) and key in base else text
        names = text.split(".")
        if not all(_WORD.fullmatch(name) for name in names):
            return text
        if names[0] in scope:
            found = scope[names[0]]
        elif names[0] in self._named:
            found = self._named[names[0]]
        elif names[0] in self.parser.values and names[0] not in self._resolving and len(self._resolving) < MAX_DEPTH:
            self._resolving.add(names[0])
            try:
                found = self._named[names[0]] = self.value(self.parser.values[names[0]], {}, None)
            finally:
                self._resolving.discard(names[0])
        else:
            return text
        for name in names[1:]:
            if not isinstance(found, dict) or name not in found:
                return text
            found = found[name]
        return found


def _arguments(text: str) -> list[str]:
    """A call's arguments: split at the commas outside brackets and strings."""
    args, depth, quoted, start = [], 0, False, 0
    for at, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch in "([{":
            depth += 1
        elif not quoted and ch in ")]}":
            depth -= 1
        elif not quoted and ch == "," and depth == 0:
            args.append(text[start:at])
            start = at + 1
    return [*args, text[start:]] if text.strip() else args


_UNKNOWN_ITEMS: dict = {}  # the one scope of a loop whose items cannot be known


def _item(resource: _Resource, key: str) -> _Node | None:
    node = resource.body
    body = node.body if node.kind == "for" else node
    if body is None or body.kind != "object":
        return None
    return next((child for name, child in body.items if name == key), None)


class _Positions:
    """`Positions` of the one document: line and column of each value, by its path."""

    def __init__(self, values: dict[tuple, tuple[int, int]]):
        self.values = values

    def node(self, index: int) -> Any:
        return None

    def position(self, index: int, path: tuple, key: bool) -> tuple[int, int] | None:
        return self.values.get(tuple(path))
