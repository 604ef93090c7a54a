"""Flux's post-build variable substitution (`envsubst` of fluxcd/pkg), in one place.

Flux evaluates `${...}` with its own fork of drone/envsubst, not with a shell: its scanner and
parser decide what is an expression, what is text and what is an error, and its functions have
their own edge cases (`${v=d}` also applies the default to an empty value, `${v-d}` is a parse
error, `$$` is a literal `$`, `*` in a pattern also matches `/`). No maintained Python package
reproduces that (they follow POSIX shells), so this module is a line-by-line port of
`envsubst/parse/scan.go`, `parse/parse.go`, `funcs.go`, `template.go` and `path/match.go`; the
table test in tests/core/test_envsubst.py is taken from Flux's own `eval_test.go` and docs.

Flux runs it non-strict: an unset variable reads as the empty string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Union

_EOF = "\0"  # Go's scanner also reads rune(0) as the end of the text


class SubstitutionError(ValueError):
    """The text does not parse as Flux's envsubst does; Flux fails the Kustomization with it."""


# token kinds
_ILLEGAL, _END, _IDENT, _LBRACK, _RBRACK = range(5)
# scanner mode bits
_SCAN_IDENT, _SCAN_LBRACK, _SCAN_RBRACK, _SCAN_ESCAPE = 1, 2, 4, 8
# escape bits
_DOLLAR, _BACKSLASH = 1, 2
_ESCAPE_ALL = _DOLLAR | _BACKSLASH

Accept = Callable[[str, int], bool]


@dataclass
class _Text:
    value: str


@dataclass
class _Func:
    param: str
    name: str = ""
    args: list = field(default_factory=list)


Node = Union[_Text, _Func, list]


class _Scanner:
    """scan.go: positions count characters (Go counts bytes; the operators are all ASCII)."""

    def __init__(self, buf: str) -> None:
        self.buf, self.pos, self.start, self.width = buf, 0, 0, 0
        self.mode, self.escape_chars = 0, 0
        self.accept: Accept = _accept_rune

    def read(self) -> str:
        if self.pos >= len(self.buf):
            self.width = 0
            return _EOF
        self.width = 1
        self.pos += 1
        return self.buf[self.pos - 1]

    def unread(self) -> None:
        self.pos -= self.width

    def skip(self) -> None:
        """Drop the character just read (an escape) from the text."""
        self.buf = self.buf[: self.pos - 1] + self.buf[self.pos:]

    def peek(self) -> str:
        r = self.read()
        self.unread()
        return r

    def string(self) -> str:
        return self.buf[self.start:self.pos]

    def scan(self) -> int:
        self.start = self.pos
        r = self.read()
        if r == _EOF:
            return _END
        if self._lbrack(r):
            return _LBRACK
        if self._rbrack(r):
            return _RBRACK
        if self._ident(r):
            return _IDENT
        return _ILLEGAL

    def _ident(self, r: str) -> bool:
        if not self.mode & _SCAN_IDENT:
            return False
        if self._escaped(r):
            self.skip()
        elif not self.accept(r, self.pos - self.start):
            return False
        while True:
            r = self.read()
            if r == _EOF:
                self.unread()
                break
            if self._lbrack(r):
                self.unread()
                self.unread()
                break
            if self._escaped(r):
                self.skip()
                continue
            if not self.accept(r, self.pos - self.start):
                self.unread()
                break
        return True

    def _lbrack(self, r: str) -> bool:
        if not self.mode & _SCAN_LBRACK:
            return False
        if r == "$":
            if self.read() == "{":
                return True
            self.unread()
        return False

    def _rbrack(self, r: str) -> bool:
        return bool(self.mode & _SCAN_RBRACK) and r == "}"

    def _escaped(self, r: str) -> bool:
        if not self.mode & _SCAN_ESCAPE:
            return False
        if r == "$" and self.escape_chars & _DOLLAR and self.peek() == "$":
            return True
        if r == "\\" and self.escape_chars & _BACKSLASH and self.peek() in ("/", "\\"):
            return True
        return False


def _accept_rune(r: str, i: int) -> bool:
    return True


def _accept_ident(r: str, i: int) -> bool:
    return r.isalpha() or r.isdecimal() or r == "_"


