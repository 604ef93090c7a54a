"""Secret-leakage rules: every text file in the repository and every rendered object.

Rule modules (`RULE_MODULES` maps each ID to its module): `plaintext_secret`, `sensitive_literal`,
`known_token` (known-token, credential-in-uri), `cluster_access` (kubeconfig, cluster-definition),
`sops_unencrypted`. Detectors they share: `token_formats` (known credential formats), `key_names`
(sensitive key names, placeholders), `candidates` (files and objects into candidate hits),
`secret_documents` (Secrets, kubeconfigs, AKS Engine models by their shape), `sops_encryption`
(what is encrypted, what `.sops.yaml` covers), `rendered_values` (what only the rendered view
shows), `common` (allow-list, finding construction, doc text).
"""

from hubguard.rules.registry import modules_by_rule_id
from hubguard.rules.secret import (
    cluster_access,
    known_token,
    plaintext_secret,
    sensitive_literal,
    sops_unencrypted,
)

_MODULES = [plaintext_secret, sensitive_literal, known_token, cluster_access, sops_unencrypted]
RULE_MODULES = modules_by_rule_id(_MODULES)
RULES = [rule for module in _MODULES for rule in module.RULES]
