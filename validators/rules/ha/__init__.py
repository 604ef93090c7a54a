"""High-availability rules (SPEC "High availability"): per hub on rendered objects, and across hubs."""

from hubguard.rules.ha import backup, control_plane, hubs, pdb, probes, replicas, resources, spread, traffic

RULES = [
    *hubs.RULES,
    *replicas.RULES,
    *pdb.RULES,
    *spread.RULES,
    *probes.RULES,
    *resources.RULES,
    *control_plane.RULES,
    *traffic.RULES,
    *backup.RULES,
]
