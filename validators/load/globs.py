"""Path globs for `ignore_paths` and similar settings: `**` spans folders, `*` and `?` do not."""

from __future__ import annotations

import functools
import re


@functools.lru_cache(maxsize=256)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    # A pattern naming a folder covers everything inside it.
    return re.compile("".join(out) + "(?:/.*)?$")


def matches_any(path: str, patterns: list[str] | tuple[str, ...]) -> bool:
    return any(glob_to_regex(p.strip("/")).match(path) for p in patterns)
