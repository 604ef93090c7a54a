"""Secrets never appear in full in any output (SPEC): at most the first 4 characters and the length."""


def redact(secret: str) -> str:
    """`hunter2secret` -> `hunt…(13 chars)`; short values show less so that little is revealed."""
    shown = secret[:4] if len(secret) >= 12 else secret[:2] if len(secret) >= 6 else ""
    return f"{shown}…({len(secret)} chars)"


def looks_secret(text: str) -> bool:
    """Whether a word that is not meant to hold a secret (a field name) looks like a credential
    pasted in the wrong place: long, no spaces, letters mixed with digits, many distinct characters.
    Kubernetes field names (`terminationGracePeriodSeconds`, `readinessProbe`) are not."""
    return (
        len(text) >= 16
        and not any(c.isspace() for c in text)
        and any(c.isdigit() for c in text)
        and any(c.isalpha() for c in text)
        and len(set(text)) >= 10
    )


def redact_if_secret(text: str) -> str:
    """`text` as is, or redacted when it looks like a credential (see `looks_secret`)."""
    return redact(text) if looks_secret(text) else text
