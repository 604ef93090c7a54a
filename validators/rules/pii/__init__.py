"""PII-egress rules: workloads that handle personal data keep it on the premises (SPEC, per hub)."""

from hubguard.rules.pii import log_collection, no_egress_policy, public_egress, public_endpoint, telemetry_export

RULES = [
    no_egress_policy.RULE,
    public_egress.RULE,
    telemetry_export.RULE,
    public_endpoint.RULE,
    log_collection.RULE,
]
