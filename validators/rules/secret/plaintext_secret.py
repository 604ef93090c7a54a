"""secret/plaintext-secret: a Secret whose data is readable by anyone who can read the repository."""

from __future__ import annotations

import posixpath
from typing import Iterator

from hubguard.findings import Finding, Location, Severity
from hubguard.model import HubInventory, SourceFile
from hubguard.redact import redact
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.secret import (
    candidates,
    common,
    key_names,
    rendered_values,
    secret_documents,
    sops_encryption,
)
from hubguard.rules.secret.candidates import Hit, object_ref

MESSAGE = "Secret key {where} holds a {kind} ({value}); encrypt it with SOPS or use an ExternalSecret"


def check(src: SourceFile, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    for doc in common.documents(src):
        if secret_documents.is_secret(doc.data):
            hits = [h for h in secret_documents.plaintext_secret_hits(doc.data, common.locator(doc)) if not common.allowed(ctx, h)]
            yield from _per_key(ctx, src.path, hits, object_ref(doc.data))
        elif isinstance(doc.data, dict) and doc.data.get("secretGenerator"):
            yield from _generators(ctx, src, doc)


def check_rendered(src: SourceFile, hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    for hub_name, obj, hit in rendered_values.uncovered(src, hub, ctx.repo, _rendered_hits):
        if not common.allowed(ctx, hit):
            path = rendered_values.object_path(obj, hit.path)
            yield from _per_key(ctx, path, [hit], obj.ref, hub_name)


def _rendered_hits(obj, changed: dict) -> Iterator[Hit]:
    # Whether a value counts as plaintext depends on the Secret's SOPS metadata and its other
    # values, so a Secret that changed at all is read whole (`uncovered` drops what the file holds).
    if not obj.generated and secret_documents.is_secret(obj.data):
        yield from secret_documents.plaintext_secret_hits(obj.data, rendered_values.object_locator(obj))


def _per_key(ctx: RuleContext, path: str, hits: list[Hit], ref: str, hub: str | None = None) -> Iterator[Finding]:
    """One finding per leaking key, at its own line and named: each is a value to rotate."""
    for hit in hits:
        message = MESSAGE.format(where=hit.where, kind=hit.kind, value=redact(hit.value))
        yield from common.finding_for_hubs(ctx, message, Location(path, hit.line, hit.column), hub=hub, obj=ref, key=hit.ident)


def _generators(ctx: RuleContext, src: SourceFile, doc) -> Iterator[Finding]:
    """A kustomize secretGenerator makes a plaintext Secret unless every input file is SOPS-encrypted
    (Flux decrypts those at build time). Each plaintext value is reported where it is written: a
    literal at its line, an env file's value at its line in that file, a whole file at its top."""
    folder = posixpath.dirname(src.path)
    for index, gen in enumerate(doc.data.get("secretGenerator") or []):
        if not isinstance(gen, dict):
            continue
        name = str(gen.get("name") or index)
        found: list[tuple[str, Hit]] = []
        for lindex, literal in enumerate(gen.get("literals") or []):
            key, _, value = str(literal).partition("=")
            if value.strip() and not key_names.is_placeholder(value):
                line, column = doc.position("secretGenerator", index, "literals", lindex)
                found.append((src.path, Hit(line, column, value, "", f"literal {key}", f"secretGenerator:{name}:{key}")))
        envs = [*(gen.get("envs") or []), *([gen["env"]] if gen.get("env") else [])]
        for ref in [*(gen.get("files") or []), *envs]:
            rel = posixpath.normpath(posixpath.join(folder, str(ref).split("=", 1)[-1]))
            target = ctx.repo.file(rel)
            if target is None or target.kind == "skipped" or not (target.text or "").strip():
                continue  # missing files are schema/render-error; binary ones are not readable here
            if sops_encryption.file_is_encrypted(target):
                continue
            if ref not in envs:
                found.append((rel, Hit(1, 1, target.text or "", "", f"file {rel}", f"secretGenerator:{name}:{rel}")))
                continue
            for line, column, key, value in candidates.dotenv_entries(target.text or ""):
                if value.strip() and not key_names.is_placeholder(value):
                    found.append((rel, Hit(line, column, value, "", f"env file key {key}", f"secretGenerator:{name}:{key}")))
        for path, hit in found:
            if common.allowed(ctx, hit):
                continue
            message = (f"secretGenerator '{name}' makes a Secret from plaintext ({hit.where}: {redact(hit.value)}); "
                       "encrypt its input files with SOPS or use an ExternalSecret")
            yield from common.finding_for_hubs(ctx, message, Location(path, hit.line, hit.column), obj=f"Secret/{name}",
                                               key=hit.ident, received_in=src.path)


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
outside its `unencrypted_suffix`) scope was edited after encryption and is a leak too. Each
leaking key is reported at its own line, named; a `data` value that is not valid base64 (the
secret written as is) or decodes to binary is plaintext too. A `secretGenerator` is reported
where its plaintext is written: each literal at its line, each value of an `envs:` file at its
line in that file, a `files:` input at its top.
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
    rendered=check_rendered,
    options=dict(common.ALLOW_OPTION),
)

RULES = [PLAINTEXT_SECRET]
