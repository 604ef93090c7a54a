"""secret/known-token and secret/credential-in-uri: credentials recognised by their format, anywhere."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, SourceFile
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.secret import (
    candidates,
    common,
    rendered_values,
    secret_documents,
    token_formats,
)
from hubguard.rules.secret.candidates import Hit

TOKEN_MESSAGE = "{kind} ({value}) in {where}; revoke it and load it from a Secret or Key Vault"
URI_MESSAGE = ("{kind} in {where} embeds the password of user '{detail}' ({value}); "
               "put the password in a Secret and build the URI at runtime")


@lru_cache(maxsize=32)
def _extra(patterns: tuple[tuple[str, str, str], ...]) -> tuple[token_formats.Detector, ...]:
    return token_formats.custom_detectors([{"name": n, "regex": r, "kind": k} for n, r, k in patterns])


def _detectors(ctx: RuleContext) -> tuple[token_formats.Detector, ...]:
    specs = ctx.options.get("patterns") or []
    return _extra(tuple((s["name"], s["regex"], s.get("kind", "")) for s in specs))


def _decoded_secret_hits(doc_data: dict, locate, ref: str, scan_value) -> Iterator[Hit]:
    """Base64 `data` of Secrets is opaque to text scanning: decode it and scan the plain text."""
    for path, key, text in candidates.secret_values(doc_data):
        if path[0] == "data":
            for hit in scan_value(text, locate(path), f"{ref} data.{key}", f"{ref}:data.{key}", path):
                yield replace(hit, obj=ref)


def _in_structure(src: SourceFile, hits: Iterator[Hit]) -> Iterator[Hit]:
    """Raw-text hits of a YAML/JSON file, named by the document structure (`env GITHUB_TOKEN`,
    `key data.token`) and identified by object and path, which survive edits that move lines."""
    for hit in hits:
        doc = candidates.document_at(src.documents, hit.line) if src.documents else None
        path = candidates.locate_text(doc.data, hit.value) if doc is not None else None
        if doc is None or path is None:
            yield hit if hit.where else replace(hit, where="text")
            continue
        ref = common.doc_ref(doc.data)
        where = candidates.describe(doc.data, path)
        place = candidates.dotted(path) if where.startswith("key ") else where.replace(" ", ":")
        yield replace(hit, where=where, ident=f"{ref or src.path}:{place}:{hit.detail}", path=path, obj=ref)


def check_tokens(src: SourceFile, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    extra = _detectors(ctx)
    hits = list(_in_structure(src, candidates.token_hits_in_text(src.path, src.text or "", extra)))
    for doc in src.documents:
        if secret_documents.is_secret(doc.data):
            scan_value = lambda text, at, where, ident, path: candidates.token_hits_in_value(text, at, where, ident, path, extra)  # noqa: E731
            hits.extend(_decoded_secret_hits(doc.data, common.locator(doc), candidates.object_ref(doc.data), scan_value))
    yield from common.findings(ctx, src.path, _unique(hits), TOKEN_MESSAGE)


def check_rendered_tokens(src: SourceFile, hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    extra = _detectors(ctx)
    for hub_name, obj, hit in rendered_values.uncovered(src, hub, ctx.repo, lambda obj, data: _object_token_hits(obj, data, extra)):
        yield from common.findings(ctx, rendered_values.object_path(obj, hit.path), [hit], TOKEN_MESSAGE, obj=obj, hub=hub_name)


def _object_token_hits(obj, data: dict, extra) -> Iterator[Hit]:
    locate = rendered_values.object_locator(obj)
    for path, value in candidates.leaves(data):
        if isinstance(value, str):
            yield from candidates.token_hits_in_value(value, lambda p=path: locate(p), candidates.dotted(path), f"{obj.ref}:{candidates.dotted(path)}", path, extra)
    if secret_documents.is_secret(obj.data):
        for path, key, text in candidates.secret_values(data):
            if path[0] == "data":
                yield from candidates.token_hits_in_value(text, lambda p=path: locate(p), f"data.{key}", f"{obj.ref}:data.{key}", path, extra)


def _uri_value_hits(text: str, at: candidates.Position, where: str, ident: str, path: tuple) -> Iterator[Hit]:
    for _, scheme, user, password in candidates.uri_hits_in_value(text):
        line, column = candidates.resolve(at)
        yield Hit(line, column, password, f"{scheme.lower()} URI", where, f"{ident}:{scheme}:{user}", path, user)


def check_uris(src: SourceFile, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    hits = list(_in_structure(src, candidates.uri_hits_in_text(src.path, src.text or "")))
    for doc in src.documents:
        if secret_documents.is_secret(doc.data):
            hits.extend(_decoded_secret_hits(doc.data, common.locator(doc), candidates.object_ref(doc.data), _uri_value_hits))
    yield from common.findings(ctx, src.path, _unique(hits), URI_MESSAGE)


def check_rendered_uris(src: SourceFile, hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    if not common.scannable(src):
        return
    for hub_name, obj, hit in rendered_values.uncovered(src, hub, ctx.repo, _object_uri_hits):
        yield from common.findings(ctx, rendered_values.object_path(obj, hit.path), [hit], URI_MESSAGE, obj=obj, hub=hub_name)


def _object_uri_hits(obj, data: dict) -> Iterator[Hit]:
    locate = rendered_values.object_locator(obj)
    for path, value in candidates.leaves(data):
        if isinstance(value, str) and "://" in value:
            yield from _uri_value_hits(value, lambda p=path: locate(p), candidates.dotted(path), f"{obj.ref}:{candidates.dotted(path)}", path)


def _unique(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple] = set()
    out = []
    for hit in hits:
        if (hit.line, hit.column, hit.value) not in seen:
            seen.add((hit.line, hit.column, hit.value))
            out.append(hit)
    return out


KNOWN_TOKEN = Rule(
    id="secret/known-token",
    severity=Severity.ERROR,
    scope=Scope.FILE,
    summary="A credential in a recognised format (Azure, AWS, GitHub, GitLab, Slack, JWT, age, Vault, PEM, ...).",
    doc="""Tokens with a recognisable format are live credentials wherever they appear: YAML values,
