"""The package shows the run: stage folders, and imports that only run one way (issue 15).

CLI -> commands -> engine (+ changed-since planning) -> stages -> shared vocabulary, where the
stages are ordered load -> render -> rules -> report, and the generator stands apart, using only
the loader and the vocabulary. A module may import its own layer and any lower one, never a higher.
"""

from __future__ import annotations

import ast
from pathlib import Path

import hubguard

PACKAGE = Path(hubguard.__file__).parent
VOCABULARY = {"__init__", "errors", "findings", "model", "policy", "redact", "resources"}
# layer of each top-level name: a module may import from layers <= its own
LAYERS = {
    **{name: 0 for name in VOCABULARY},
    "__main__": 9, "load": 1, "render": 2, "rules": 3, "report": 4, "generator": 2,
    "engine": 5, "changed_since": 6, "commands": 7, "cli": 8,
}


def _top(module: str) -> str:
    return module.split(".")[1] if module.startswith("hubguard.") else ""


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "hubguard":
                yield from (f"hubguard.{alias.name}" for alias in node.names)
            elif node.module.startswith("hubguard."):
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("hubguard."))


def _own_top(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def test_root_holds_only_engine_cli_and_vocabulary():
    root_modules = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert len(root_modules) <= 12, root_modules
    assert set(root_modules) <= VOCABULARY | {"engine", "changed_since", "cli", "__main__"}, root_modules


def test_every_folder_is_a_known_stage():
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert set(folders) <= set(LAYERS) | {"schemas", "_template"}, folders


def test_imports_never_go_to_a_higher_layer():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        if "_template" in path.parts or "schemas" in path.relative_to(PACKAGE).parts[:1]:
            continue
        own = _own_top(path)
        for module in _imports(path):
            target = _top(module)
            if target == "__version__":
                continue
            if own == "generator" and target in {"render", "rules", "report"}:
                wrong.append(f"{path.relative_to(PACKAGE)} -> {module}")
            elif target != own and LAYERS.get(target, 0) > LAYERS[own]:
                wrong.append(f"{path.relative_to(PACKAGE)} -> {module}")
    assert wrong == []


def test_test_helpers_are_not_shipped():
    assert not (PACKAGE / "testing.py").exists()
