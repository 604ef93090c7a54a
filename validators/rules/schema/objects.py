"""schema/invalid and schema/unknown-kind (filled in by the schema-validation work)."""

RULES: list = []
