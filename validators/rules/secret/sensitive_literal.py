"""secret/sensitive-literal: a key named like a credential holding a literal value."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, SourceFile
from hubguard.rules.aks_engine import is_api_model
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.secret import (
    candidates,
    common,
    helm_templates,
    key_names,
    rendered_values,
    secret_documents,
    sops_encryption,
    token_formats,
)

MESSAGE = "{where} holds a literal {kind} ({value}); reference a Secret instead of writing the value"


def _options(ctx: RuleContext) -> candidates.Options:
    return candidates.Options(tuple(ctx.options.get("keys") or ()), tuple(ctx.options.get("ignore_keys") or ()),
                        int(ctx.options.get("min_length", 3)))


def _owned_elsewhere(data: object, path: str) -> bool:
    """Documents whose secrets a more specific rule reports (Secrets, kubeconfigs, AKS Engine models)
    or that are encrypted (SOPS files, SealedSecrets)."""
    return (secret_documents.is_secret(data) or secret_documents.is_kubeconfig(data) or is_api_model(data)
            or secret_documents.is_deployment_parameters(path, data) or sops_encryption.metadata(data) is not None
            or sops_encryption.is_sealed_secret(data))


def _reported_as_token(ctx: RuleContext, value: str) -> bool:
    """A value that is a known token or a credential URI is reported once, by that more precise rule."""
    rules = ctx.policy.rules
    if rules.get("secret/known-token", {}).get("enabled", True) and next(token_formats.find_tokens(value), None):
        return True
    return bool(rules.get("secret/credential-in-uri", {}).get("enabled", True) and next(candidates.uri_hits_in_value(value), None))


def _token_lines(ctx: RuleContext, src: SourceFile) -> set[int]:
    """Lines where secret/known-token or secret/credential-in-uri report: one finding per leak."""
    rules = ctx.policy.rules
    lines: set[int] = set()
    if rules.get("secret/known-token", {}).get("enabled", True):
        lines |= {h.line for h in candidates.token_hits_in_text(src.path, src.text or "")}
    if rules.get("secret/credential-in-uri", {}).get("enabled", True):
        lines |= {h.line for h in candidates.uri_hits_in_text(src.path, src.text or "")}
    return lines


def check(src: SourceFile, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    options = _options(ctx)
    docs = common.documents(src)
    hits: list[candidates.Hit] = []
    if docs:
        for doc in docs:
            if _owned_elsewhere(doc.data, src.path):
                continue
            ref = common.doc_ref(doc.data)
            embedded = list(_embedded_hits(src, doc, options, ref or src.path))
            taken = {h.line for h in embedded}
            found = [*candidates.literal_hits_in_data(doc.data, common.locator(doc), options, ref or src.path), *embedded,
                     *(h for h in _multiline_hits(src, doc, options) if h.line not in taken)]
            hits.extend(replace(h, obj=ref) for h in found)
    elif src.kind in ("text", "template") or src.error is not None:
        yamlish = src.kind == "template" or src.error is not None
        if src.kind == "template":
            hits.extend(_template_hits(src, options))
        taken = {h.line for h in hits}
        hits.extend(h for h in candidates.literal_hits_in_text(src.path, src.text or "", options, yamlish) if h.line not in taken)
    if hits:  # the token scan is only worth its cost when there is something to deduplicate
        taken = _token_lines(ctx, src)
        hits = [h for h in hits if h.line not in taken and not _reported_as_token(ctx, h.value)]
    yield from common.findings(ctx, src.path, hits, MESSAGE)


def check_rendered(src: SourceFile, hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    options = _options(ctx)
    for hub_name, obj, hit in rendered_values.uncovered(src, hub, ctx.repo, lambda obj, data: _rendered_hits(obj, data, options)):
        if not _reported_as_token(ctx, hit.value):
            yield from common.findings(ctx, rendered_values.object_path(obj, hit.path), [hit], MESSAGE, obj=obj, hub=hub_name)


def _rendered_hits(obj, data: dict, options: candidates.Options) -> Iterator[candidates.Hit]:
    if not _owned_elsewhere(obj.data, obj.source.path):
        yield from candidates.literal_hits_in_data(data, rendered_values.object_locator(obj), options, obj.ref)


def _template_hits(src: SourceFile, options: candidates.Options) -> Iterator[candidates.Hit]:
    """A Helm template read as YAML with its actions masked (env `name`/`value` pairs), and the
    literal defaults of its actions."""
    text = src.text or ""
    if key_names.mentions_credential(text, options.extra_keys):
        for doc in helm_templates.masked_documents(src.path, text):
            ref = common.doc_ref(doc.data)
            yield from (replace(h, obj=ref) for h in candidates.literal_hits_in_data(doc.data, common.locator(doc), options, ref or src.path))
    yield from helm_templates.default_hits(src.path, text, options)


def _embedded_hits(src: SourceFile, doc, options: candidates.Options, ref: str) -> Iterator[candidates.Hit]:
    """YAML or JSON written in a string field (Argo CD `helm.values: |`, an inline kustomize patch,
    a ConfigMap's `config.yaml: |`): scanned as documents, at their own lines in this file."""
    for path, emb in common.embedded(src, doc, options.extra_keys):
        if _owned_elsewhere(emb.data, src.path):
            continue  # a Secret in an inline patch is secret/plaintext-secret's
        field = candidates.dotted(path)
        for hit in candidates.literal_hits_in_data(emb.data, common.locator(emb), options, f"{ref}:{field}"):
            yield replace(hit, where=f"{field}: {hit.where}", path=path)


def _multiline_hits(src, doc, options: candidates.Options) -> Iterator[candidates.Hit]:
    """Config files embedded in YAML (`application.properties: |` in a ConfigMap): their assignments,
    at their own line in the file."""
    lines: list[str] = []
    for path, value in candidates.leaves(doc.data):
        if not isinstance(value, str) or "\n" not in value.strip() or not any(c in value for c in ("=", ":", " -")):
            continue
        found = list(candidates.literal_hits_in_text(src.path, value, options, yamlish=False))
        if not found:
            continue  # positions cost a round-trip parse: only ask for them when there is a hit
        lines = lines or src.lines
        line, _ = doc.position(*path)
        first = line + 1 if line <= len(lines) and lines[line - 1].rstrip().endswith(("|", "|-", "|+", ">", ">-", ">+")) else line
        for hit in found:
            source_line = first + hit.line - 1
            text = lines[source_line - 1] if 0 < source_line <= len(lines) else ""
            column = text.find(hit.value) + 1 if hit.value in text else hit.column
            yield candidates.Hit(source_line, column, hit.value, hit.kind, f"{candidates.dotted(path)}: {hit.where}",
                           f"{common.doc_ref(doc.data) or src.path}:{candidates.dotted(path)}:{hit.where}", path)


SENSITIVE_LITERAL = Rule(
    id="secret/sensitive-literal",
    severity=Severity.ERROR,
    scope=Scope.FILE,
    summary="A key named like a credential (password, token, apikey, connectionstring, ...) holds a literal value.",
    doc="""Configuration that names a credential and gives its value in plain text leaks it to everyone
who can read the repository, its forks and its CI logs. hubguard reads YAML/JSON structure, not
lines, so it sees env entries whose `name:` and `value:` are on separate lines, ConfigMap `data`,
HelmRelease and Helm `values`, Argo CD Helm `parameters`, Flux `postBuild.substitute`, kustomize
`configMapGenerator` literals and container `args` (`--db-password=...`); in other text files
(`.env`, Terraform, shell, INI, properties, Markdown) it reads `key = "value"` assignments.

It also reads secrets written inside other values: YAML or JSON embedded in a string field (Argo CD
`helm.values: |`, inline kustomize patches, a ConfigMap's `config.yaml: |`), reported at their
own line; command-line flags (`--password=...`, `--token '...'`, `["--password", "..."]`,
MySQL's `-p...`); connection-string parts (`Server=...;Password=...;`, ODBC `PWD={...}`,
`?user=u&password=...`); literal defaults of variables (`${JWT_SIGNING_KEY:=s3cr3t}`, which is
what deploys when the variable is unset); and Helm templates, read as YAML with their actions
masked, including literal defaults (`{{ .Values.adminPassword | default "..." }}`).

In source code (`.py`, `.js`, `.cs`, `.ps1`, notebooks, ...) and Terraform only a quoted string
literal is a literal: `token = reader.readline()` or `password=password` is an expression.

Not findings: placeholders (`${VAR}`, `$(VAR)`, `{{ .Values.x }}`, `<password>`, `#{VAR}#`, empty,
masks like `XXXX`/`0000`/`####`, words like CHANGEME/EXAMPLE/`your-key-here`), references (ARM/Bicep
`[parameters('adminPassword')]`, Terraform `var.x`, Grafana `$__file{...}`/`$__env{...}`),
booleans and numbers, file paths, SOPS `ENC[...]` values, SealedSecrets, Key Vault references, and keys that name
where a secret lives (`secretName`, `existingSecret`, `passwordSecretRef`, `secretKeyRef`,
`tokenFile`, `keyvaultSecretRef`). Values that are a known token or a URI with a password are
reported by secret/known-token or secret/credential-in-uri instead; Secrets, kubeconfigs and AKS
Engine models by their own rules.

FAIL:

    env:
      - name: DB_PASSWORD
        value: hunter2-but-longer

PASS:

    env:
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef: {name: mongodb-credentials, key: password}
""",
    remediation=common.MOVE_SECRET
    + "\n\nOptions: `keys` adds sensitive words (matched inside normalised key names, e.g. `pin`), "
    "`ignore_keys` lists key names that are never secrets, `min_length` (default 3) ignores shorter values.\n\n"
    + common.ALLOW_HELP.format(id="secret/sensitive-literal"),
    check=check,
    rendered=check_rendered,
    options={
        "keys": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                 "description": "More words that make a key name sensitive."},
        "ignore_keys": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": [],
                        "description": "Key names never treated as sensitive."},
        "min_length": {"type": "integer", "minimum": 1, "default": 3, "description": "Shorter values are ignored."},
        **common.ALLOW_OPTION,
    },
)

RULES = [SENSITIVE_LITERAL]
