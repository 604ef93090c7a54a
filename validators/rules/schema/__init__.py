"""Schema rules: YAML that parses, kustomize roots that build, objects that match their schema.

`parse_and_build` declares schema/yaml-error and schema/render-error; `object_schema` declares
schema/invalid and schema/unknown-kind, with the schemas loaded by `kubernetes_schemas`;
`flux_kubernetes` declares schema/flux-kubernetes (a Flux release on a Kubernetes it does not support).
"""

from hubguard.rules.registry import modules_by_rule_id
from hubguard.rules.schema import flux_kubernetes, object_schema, parse_and_build

_MODULES = [parse_and_build, object_schema, flux_kubernetes]
RULE_MODULES = modules_by_rule_id(_MODULES)
RULES = [rule for module in _MODULES for rule in module.RULES]
