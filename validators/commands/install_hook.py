"""`hubguard install-hook [PATH]`: add the hubguard hook to a repository's .pre-commit-config.yaml.

The file is read with ruamel's round-trip loader to learn its structure, positions and indentation
style; the new entry is then inserted as text at the end of the `repos:` list, written in the
file's own style, so that every existing byte (comments, quoting, other hooks, line endings) stays
as it was. Only a file whose `repos:` is empty or in flow style (`repos: []`) is re-emitted by
ruamel (comments kept). Running it again changes nothing once a hook with id `hubguard` exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
from hubguard import __version__
from hubguard.errors import HubguardError

CONFIG_FILE = ".pre-commit-config.yaml"
HOOK_ID = "hubguard"
# This project's repository: pre-commit clones it at the tag and `pip install .`s it.
HOOK_REPO = "https://github.com/hubguard/hubguard"
# Kept equal to the `files` of .pre-commit-hooks.yaml (a test compares them).
HOOK_FILES = r"(?i)(\.(ya?ml|json|env|key|pem|tf|tfvars|hcl|sh|bash|ini|conf|properties)|(^|/)(\.env(\.[^/]*)?|Kustomization|kubeconfig))$"


@dataclass(frozen=True)
class Style:
    """Columns of a block sequence item: where its dash is and where its mapping's keys start."""

    dash: int
    key: int

    def item(self, first_key_line: str) -> str:
        return " " * self.dash + "-" + " " * (self.key - self.dash - 1) + first_key_line


DEFAULT_REPOS = Style(0, 2)  # `repos:\n- repo: ...`
DEFAULT_HOOKS_OFFSET = Style(0, 2)  # `hooks:\n- id: ...`, relative to the `hooks:` key


def run_install_hook(path: Path, *, local: bool, rev: str | None) -> int:
    config, changed = install_hook(path, local=local, rev=rev or f"v{__version__}")
    if changed:
        click.echo(f"hubguard: added the {HOOK_ID} hook to {config}; run `pre-commit install` to activate it")
    else:
        click.echo(f"hubguard: {config} already has the {HOOK_ID} hook; nothing changed")
    return 0


def install_hook(path: Path, *, local: bool = False, rev: str = f"v{__version__}") -> tuple[Path, bool]:
    """Adds the hook to PATH/.pre-commit-config.yaml; returns the file and whether it changed."""
    if not path.is_dir():
        raise HubguardError(f"{path}: no such directory")
    config = path / CONFIG_FILE
    try:
        original = config.read_bytes().decode("utf-8") if config.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise HubguardError(f"{config}: cannot be read ({exc})") from None
    updated = add_hook(original, local=local, rev=rev, label=str(config))
    if updated == original:
        return config, False
    try:
        config.write_bytes(updated.encode("utf-8"))
    except OSError as exc:
        raise HubguardError(f"{config}: cannot be written ({exc.strerror})") from None
    return config, True


def add_hook(text: str, *, local: bool, rev: str, label: str = CONFIG_FILE) -> str:
    """The config text with the hook added (unchanged if a `hubguard` hook is already there)."""
    data = _load(text, label)
    newline = "\r\n" if "\r\n" in text else "\n"
    if data is None:  # empty, or only comments
        return _ensure_newline(text, newline) + "repos:" + newline + _entry(DEFAULT_REPOS, DEFAULT_HOOKS_OFFSET, local, rev, newline)
    if not hasattr(data, "lc") or not isinstance(data, dict):
        raise HubguardError(f"{label}: expected a mapping with a `repos:` list")
    repos = data.get("repos")
    if repos is None and "repos" not in data:
        return _ensure_newline(text, newline) + "repos:" + newline + _entry(DEFAULT_REPOS, DEFAULT_HOOKS_OFFSET, local, rev, newline)
    if repos is not None and not isinstance(repos, list):
        raise HubguardError(f"{label}: `repos:` must be a list")
    if _has_hook(repos or []):
        return text
    if not repos or repos.fa.flow_style():
        return _reemit(data, local, rev, label)
    lines = text.splitlines(keepends=True)
    repos_style = _item_style(repos, 0, lines)
    hooks_offset = _hooks_offset(repos, lines)
    at = _end_of_repos(data, lines)
    before = "".join(lines[:at])
    return _ensure_newline(before, newline) + _entry(repos_style, hooks_offset, local, rev, newline) + "".join(lines[at:])


