"""Finding candidate secrets in a source file or a rendered object, as `Hit`s the rules turn into findings.

Three views of a file are combined: its raw text (known tokens and credential URIs anywhere,
comments included, with exact line and column), its YAML/JSON structure (key names, env
`name`/`value` pairs, generator literals, base64 `data` of Secrets decoded) and, for files that are
not YAML or JSON, `key = value` assignments line by line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from hubguard.rules.encoding import base64_text
from hubguard.rules.secret import key_names, token_formats, value_parts

Locator = Callable[[tuple], tuple[int, int]]


@dataclass(frozen=True)
class Hit:
    line: int
    column: int
    value: str  # the secret itself: only for redaction and comparisons, never printed
    kind: str  # what it is, for the message ("GitHub token", "password")
    where: str  # which key holds it, for the message ("env DB_PASSWORD", "data.password")
    ident: str  # stable identity for baselines, without the secret
    path: tuple = ()  # structural path of the value in its document or object, when known
    detail: str = ""
    obj: str | None = None  # the object it belongs to (`Kind/ns/name`), when known


class Lines:
    """Offset -> (line, column), 1-based."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + 1, offset - self.starts[index] + 1


_KEY_BEFORE = re.compile(r"([A-Za-z_][\w.\-]*)[\"']?\s*(?::|=|:=)\s*[\"']?\s*$")


def key_before(text: str, offset: int) -> str:
    """The key name written before `offset` on its line (`GITHUB_TOKEN=` -> `GITHUB_TOKEN`), or ''."""
    start = text.rfind("\n", 0, offset) + 1
    match = _KEY_BEFORE.search(text[start:offset])
    return match.group(1) if match else ""


# --- known tokens ----------------------------------------------------------------------------------

def token_hits_in_text(path: str, text: str, extra: tuple = ()) -> Iterator[Hit]:
    lines: Lines | None = None
    for hit in token_formats.find_tokens(text, extra):
        lines = lines or Lines(text)
        line, column = lines.at(hit.start)
        key = key_before(text, hit.start)
        yield Hit(line, column, hit.value, hit.detector.kind, key, f"{path}:{hit.detector.name}:{key or line}",
                  detail=hit.detector.name)


Position = tuple[int, int] | Callable[[], tuple[int, int]]


def resolve(at: Position) -> tuple[int, int]:
    """Positions may be given lazily: finding a field's line parses the file with ruamel, which
    is only worth doing for the few values that hold a secret."""
    return at() if callable(at) else at


def token_hits_in_value(value: str, at: Position, where: str, ident: str, path: tuple, extra: tuple = ()) -> Iterator[Hit]:
    for hit in token_formats.find_tokens(value, extra):
        line, column = resolve(at)
        yield Hit(line, column, hit.value, hit.detector.kind, where, f"{ident}:{hit.detector.name}", path, hit.detector.name)


# --- credentials in URIs ---------------------------------------------------------------------------

URI = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{1,30})://(?P<user>[^\s:/?#@\"'<>{}]*):(?P<password>[^\s/?#@\"'<>]+)@(?P<host>[^\s/?#\"'<>:@]+)"
)
# Words people write where a password goes in documentation and examples.
_EXAMPLE_PASSWORDS = frozenset({"password", "pass", "passwd", "pwd", "secret", "xxx", "xxxx", "***", "****", "****"})


def uri_hits_in_value(text: str) -> Iterator[tuple[int, str, str, str]]:
    """(offset of the password, scheme, user, password) of each URI with a literal password."""
    for match in URI.finditer(text):
        password = match.group("password")
        if password.lower() in _EXAMPLE_PASSWORDS or key_names.is_placeholder(password) or re.search(r"\$[{(A-Za-z_]", password):
            continue
        yield match.start("password"), match.group("scheme"), match.group("user"), password


def uri_hits_in_text(path: str, text: str) -> Iterator[Hit]:
    if "://" not in text:
        return
    lines: Lines | None = None
    for offset, scheme, user, password in uri_hits_in_value(text):
        lines = lines or Lines(text)
        line, column = lines.at(offset)
        key = key_before(text, text.rfind(scheme + "://", 0, offset)) or "text"
        yield Hit(line, column, password, f"{scheme.lower()} URI", key, f"{path}:uri:{scheme}:{user}", detail=user)


