"""ha rules."""

RULES: list = []
