"""`hubguard update`: bring a generated repository in step with a newer template, cruft-style.

Both template versions are rendered with the recorded answers; the difference between the two
renderings is merged into the user's files with `git merge-file` (three-way). A file the user did
not touch takes the new rendering; a file both changed gets a clean merge or conflict markers
(listed, never committed); a user's change is never overwritten silently.

The old template version is found, in order: --old-template; the template's git history at the
recorded commit; the installed template when it is that version; the repository's own first
commit (what `hubguard new` wrote, while the answers are still those).
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

from hubguard.errors import HubguardError
from hubguard.generator.planned_changes import Changes, merge3
from hubguard.generator.template_record import (
    RECORD_FILE,
    Record,
    describe,
    fingerprint,
    load_record,
    render_pristine,
    same_template,
    template_dir,
)

# Encrypted sample secrets are data made at generation (random passwords), not template content
# (.sops.yaml itself, the creation rules, is template content).
DATA_SUFFIXES = (".sops.yaml",)


def _git(cwd: Path, *args: str, binary: bool = False):
    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, timeout=60)
    return (result.stdout if binary else result.stdout.decode("utf-8", "replace")) if result.returncode == 0 else None


def _from_template_history(template: Path, commit: str, scratch: Path) -> Path | None:
    """The template as it was at `commit`, from the git repository holding `template`."""
    prefix = _git(template, "rev-parse", "--show-prefix")
    if prefix is None or _git(template, "cat-file", "-e", f"{commit}^{{commit}}") is None:
        return None
    archive = _git(template, "archive", "--format=tar", f"{commit}:{prefix.strip()}", binary=True)
    if not archive:
        return None
    target = scratch / "old-template"
    target.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def _from_repo_history(repo: Path, record: Record) -> dict[str, str] | None:
    """The files of the repository's first commit, when it is `hubguard new`'s pristine output
    for the same template and the same answers as recorded now."""
    log = _git(repo, "log", "--reverse", "--format=%H", "--", RECORD_FILE)
    first = log.split()[0] if log and log.split() else None
    if first is None:
        return None
    try:
        then = json.loads(_git(repo, "show", f"{first}:{RECORD_FILE}") or "")
    except ValueError:
        return None
    same = (then.get("template", {}).get("sha256") == record.template.get("sha256")
            and dict(map(tuple, then.get("answers", []))) == record.answers and then.get("hubs") == record.hubs)
    names = (_git(repo, "ls-tree", "-r", "--name-only", first) or "").splitlines() if same else []
    return {name: _git(repo, "show", f"{first}:{name}") or "" for name in names} or None


def _old_rendering(repo: Path, record: Record, template: Path, old_template: Path | None, scratch: Path) -> dict[str, str]:
    version = str(record.template.get("version", ""))
    if old_template is not None:
        found = fingerprint(old_template)
        if not same_template(found, record.template):
            raise HubguardError(f"--old-template {old_template} is template {describe(found)}, but this repository "
                                f"was generated from {describe(record.template)}")
        return render_pristine(old_template, record, version)
    if record.template.get("commit"):
        old = _from_template_history(template, record.template["commit"], scratch)
        if old is not None:
            return render_pristine(old, record, version)
    from hubguard.generator.new_repository import template_root

    bundled = template_root()
    if same_template(fingerprint(bundled), record.template):
        return render_pristine(bundled, record, version)
    files = _from_repo_history(repo, record)
    if files is not None:
        return files
    commit = f" (a checkout of its commit {record.template['commit'][:12]})" if record.template.get("commit") else ""
    raise HubguardError(f"the template this repository was generated from, {describe(record.template)}, is not "
                        f"available: pass --old-template DIR{commit}")


def plan_update(repo: Path, template: Path | None = None, old_template: Path | None = None) -> tuple[Changes, str]:
    """The changes that bring `repo` to `template` (default: the installed one), and its description."""
    template = (template.resolve() if template else template_dir())
    if not (template / "cookiecutter.json").is_file():
        raise HubguardError(f"{template}: not a cookiecutter template (no cookiecutter.json)")
    record, changes = load_record(repo), Changes()
    new_fp = fingerprint(template)
    if same_template(new_fp, record.template):
        return changes, describe(record.template)
    with tempfile.TemporaryDirectory(prefix="hubguard-update-") as scratch:
        old = _old_rendering(repo, record, template, old_template, Path(scratch))
        new = render_pristine(template, record, str(new_fp["version"]))
    labels = ("yours", f"template {describe(record.template)}", f"template {describe(new_fp)}")
    for rel in sorted(set(old) | set(new)):
        if rel == RECORD_FILE or (rel.endswith(DATA_SUFFIXES) and Path(rel).name not in DATA_SUFFIXES):
            continue
        _merge_one(repo, changes, rel, old.get(rel), new.get(rel), labels)
    if RECORD_FILE in new:
        changes.write(RECORD_FILE, new[RECORD_FILE])
    return changes, describe(new_fp)


def _merge_one(repo: Path, changes: Changes, rel: str, old: str | None, new: str | None,
               labels: tuple[str, str, str]) -> None:
    path = repo / rel
    user = path.read_text(encoding="utf-8") if path.is_file() else None
    if old == new or user == new:
        return
    if new is None:
        if user == old:
            changes.write(rel, None)
        elif user is not None:
            changes.notes.append(f"{rel}: the new template no longer has this file; kept because you changed it")
        return
    if user is None:
        if old is None:
            changes.write(rel, new)
        else:
            changes.notes.append(f"{rel}: you deleted it and the template changed it; not restored")
        return
    if user == old:
        changes.write(rel, new)
        return
    merged, conflicts = merge3(user, old or "", new, labels)
    changes.write(rel, merged)
    if conflicts:
        changes.conflicts.append(rel)