# --- structure -------------------------------------------------------------------------------------

def leaves(node: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(node, dict):
        for key, child in node.items():
            yield from leaves(child, (*path, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from leaves(child, (*path, index))
    else:
        yield path, node


def dotted(path: tuple) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def secret_values(data: dict) -> Iterator[tuple[tuple, str, str]]:
    """(path, key, plain text) of each entry of a Secret's `data` (decoded) and `stringData`."""
    for field in ("data", "stringData"):
        entries = data.get(field)
        if not isinstance(entries, dict):
            continue
        for key, value in entries.items():
            text = base64_text(value) if field == "data" else value if isinstance(value, str) else None
            if text is not None:
                yield (field, key), str(key), text


def describe(data: Any, path: tuple) -> str:
    """How a message names the place of a value: `env DB_PASSWORD`, or `key spec.values.auth.password`."""
    if len(path) >= 2 and path[-1] == "value":
        parent = data
        for step in path[:-1]:
            parent = parent[step] if isinstance(parent, (dict, list)) else None
        if isinstance(parent, dict) and isinstance(parent.get("name"), str):
            return f"{'env' if 'env' in path else 'parameter'} {parent['name']}"
    return f"key {dotted(path)}"


def locate_text(data: Any, needle: str) -> tuple | None:
    """The path of the first string leaf of `data` that contains `needle`."""
    for path, value in leaves(data):
        if isinstance(value, str) and needle in value:
            return path
    return None


def document_at(documents: list, line: int) -> Any:
    """The document of a multi-document file that holds `line`."""
    found = None
    for doc in documents:
        if doc.line <= line:
            found = doc
    return found


def object_ref(data: dict) -> str:
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    parts = [str(data.get("kind") or "?"), str(meta.get("namespace") or ""), str(meta.get("name") or "")]
    return "/".join(p for p in parts if p)


@dataclass(frozen=True)
class Options:
    extra_keys: tuple[str, ...] = ()
    ignore_keys: tuple[str, ...] = ()
    min_length: int = 3


def literal_hits_in_data(data: Any, locate: Locator, options: Options, prefix: str) -> Iterator[Hit]:
    """Sensitive keys holding literals anywhere in a YAML/JSON document (or rendered object)."""

    def check(key: str, value: Any, path: tuple, label: str | None = None) -> Iterator[Hit]:
        """`label` names an env var or parameter (`env`); None: the value is named by its key path.
        The texts are made only for a hit: building them for every value was most of the walk."""
        word = key_names.sensitive_word(key, options.extra_keys, options.ignore_keys)
        literal = word is not None and key_names.is_literal_secret(value, options.min_length)
        parts = not literal and isinstance(value, str) and "\n" not in value and not key_names.is_expression(value)
        found = list(_part_hits(value, word, options)) if parts else []
        if not literal and not found:
            return
        line, column = locate(path)
        if label is not None:
            where, ident = f"{label} {key}", f"{label}:{key}"
        else:
            where, ident = f"key {dotted(path)}", f"{prefix}:{dotted(path)}"
        if literal:
            yield Hit(line, column, str(value).strip(), str(word), where, ident, path)
        for part, part_word in found:
            yield Hit(line, column, part.value, part_word, f"{where} ({part.kind} {part.key})", f"{ident}:{part.key}", path)

    def walk(node: Any, path: tuple) -> Iterator[Hit]:
        if isinstance(node, dict):
            name, value = node.get("name"), node.get("value")
            if isinstance(name, str) and "value" in node and not isinstance(value, (dict, list)):
                yield from check(name, value, (*path, "value"), "env" if "env" in path else "parameter")
            for key, child in node.items():
                if key == "secretGenerator":
                    continue  # a generated Secret is secret/plaintext-secret's business
                if isinstance(child, (dict, list)):
                    yield from walk(child, (*path, key))
                elif key == "secretKey" and ("remoteRef" in node or "sourceRef" in node):
                    continue  # External Secrets: the name of the key to create, fetched from remoteRef
                elif key not in ("name", "value") or not isinstance(name, str):
                    yield from check(str(key), child, (*path, key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                if path and path[-1] in ("literals", "args", "command") and isinstance(child, str):
                    yield from literal_hits_in_string(child, locate, options, (*path, index), prefix, str(path[-1]))
                    if index:
                        yield from flag_pair_hit(str(node[index - 1]), child, locate, options, (*path, index), prefix)
                else:
                    yield from walk(child, (*path, index))

    yield from walk(data, ())


_LITERAL = re.compile(r"^\s*(?:--set(?:-string)?[= ])?-*([A-Za-z_][\w.\-]*)=(.*)$", re.S)


def _part_hits(text: str, key_word: str | None, options: Options) -> Iterator[tuple[value_parts.Part, str]]:
    """Sensitive parts of a value (flags, connection-string parts, variable defaults) with their
    credential word; a default counts under a sensitive key whatever its variable is called."""
    for part in value_parts.parts(text):
        word = key_names.sensitive_word(part.key, options.extra_keys, options.ignore_keys)
        word = word or (key_word if part.kind == "default of" else None)
        if part.kind.startswith("flag") and word and key_names.names_secret_object(word, part.value):
            continue
        if word and key_names.is_literal_secret(part.value, options.min_length):
            yield part, word


def literal_hits_in_string(text: str, locate: Locator, options: Options, path: tuple, prefix: str, field: str) -> Iterator[Hit]:
    """`KEY=value` strings: kustomize generator literals, `--password=...` container args, and
    flags or connection strings inside one argument (`sh -c "mysqldump -phunter2 ..."`)."""
    label = "generator literal" if field == "literals" else "argument"
    match = _LITERAL.match(text)
    if match:
        key, value = match.group(1), match.group(2)
        word = key_names.sensitive_word(key, options.extra_keys, options.ignore_keys)
        if word and key_names.is_literal_secret(value, options.min_length):
            line, column = locate(path)
            yield Hit(line, column, value.strip().strip("\"'"), word, f"{label} {key}", f"{prefix}:{key}", path)
            return
    for part, word in _part_hits(text, None, options):
        line, column = locate(path)
        yield Hit(line, column, part.value, word, f"{label} ({part.kind} {part.key})", f"{prefix}:{part.key}", path)


_BARE_FLAG = re.compile(r"^-{1,2}([A-Za-z][\w.\-]*)$")


def flag_pair_hit(flag: str, value: Any, locate: Locator, options: Options, path: tuple, prefix: str) -> Iterator[Hit]:
    """`args: ["--password", "hunter2"]`: a flag and its value as two list items."""
    match = _BARE_FLAG.match(flag)
    if not match or not isinstance(value, str) or value.startswith("-"):
        return
    word = key_names.sensitive_word(match.group(1), options.extra_keys, options.ignore_keys)
    if word and key_names.is_literal_secret(value, options.min_length):
        line, column = locate(path)
        yield Hit(line, column, value.strip(), word, f"argument {flag}", f"{prefix}:{match.group(1)}", path)


# `key = "value"`, `KEY=value`, `export KEY=value`, `"key": "value"`, `key: value` (YAML-like text only).
ASSIGNMENT = re.compile(
    r"""(?<![\w.\-$/])(?P<q>["']?)(?P<key>[A-Za-z_][A-Za-z0-9_.\-]*)(?P=q)[ \t]*(?P<op>:=|=|:)(?![=/])[ \t]*"""
    r"""(?P<val>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s#;,&"'`][^\s#;,&`]*)"""
)
_SHELL_EXPANSION = re.compile(r"\$[{(A-Za-z_0-9]|`")


_DOTENV = re.compile(r"^[ \t]*(?:export[ \t]+)?(?P<key>[A-Za-z_][\w.\-]*)[ \t]*=[ \t]*(?P<val>.*?)[ \t]*$", re.M)


def is_dotenv(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".env") or name.startswith(".env")


def dotenv_entries(text: str) -> Iterator[tuple[int, int, str, str]]:
    """(line, column, key, value) of each `KEY=value` line of a `.env` (or kustomize env) file: the
    value is the rest of the line (quotes removed, `# comment` after a space dropped)."""
    lines = Lines(text)
    for match in _DOTENV.finditer(text):
        raw = match.group("val")
        quoted = raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) >= 2
        value = raw[1:-1] if quoted else re.sub(r"[ \t]+#.*$", "", raw)
        line, column = lines.at(match.start("val") + (1 if quoted else 0))
        yield line, column, match.group("key"), value


def dotenv_hits(path: str, text: str, options: Options) -> Iterator[Hit]:
    for line, column, key, value in dotenv_entries(text):
        word = key_names.sensitive_word(key, options.extra_keys, options.ignore_keys)
        if not word or _SHELL_EXPANSION.search(value) or not key_names.is_literal_secret(value, options.min_length):
            continue
        yield Hit(line, column, value, word, key, f"{path}:{key}")


# Source code: only a quoted string literal can be a literal secret there; anything else
# (`token = reader.readline()`, `password=password`, `TOKEN_QUERY = 0x8`) is an expression.
CODE_SUFFIXES = (
    ".py", ".ipynb", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".cs", ".csx", ".java", ".kt", ".kts", ".scala",
    ".go", ".rb", ".php", ".swift", ".rs", ".c", ".h", ".cc", ".cpp", ".hpp", ".m", ".ps1", ".psm1", ".psd1",
    ".groovy", ".dart", ".lua", ".r", ".vb", ".fs", ".xaml",
)
QUOTED_ONLY_SUFFIXES = (".tf", ".tfvars", ".hcl", *CODE_SUFFIXES)


def _inside_quotes(text: str, offset: int) -> bool:
    before = text[text.rfind("\n", 0, offset) + 1:offset]
    return before.count('"') % 2 == 1 or before.count("'") % 2 == 1


def literal_hits_in_text(path: str, text: str, options: Options, yamlish: bool) -> Iterator[Hit]:
    """Assignments in text files. `key: value` counts only in YAML-like text (templates, broken YAML)
    or when the value is quoted, so that prose ("Password: ask the on-call") stays quiet.
    Terraform/HCL and source code values count only when quoted: an unquoted one is an expression
    (`var.db_password`, `convert_to_unicode(reader.readline())`)."""
    if is_dotenv(path):
        yield from dotenv_hits(path, text, options)
        return
    quoted_only = path.lower().endswith(QUOTED_ONLY_SUFFIXES)
    lines = Lines(text)
    for match in ASSIGNMENT.finditer(text):
        raw = match.group("val")
        quoted = raw[:1] in "\"'"
        if match.group("op") == ":" and not (yamlish or quoted):
            continue
        if quoted_only and not quoted:
            continue
        key = match.group("key")
        word = key_names.sensitive_word(key, options.extra_keys, options.ignore_keys)
        if not word:
            continue
        value = raw[1:-1] if quoted and len(raw) >= 2 else raw
        if _SHELL_EXPANSION.search(value) or not key_names.is_literal_secret(value, options.min_length):
            continue
        line, column = lines.at(match.start("val"))
        yield Hit(line, column, value, word, key, f"{path}:{key}")
    for part in [*value_parts.flags(text), *value_parts.defaults(text)]:
        word = key_names.sensitive_word(part.key, options.extra_keys, options.ignore_keys)
        if part.kind == "default of" and word is None:
            word = key_names.sensitive_word(key_before(text, text.rfind("${", 0, part.offset)), options.extra_keys, options.ignore_keys)
        if not word or _SHELL_EXPANSION.search(part.value) or not key_names.is_literal_secret(part.value, options.min_length):
            continue
        if part.kind.startswith("flag") and key_names.names_secret_object(word, part.value):
            continue
        if quoted_only and not _inside_quotes(text, part.offset):
            continue  # in code, only a flag written in a string literal is a literal
        line, column = lines.at(part.offset)
        yield Hit(line, column, part.value, word, f"{part.kind} {part.key}", f"{path}:{part.key}")
