"""Documents that are secrets by their shape: Secrets, kubeconfigs, AKS Engine API models and outputs.

Each function takes a document's plain data and a locator (path -> line, column) and yields `Hit`s;
the rules decide severity and wording. None of them reads files.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Iterator

from hubguard.rules.secret import key_names, sops_encryption
from hubguard.rules.secret.candidates import (
    Hit,
    Locator,
    dotted,
    object_ref,
    secret_values,
)


def is_secret(data: Any) -> bool:
    return isinstance(data, dict) and data.get("kind") == "Secret" and str(data.get("apiVersion", "v1")) == "v1"


def plaintext_secret_hits(data: dict, locate: Locator) -> Iterator[Hit]:
    """The plaintext values of a Secret: every non-empty one if the Secret is not SOPS-encrypted,
    else those inside the encryption scope that were left (or pasted back) in plaintext."""
    ref = object_ref(data)
    block = sops_encryption.metadata(data)
    if block is not None:
        scope = sops_encryption.Scope.of(block)
        for path, value in sops_encryption.plaintext_in_scope(data, scope):
            if path[:1] in (("data",), ("stringData",)):
                line, column = locate(path)
                yield Hit(line, column, str(value), "plaintext value inside its SOPS encryption scope", dotted(path),
                          f"{ref}:{dotted(path)}", path)
        return
    readable = set()
    for path, key, text in secret_values(data):
        readable.add(path)
        raw = data[path[0]][path[1]]
        if not text.strip() or key_names.is_placeholder(text) or (path[0] == "stringData" and key_names.is_placeholder(str(raw))):
            continue
        line, column = locate(path)
        yield Hit(line, column, text, "plaintext value", dotted(path), f"{ref}:{dotted(path)}", path)
    # `data` that does not decode to text is still readable by anyone: the API server rejects what
    # is not base64 (so someone wrote the secret itself there), and binary is a keystore or a key.
    for key, raw in (data.get("data") or {}).items() if isinstance(data.get("data"), dict) else ():
        path = ("data", key)
        if path in readable or not isinstance(raw, str) or not raw.strip() or key_names.is_placeholder(raw):
            continue
        kind = "value that decodes to binary" if _is_base64(raw) else "value that is not valid base64 (written as plaintext)"
        line, column = locate(path)
        yield Hit(line, column, raw, kind, dotted(path), f"{ref}:{dotted(path)}", path)


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode("".join(value.split()), validate=True)
    except (ValueError, binascii.Error):
        return False
    return True


# --- kubeconfig ------------------------------------------------------------------------------------

KUBECONFIG_FIELDS = ("token", "password", "client-key-data")
AUTH_PROVIDER_FIELDS = ("client-secret", "refresh-token", "access-token", "id-token")


def is_kubeconfig(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    return data.get("kind") == "Config" or (isinstance(data.get("users"), list) and "clusters" in data and "contexts" in data)


def kubeconfig_hits(data: dict, locate: Locator) -> Iterator[Hit]:
    users = data.get("users")
    for index, entry in enumerate(users if isinstance(users, list) else []):
        user = entry.get("user") if isinstance(entry, dict) else None
        if not isinstance(user, dict):
            continue
        name = str(entry.get("name") or index)
        candidates = [(("users", index, "user", f), user.get(f)) for f in KUBECONFIG_FIELDS]
        config = (user.get("auth-provider") or {}).get("config") if isinstance(user.get("auth-provider"), dict) else None
        if isinstance(config, dict):
            candidates += [(("users", index, "user", "auth-provider", "config", f), config.get(f)) for f in AUTH_PROVIDER_FIELDS]
        for path, value in candidates:
            if key_names.is_literal_secret(value, 1):
                line, column = locate(path)
                field = str(path[-1])
                yield Hit(line, column, str(value), f"kubeconfig {field}", f"user '{name}' {field}", f"kubeconfig:{name}:{field}", path)


# --- AKS Engine ------------------------------------------------------------------------------------

CERTIFICATE_KEYS = ("caPrivateKey", "apiServerPrivateKey", "clientPrivateKey", "kubeConfigPrivateKey",
                    "etcdServerPrivateKey", "etcdClientPrivateKey", "etcdPeerPrivateKeys")
# Parameters of `_output/<cluster>/azuredeploy.parameters.json` that carry the same secrets.
PARAMETER_WORDS = ("secret", "privatekey", "password")


def api_model_hits(data: dict, locate: Locator) -> Iterator[Hit]:
    props = data["properties"]
    checks: list[tuple[tuple, Any, str]] = []
    principal = props.get("servicePrincipalProfile")
    if isinstance(principal, dict):
        checks.append((("properties", "servicePrincipalProfile", "secret"), principal.get("secret"), "service principal secret"))
    windows = props.get("windowsProfile")
    if isinstance(windows, dict):
        checks.append((("properties", "windowsProfile", "adminPassword"), windows.get("adminPassword"), "Windows admin password"))
    certificates = props.get("certificateProfile")
    if isinstance(certificates, dict):
        for field in CERTIFICATE_KEYS:
            value = certificates.get(field)
            items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for index, item in items:
                path = ("properties", "certificateProfile", field) + ((index,) if index is not None else ())
                checks.append((path, item, "certificate private key"))
    for path, value, kind in checks:
        if key_names.is_literal_secret(value, 1):
            line, column = locate(path)
            yield Hit(line, column, str(value), kind, dotted(path), f"apimodel:{dotted(path)}", path)


def is_deployment_parameters(path: str, data: Any) -> bool:
    return "_output/" in f"/{path}" and isinstance(data, dict) and isinstance(data.get("parameters"), dict)


def deployment_parameter_hits(data: dict, locate: Locator) -> Iterator[Hit]:
    for name, spec in data["parameters"].items():
        value = spec.get("value") if isinstance(spec, dict) else None
        normal = key_names.normalise(str(name))
        if any(w in normal for w in PARAMETER_WORDS) and key_names.is_literal_secret(value, 1):
            path = ("parameters", name, "value")
            line, column = locate(path)
            yield Hit(line, column, str(value), "secret", f"deployment parameter {name}", f"parameters:{name}", path)
