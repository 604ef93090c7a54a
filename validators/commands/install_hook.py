"""`hubguard install-hook [PATH]`: add the hubguard hook to a repository's .pre-commit-config.yaml.

The file is read with ruamel's round-trip loader to learn its structure, positions and indentation
style; the new entry is then inserted as text at the end of the `repos:` list, written in the
file's own style, so that every existing byte (comments, quoting, other hooks, line endings) stays
as it was. Only a file whose `repos:` is empty or in flow style (`repos: []`) is re-emitted by
ruamel (comments kept).

Where the hook comes from is the user's choice: this project's repository pinned to a tag (the
default), another Git URL and revision (`--repo URL --rev REV`: an internal mirror, since a team
without a public Git host cannot clone the default), or `--local`: a `repo: local` hook that runs
the hubguard installed on the machine (from an internal package index or a wheel). Running it
again with the same choice changes nothing; with another choice (`--local` after a remote install,
another `--repo`/`--rev`) the existing entry is replaced in place, its `args` kept.
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
DEFAULT_REV = f"v{__version__}"
# The hooks of .pre-commit-hooks.yaml, as a local hook runs them (a test compares the two).
LOCAL_HOOKS = {
    HOOK_ID: {"name": "hubguard", "entry": "hubguard validate --staged"},
    "hubguard-secrets": {"name": "hubguard secrets", "entry": "hubguard validate --staged --select secret/"},
}
LOCAL_SETTINGS = {"language": "system", "pass_filenames": False, "require_serial": True, "always_run": True}


@dataclass(frozen=True)
class HookSource:
    """Where pre-commit gets hubguard: `repo: local` (the installed hubguard), or a Git repository
    at a revision. `repo`/`rev` None mean "the default, or what the file already has"."""

    local: bool = False
    repo: str | None = None
    rev: str | None = None

    def describe(self) -> str:
        return "a local hook (the installed hubguard)" if self.local else f"{self.repo or HOOK_REPO} at {self.rev or DEFAULT_REV}"


@dataclass(frozen=True)
class Style:
    """Columns of a block sequence item: where its dash is and where its mapping's keys start."""

    dash: int
    key: int

    def item(self, first_key_line: str) -> str:
        return " " * self.dash + "-" + " " * (self.key - self.dash - 1) + first_key_line


DEFAULT_REPOS = Style(0, 2)  # `repos:\n- repo: ...`
DEFAULT_HOOKS_OFFSET = Style(0, 2)  # `hooks:\n- id: ...`, relative to the `hooks:` key


def run_install_hook(path: Path, source: HookSource) -> int:
    config, outcome = install_hook(path, source)
    if outcome == "added":
        click.echo(f"hubguard: added the {HOOK_ID} hook ({source.describe()}) to {config}; run `pre-commit install` to activate it")
    elif outcome == "switched":
        click.echo(f"hubguard: switched the {HOOK_ID} hook in {config} to {source.describe()}")
    else:
        click.echo(f"hubguard: {config} already has the {HOOK_ID} hook ({source.describe()}); nothing changed")
    return 0


def install_hook(path: Path, source: HookSource = HookSource()) -> tuple[Path, str]:
    """Adds (or switches) the hook in PATH/.pre-commit-config.yaml; returns the file and
    "added", "switched" or "unchanged"."""
    if not path.is_dir():
        raise HubguardError(f"{path}: no such directory")
    config = path / CONFIG_FILE
    try:
        original = config.read_bytes().decode("utf-8") if config.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise HubguardError(f"{config}: cannot be read ({exc})") from None
    updated = add_hook(original, source, label=str(config))
    if updated == original:
        return config, "unchanged"
    try:
        config.write_bytes(updated.encode("utf-8"))
    except OSError as exc:
        raise HubguardError(f"{config}: cannot be written ({exc.strerror})") from None
    return config, "switched" if _find_hook(_load(original, str(config))) is not None else "added"


def add_hook(text: str, source: HookSource = HookSource(), *, label: str = CONFIG_FILE) -> str:
    """The config text with the hook added, or its entry replaced when it comes from elsewhere
    than `source` asks (unchanged when it already comes from there)."""
    data = _load(text, label)
    newline = "\r\n" if "\r\n" in text else "\n"
    if data is None:  # empty, or only comments
        return _ensure_newline(text, newline) + "repos:" + newline + _entry(DEFAULT_REPOS, DEFAULT_HOOKS_OFFSET, hook_entry(source), newline)
    if not hasattr(data, "lc") or not isinstance(data, dict):
        raise HubguardError(f"{label}: expected a mapping with a `repos:` list")
    repos = data.get("repos")
    if repos is None and "repos" not in data:
        return _ensure_newline(text, newline) + "repos:" + newline + _entry(DEFAULT_REPOS, DEFAULT_HOOKS_OFFSET, hook_entry(source), newline)
    if repos is not None and not isinstance(repos, list):
        raise HubguardError(f"{label}: `repos:` must be a list")
    found = _find_hook(data)
    if found is not None:
        return _switch(text, data, found, source, newline, label)
    if not repos or repos.fa.flow_style():
        return _reemit(data, hook_entry(source))
    lines = text.splitlines(keepends=True)
    repos_style = _item_style(repos, 0, lines)
    hooks_offset = _hooks_offset(repos, lines)
    at = _end_of_repos(data, lines)
    before = "".join(lines[:at])
    return _ensure_newline(before, newline) + _entry(repos_style, hooks_offset, hook_entry(source), newline) + "".join(lines[at:])


