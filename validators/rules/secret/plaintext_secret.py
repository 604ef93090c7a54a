"""secret/plaintext-secret: a Secret whose data is readable by anyone who can read the repository."""

from __future__ import annotations

import posixpath
from typing import Iterator

from hubguard.findings import Finding, Location, Severity
from hubguard.model import SourceFile
from hubguard.redact import redact
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.secret import (
    common,
    key_names,
    rendered_values,
    secret_documents,
    sops_encryption,
)
from hubguard.rules.secret.candidates import Hit, object_ref

MESSAGE = "Secret has {count} {what} ({where}: {value}); encrypt it with SOPS or use an ExternalSecret"


def check(src: SourceFile, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    for doc in common.documents(src):
        if secret_documents.is_secret(doc.data):
            hits = [h for h in secret_documents.plaintext_secret_hits(doc.data, common.locator(doc)) if not common.allowed(ctx, h)]
            yield from _one_per_secret(ctx, src.path, hits, object_ref(doc.data), doc.data)
        elif isinstance(doc.data, dict) and doc.data.get("secretGenerator"):
            yield from _generators(ctx, src, doc)
    for hub, obj, hit in rendered_values.uncovered(src, ctx.repo, _rendered_hits):
        if not common.allowed(ctx, hit):
            path = rendered_values.object_path(obj, hit.path)
            yield from _one_per_secret(ctx, path, [hit], obj.ref, obj.data, hub)


def _rendered_hits(obj, changed: dict) -> Iterator[Hit]:
    # Whether a value counts as plaintext depends on the Secret's SOPS metadata and its other
    # values, so a Secret that changed at all is read whole (`uncovered` drops what the file holds).
    if not obj.generated and secret_documents.is_secret(obj.data):
        yield from secret_documents.plaintext_secret_hits(obj.data, rendered_values.object_locator(obj))


def _one_per_secret(ctx: RuleContext, path: str, hits: list[Hit], ref: str, data: dict, hub: str | None = None) -> Iterator[Finding]:
    """One finding per Secret, at its first plaintext value: the fix (encrypt the file) is one act."""
    if not hits:
        return
    first = hits[0]
    partly = sops_encryption.metadata(data) is not None
    what = "plaintext value(s) inside its SOPS encryption scope" if partly else "plaintext value(s)"
    message = MESSAGE.format(count=len(hits), what=what, where=first.where, value=redact(first.value))
    yield ctx.finding(message, Location(path, first.line, first.column), hub=hub, obj=ref, key=ref)


def _generators(ctx: RuleContext, src: SourceFile, doc) -> Iterator[Finding]:
    """A kustomize secretGenerator makes a plaintext Secret unless every input file is SOPS-encrypted
    (Flux decrypts those at build time)."""
    folder = posixpath.dirname(src.path)
    for index, gen in enumerate(doc.data.get("secretGenerator") or []):
        if not isinstance(gen, dict):
            continue
        name = str(gen.get("name") or index)
        plain: list[tuple[str, str]] = []
        for literal in gen.get("literals") or []:
            key, _, value = str(literal).partition("=")
            if value.strip() and not key_names.is_placeholder(value):
                plain.append((f"literal {key}", value))
        for ref in [*(gen.get("files") or []), *(gen.get("envs") or []), *([gen["env"]] if gen.get("env") else [])]:
            rel = posixpath.normpath(posixpath.join(folder, str(ref).split("=", 1)[-1]))
            target = ctx.repo.file(rel)
            if target is None or target.kind == "skipped" or not (target.text or "").strip():
                continue  # missing files are schema/render-error; binary ones are not readable here
            if not sops_encryption.file_is_encrypted(target):
                plain.append((f"file {rel}", target.text or ""))
        if not plain:
            continue
        line, column = doc.position("secretGenerator", index, "name")
        ident = f"secretGenerator:{name}"
        hit = Hit(line, column, plain[0][1], "", plain[0][0], ident)
        if common.allowed(ctx, hit):
            continue
        message = (f"secretGenerator '{name}' makes a Secret from plaintext ({plain[0][0]}); "
                   "encrypt its input files with SOPS or use an ExternalSecret")
        yield ctx.finding(message, Location(src.path, line, column), obj=f"Secret/{name}", key=ident)


PLAINTEXT_SECRET = Rule(
    id="secret/plaintext-secret",
    severity=Severity.ERROR,
    scope=Scope.FILE,
    summary="A Secret (or kustomize secretGenerator) with non-empty data that is not SOPS-encrypted.",
    doc="""A Kubernetes Secret is only base64-encoded: anyone who can read the repository can read it.
Secrets in Git must be SOPS-encrypted (Flux decrypts them in the cluster) or replaced by an
ExternalSecret that fetches the value from Key Vault or Vault. Both `data` and `stringData` are
checked; `data` values are base64-decoded (secret/known-token also scans the decoded text). A file
that carries SOPS metadata but still has a plaintext value inside its `encrypted_regex` (or
outside its `unencrypted_suffix`) scope was edited after encryption and is a leak too. A
`secretGenerator` is reported when it has literals or reads a file that is not SOPS-encrypted.
Values that are placeholders (`${VAR}` substituted by Flux, `{{ }}` templates) are not plaintext;
a Flux substitution that puts a literal into a rendered Secret is reported for the hub.

FAIL:

    apiVersion: v1
    kind: Secret
    metadata: {name: mongodb-credentials, namespace: ratings}
    stringData:
      password: hunter2-but-longer

PASS (encrypted with `sops --encrypt --encrypted-regex '^(data|stringData)$'`):

    stringData:
      password: ENC[AES256_GCM,data:Tr0x...,iv:...,tag:...,type:str]
    sops:
      age: [...]
      encrypted_regex: ^(data|stringData)$
      mac: ENC[AES256_GCM,...]
""",
    remediation=common.MOVE_SECRET + "\n\n" + common.ALLOW_HELP.format(id="secret/plaintext-secret"),
    check=check,
    options=dict(common.ALLOW_OPTION),
)

RULES = [PLAINTEXT_SECRET]
