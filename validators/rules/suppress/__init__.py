"""suppress rules."""

RULES: list = []
