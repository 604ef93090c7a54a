"""PII-egress rules: workloads that handle personal data keep it on the premises (SPEC, per hub).

One module per rule (named after its ID); the helpers they share: `classification` (which workloads
handle personal data), `network_policy` (NetworkPolicy egress as Kubernetes applies it), `hosts`
(where a host is), `consumed_values` (configuration a workload reads), `inbound_exposure` (host names that publish
PII workloads), `chart_ingress` (host names a chart's Ingress values publish), `otel_collector` (what collector configurations export), `log_routes` (log agents'
routes: the model), `log_sources` (where agents are configured: ConfigMaps, resources, Helm values
via `helm_values`) and one parser module per agent family (`log_shipper_configs`, `vector_config`,
`loki_agents`, `fluent_operator`), `value_lines` (lines inside multi-line values).
"""

from hubguard.rules.pii import (
    log_collection,
    no_egress_policy,
    public_egress,
    public_endpoint,
    telemetry_export,
)
from hubguard.rules.registry import modules_by_rule_id

_MODULES = [no_egress_policy, public_egress, telemetry_export, public_endpoint, log_collection]
RULE_MODULES = modules_by_rule_id(_MODULES)
RULES = [rule for module in _MODULES for rule in module.RULES]
