"""Schema rules: YAML that parses, kustomize roots that build, objects that match their schema."""

from hubguard.rules.schema import objects, syntax

RULES = [*syntax.RULES, *objects.RULES]
