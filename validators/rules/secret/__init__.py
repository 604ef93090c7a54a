"""Secret-leakage rules: every text file in the repository and every rendered object.

Detectors live in `tokens` (known formats) and `keys` (sensitive key names, placeholders); `scan`
turns files into candidate hits, `objects` knows Secrets, kubeconfigs and AKS Engine models, `sops`
knows encryption, `rendered` adds what only the rendered view shows. One module per rule group.
"""

from hubguard.rules.secret.cluster import CLUSTER_DEFINITION, KUBECONFIG
from hubguard.rules.secret.known_token import CREDENTIAL_IN_URI, KNOWN_TOKEN
from hubguard.rules.secret.literal import SENSITIVE_LITERAL
from hubguard.rules.secret.plaintext import PLAINTEXT_SECRET
from hubguard.rules.secret.sops_rule import SOPS_UNENCRYPTED

RULES = [PLAINTEXT_SECRET, SENSITIVE_LITERAL, CREDENTIAL_IN_URI, KNOWN_TOKEN, KUBECONFIG, CLUSTER_DEFINITION, SOPS_UNENCRYPTED]
