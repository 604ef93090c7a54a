"""`hubguard new`: run cookiecutter on the bundled template, safely.

Before cookiecutter sees anything, the inputs are checked as data (template syntax in a value
is refused: cookiecutter would evaluate it while prompting), and a run that would write into an
existing directory is refused. The repository is generated in a private staging folder inside
the output directory and moved into place only when complete, so a failed or refused run leaves
the output directory as it was.
"""

from __future__ import annotations

import importlib
import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hubguard.errors import HubguardError

TEMPLATE_MARKER = "cookiecutter.json"


def template_root() -> Path:
    """The template: `hubguard/_template` inside an installed package, else the source checkout
    (the parent of the package folder, when it holds cookiecutter.json)."""
    package = Path(__file__).resolve().parents[1]  # hubguard/, above this generator/ folder
    bundled = package / "_template"
    if (bundled / TEMPLATE_MARKER).is_file():
        return bundled
    checkout = package.parent
    if (checkout / TEMPLATE_MARKER).is_file():
        return checkout
    raise HubguardError("the bundled cookiecutter template was not found (reinstall hubguard)")


def _inputs_module(template: Path):
    """The template's own input checks (hooks/hubinputs.py), so both entry points agree."""
    hooks = str(template / "hooks")
    sys.path.insert(0, hooks)
    try:
        return importlib.import_module("hubinputs")
    finally:
        sys.path.remove(hooks)


def _config_defaults(config_file: Path | None) -> dict[str, Any]:
    """default_context of the given cookiecutter config file, else of the user's (~/.cookiecutterrc)."""
    from cookiecutter.config import get_user_config

    try:
        user = get_user_config(config_file=str(config_file) if config_file else None, default_config=False)
    except Exception as exc:  # cookiecutter raises its own error types for a bad config file
        raise HubguardError(f"{config_file or 'cookiecutter config'}: {exc}") from None
    return dict(user.get("default_context") or {})


def _merged_inputs(config_file: Path | None, extra_context: dict[str, Any]) -> dict[str, Any]:
    """The config's default_context under the given KEY=VALUEs, with `hubs` as the JSON string
    the template expects (cookiecutter would treat a YAML list as a choice and keep one hub)."""
    merged = {**_config_defaults(config_file), **extra_context}
    if isinstance(merged.get("hubs"), list):
        merged["hubs"] = json.dumps(merged["hubs"])
    return merged


def _check_inputs(template: Path, inputs_given: dict[str, Any], no_input: bool) -> str | None:
    """Refuse unknown keys and template syntax in any given value; with --no-input, validate
    the whole context and return the repository name it will produce."""
    inputs = _inputs_module(template)
    known = {k for k in json.loads((template / TEMPLATE_MARKER).read_text(encoding="utf-8")) if not k.startswith("_")}
    for key, value in inputs_given.items():
        if key not in known:
            raise HubguardError(f"unknown template variable {key!r} (known: {', '.join(sorted(known))})")
        try:
            inputs.injection_in(inputs.parse_hubs(value) if key == "hubs" else value, key)
        except inputs.InputError as exc:
            raise HubguardError(str(exc)) from None
    if not no_input:
        return None
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config

    try:  # safe now: no value holds template syntax, so rendering the defaults evaluates nothing given
        context = generate_context(str(template / TEMPLATE_MARKER), {}, inputs_given)
        values = prompt_for_config(context, no_input=True)
        inputs.validate_context(values)
    except inputs.InputError as exc:
        raise HubguardError(str(exc)) from None
    except ValueError as exc:  # a value outside a choice variable's choices
        raise HubguardError(str(exc)) from None
    return values["repo_name"]


def generate(output_dir: Path, *, no_input: bool, config_file: Path | None, extra_context: dict[str, Any]) -> Path:
    """Generate a repository from the bundled template into `output_dir`; return its path."""
    from cookiecutter.exceptions import CookiecutterException, FailedHookException
    from cookiecutter.main import cookiecutter

    template = template_root()
    if config_file is not None and not config_file.is_file():
        raise HubguardError(f"{config_file}: config file not found")
    given = _merged_inputs(config_file, extra_context)
    name = _check_inputs(template, given, no_input)
    output_dir = output_dir.resolve()
    if name is not None and (output_dir / name).exists():
        raise HubguardError(f"{output_dir / name} already exists; refusing to overwrite it (choose another -o or repo_name)")
    created_output = not output_dir.exists()
    output_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".hubguard-new-", dir=output_dir))
    # cookiecutter logs a failing hook with a full traceback; the hook has already printed the one
    # line that matters, so its logger is silenced for the run.
    cookiecutter_logger = logging.getLogger("cookiecutter")
    saved_level, saved_propagate = cookiecutter_logger.level, cookiecutter_logger.propagate
    cookiecutter_logger.setLevel(logging.CRITICAL + 1)
    cookiecutter_logger.propagate = False
    try:
        try:
            made = Path(cookiecutter(
                str(template), no_input=no_input, extra_context=given or None, output_dir=str(staging),
                # The config's default_context is already merged into extra_context (hubs as JSON).
                default_config=True, overwrite_if_exists=False,
            ))
        except FailedHookException:
            raise HubguardError("generation refused or failed (see the message above); nothing was written") from None
        except (CookiecutterException, ValueError) as exc:
            raise HubguardError(f"cookiecutter: {exc}") from None
        target = output_dir / made.name
        if target.exists():
            raise HubguardError(f"{target} already exists; refusing to overwrite it (choose another -o or repo_name)")
        made.rename(target)
        return target
    finally:
        cookiecutter_logger.setLevel(saved_level)
        cookiecutter_logger.propagate = saved_propagate
        shutil.rmtree(staging, ignore_errors=True)
        if created_output and not any(output_dir.iterdir()):
            output_dir.rmdir()
