"""Secrets written inside a longer value: command-line flags, connection-string parts, defaults.

A key named like a credential is one way to give a secret; these are the others people write:

- flags: `--password=hunter2`, `--token 'abc'`, `-password abc`, MySQL's `-phunter2`;
- connection-string parts: `Server=db;Password=hunter2;`, ODBC `PWD={hunter2}`,
  `jdbc:postgresql://db/x?user=u&password=hunter2`, `mongodb://db/?password=hunter2`;
- variable defaults: `${JWT_SIGNING_KEY:=s3cr3t-value}` (Flux, envsubst, shell): what deploys
  when the variable is unset, so a literal written there is a literal.

Each function yields `Part`s; the caller decides with the key name (and its own key, for
defaults) whether a part is sensitive, and whether the value is a literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator


@dataclass(frozen=True)
class Part:
    offset: int  # where the value starts in the text
    key: str  # the flag, connection-string key or variable name that names the value
    value: str
    kind: str  # how a message names it: "flag", "connection-string part", "default of"


_PLAIN = r""""[^"\n]*"|'[^'\n]*'|[^\s"';&|)]+"""
_VALUE = rf"(?P<val>{_PLAIN})"
_FLAG = re.compile(r"(?<![\w\-./])-{1,2}(?P<key>[A-Za-z][\w.\-]*)(?:=|[ \t]+(?=[^\s\-]))" + _VALUE)
_MYSQL = re.compile(r"\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump)\b")
_MYSQL_PASSWORD = re.compile(r"(?<![\w\-])-p(?P<val>[^\s\-\"'][^\s\"';&|)]*)")
_CONNECTION_PART = re.compile(r"(?:^|(?<=[;?&]))[ \t]*(?P<key>[A-Za-z][\w\-]*)[ \t]*=[ \t]*(?P<val>\{[^}]*\}|" + _PLAIN + ")")
_DEFAULT = re.compile(r"\$\{(?P<key>[A-Za-z_][A-Za-z0-9_]*):?[=\-](?P<val>[^${}]*)\}")
_FLAG_HINT = re.compile(r"(?:^|\s)-")


def _unquote(value: str, offset: int) -> tuple[str, int]:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1], offset + 1
    if len(value) >= 2 and value[0] == "{" and value[-1] == "}":  # ODBC braces
        return value[1:-1], offset + 1
    return value, offset


def flags(text: str) -> Iterator[Part]:
    if not _FLAG_HINT.search(text):
        return
    for match in _FLAG.finditer(text):
        value, offset = _unquote(match.group("val"), match.start("val"))
        yield Part(offset, match.group("key"), value, "flag")
    if "-p" in text and _MYSQL.search(text):
        for match in _MYSQL_PASSWORD.finditer(text):
            yield Part(match.start("val"), "password", match.group("val"), "flag -p of")


def connection_parts(text: str) -> Iterator[Part]:
    """`key=value` parts of a connection string or URL query (only where `;`, `?` or `&` separate them)."""
    if "=" not in text or not any(sep in text for sep in ";?&"):
        return
    for match in _CONNECTION_PART.finditer(text):
        value, offset = _unquote(match.group("val"), match.start("val"))
        yield Part(offset, match.group("key"), value, "connection-string part")


def defaults(text: str) -> Iterator[Part]:
    if "${" not in text:
        return
    for match in _DEFAULT.finditer(text):
        yield Part(match.start("val"), match.group("key"), match.group("val"), "default of")


def parts(text: str) -> Iterator[Part]:
    yield from flags(text)
    yield from connection_parts(text)
    yield from defaults(text)
