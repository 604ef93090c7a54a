"""Finding and reading the repository's files: text, YAML/JSON documents with positions, notes.

Nothing here writes; nothing follows a symlink; nothing is read past a size limit.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hubguard import yamlpos
from hubguard.globs import matches_any

MAX_FILE_BYTES = 5 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
# Hundreds of opening brackets in a row only occur in hostile input; refusing it early saves seconds.
_DEEP_FLOW = re.compile(r"[\[{]{500,}")
JSON_SUFFIXES = (".json",)


@dataclass(frozen=True, slots=True)
class ParseError:
    message: str
    line: int | None
    column: int | None


@dataclass(slots=True)
class Document:
    """One YAML/JSON document of a source file: plain data for rules, the ruamel tree for positions."""

    path: str
    index: int
    data: Any
    node: Any = None  # ruamel round-trip tree (None when positions are unavailable)
    line: int = 1

    def position(self, *path: Any, key: bool = False) -> tuple[int, int] | None:
        if self.node is None:
            return (self.line, 1)
        return yamlpos.position(self.node, path, key=key) or (self.line, 1)


@dataclass(slots=True)
class SourceFile:
    path: str  # POSIX, relative to the validated root
    abspath: Path
    text: str | None = None  # None when skipped (binary, too large, not UTF-8, symlink)
    kind: str = "text"  # yaml | json | text | template | skipped
    documents: list[Document] = field(default_factory=list)
    error: ParseError | None = None
    note: str | None = None

    @property
    def lines(self) -> list[str]:
        return (self.text or "").splitlines()


def discover(root: Path, ignore_paths: tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """Paths to check (POSIX, relative) and notes: git-tracked plus untracked-not-ignored, else a walk."""
    notes: list[str] = []
    paths = _git_paths(root)
    if paths is None:
        paths = _walk_paths(root)
    kept = []
    for rel in sorted(set(paths)):
        if ignore_paths and matches_any(rel, ignore_paths):
            continue
        full = root / rel
        if full.is_symlink():
            notes.append(f"{rel}: symlink not followed")
            continue
        if not full.is_file():
            continue
        kept.append(rel)
    return kept, notes


def _git_paths(root: Path) -> list[str] | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=60,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},  # never touch the index, not even its stat cache
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return [p for p in out.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _walk_paths(root: Path) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in (".git",)]
        for name in filenames:
            found.append(Path(dirpath, name).relative_to(root).as_posix())
    return found


def helm_chart_dirs(paths: list[str]) -> tuple[str, ...]:
    """Folders holding a Chart.yaml: their templates/ are Go templates, not YAML (SPEC)."""
    return tuple(sorted(p.rsplit("/", 1)[0] if "/" in p else "" for p in paths if p.rsplit("/", 1)[-1] == "Chart.yaml"))


def is_helm_template(rel: str, chart_dirs: tuple[str, ...]) -> bool:
    for chart in chart_dirs:
        prefix = f"{chart}/templates/" if chart else "templates/"
        if rel.startswith(prefix):
            return True
    return False


def load_file(root: Path, rel: str, chart_dirs: tuple[str, ...] = ()) -> SourceFile:
    full = root / rel
    src = SourceFile(path=rel, abspath=full)
    try:
        size = full.stat().st_size
        if size > MAX_FILE_BYTES:
            src.kind, src.note = "skipped", f"{rel}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, not checked"
            return src
        raw = full.read_bytes()
    except OSError as exc:
        src.kind, src.note = "skipped", f"{rel}: cannot be read ({exc.strerror})"
        return src
    if b"\0" in raw[:8192]:
        src.kind, src.note = "skipped", f"{rel}: binary file, not checked"
        return src
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        src.kind, src.note = "skipped", f"{rel}: not UTF-8, not checked"
        return src
    src.text = text
    lower = rel.lower()
    if is_helm_template(rel, chart_dirs):
        src.kind = "template"
    elif lower.endswith(YAML_SUFFIXES):
        src.kind = "yaml"
        src.documents, src.error = parse_yaml(rel, text)
    elif lower.endswith(JSON_SUFFIXES):
        src.kind = "json"
        src.documents, src.error = parse_json(rel, text)
    return src


def load_text(rel: str, text: str, chart_dirs: tuple[str, ...] = ()) -> SourceFile:
    """A SourceFile from text in memory (tests, staged blobs)."""
    src = SourceFile(path=rel, abspath=Path(rel), text=text)
    lower = rel.lower()
    if is_helm_template(rel, chart_dirs):
        src.kind = "template"
    elif lower.endswith(YAML_SUFFIXES):
        src.kind = "yaml"
        src.documents, src.error = parse_yaml(rel, text)
    elif lower.endswith(JSON_SUFFIXES):
        src.kind = "json"
        src.documents, src.error = parse_json(rel, text)
    return src


def _rt_yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def parse_yaml(rel: str, text: str) -> tuple[list[Document], ParseError | None]:
    """All documents of a YAML stream with positions; a parse problem becomes a ParseError."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    docs: list[Document] = []
    if _DEEP_FLOW.search(text):
        return docs, ParseError("nesting too deep to parse safely", None, None)
    try:
        for index, node in enumerate(_rt_yaml().load_all(text)):
            if node is None:
                continue
            line = node.lc.line + 1 if hasattr(node, "lc") and node.lc.line is not None else 1
            docs.append(Document(rel, index, yamlpos.to_plain(node), node, line))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part) or "invalid YAML"
        if "duplicate key" in message or type(exc).__name__ == "DuplicateKeyError":
            # ruamel's message quotes both values, which may be secrets: name the key only.
            key = re.search(r'duplicate key "([^"]*)"', str(exc.problem or ""))
            message = f"duplicate key {key.group(1)!r}" if key else "duplicate key"
        return docs, ParseError(message, mark.line + 1 if mark else None, mark.column + 1 if mark else None)
    except yamlpos.TooManyNodes as exc:
        return docs, ParseError(str(exc), None, None)
    except RecursionError:
        return docs, ParseError("nesting too deep to parse safely", None, None)
    except (YAMLError, ValueError, TypeError) as exc:  # ruamel raises a few unmarked errors
        return docs, ParseError(_first_line(str(exc)) or "invalid YAML", None, None)
    return docs, None


def parse_json(rel: str, text: str) -> tuple[list[Document], ParseError | None]:
    try:
        data = json.loads(text)
    except RecursionError:
        return [], ParseError("nesting too deep to parse safely", None, None)
    except json.JSONDecodeError as exc:
        return [], ParseError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)
    # JSON is YAML 1.2 flow style: ruamel gives positions when the text has no YAML-hostile tabs.
    docs, error = ([], None) if "\t" in text else parse_yaml(rel, text)
    if error is None and docs:
        return docs, None
    return [Document(rel, 0, data, None, 1)], None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
