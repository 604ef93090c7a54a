"""Helm chart templates (`templates/*.yaml`): Go templates that are almost YAML.

Read as text, a template hides what its structure says (an env entry's `name: DB_PASSWORD` and
`value: "hunter2"` are on two lines). So the template is also read as YAML with every action
`{{ ... }}` masked by `X`s of the same length (a mask is a placeholder, and every position stays
where it was) and lines that held only actions turned into comments. And a literal default in an
action (`{{ .Values.adminPassword | default "Adm1nPass" }}`) is what deploys when the value is
not set: it is judged like a value written under the key it fills.
"""

from __future__ import annotations

import re
from typing import Iterator

from hubguard.load.sources import parse_yaml
from hubguard.model import Document
from hubguard.rules.secret import key_names
from hubguard.rules.secret.candidates import Hit, Lines, Options, key_before

_ACTION = re.compile(r"\{\{.*?\}\}", re.S)
_DEFAULT = re.compile(r"""\bdefault\s+(?:"(?P<dq>[^"\\]*)"|`(?P<bq>[^`]*)`)""")
_VALUES_PATH = re.compile(r"\.Values((?:\.[A-Za-z_][\w\-]*)+)")


def _mask(match: re.Match[str]) -> str:
    return "".join(c if c == "\n" else "X" for c in match.group(0))


def masked_documents(path: str, text: str) -> list[Document]:
    """The template's documents with actions masked; none when even so it is not YAML."""
    masked = _ACTION.sub(_mask, text)
    lines = []
    for line in masked.split("\n"):
        body = line.strip()
        if body and not body.strip("X- "):  # only actions (and whitespace-trimming dashes) on this line
            indent = len(line) - len(line.lstrip())
            line = line[:indent] + "#" + body[1:]
        lines.append(line)
    docs, error = parse_yaml(path, "\n".join(lines))
    return [] if error is not None else docs


def default_hits(path: str, text: str, options: Options) -> Iterator[Hit]:
    """Literal defaults in actions, under a sensitive key or for a sensitive `.Values` path."""
    if "default" not in text:
        return
    lines: Lines | None = None
    for action in _ACTION.finditer(text):
        body = action.group(0)
        default = _DEFAULT.search(body)
        if default is None:
            continue
        value = default.group("dq") if default.group("dq") is not None else default.group("bq")
        values_path = _VALUES_PATH.search(body)
        names = [key_before(text, action.start()), values_path.group(1).rsplit(".", 1)[-1] if values_path else ""]
        word = next((w for n in names if n and (w := key_names.sensitive_word(n, options.extra_keys, options.ignore_keys))), None)
        if word is None or not key_names.is_literal_secret(value, options.min_length):
            continue
        lines = lines or Lines(text)
        offset = action.start() + default.start("dq" if default.group("dq") is not None else "bq")
        line, column = lines.at(offset)
        name = next(n for n in names if n)
        yield Hit(line, column, value, word, f"default of {name}", f"{path}:default:{name}")