def hook_entry(local: bool, rev: str) -> dict:
    """The `repos:` entry, as data (also what the template's wiring contains)."""
    if local:
        return {"repo": "local", "hooks": [{
            "id": HOOK_ID, "name": "hubguard", "entry": "hubguard validate --staged", "language": "system",
            "pass_filenames": False, "require_serial": True, "files": HOOK_FILES,
        }]}
    return {"repo": HOOK_REPO, "rev": rev, "hooks": [{"id": HOOK_ID}]}


def _entry(repos: Style, hooks_offset: Style, local: bool, rev: str, newline: str) -> str:
    entry = hook_entry(local, rev)
    hooks = Style(repos.key + hooks_offset.dash, repos.key + hooks_offset.key)
    out = [repos.item(f"repo: {entry['repo']}")]
    if "rev" in entry:
        out.append(" " * repos.key + f"rev: {entry['rev']}")
    out.append(" " * repos.key + "hooks:")
    hook = entry["hooks"][0]
    out.append(hooks.item(f"id: {hook['id']}"))
    for key, value in hook.items():
        if key != "id":
            out.append(" " * hooks.key + f"{key}: {_scalar(value)}")
    return newline.join(out) + newline


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if any(c in text for c in "\\()[]{}|?*^$#:'\""):
        return "'" + text.replace("'", "''") + "'"
    return text


def _load(text: str, label: str):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise HubguardError(f"{label}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None


def _has_hook(repos: list) -> bool:
    for repo in repos:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        if isinstance(hooks, list) and any(isinstance(h, dict) and h.get("id") == HOOK_ID for h in hooks):
            return True
    return False


def _item_style(seq, index: int, lines: list[str]) -> Style:
    """The dash and key columns of item `index` of a block sequence (from ruamel's positions)."""
    line, column = seq.lc.item(index)
    text = lines[line]
    dash = len(text) - len(text.lstrip(" "))
    if not text.lstrip(" ").startswith("-") or column <= dash:
        return Style(dash, dash + 2)
    return Style(dash, column)


def _hooks_offset(repos, lines: list[str]) -> Style:
    """How an existing entry indents its `hooks:` list relative to the `hooks:` key."""
    for repo in repos:
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        if isinstance(hooks, list) and hooks and not hooks.fa.flow_style():
            key_column = repo.lc.key("hooks")[1]
            style = _item_style(hooks, 0, lines)
            return Style(style.dash - key_column, style.key - key_column)
    return DEFAULT_HOOKS_OFFSET


def _end_of_repos(data, lines: list[str]) -> int:
    """The line index where the `repos:` list ends: before the next top-level key and the comments
    and blank lines that lead into it, or the end of the file."""
    repos_line = data.lc.key("repos")[0]
    later = [data.lc.key(key)[0] for key in data if data.lc.key(key)[0] > repos_line]
    if not later:
        return len(lines)
    at = min(later)
    while at > repos_line + 1 and (not lines[at - 1].strip() or lines[at - 1].startswith("#")):
        at -= 1
    return at


def _ensure_newline(text: str, newline: str) -> str:
    return text if not text or text.endswith(("\n", "\r")) else text + newline


def _reemit(data, local: bool, rev: str, label: str) -> str:
    """For `repos: []` and other flow-style lists: let ruamel append and re-emit (comments kept)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedSeq

    repos = data.get("repos")
    block = CommentedSeq(list(repos or []))
    block.append(hook_entry(local, rev))
    data["repos"] = block
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=2, offset=0)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