def _accept_colon(r: str, i: int) -> bool:
    return r == ":"


def _accept_one_hash(r: str, i: int) -> bool:
    return r == "#" and i == 1


def _accept_not_closing(r: str, i: int) -> bool:
    return r != "}"


def _accept_hash_func(r: str, i: int) -> bool:
    return r == "#" and i < 3


def _accept_percent_func(r: str, i: int) -> bool:
    return r == "%" and i < 3


def _accept_default_func(r: str, i: int) -> bool:
    return (i == 1 and r == ":") or (i == 2 and r in "=-?+")


def _accept_replace_func(r: str, i: int) -> bool:
    return (i == 1 and r == "/") or (i == 2 and r in "/#%")


def _accept_one_equal(r: str, i: int) -> bool:
    return i == 1 and r == "="


def _accept_one_colon(r: str, i: int) -> bool:
    return i == 1 and r == ":"


def _reject_colon_close(r: str, i: int) -> bool:
    return r not in (":", "}")


def _accept_slash(r: str, i: int) -> bool:
    return r == "/"


def _accept_not_slash(r: str, i: int) -> bool:
    return r != "/"


def _accept_casing_func(r: str, i: int) -> bool:
    return r in (",", "^") and i < 3


class _Parser:
    """parse.go."""

    def __init__(self, text: str) -> None:
        self.s = _Scanner(text)

    def parse(self) -> list:
        nodes: list = []
        s = self.s
        while True:  # parseAny, as a loop (Go recurses once per piece of text)
            s.accept, s.mode, s.escape_chars = _accept_rune, _SCAN_IDENT | _SCAN_LBRACK | _SCAN_ESCAPE, _DOLLAR
            token = s.scan()
            if token == _IDENT:
                nodes.append(_Text(s.string()))
            elif token == _END:
                return nodes
            elif token == _LBRACK:
                nodes.append(self.func())
            else:
                raise SubstitutionError("bad substitution")

    def func(self) -> _Func:
        s = self.s
        s.escape_chars = _ESCAPE_ALL
        if s.peek() == "#":
            return self.length()
        s.accept, s.mode = _accept_ident, _SCAN_IDENT
        if s.scan() != _IDENT:
            raise SubstitutionError("unable to parse variable name")
        name = s.string()
        following = s.peek()
        if following == ":":
            return self.default_or_substr(name)
        if following == "=":
            return self.default(name)
        if following in (",", "^"):
            return self.casing(name)
        if following == "/":
            return self.replace(name)
        if following == "#":
            return self.remove(name, _accept_hash_func)
        if following == "%":
            return self.remove(name, _accept_percent_func)
        s.accept, s.mode = _accept_ident, _SCAN_RBRACK
        if s.scan() != _RBRACK:
            raise SubstitutionError("missing closing brace")
        return _Func(name)

    def param(self, accept: Accept, mode: int) -> Node:
        s = self.s
        s.accept, s.mode = accept, mode | _SCAN_LBRACK
        token = s.scan()
        if token == _LBRACK:
            return self.func()
        if token in (_IDENT, _RBRACK):
            return _Text(s.string())
        raise SubstitutionError("unable to parse substitution within function")

    def default_or_substr(self, name: str) -> _Func:
        s = self.s
        s.read()
        r = s.peek()
        s.unread()
        if r in ("=", "-", "?", "+"):
            return self.default(name)
        return self.substr(name)

    def _operator(self, node: _Func, accept: Accept, error: str = "bad substitution") -> None:
        s = self.s
        s.accept, s.mode = accept, _SCAN_IDENT
        if s.scan() != _IDENT:
            raise SubstitutionError(error)
        node.name = s.string()

    def substr(self, name: str) -> _Func:
        s = self.s
        node = _Func(name)
        self._operator(node, _accept_one_colon)
        node.args.append(self.param(_reject_colon_close, _SCAN_IDENT))
        s.accept, s.mode = _accept_colon, _SCAN_IDENT | _SCAN_RBRACK
        token = s.scan()
        if token == _RBRACK:
            return node
        if token != _IDENT:
            raise SubstitutionError("bad substitution")
        node.args.append(self.param(_accept_not_closing, _SCAN_IDENT))
        self.close()
        return node

    def remove(self, name: str, accept: Accept) -> _Func:
        node = _Func(name)
        self._operator(node, accept)
        node.args.append(self.param(_accept_not_closing, _SCAN_IDENT))
        self.close()
        return node

    def replace(self, name: str) -> _Func:
        s = self.s
        node = _Func(name)
        self._operator(node, _accept_replace_func)
        node.args.append(self.param(_accept_not_slash, _SCAN_IDENT | _SCAN_ESCAPE))
        s.accept, s.mode = _accept_slash, _SCAN_IDENT
        if s.scan() != _IDENT:
            raise SubstitutionError("bad substitution")
        if s.peek() == "}":
            self.close()
            return node
        node.args.append(self.param(_accept_not_closing, _SCAN_IDENT | _SCAN_ESCAPE))
        self.close()
        return node

    def default(self, name: str) -> _Func:
        s = self.s
        node = _Func(name)
        self._operator(node, _accept_one_equal if s.peek() == "=" else _accept_default_func,
                       "unable to parse default function")
        while True:
            if s.peek() == "}":
                self.close()
                return node
            node.args.append(self.param(_accept_not_closing, _SCAN_IDENT))

    def casing(self, name: str) -> _Func:
        node = _Func(name)
        self._operator(node, _accept_casing_func)
        self.close()
        return node

    def length(self) -> _Func:
        s = self.s
        node = _Func("")
        self._operator(node, _accept_one_hash)
        s.accept, s.mode = _accept_ident, _SCAN_IDENT
        if s.scan() != _IDENT:
            raise SubstitutionError("bad substitution")
        node.param = s.string()
        self.close()
        return node

    def close(self) -> None:
        s = self.s
        s.mode = _SCAN_RBRACK
        if s.scan() != _RBRACK:
            raise SubstitutionError("bad substitution")


