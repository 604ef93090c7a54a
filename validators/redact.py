"""Secrets never appear in full in any output (SPEC): at most the first 4 characters and the length."""


def redact(secret: str) -> str:
    """`hunter2secret` -> `hunt…(13 chars)`; short values show less so that little is revealed."""
    shown = secret[:4] if len(secret) >= 12 else secret[:2] if len(secret) >= 6 else ""
    return f"{shown}…({len(secret)} chars)"
