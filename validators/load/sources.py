"""Finding and reading the repository's files: text, YAML/JSON documents with positions, notes.

Nothing here writes; nothing follows a symlink; nothing is read past a size limit.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from hubguard.load.globs import matches_any
from hubguard.load.positions import MAX_NODES, compose_documents
from hubguard.load.positions import position as node_position
from hubguard.model import Document, ParseError, SourceFile

MAX_FILE_BYTES = 5 * 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")
# Hundreds of opening brackets in a row only occur in hostile input; refusing it early saves seconds.
_DEEP_FLOW = re.compile(r"[\[{]{500,}")
JSON_SUFFIXES = (".json",)


KEPT_POSITION_TREES = 256  # node trees kept at once; others are made again when asked


class _FilePositions:
    """The composed node trees of one file, made on first use and shared by its documents. Only
    the most recently used few are kept: a run over hundreds of hubs locates fields in thousands of
    overlay files, one hub after another, and would otherwise keep a node tree of each."""

    def __init__(self, text: str):
        self._text = text
        self._nodes: list[Any] | None = None
        self._lock = threading.Lock()

    def node(self, index: int) -> Any:
        with self._lock:
            nodes = self._nodes
            if nodes is None:
                nodes = self._nodes = compose_documents(self._text or "")
        _recently_used(self)
        return nodes[index] if index < len(nodes) else None

    def position(self, index: int, path: tuple, key: bool) -> tuple[int, int] | None:
        node = self.node(index)
        return None if node is None else node_position(node, path, key=key)

    def forget(self) -> None:
        self._nodes = None  # a caller holding the nodes keeps them; the next one parses again


_RECENT: OrderedDict[int, _FilePositions] = OrderedDict()
_RECENT_LOCK = threading.Lock()


def _recently_used(positions: _FilePositions) -> None:
    with _RECENT_LOCK:
        _RECENT[id(positions)] = positions
        _RECENT.move_to_end(id(positions))
        while len(_RECENT) > KEPT_POSITION_TREES:
            _RECENT.popitem(last=False)[1].forget()


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


class SourceLoader:
    """A repository's files, each loaded once by whichever thread asks for it first, so that
    rendering (which needs a few kustomizations and patches) can start while the main thread is
    still loading everything. `get` answers None for paths that are not among the files."""

    def __init__(self, root: Path, paths: list[str], chart_dirs: tuple[str, ...] = ()) -> None:
        self._root, self._chart_dirs, self._paths = root, chart_dirs, list(paths)
        self._known = set(self._paths)
        self._loaded: dict[str, SourceFile] = {}
        self._lock = threading.Lock()

    def get(self, rel: str, default: SourceFile | None = None) -> SourceFile | None:
        if rel not in self._known:
            return default
        found = self._loaded.get(rel)
        if found is None:
            with self._lock:
                found = self._loaded.get(rel)
                if found is None:
                    found = self._loaded[rel] = load_file(self._root, rel, self._chart_dirs)
        return found

    @property
    def paths(self) -> list[str]:
        """Every file's path, in discovery order, loaded or not."""
        return list(self._paths)

    def all(self) -> list[SourceFile]:
        """Every file, in discovery order (loading those no renderer has asked for yet)."""
        return [self.get(rel) for rel in self._paths]  # type: ignore[misc]


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
    return load_text(rel, text, chart_dirs, abspath=full)


def load_text(rel: str, text: str, chart_dirs: tuple[str, ...] = (), abspath: Path | None = None) -> SourceFile:
    """A SourceFile from its text: Helm templates stay text, YAML and JSON are parsed."""
    src = SourceFile(path=rel, abspath=abspath or Path(rel), text=text)
    lower = rel.lower()
    if is_helm_template(rel, chart_dirs):
        src.kind = "template"
    elif lower.endswith(YAML_SUFFIXES):
        src.kind = "yaml"
        src.parser = lambda: parse_yaml(rel, text)
    elif lower.endswith(JSON_SUFFIXES):
        src.kind = "json"
        src.parser = lambda: parse_json(rel, text)
    return src


