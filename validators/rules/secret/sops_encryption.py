"""SOPS: is a document encrypted, which of its values should be, and which files `.sops.yaml` covers.

A SOPS-encrypted YAML/JSON document carries a top-level `sops:` block (with `mac`, `version` or
`lastmodified`) and `ENC[AES256_GCM,...]` values. Which keys SOPS encrypts is recorded in that block
(`encrypted_regex`, `unencrypted_regex`, `encrypted_suffix`, `unencrypted_suffix`, default suffix
`_unencrypted`): a value in that scope that is not `ENC[...]` was added or pasted after encryption
and is in plaintext in Git.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any, Iterator

from hubguard.model import SourceFile

ENCRYPTED = re.compile(r"^ENC\[[A-Z0-9_]+,data:.*\]$", re.S)
_METADATA_KEYS = ("mac", "version", "lastmodified")
# Encrypted dotenv/INI/JSON files as SOPS writes them.
_TEXT_MARKERS = (re.compile(r"^sops_(?:mac|version|lastmodified)=", re.M), re.compile(r"^\[sops\]\s*$", re.M),
                 re.compile(r"\"sops\"\s*:\s*\{"))


def metadata(data: Any) -> dict | None:
    block = data.get("sops") if isinstance(data, dict) else None
    if isinstance(block, dict) and any(k in block for k in _METADATA_KEYS):
        return block
    return None


def is_encrypted_value(value: Any) -> bool:
    return isinstance(value, str) and bool(ENCRYPTED.match(value.strip()))


def file_is_encrypted(src: SourceFile) -> bool:
    """True when the file carries SOPS metadata (YAML/JSON `sops:` block, dotenv `sops_*=`, INI `[sops]`)."""
    if src.documents:
        return any(metadata(doc.data) is not None for doc in src.documents)
    text = src.text or ""
    return "sops" in text and any(marker.search(text) for marker in _TEXT_MARKERS)


@dataclass(frozen=True)
class Scope:
    encrypted_regex: re.Pattern[str] | None = None
    unencrypted_regex: re.Pattern[str] | None = None
    encrypted_suffix: str | None = None
    unencrypted_suffix: str | None = "_unencrypted"

    @classmethod
    def of(cls, block: dict) -> "Scope":
        def regex(name: str) -> re.Pattern[str] | None:
            value = block.get(name)
            try:
                return re.compile(value) if isinstance(value, str) and value else None
            except re.error:
                return None

        enc_suffix = block.get("encrypted_suffix") or None
        unenc_suffix = block.get("unencrypted_suffix") or None
        if not (regex("encrypted_regex") or regex("unencrypted_regex") or enc_suffix or unenc_suffix):
            unenc_suffix = "_unencrypted"  # SOPS' default
        return cls(regex("encrypted_regex"), regex("unencrypted_regex"), enc_suffix, unenc_suffix)

    def covers(self, key: str) -> bool | None:
        """True: this key (and all below it) is encrypted; False: it is not; None: decided below."""
        if self.encrypted_regex is not None:
            return True if self.encrypted_regex.search(key) else None
        if self.encrypted_suffix:
            return True if key.endswith(self.encrypted_suffix) else None
        if self.unencrypted_regex is not None and self.unencrypted_regex.search(key):
            return False
        if self.unencrypted_suffix and key.endswith(self.unencrypted_suffix):
            return False
        return None

    @property
    def default(self) -> bool:
        """Whether a leaf no key decided about is encrypted: yes unless the rule lists what to encrypt."""
        return self.encrypted_regex is None and not self.encrypted_suffix


def plaintext_in_scope(data: dict, scope: Scope) -> Iterator[tuple[tuple, Any]]:
    """(path, value) of each non-empty leaf that SOPS should have encrypted but is plain."""

    def walk(node: Any, path: tuple, decided: bool | None) -> Iterator[tuple[tuple, Any]]:
        if isinstance(node, dict):
            for key, child in node.items():
                if not path and key == "sops":
                    continue
                verdict = decided if decided is not None else scope.covers(str(key))
                yield from walk(child, (*path, key), verdict)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                yield from walk(child, (*path, index), decided)
        else:
            encrypted = decided if decided is not None else scope.default
            if encrypted and node not in (None, "") and not is_encrypted_value(node):
                yield path, node

    yield from walk(data, (), None)


@dataclass(frozen=True)
class CreationRule:
    path_regex: re.Pattern[str]
    line: int
    scope: Scope = Scope()
    partial: bool = False  # the rule encrypts only some keys (encrypted_regex / encrypted_suffix)


def is_sealed_secret(data: Any) -> bool:
    """A Bitnami SealedSecret: its `encryptedData` is ciphertext only the cluster's controller can
    open, encrypted like a SOPS file and so neither a leak nor a file SOPS still has to encrypt."""
    return (isinstance(data, dict) and data.get("kind") == "SealedSecret"
            and str(data.get("apiVersion", "")).startswith("bitnami.com/"))


def must_encrypt(src: SourceFile, rule: CreationRule) -> bool:
    """Whether SOPS would encrypt anything in this file under `rule`.

    A rule that encrypts only some keys (Flux's guide: `path_regex: .*.yaml` with
    `encrypted_regex: ^(data|stringData)$`) sets defaults for every YAML file; it requires
    encryption only of files holding such keys with a value. Kubernetes objects other than Secrets
    (a ConfigMap's `data`) are configuration, not secrets, and never require it."""
    if src.documents and all(is_sealed_secret(doc.data) for doc in src.documents):
        return False
    if not rule.partial or not src.documents:
        return True
    for doc in src.documents:
        data = doc.data
        if isinstance(data, dict) and data.get("kind") and data.get("apiVersion") and data.get("kind") != "Secret":
            continue
        if isinstance(data, (dict, list)) and next(plaintext_in_scope(data, rule.scope), None) is not None:
            return True
    return False


def creation_rules(config: SourceFile | None) -> list[CreationRule]:
    """The `path_regex` of each `.sops.yaml` creation rule (rules without one only set defaults)."""
    if config is None or not config.documents or not isinstance(config.documents[0].data, dict):
        return []
    doc = config.documents[0]
    rules = doc.data.get("creation_rules")
    out = []
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict) or not isinstance(rule.get("path_regex"), str):
            continue
        try:
            path_regex = re.compile(rule["path_regex"])
        except re.error:
            continue
        scope = Scope.of(rule)
        partial = scope.encrypted_regex is not None or bool(scope.encrypted_suffix)
        out.append(CreationRule(path_regex, doc.position("creation_rules", index, "path_regex")[0], scope, partial))
    return out


def nearest_config(path: str, files: Any) -> SourceFile | None:
    """The `.sops.yaml` SOPS would use for `path`: the nearest one in its folder or above it."""
    folder = posixpath.dirname(path)
    while True:
        found = files(posixpath.join(folder, ".sops.yaml") if folder else ".sops.yaml")
        if found is not None:
            return found
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def matching_rule(path: str, config: SourceFile, rules: list[CreationRule]) -> CreationRule | None:
    """SOPS uses the first rule whose path_regex matches; paths are tried relative to the config's
    folder and to the repository root, as users run `sops` from either."""
    base = posixpath.dirname(config.path)
    candidates = {path, posixpath.relpath(path, base) if base else path}
    for rule in rules:
        if any(rule.path_regex.search(c) for c in candidates):
            return rule
    return None
