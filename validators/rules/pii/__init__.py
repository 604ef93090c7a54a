"""pii rules."""

RULES: list = []