def _build_fast_loader():
    """libyaml's C parser with data as Kubernetes tools see it, plus the checks hubguard needs:
    duplicate keys are errors, timestamps stay strings, `!!binary` stays its base64 text."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class FastLoader(base):  # type: ignore[misc, valid-type]
        pass

    FastLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }

    def construct_mapping(loader, node, deep=False):
        loader.flatten_mapping(node)
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(None, None, "a mapping key that is not a scalar", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {str(key)!r}", key_node.start_mark)
            seen[key] = True
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    def construct_yaml_map(loader, node):
        data: dict = {}
        yield data
        data.update(construct_mapping(loader, node))

    FastLoader.add_constructor("tag:yaml.org,2002:map", construct_yaml_map)
    FastLoader.add_constructor("tag:yaml.org,2002:binary", lambda loader, node: loader.construct_scalar(node))
    FastLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
    FastLoader.add_constructor(None, _construct_unknown)
    return FastLoader


def _construct_unknown(loader, node):
    """Custom tags (`!Ref`, `!vault`): the value as written, without executing anything."""
    import yaml

    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


class _LazyLoader:
    def __call__(self, text: str):
        global _FastLoader
        _FastLoader = _build_fast_loader()
        return _FastLoader(text)


_FastLoader: Any = _LazyLoader()


def parse_yaml(rel: str, text: str) -> tuple[list[Document], ParseError | None]:
    """All documents of a YAML stream; a parse problem (or an alias bomb, absurd nesting or a
    duplicate key) becomes a ParseError with its line."""
    import yaml

    docs: list[Document] = []
    if _DEEP_FLOW.search(text):
        return docs, ParseError("nesting too deep to parse safely", None, None)
    positions = _FilePositions(text)
    loader = _FastLoader(text)
    # Without an alias (`*`) a document is a tree, with no more nodes than characters: only a text
    # with aliases, or one long enough to hold that many nodes, is worth measuring.
    measure = "*" in text or len(text) > MAX_NODES // 2
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if measure and expanded_size(node) > MAX_NODES:
                return docs, ParseError("document expands to more than %d nodes (YAML alias bomb?)" % MAX_NODES, node.start_mark.line + 1, None)
            data = loader.construct_document(node)
            if data is not None:
                docs.append(Document(rel, index, data, node.start_mark.line + 1, positions))
            index += 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part) or "invalid YAML"
        if "maximum nesting depth" in message:
            message = "nesting too deep to parse safely"
        return docs, ParseError(message, mark.line + 1 if mark else None, mark.column + 1 if mark else None)
    except RecursionError:
        return docs, ParseError("nesting too deep to parse safely", None, None)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        return docs, ParseError(_first_line(str(exc)) or "invalid YAML", None, None)
    finally:
        loader.dispose()
    return docs, None


def expanded_size(node: Any, memo: dict[int, int] | None = None) -> int:
    """How many nodes a consumer walks with aliases expanded (an alias is its anchor's node)."""
    memo = {} if memo is None else memo
    known = memo.get(id(node))
    if known is not None:
        return known
    size = 1
    value = node.value
    if isinstance(value, list):
        for item in value:
            if isinstance(item, tuple):
                size += expanded_size(item[0], memo) + expanded_size(item[1], memo)
            else:
                size += expanded_size(item, memo)
            if size > MAX_NODES:
                break
    memo[id(node)] = size
    return size


def parse_json(rel: str, text: str) -> tuple[list[Document], ParseError | None]:
    try:
        data = json.loads(text)
    except RecursionError:
        return [], ParseError("nesting too deep to parse safely", None, None)
    except json.JSONDecodeError as exc:
        return [], ParseError(f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)
    # JSON is YAML flow style: libyaml gives positions (on demand). YAML refuses tabs where JSON
    # indents with them; in valid JSON a raw tab is only ever whitespace between tokens (inside a
    # string it must be escaped), so a space in its place keeps every line and column.
    positions = _FilePositions(text.replace("\t", " "))
    return [Document(rel, 0, data, 1, positions)], None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# What each kind of skipped-file note says, and its name in the one-line summary.
_SKIP_KINDS = (("binary file", "binary"), ("not UTF-8", "not UTF-8"), ("larger than", "too large"),
               ("cannot be read", "unreadable"), ("symlink not followed", "symlinks not followed"))


def skipped_summary(skipped: list[str]) -> str:
    """One note for every file not checked (a repository with images or archives has hundreds):
    how many, of which kinds. The notes themselves go to JSON `notes` and `--verbose`."""
    counts: dict[str, int] = {}
    for note in skipped:
        kind = next((name for text, name in _SKIP_KINDS if text in note.rsplit(": ", 1)[-1] or text in note), "other")
        counts[kind] = counts.get(kind, 0) + 1
    kinds = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    noun = "file" if len(skipped) == 1 else "files"
    return f"{len(skipped)} {noun} not checked ({kinds}); --verbose lists them"
