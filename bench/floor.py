"""The floor: the least any tool that checks rendered hubs must pay.

    python bench/floor.py REPO --root apps/hub-01 --root apps/hub-02 [--plain clusters/hub-01 ...]
                          [--jobs N] [--write DIR]

Runs the bare `kubectl kustomize` of every kustomize root in parallel over the cores, parses each
output with PyYAML's C loader (libyaml), and parses the plain manifest folders (Flux cluster folders
without a kustomization) the same way. Timed as a whole process, so it includes starting Python.
With --write, each root's rendered output is also saved (for `kubernetes-validate`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

LOADER = yaml.CSafeLoader  # fails loudly when PyYAML lacks libyaml: the floor must use the C loader


def kubectl() -> str:
    beside = Path(sys.executable).parent / "kubectl"
    return str(beside) if beside.is_file() else (shutil.which("kubectl") or "kubectl")


def build(repo: Path, root: str) -> str:
    proc = subprocess.run([kubectl(), "kustomize", str(repo / root)], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"floor: kubectl kustomize {root} failed: {proc.stderr.strip()[:300]}")
    return proc.stdout


def count_objects(text: str) -> int:
    return sum(1 for doc in yaml.load_all(text, Loader=LOADER) if isinstance(doc, dict))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--root", action="append", default=[], help="a kustomize root (repeatable)")
    parser.add_argument("--plain", action="append", default=[], help="a folder of plain manifests (repeatable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--write", type=Path, help="save each root's rendered output in this folder")
    args = parser.parse_args(argv)

    def render_and_parse(root: str) -> int:
        text = build(args.repo, root)
        if args.write:
            args.write.mkdir(parents=True, exist_ok=True)
            (args.write / (root.replace("/", "__") + ".yaml")).write_text(text, encoding="utf-8")
        return count_objects(text)

    # Threads are enough: the work is in kubectl processes, and libyaml parsing of one output
    # overlaps with the other roots' builds.
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        counts = list(pool.map(render_and_parse, args.root))
    objects = sum(counts)
    for folder in args.plain:
        for path in sorted((args.repo / folder).rglob("*.y*ml")):
            objects += count_objects(path.read_text(encoding="utf-8"))
    print(f"floor: {len(args.root)} kustomize root(s), {len(args.plain)} plain folder(s), {objects} objects")
    return 0


if __name__ == "__main__":
    sys.exit(main())
