"""Options and helpers every secret rule shares: the allow-list, finding construction, doc text."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Any, Iterable, Iterator

from hubguard.findings import Finding, Location
from hubguard.model import SourceFile
from hubguard.redact import redact
from hubguard.rules.registry import RuleContext
from hubguard.load.embedded import embedded_documents, may_embed
from hubguard.rules.secret import key_names
from hubguard.rules.secret.candidates import Hit, leaves, object_ref
from hubguard.rules.secret.rendered_values import receiving_hubs

ALLOW_OPTION = {
    "allow": {
        "type": "array",
        "default": [],
        "description": "Findings to accept: each entry's `regex` is searched in the secret's value and in the "
        "finding's identity (`path:KEY`, `env:NAME`, `Secret/ns/name:data.key`); a `reason` is required.",
        "items": {
            "type": "object",
            "required": ["regex", "reason"],
            "additionalProperties": False,
            "properties": {"regex": {"type": "string", "minLength": 1}, "reason": {"type": "string", "minLength": 1}},
        },
    }
}

ALLOW_HELP = (
    "To accept a known, harmless value, add an allow-list entry to .hubguard.yaml (the regex is searched "
    "in the value and in the finding's identity, e.g. `env:DB_PASSWORD` or `Secret/ns/name:data.key`):\n\n"
    "    rules:\n"
    "      {id}:\n"
    "        allow:\n"
    "          - {{regex: '^test-fixture-', reason: 'throw-away values of the integration tests'}}\n\n"
    "or suppress one finding with a reason: `# hubguard: ignore[{id}] why this is not a secret`."
)

MOVE_SECRET = """Move the value out of Git and let the cluster fetch it:

- a SOPS-encrypted Secret (Flux decrypts it in the cluster):

      sops --encrypt --age age1... --encrypted-regex '^(data|stringData)$' --in-place secret.yaml

- an ExternalSecret that reads Key Vault (or Vault) through the secrets operator:

      apiVersion: external-secrets.io/v1beta1
      kind: ExternalSecret
      metadata: {name: mongodb-credentials, namespace: ratings}
      spec:
        secretStoreRef: {name: keyvault, kind: ClusterSecretStore}
        target: {name: mongodb-credentials}
        data:
          - secretKey: password
            remoteRef: {key: mongodb-password}

- and reference it instead of writing it:

      env:
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef: {name: mongodb-credentials, key: password}

A secret that was committed must be rotated: Git history keeps it."""


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def allowed(ctx: RuleContext, hit: Hit) -> bool:
    for entry in ctx.options.get("allow") or ():
        pattern = _compiled(entry["regex"])
        if pattern.search(hit.value) or pattern.search(hit.ident):
            return True
    return False


def findings(ctx: RuleContext, path: str, hits: Iterable[Hit], message: str, obj: Any = None, hub: str | None = None) -> Iterator[Finding]:
    """One finding per hit not allowed; `message` is formatted with kind, where and the redacted value."""
    for hit in hits:
        if allowed(ctx, hit):
            continue
        text = message.format(kind=hit.kind, where=hit.where, value=redact(hit.value), detail=hit.detail)
        yield from finding_for_hubs(ctx, text, Location(path, hit.line, hit.column), hub=hub,
                                    obj=obj if obj is not None else hit.obj, key=hit.ident)


def finding_for_hubs(ctx: RuleContext, message: str, location: Location, *, hub: str | None = None, obj: Any = None,
                     key: str | None = None, received_in: str | None = None) -> Iterator[Finding]:
    """A finding for the hub it concerns: a file-level one (`hub` None) is one per hub that receives
    the file (or `received_in`, the kustomization of a generator input) when only some do, else
    hub-independent."""
    if hub is None and ctx.repo.defer_receivers:
        yield replace(ctx.finding(message, location, obj=obj, key=key), received_in=received_in or location.path)
        return
    for name in [hub] if hub is not None else receiving_hubs(ctx.repo, received_in or location.path):
        yield ctx.finding(message, location, hub=name, obj=obj, key=key)


def scannable(src: SourceFile) -> bool:
    return src.kind != "skipped" and bool(src.text)


def locator(doc: Any):
    """path -> (line, column) in a source document."""
    return lambda path: doc.position(*path)


def doc_ref(data: Any) -> str | None:
    if isinstance(data, dict) and data.get("kind") and isinstance(data.get("metadata"), dict):
        return object_ref(data)
    return None


_KUBECONFIG_HINT = ("clusters:", "contexts:", "users:")


def documents(src: SourceFile) -> list:
    """The YAML/JSON documents of a file; a file without a YAML suffix that looks like a kubeconfig
    (`~/.kube/config`, `kubeconfig`) is parsed too, as that is how kubeconfigs are usually named."""
    if src.documents or src.kind in ("yaml", "json", "template", "skipped"):
        return src.documents
    text = src.text or ""
    if all(hint in text for hint in _KUBECONFIG_HINT):
        from hubguard.load.sources import parse_yaml

        docs, _ = parse_yaml(src.path, text)
        return docs
    return []


def embedded(src: SourceFile, doc: Any, words: Iterable[str] = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, document) for YAML/JSON embedded in the string fields of `doc` that mention a
    credential word (or one of `words`): parsing every multi-line string would cost for nothing."""
    for path, value in leaves(doc.data):
        if may_embed(value) and key_names.mentions_credential(value, tuple(words)):
            for inner in embedded_documents(doc, path, value, lambda: src.lines):
                yield path, inner
