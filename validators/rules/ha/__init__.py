"""High-availability rules (SPEC "High availability"): per hub on rendered objects, and across hubs.

`RULE_MODULES` maps each rule ID to the module that declares it; `common` holds what several share
(effective replicas, the workloads they apply to, policy positions).
"""

from hubguard.rules.ha import (
    backup_offsite,
    control_plane,
    engine_overlap,
    hub_count_and_parity,
    pdb,
    probes,
    replicas,
    resources,
    spread,
    traffic_routing,
)
from hubguard.rules.registry import modules_by_rule_id

_MODULES = [hub_count_and_parity, replicas, pdb, spread, probes, resources, control_plane, traffic_routing, backup_offsite,
            engine_overlap]
RULE_MODULES = modules_by_rule_id(_MODULES)
RULES = [rule for module in _MODULES for rule in module.RULES]
