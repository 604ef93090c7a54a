"""Placeholders, judged on the secret part of a candidate (SPEC: not secrets in any rule).

Documentation and templates fill the place of a credential with something that has its shape but
none of its randomness: a mask (`XXXX`, `0000`, `####`, `****`), one character repeated, counting
digits (`1234567890`), or a word that says so (`RANDOMSTRINGHERE`, `your-token-here`, `CHANGEME`,
AWS's documented `...EXAMPLE` keys). Real credentials are random: six equal characters in a row,
or eight counting digits, occur by chance about once in tens of millions of tokens.
"""

from __future__ import annotations

import re

_WORDS = re.compile(r"example|placeholder|redacted|changeme|dummy|fake", re.I)
# `HERE` in capitals or as a word of its own (`your-token-here`), not the end of `sphere`.
_HERE = re.compile(r"HERE(?![A-Z])|(?<![A-Za-z])here(?![a-z])")
_MASK = frozenset("Xx0#*")
# Separators and padding say nothing about randomness (`xxxx-xxxx`, `sig=xxxx%3D`).
_NOISE = re.compile(r"%3[dD]|[\s\-_.:/+=~]")
_REPEATED_RUN = re.compile(r"(.)\1{5,}")
_COUNTING_RUN = 8


def _counting_digits(text: str) -> bool:
    """A run of eight or more digits that count up (`12345678`, `7890123`)."""
    run = 1
    for prev, cur in zip(text, text[1:]):
        run = run + 1 if prev.isdigit() and cur.isdigit() and (int(prev) + 1) % 10 == int(cur) else 1
        if run >= _COUNTING_RUN:
            return True
    return False


def is_placeholder_secret(part: str) -> bool:
    """Whether the secret part of a candidate is a placeholder rather than a credential."""
    core = _NOISE.sub("", part)
    return (
        not core
        or all(c in _MASK for c in core)
        or bool(_REPEATED_RUN.search(core))
        or _counting_digits(core)
        or bool(_WORDS.search(core) or _HERE.search(part))
    )
