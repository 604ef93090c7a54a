"""Rules about suppressions themselves."""

from hubguard.rules.registry import modules_by_rule_id
from hubguard.rules.suppress import missing_reason

RULE_MODULES = modules_by_rule_id([missing_reason])
RULES = missing_reason.RULES
