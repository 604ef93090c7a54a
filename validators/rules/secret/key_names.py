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

from hubguard.rules.secret.placeholders import is_placeholder_secret

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
REFERENCE_PREFIXES = ("existing", "use", "create", "generate", "auto", "automount", "external", "num", "max", "min",
                      # verbs: a command about secrets (`gpg --list-secret-keys`, `--delete-secret`), not a value
                      "list", "show", "get", "delete", "remove", "export", "import", "print", "rotate")
# Key names that contain a credential word but never hold one.
NEVER_SENSITIVE = frozenset(
    {"secrets", "tokenreview", "passwordless", "secretgenerator", "sops", "serviceaccounttoken", "imagepullsecrets",
     "nosecret", "secretproviderclass", "tokenauth", "secretkeyref", "secretref"}
)

_NORMALISE = re.compile(r"[_\-.\s]")
# Words of a key name (`DB_PASS`, `mongoPass`, `db-pass`): `pass` counts only as a word of its own,
# as the last one, never inside `bypass`, `passive` or `passThrough`.
_KEY_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def normalise(key: str) -> str:
    return _NORMALISE.sub("", key).lower()


# Every word of SENSITIVE_WORDS (and `pass`) contains one of these.
_CREDENTIAL_HINT = re.compile("pass|pwd|secret|token|key|credential|conn", re.I)


def mentions_credential(text: str, extra: tuple[str, ...] = ()) -> bool:
    """Whether a text could hold a sensitive key at all (a cheap test before parsing it)."""
    return bool(_CREDENTIAL_HINT.search(text)) or any(word.lower() in text.lower() for word in extra)


def sensitive_word(key: str, extra: Iterable[str] = (), ignore: Iterable[str] = ()) -> str | None:
    """The credential word a key name carries (`password`, `token`, ...), or None if not sensitive."""
    if isinstance(extra, tuple) and isinstance(ignore, tuple):
        return _sensitive_word(key, extra, ignore)
    return _sensitive_word.__wrapped__(key, tuple(extra), tuple(ignore))


# A Kubernetes object name of hyphen-joined lower-case words (`sops-gpg`, `db-credentials`).
_OBJECT_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")


def names_secret_object(word: str, value: str) -> bool:
    """A command-line flag called `...-secret` whose value is a Kubernetes object name names the
    Secret that holds the value (`flux create kustomization --decryption-secret=sops-gpg`)."""
    return word == "secret" and bool(_OBJECT_NAME.fullmatch(value))


@functools.lru_cache(maxsize=8192)  # key names repeat endlessly (name, image, port, ...)
def _sensitive_word(key: str, extra: tuple[str, ...], ignore: tuple[str, ...]) -> str | None:
    name = normalise(key.rsplit(".", 1)[-1] if "." in key else key)
    if not name or name in NEVER_SENSITIVE or name in {normalise(i) for i in ignore}:
        return None
    word = next((w for w in (*(normalise(e) for e in extra), *SENSITIVE_WORDS) if w and w in name), None)
    if word is None:
        words = _KEY_WORDS.findall(key.rsplit(".", 1)[-1])
        return "password" if words and words[-1].lower() == "pass" else None
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
      | __[A-Za-z0-9_]+(?:__)?        # __VAR__, __VAR (token replacement tasks)
      | -{2,}[A-Z0-9_]+-{2,}          # ---VAR--- (sed-replaced markers)
      | (?-i:[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)  # AZURE_DEVOPS_PAT: the name of what goes there
      | \{[^{}]*\}                    # {VAR}, {Binding Password} (XAML)
      | \[[A-Za-z_]+\]                # [UNK], [REDACTED]
      | \#\{[^}]*\}\#?                # #{VAR}# (Azure DevOps)
      | [*xX0\#.\-_]+                 # ***, xxxx, 0000, ####, masked
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
    r"^(?:@Microsoft\.KeyVault\(|ref\+[a-z]+://|vault:|akv://|secretref:|secret:|privatesettingsref:|keyvault:|azurekeyvault:|aws-sm:|gcp-sm:)",
    re.I,
)
# File system paths given instead of the secret (`/run/secrets/db`, `./certs/key.pem`).
_PATH = re.compile(r"^(?:/|\./|\.\./|~/)[\w./\-]*$")
# Expressions that name a value kept elsewhere, in the languages configuration is written in:
# ARM/Bicep (`[parameters('adminPassword')]`, `[listKeys(...).keys[0].value]`; `[[` escapes a
# literal bracket), Terraform (`var.x`, `local.x`, `azurerm_key_vault_secret.db.value`), and
# provider references of Grafana and others (`$__file{/run/secrets/x}`, `$__env{PASSWORD}`).
_EXPRESSION = re.compile(
    r"""^(?:
        \[(?!\[)\s*[A-Za-z][\w.]*\s*\(.*\]
      | (?:var|local|data|module|each|count)\.[\w\-]+(?:[.\[][\w\-".\[\]]*)?
      | [a-z][a-z0-9]*_[a-z0-9_]+\.[\w\-]+\.[\w\-.\[\]]+
      | \$__[a-z]+\{[^}]*\}
    )$""",
    re.X,
)
# A value of one word (no spaces, quotes or braces) is judged as a secret part; a document
# (a decoded `.dockerconfigjson`, a PEM block) has its secrets judged by the format's detector.
_ONE_WORD = re.compile(r"^[^\s\"'{}\[\]]+$")
# Version constraints (`^3.0.2`, `~> 1.2`, `>=1.0 <2.0`, `^3.0.0 || ^4.0.0`), under keys like `js-tokens`.
_VERSION_RANGE = re.compile(r"^(?=.*\d\.)[\d.xX*~^<>=v|,\s\-]+$")


def is_placeholder(value: str) -> bool:
    text = value.strip()
    return (
        not text
        or text.startswith(("{{", "{%", "${", "$("))  # a template expression cut short by a tokenizer
        or bool(_PLACEHOLDER.match(text))
        or bool(_TEMPLATE.search(text))
        or bool(_REFERENCE_VALUE.match(text))
        or bool(_PATH.match(text))
        or text.startswith("<")  # `<the password>`, cut at its first space by a text scan
        or bool(_EXPRESSION.match(text))
        or bool(_VERSION_RANGE.match(text))
        or (_ONE_WORD.match(text) is not None and is_placeholder_secret(text))
    )


def is_expression(value: str) -> bool:
    """An ARM/Bicep expression, Terraform reference or provider reference: nothing in it is literal
    (`[concat('...;AccountKey=', listKeys(...))]` builds a connection string at deploy time)."""
    return bool(_EXPRESSION.match(value.strip()))


def is_literal_secret(value: object, min_length: int = 3) -> bool:
    """A value that would be a leak under a sensitive key: a string, not a placeholder or number."""
    if not isinstance(value, str):
        return False  # booleans, numbers, nulls and collections are never credentials
    text = value.strip().strip("\"'")
    return len(text) >= min_length and not is_placeholder(text)