# -- functions (funcs.go) -----------------------------------------------------------------------
_GO_INT = re.compile(r"[+-]?[0-9]+")


def _atoi(text: str) -> int | None:
    return int(text) if _GO_INT.fullmatch(text) else None


def _to_len(s: str, *args: str) -> str:
    return str(len(s.encode("utf-8")))  # Go's len counts bytes


def _to_lower_first(s: str, *args: str) -> str:
    return s[:1].lower() + s[1:]


def _to_upper_first(s: str, *args: str) -> str:
    return s[:1].upper() + s[1:]


def _to_default(s: str, *args: str) -> str:
    return "".join(args) if not s and args else s


def _to_substr(s: str, *args: str) -> str:
    if not args:
        return s
    pos = _atoi(args[0])
    if pos is None:
        return s
    if pos < 0:
        pos = max(len(s) + pos, 0)
    if len(args) == 1:
        return s[pos:] if pos < len(s) else ""
    length = _atoi(args[1])
    if length is None:
        return s
    if pos + length >= len(s):
        return s[pos:] if pos < len(s) else ""
    return s[pos:pos + length]


def _replace(count: int) -> Callable[..., str]:
    def replace(s: str, *args: str) -> str:
        if not args:
            return s
        return _go_replace(s, args[0], args[1] if len(args) > 1 else "", count)
    return replace


def _go_replace(s: str, old: str, new: str, count: int) -> str:
    """Go's strings.Replace: an empty `old` matches before every character (and at the end)."""
    if old:
        return s.replace(old, new, count)
    pieces = [new + c for c in s] + [new]
    if count < 0 or count >= len(pieces):
        return "".join(pieces)
    return "".join(pieces[:count]) + s[count:]


def _replace_prefix(s: str, *args: str) -> str:
    if len(args) != 2:
        return s
    return _go_replace(s, args[0], args[1], 1) if s.startswith(args[0]) else s


def _replace_suffix(s: str, *args: str) -> str:
    if len(args) != 2:
        return s
    return s[: len(s) - len(args[0])] + args[1] if s.endswith(args[0]) else s


def _trim_shortest(s: str, pattern: str) -> str:
    shortest = ""
    for i in range(len(s)):
        try:
            if _match(pattern, s[: len(s) - i]):
                shortest = s[: len(s) - i]
        except _BadPattern:
            return s
    return s[len(shortest):] if shortest else s


def _trim_longest(s: str, pattern: str) -> str:
    for i in range(len(s)):
        try:
            if _match(pattern, s[: len(s) - i]):
                return s[len(s) - i:]
        except _BadPattern:
            return s
    return s