comments, scripts, Markdown, key files. Every text file is scanned (binary files are skipped), and
the base64 `data` of Secrets is decoded and scanned too. Detectors: Azure storage account keys and
connection strings, Azure shared access keys, SAS signatures (`sig=`), Azure AD client secrets
(`xxx8Q~...`), PEM and OpenSSH private keys, AWS access key IDs and secret keys, GitHub classic,
fine-grained, OAuth, user and app tokens, GitLab tokens, Slack tokens and webhooks, JWTs (header
must decode to JSON), age secret keys (bech32 checksum verified), docker config `auths` entries
whose `auth` decodes to `user:password`, HashiCorp Vault tokens, npm token_formats.

Not findings: public keys and certificates, `age1...` recipients, image digests, git SHAs, UUIDs,
AWS's documented example keys, and placeholders judged on the token's secret part: masks
(`xoxb-…-XXXXXXXX`, `0000`, `####`), one character repeated, counting digits, or words such as
`RANDOMSTRINGHERE`, EXAMPLE, PLACEHOLDER, REDACTED, CHANGEME, DUMMY, FAKE.

FAIL:

    # deploy.sh
    export GITHUB_TOKEN=ghp_<36 letters and digits>

PASS:

    export GITHUB_TOKEN="$(az keyvault secret show --vault-name kv --name gh-token --query value -o tsv)"
""",
    remediation="Revoke the token at its issuer first (it is compromised once pushed), then load it at "
    "runtime.\n\n" + common.MOVE_SECRET
    + "\n\nOption `patterns` adds detectors: `[{name: corp-api, regex: 'corp_[a-z0-9]{32}', kind: 'Corp API key'}]` "
    "(group 1, if present, is the secret).\n\n" + common.ALLOW_HELP.format(id="secret/known-token"),
    check=check_tokens,
    rendered=check_rendered_tokens,
    options={
        "patterns": {
            "type": "array",
            "default": [],
            "description": "Extra token detectors.",
            "items": {"type": "object", "required": ["name", "regex"], "additionalProperties": False,
                      "properties": {"name": {"type": "string", "minLength": 1}, "regex": {"type": "string", "minLength": 1},
                                     "kind": {"type": "string"}}},
        },
        **common.ALLOW_OPTION,
    },
)

CREDENTIAL_IN_URI = Rule(
    id="secret/credential-in-uri",
    severity=Severity.ERROR,
    scope=Scope.FILE,
    summary="A URI with an embedded password (mongodb://user:pass@host, https://user:pass@host).",
    doc="""Connection strings with the password inside (`mongodb://ratings:pass@mongodb:27017`,
`amqp://`, `postgres://`, `https://user:token@git.example`) leak the password with the URI. Every
text file is scanned, and the decoded `data` of Secrets. Placeholders in the password position
(`${MONGO_PASSWORD}`, `$(PASS)`, `{{ .Values.password }}`, `<password>`, `****`, `password`) are
not findings.

FAIL:

    - name: MONGODB_URI
      value: mongodb://ratings:hunter2-but-longer@mongodb.ratings.svc:27017/ratings

PASS:

    - name: MONGODB_PASSWORD
      valueFrom: {secretKeyRef: {name: mongodb-credentials, key: password}}
    - name: MONGODB_URI
      value: mongodb://ratings:$(MONGODB_PASSWORD)@mongodb.ratings.svc:27017/ratings
""",
    remediation="Keep the password in a Secret and compose the URI at runtime (Kubernetes expands "
    "`$(VAR)` in env values from earlier env entries), or keep the whole URI in a Secret.\n\n"
    + common.MOVE_SECRET + "\n\n" + common.ALLOW_HELP.format(id="secret/credential-in-uri"),
    check=check_uris,
    rendered=check_rendered_uris,
    options=dict(common.ALLOW_OPTION),
)

RULES = [KNOWN_TOKEN, CREDENTIAL_IN_URI]