def hook_entry(source: HookSource, ids: tuple[str, ...] = (HOOK_ID,), args: dict[str, list] | None = None) -> dict:
    """The `repos:` entry, as data (also what the template's wiring contains)."""
    args = args or {}
    if source.local:
        hooks = [{"id": hook_id, **LOCAL_HOOKS[hook_id], **LOCAL_SETTINGS, **({"args": args[hook_id]} if hook_id in args else {})}
                 for hook_id in ids]
        return {"repo": "local", "hooks": hooks}
    hooks = [{"id": hook_id, **({"args": args[hook_id]} if hook_id in args else {})} for hook_id in ids]
    return {"repo": source.repo or HOOK_REPO, "rev": source.rev or DEFAULT_REV, "hooks": hooks}


def _switch(text: str, data, found: int, source: HookSource, newline: str, label: str) -> str:
    """Replaces the repos entry at index `found` (which holds the hubguard hook) when it does not
    come from `source`. Its hubguard hooks and their `args` are kept."""
    repos = data["repos"]
    current = repos[found]
    is_local = current.get("repo") == "local"
    if is_local == source.local and (source.local or (
            (source.repo is None or source.repo == current.get("repo")) and (source.rev is None or source.rev == str(current.get("rev"))))):
        return text
    hooks = [h for h in current.get("hooks") or [] if isinstance(h, dict)]
    ids = tuple(str(h.get("id")) for h in hooks)
    if any(hook_id not in LOCAL_HOOKS for hook_id in ids):
        raise HubguardError(f"{label}: the {HOOK_ID} hook shares its `repos:` entry with other hooks; move it to an entry of "
                            "its own, or edit the entry by hand")
    args = {str(h["id"]): list(h["args"]) for h in hooks if isinstance(h.get("args"), list)}
    if not source.local:  # keep the revision unless another one is asked for, when the repository stays
        same_repo = not is_local and (source.repo is None or source.repo == current.get("repo"))
        source = HookSource(False, source.repo or (current.get("repo") if not is_local else None),
                            source.rev or (str(current.get("rev")) if same_repo else None))
    replacement = hook_entry(source, ids, args)
    if repos.fa.flow_style():
        repos[found] = replacement
        return _reemit(data, None)
    lines = text.splitlines(keepends=True)
    start = repos.lc.item(found)[0]
    if found + 1 < len(repos):
        end = repos.lc.item(found + 1)[0]
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1
    else:
        end = _end_of_repos(data, lines)
    style = _item_style(repos, found, lines)
    hooks_offset = _hooks_offset(repos, lines)
    before = "".join(lines[:start])
    return before + _entry(style, hooks_offset, replacement, newline) + "".join(lines[end:])


def _entry(repos: Style, hooks_offset: Style, entry: dict, newline: str) -> str:
    hooks = Style(repos.key + hooks_offset.dash, repos.key + hooks_offset.key)
    out = [repos.item(f"repo: {_scalar(entry['repo'])}")]
    if "rev" in entry:
        out.append(" " * repos.key + f"rev: {_scalar(entry['rev'])}")
    out.append(" " * repos.key + "hooks:")
    for hook in entry["hooks"]:
        out.append(hooks.item(f"id: {hook['id']}"))
        for key, value in hook.items():
            if key != "id":
                out.append(" " * hooks.key + f"{key}: {_scalar(value)}")
    return newline.join(out) + newline


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item) if isinstance(item, bool) else _quoted(str(item), flow=True) for item in value) + "]"
    return _quoted(str(value))


def _quoted(text: str, flow: bool = False) -> str:
    """A plain scalar where YAML reads it back as this string, else a single-quoted one."""
    special = ",[]{}" if flow else ""
    indicator = text[:1] in "-?:" and text[1:2] in ("", " ")  # `- x`, `? x`, `: x` start structures
    if (not text or text != text.strip() or indicator or text[0] in ",[]{}#&*!|>'\"%@`" or ": " in text or " #" in text
            or text.endswith(":") or any(c in text for c in special)):
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


def _find_hook(data) -> int | None:
    """The index of the `repos:` entry that holds the hubguard hook, if any."""
    repos = data.get("repos") if isinstance(data, dict) else None
    for index, repo in enumerate(repos if isinstance(repos, list) else ()):
        hooks = repo.get("hooks") if isinstance(repo, dict) else None
        if isinstance(hooks, list) and any(isinstance(h, dict) and h.get("id") == HOOK_ID for h in hooks):
            return index
    return None


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


def _reemit(data, entry: dict | None) -> str:
    """For `repos: []` and other flow-style lists: let ruamel append `entry` (if any) and re-emit
    (comments kept)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedSeq

    repos = data.get("repos")
    block = CommentedSeq(list(repos or []))
    if entry is not None:
        block.append(entry)
    data["repos"] = block
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=2, offset=0)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
