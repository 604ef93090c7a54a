"""secret/sops-unencrypted: a file `.sops.yaml` says must be encrypted, in plaintext."""

from __future__ import annotations

from typing import Iterator

from hubguard.findings import Finding, Location, Severity
from hubguard.model import SourceFile
from hubguard.redact import redact
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.secret import common, secret_documents, sops_encryption
from hubguard.rules.secret.candidates import Hit, dotted


def check(src: SourceFile, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src) or src.path.rsplit("/", 1)[-1] == ".sops.yaml":
        return
    config = sops_encryption.nearest_config(src.path, ctx.repo.file)
    if config is None:
        return
    rule = sops_encryption.matching_rule(src.path, config, sops_encryption.creation_rules(config))
    if rule is None:
        return
    if not sops_encryption.file_is_encrypted(src):
        if not sops_encryption.must_encrypt(src, rule):
            return
        hit = Hit(1, 1, "", "", src.path, f"sops:{src.path}")
        if not common.allowed(ctx, hit):
            message = (f"file matches creation rule path_regex '{rule.path_regex.pattern}' of {config.path} "
                       f"(line {rule.line}) but is not SOPS-encrypted; run `sops --encrypt --in-place {src.path}`")
            yield from common.finding_for_hubs(ctx, message, Location(src.path, 1, 1), key=hit.ident)
        return
    # Encrypted, but edited afterwards: a plaintext value inside the scope. Secrets are reported by
    # secret/plaintext-secret; other documents (Helm values, HelmReleases) here.
    for doc in src.documents:
        block = sops_encryption.metadata(doc.data)
        if block is None or secret_documents.is_secret(doc.data):
            continue
        for path, value in sops_encryption.plaintext_in_scope(doc.data, sops_encryption.Scope.of(block)):
            line, column = doc.position(*path)
            hit = Hit(line, column, str(value), "", dotted(path), f"sops:{src.path}:{dotted(path)}", path)
            if common.allowed(ctx, hit):
                continue
            message = (f"{dotted(path)} is plaintext ({redact(str(value))}) inside the SOPS encryption scope; "
                       f"re-encrypt the file with `sops --encrypt --in-place`")
            yield from common.finding_for_hubs(ctx, message, Location(src.path, line, column), key=hit.ident)


SOPS_UNENCRYPTED = Rule(
    id="secret/sops-unencrypted",
    severity=Severity.ERROR,
    scope=Scope.FILE,
    summary="A file matched by a .sops.yaml creation_rules path_regex is not SOPS-encrypted.",
    doc="""`.sops.yaml` declares which files hold secrets: each `creation_rules` entry's `path_regex`.
A matching file without SOPS metadata was committed before (or instead of) being encrypted; one
with metadata but a plaintext value inside its encryption scope was edited after encryption. The
nearest `.sops.yaml` in the file's folder or above applies, and its first matching rule, as in
SOPS; the path is matched relative to that file's folder and to the repository root. Rules without
`path_regex` only set defaults for the `sops` command and require nothing. A rule that encrypts
only some keys (`encrypted_regex: ^(data|stringData)$` over `path_regex: .*.yaml`, as in Flux's
guide) requires encryption only of files that hold such keys with a value, and never of
Kubernetes objects other than Secrets (a ConfigMap's `data` is configuration). A file of
SealedSecrets is already encrypted (by the Sealed Secrets controller's key) and needs no SOPS.

FAIL (`.sops.yaml` has `path_regex: .*/secrets/.*\\.yaml$`):

    # apps/seattle/secrets/mongodb.yaml
    stringData:
      password: hunter2-but-longer

PASS: the same file after `sops --encrypt --in-place apps/seattle/secrets/mongodb.yaml`.
""",
    remediation="Encrypt the file: `sops --encrypt --in-place PATH` (the creation rule picks the keys). "
    "If the file should not be encrypted, move it out of the path the rule covers or tighten its "
    "`path_regex`. Rotate any value that was pushed in plaintext.\n\n" + common.ALLOW_HELP.format(id="secret/sops-unencrypted"),
    check=check,
    options=dict(common.ALLOW_OPTION),
)

RULES = [SOPS_UNENCRYPTED]
