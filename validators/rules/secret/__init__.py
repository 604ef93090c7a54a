"""secret rules."""

RULES: list = []
