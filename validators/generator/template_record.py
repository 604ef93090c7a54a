"""What a generated repository was generated from, and rendering that template again.

`hubguard new` records the template's identity (hubguard version, a SHA-256 of the template's
files, its git commit when it had one) and every answer in `.hubguard-template.json`. `hubguard
hub add/remove` renders hub trees with those answers; `hubguard update` renders two template
versions with them and merges the difference into the repository.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

from hubguard.errors import HubguardError

RECORD_FILE = ".hubguard-template.json"
# Testing and template development: render from this template folder instead of the bundled one.
TEMPLATE_ENV = "HUBGUARD_TEMPLATE_DIR"
REPO_FOLDER = "{{cookiecutter.repo_name}}"
HUB_TEMPLATE = "_hub_template"
REPO_TEMPLATE = "_repo_template"


@dataclass
class Record:
    template: dict[str, Any]
    answers: dict[str, Any]
    hubs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def hub_names(self) -> list[str]:
        return [hub["name"] for hub in self.hubs]


def find_repo(path: Path) -> Path:
    """The generated repository holding `path`: the nearest folder with the record file."""
    start = path.resolve()
    for folder in (start, *start.parents):
        if (folder / RECORD_FILE).is_file():
            return folder
    raise HubguardError(f"{path}: no {RECORD_FILE} here or above; run this inside a repository made by `hubguard new`")


def load_record(repo: Path) -> Record:
    """The record, checked against schemas/template-record.schema.json (one-line error otherwise)."""
    path = repo / RECORD_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HubguardError(f"{RECORD_FILE}: unreadable ({exc}); restore it from git history") from None
    problem = record_problem(data)
    if problem is not None:
        raise HubguardError(f"{RECORD_FILE}: {problem}; restore it from git history")
    return Record(dict(data["template"]), {name: value for name, value in data["answers"]}, list(data["hubs"]))


def record_problem(data: Any) -> str | None:
    """What is wrong with a record's content (its first schema error, with its place), or None."""
    import jsonschema
    from hubguard.resources import load_json_schema

    validator = jsonschema.Draft202012Validator(load_json_schema("template-record.schema.json"))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path) or "top level"
    return f"{where}: {error.message}"


def format_record(template: Path, record: Record) -> str:
    """The record file's text, written by the template's own formatter (one answer a line)."""
    hubgen = hook_module(template, "hubgen")
    return hubgen.format_record(record.template, [[k, v] for k, v in sorted(record.answers.items())], record.hubs)


def template_dir() -> Path:
    """The template to render: $HUBGUARD_TEMPLATE_DIR if set, else the bundled one."""
    override = os.environ.get(TEMPLATE_ENV)
    if override:
        path = Path(override)
        if not (path / "cookiecutter.json").is_file():
            raise HubguardError(f"{TEMPLATE_ENV}={override}: not a cookiecutter template (no cookiecutter.json)")
        return path.resolve()
    from hubguard.generator.new_repository import template_root

    return template_root()


_MODULES: dict[tuple[Path, int], ModuleType] = {}


def hook_module(template: Path, name: str) -> ModuleType:
    """`hooks/<name>.py` of `template`, loaded under a private name: two template versions can be
    loaded side by side, each rendering with its own code (a changed file is loaded again)."""
    path = (template / "hooks" / f"{name}.py").resolve()
    if not path.is_file():
        raise HubguardError(f"hooks/{name}.py: not found in the template at {template}")
    key = (path, path.stat().st_mtime_ns)
    if key not in _MODULES:
        spec = importlib.util.spec_from_file_location(f"_hubguard_template_{name}_{len(_MODULES)}", path)
        if spec is None or spec.loader is None:
            raise HubguardError(f"hooks/{name}.py: cannot be loaded from the template at {template}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[key] = module
    return _MODULES[key]


def fingerprint(template: Path) -> dict[str, Any]:
    return hook_module(template, "hubgen").template_fingerprint(template)


def same_template(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("sha256") == b.get("sha256")


def describe(template: dict[str, Any]) -> str:
    commit = f", commit {template['commit'][:12]}" if template.get("commit") else ""
    return f"{template.get('version', '?')} (sha256 {str(template.get('sha256', '?'))[:12]}{commit})"


def enriched_hubs(template: Path, hubs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return hook_module(template, "hubgen").enrich_hubs(hubs)


def render_repo_files(template: Path, answers: dict[str, Any], hubs: list[dict[str, Any]]) -> dict[str, str]:
    """`_repo_template/` rendered for `hubs` (enriched): repo-wide files, by relative path."""
    hubgen = hook_module(template, "hubgen")
    with tempfile.TemporaryDirectory(prefix="hubguard-render-") as scratch:
        env = hubgen.environment(answers.get("registry_mirror") or "")
        written = hubgen.render_folder(template / REPO_FOLDER / REPO_TEMPLATE, Path(scratch), env,
                                       hubgen.template_variables(answers, hubs))
        return {rel: (Path(scratch) / rel).read_text(encoding="utf-8") for rel in written}


def render_hub_files(template: Path, answers: dict[str, Any], hubs: list[dict[str, Any]], name: str) -> dict[str, str]:
    """`_hub_template/` rendered for hub `name` of `hubs` (enriched), by relative path."""
    hubgen = hook_module(template, "hubgen")
    hub = next(h for h in hubs if h["name"] == name)
    with tempfile.TemporaryDirectory(prefix="hubguard-render-") as scratch:
        written = hubgen.render_hub(template / REPO_FOLDER / HUB_TEMPLATE, Path(scratch), answers, hubs, hub)
        return {rel: (Path(scratch) / rel).read_text(encoding="utf-8") for rel in written}


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def render_pristine(template: Path, record: Record, version: str) -> dict[str, str]:
    """The whole repository as `template` renders it with the recorded answers, run through the
    template's own hooks in render-only mode: recorded age recipients, no new keys, no encrypted
    samples (those are data, not template), no commit. Returns text by relative path."""
    from cookiecutter.exceptions import CookiecutterException, FailedHookException
    from cookiecutter.main import cookiecutter

    extra = {**record.answers, "hubs": json.dumps(record.hubs)}
    logger = logging.getLogger("cookiecutter")
    saved = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        with tempfile.TemporaryDirectory(prefix="hubguard-pristine-") as scratch, \
                _environment(HUBGUARD_RENDER_ONLY="1", HUBGUARD_TEMPLATE_VERSION=version):
            try:
                made = Path(cookiecutter(str(template), no_input=True, extra_context=extra, output_dir=scratch,
                                         default_config=True))
            except FailedHookException:
                raise HubguardError(f"the template at {template} refused the recorded answers (see the message above)") from None
            except (CookiecutterException, ValueError) as exc:
                raise HubguardError(f"cookiecutter: {exc}") from None
            return {p.relative_to(made).as_posix(): p.read_text(encoding="utf-8")
                    for p in sorted(made.rglob("*")) if p.is_file()}
    finally:
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