def _trim_shortest_prefix(s: str, *args: str) -> str:
    return _trim_shortest(s, args[0]) if args else s


def _trim_longest_prefix(s: str, *args: str) -> str:
    return _trim_longest(s, args[0]) if args else s


def _trim_shortest_suffix(s: str, *args: str) -> str:
    return _trim_shortest(s[::-1], args[0][::-1])[::-1] if args else s


def _trim_longest_suffix(s: str, *args: str) -> str:
    return _trim_longest(s[::-1], args[0][::-1])[::-1] if args else s


_FUNCS: dict[str, Callable[..., str]] = {
    ",": _to_lower_first, ",,": lambda s, *a: s.lower(), "^": _to_upper_first, "^^": lambda s, *a: s.upper(),
    "##": _trim_longest_prefix, "%": _trim_shortest_suffix, "%%": _trim_longest_suffix, ":": _to_substr,
    "/#": _replace_prefix, "/%": _replace_suffix, "/": _replace(1), "//": _replace(-1),
}


def _function(name: str, nargs: int) -> Callable[..., str]:
    if name == "#":
        return _trim_shortest_prefix if nargs else _to_len
    return _FUNCS.get(name, _to_default)  # `=`, `:=`, `:-`, `:?`, `:+`, `-`, `+` and plain `${v}`


# -- glob patterns (path/match.go: `*` and `?` also match `/`) -----------------------------------
class _BadPattern(Exception):
    pass


def _match(pattern: str, name: str) -> bool:
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            return True  # a trailing `*` matches the rest
        rest, ok = _match_chunk(chunk, name)
        if ok and (not rest or pattern):
            name = rest
            continue
        if star:
            for i in range(len(name)):
                rest, ok = _match_chunk(chunk, name[i + 1:])
                if ok:
                    if not pattern and rest:
                        continue
                    name = rest
                    break
            else:
                return False
            continue
        return False
    return not name


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern, star = pattern[1:], True
    in_range, i = False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif c == "[":
            in_range = True
        elif c == "]":
            in_range = False
        elif c == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _match_chunk(chunk: str, s: str) -> tuple[str, bool]:
    while chunk:
        if not s:
            return "", False
        c = chunk[0]
        if c == "[":
            r, s, chunk = s[0], s[1:], chunk[1:]
            negated = bool(chunk) and chunk[0] == "^"
            if negated:
                chunk = chunk[1:]
            matched, ranges = False, 0
            while True:
                if chunk and chunk[0] == "]" and ranges > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _escaped_char(chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = _escaped_char(chunk[1:])
                if lo <= r <= hi:
                    matched = True
                ranges += 1
            if matched == negated:
                return "", False
        elif c == "?":
            s, chunk = s[1:], chunk[1:]
        else:
            if c == "\\":
                chunk = chunk[1:]
                if not chunk:
                    raise _BadPattern
            if chunk[0] != s[0]:
                return "", False
            s, chunk = s[1:], chunk[1:]
    return s, True


def _escaped_char(chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise _BadPattern
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise _BadPattern
    r, rest = chunk[0], chunk[1:]
    if not rest:
        raise _BadPattern
    return r, rest


# -- evaluation (template.go) --------------------------------------------------------------------
def _evaluate(node: Node, lookup: Callable[[str], str]) -> str:
    if isinstance(node, _Text):
        return node.value
    if isinstance(node, list):
        return "".join(_evaluate(n, lookup) for n in node)
    args = [_evaluate(a, lookup) for a in node.args]
    return _function(node.name, len(args))(lookup(node.param), *args)


def substitute(text: str, variables: dict[str, str]) -> str:
    """`text` with every `${...}` evaluated as Flux does (unset variables read as empty);
    SubstitutionError when Flux would fail on it."""
    if "$" not in text:
        return text
    try:
        nodes = _Parser(text).parse()
    except RecursionError:
        raise SubstitutionError("expressions nested too deep") from None
    return _evaluate(nodes, lambda name: variables.get(name, ""))


def has_expression(text: str) -> bool:
    """Whether `text` may change under substitution (`${` or an escaped `$$`)."""
    return "${" in text or "$$" in text
