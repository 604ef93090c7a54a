"""What makes a key name sensitive and a value a literal secret (secret/sensitive-literal and friends).

Key names are compared normalised (lower case, without `_`, `-`, `.`), so `DB_PASSWORD`,
`dbPassword` and `db-password` are the same name. A name is sensitive when it contains one of the
credential words and does not end like a reference to a secret kept elsewhere (`secretName`,
`existingSecret`, `passwordSecretRef`, `tokenFile`, `secretKeyRef`, ...).
"""

from __future__ import annotations

import functools
import re
from typing import Iterable

SENSITIVE_WORDS = (
    "password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "accesskey", "accountkey",
    "clientsecret", "connectionstring", "connstr", "privatekey", "secretkey", "sharedkey", "masterkey",
    "encryptionkey", "signingkey", "credential", "sastoken", "authkey",
)

# A key ending like this names where a secret lives, or describes it, rather than holding it.
REFERENCE_SUFFIXES = (
    "ref", "refs", "name", "names", "file", "files", "path", "paths", "dir", "mount", "mountpath", "length", "policy",
    "provider", "store", "type", "types", "enabled", "enable", "required", "url", "uri", "endpoint", "header",
    "headername", "id", "ids", "format", "field", "selector", "template", "expiry", "expiration", "ttl", "seconds",
    "version", "source", "namespace", "label", "annotation", "mode", "kind", "prefix", "suffix", "regex", "count",
    "rotation", "duration", "lifetime", "arn", "location", "env", "keyref", "items", "backend", "vault",
)
REFERENCE_PREFIXES = ("existing", "use", "create", "generate", "auto", "automount", "external", "num", "max", "min")
# Key names that contain a credential word but never hold one.
NEVER_SENSITIVE = frozenset(
    {"secrets", "secret", "tokenreview", "passwordless", "secretgenerator", "sops", "serviceaccounttoken", "imagepullsecrets",
     "nosecret", "secretproviderclass", "tokenauth", "secretkeyref", "secretref"}
)

_NORMALISE = re.compile(r"[_\-.\s]")


def normalise(key: str) -> str:
    return _NORMALISE.sub("", key).lower()


def sensitive_word(key: str, extra: Iterable[str] = (), ignore: Iterable[str] = ()) -> str | None:
    """The credential word a key name carries (`password`, `token`, ...), or None if not sensitive."""
    if isinstance(extra, tuple) and isinstance(ignore, tuple):
        return _sensitive_word(key, extra, ignore)
    return _sensitive_word.__wrapped__(key, tuple(extra), tuple(ignore))


@functools.lru_cache(maxsize=8192)  # key names repeat endlessly (name, image, port, ...)
def _sensitive_word(key: str, extra: tuple[str, ...], ignore: tuple[str, ...]) -> str | None:
    name = normalise(key.rsplit(".", 1)[-1] if "." in key else key)
    if not name or name in NEVER_SENSITIVE or name in {normalise(i) for i in ignore}:
        return None
    word = next((w for w in (*(normalise(e) for e in extra), *SENSITIVE_WORDS) if w and w in name), None)
    if word is None:
        return None
    rest = name[name.index(word) + len(word):]
    head = name[: name.index(word)]
    if rest and rest.endswith(REFERENCE_SUFFIXES):
        return None
    if head.startswith(REFERENCE_PREFIXES):
        return None
    return word


# Whole-value placeholders; a value containing a template expression is one too (it is rendered later).
_PLACEHOLDER = re.compile(
    r"""^(?:
        <[^<>]*>                      # <password>
      | \$[A-Za-z_][A-Za-z0-9_]*      # $VAR
      | %[A-Za-z_]+%                  # %VAR% (Windows)
      | __[A-Za-z0-9_]+__             # __VAR__ (token replacement tasks)
      | \#\{[^}]*\}\#?                # #{VAR}# (Azure DevOps)
      | [*xX.\-_]+                    # ***, xxxx, masked
      | ENC\[[^\]]*\]                 # SOPS-encrypted value
      | (?:true|false|yes|no|on|off|null|none|nil|~)  # booleans and nulls written as strings
      | -?\d+(?:\.\d+)?               # numbers written as strings
      | v?\d+(?:\.\d+){1,3}(?:[-+][0-9A-Za-z.\-]+)?  # versions (chart_external_secrets: 0.17.0)
    )$""",
    re.X | re.I,
)
_TEMPLATE = re.compile(r"\$\{[^}]*\}|\$\([^)]*\)|\{\{.*?\}\}|\{%.*?%\}")
# References to a secret store written as values (External Secrets, Key Vault references, vals).
_REFERENCE_VALUE = re.compile(
    r"^(?:@Microsoft\.KeyVault\(|ref\+[a-z]+://|vault:|akv://|secretref:|secret:|keyvault:|azurekeyvault:|aws-sm:|gcp-sm:)",
    re.I,
)
# File system paths given instead of the secret (`/run/secrets/db`, `./certs/key.pem`).
_PATH = re.compile(r"^(?:/|\./|\.\./|~/)[\w./\-]*$")


def is_placeholder(value: str) -> bool:
    text = value.strip()
    return (
        not text
        or text.startswith(("{{", "{%", "${", "$("))  # a template expression cut short by a tokenizer
        or bool(_PLACEHOLDER.match(text))
        or bool(_TEMPLATE.search(text))
        or bool(_REFERENCE_VALUE.match(text))
        or bool(_PATH.match(text))
    )


def is_literal_secret(value: object, min_length: int = 3) -> bool:
    """A value that would be a leak under a sensitive key: a string, not a placeholder or number."""
    if not isinstance(value, str):
        return False  # booleans, numbers, nulls and collections are never credentials
    text = value.strip().strip("\"'")
    return len(text) >= min_length and not is_placeholder(text)
