"""Output formats: small pure functions from a report to text. `--format` choices come from here.

Each format is a module with `render(report, rules) -> str`; it is imported only when used, so the
command line can list the choices without paying for every formatter at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from hubguard.findings import Report

Formatter = Callable[["Report", dict], str]

# format name -> module in this package
_MODULES = {"text": "text", "json": "json_format", "sarif": "sarif", "junit": "junit", "github": "github", "html": "html"}
FORMAT_NAMES: tuple[str, ...] = tuple(_MODULES)


class _Formatters(Mapping[str, Formatter]):
    def __getitem__(self, name: str) -> Formatter:
        return importlib.import_module(f"{__name__}.{_MODULES[name]}").render

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


FORMATTERS: Mapping[str, Formatter] = _Formatters()
