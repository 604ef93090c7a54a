"""`hubguard init [PATH]`: write a starter .hubguard.yaml from what discovery finds; never overwrite."""

from __future__ import annotations

from pathlib import Path

import click
from hubguard.errors import HubguardError
from hubguard.policy import POLICY_FILE


def run_init(path: Path) -> int:
    from hubguard.generator.starter_policy import discover_repository, starter_policy
    from hubguard.load.policy_file import build_policy, find_repository_root
    from hubguard.load.sources import parse_yaml

    if not path.is_dir():
        raise HubguardError(f"{path}: no such directory")
    root = find_repository_root(path)
    target = root / POLICY_FILE
    if target.exists() or target.is_symlink():
        raise HubguardError(f"{target}: already exists; not overwritten (edit it, or remove it to start again)")
    found = discover_repository(root)
    text = starter_policy(found)
    docs, _ = parse_yaml(POLICY_FILE, text)
    build_policy(docs[0].data if docs else {}, root)  # what is written must load: a bug here is exit 3, not a bad file
    try:
        with open(target, "x", encoding="utf-8") as out:  # "x": a file created meanwhile is not overwritten either
            out.write(text)
    except FileExistsError:
        raise HubguardError(f"{target}: already exists; not overwritten") from None
    except OSError as exc:
        raise HubguardError(f"{target}: cannot write ({exc.strerror})") from None
    hubs = ", ".join(found.hubs) or "none found"
    click.echo(f"hubguard: wrote {target} (hubs: {hubs}); review it, then run `hubguard validate`", err=True)
    return 0
