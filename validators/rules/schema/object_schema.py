"""schema/invalid and schema/unknown-kind: every object a hub receives matches its schema.

Core kinds are checked against the schemas of the hub's Kubernetes version, custom resources
against bundled or user CRD schemas (`kubernetes_schemas` loads and caches them). Every error is its
own finding, at the line of the offending field.
"""

from __future__ import annotations

import difflib
import re
import weakref
from typing import Any, Iterator

from hubguard.findings import Finding, Severity
from hubguard.model import HubInventory, K8sObject
from hubguard.redact import redact, redact_if_secret
from hubguard.rules.registry import Rule, RuleContext, Scope
from hubguard.rules.schema import kubernetes_schemas
from jsonschema.exceptions import ValidationError, best_match

# Kustomize's own configuration is input to a build, never applied to a cluster.
_NOT_APPLIED_GROUPS = ("kustomize.config.k8s.io",)
_CREDENTIAL_KEY = re.compile(r"pass(wd|word)?|secret|token|api_?key|accountkey|connectionstring|private_?key|credential", re.I)
# Flux substitutes ${VAR} after hubguard renders when the value comes from a cluster ConfigMap/Secret.
_FLUX_VAR = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?[=-][^}]*)?\}")


# --- schema lookup -------------------------------------------------------------------------------


class _Schemas:
    """Where the schemas of one hub come from, in precedence order: the policy's `crd_paths`, CRDs
    the hub itself receives, then the bundled ones. Kept per repository (weakly) so that both rules
    and every hub share the user's validators."""

    _cache: dict[tuple[int, str], tuple[weakref.ref, "_Schemas"]] = {}

    def __init__(self, hub: HubInventory, ctx: RuleContext) -> None:
        self.strict = ctx.policy.schema.strict
        self.version = kubernetes_schemas.schema_version(hub.policy.kubernetes_version)
        self.running = {  # the releases whose served API versions decide what is retired on this hub
            "Kubernetes": kubernetes_schemas.parse_version(hub.policy.kubernetes_version) or self.version,
            "Flux": (kubernetes_schemas.hub_flux(hub, ctx.repo) or (kubernetes_schemas.DEFAULT_FLUX_VERSION,))[0],
        }
        self.extra = [_user_schemas(ctx.repo), _hub_schemas(hub)]

    @classmethod
    def of(cls, hub: HubInventory, ctx: RuleContext) -> "_Schemas":
        key = (id(ctx.repo), hub.name)
        hit = cls._cache.get(key)
        if hit is not None and hit[0]() is ctx.repo:
            return hit[1]
        for stale in [k for k, (ref, _) in cls._cache.items() if ref() is None]:
            del cls._cache[stale]
        made = cls(hub, ctx)
        cls._cache[key] = (weakref.ref(ctx.repo), made)
        return made

    def validator(self, obj: K8sObject):
        group, _, api = obj.api_version.rpartition("/")
        if kubernetes_schemas.is_core_group(group):
            found = kubernetes_schemas.core_validator(self.version, self.strict, obj.kind, obj.api_version)
            if found is not None:
                return found
        key = (group, obj.kind.lower(), api)
        for schemas in self.extra:
            found = schemas.validator(key, self.strict, self.version)
            if found is not None:
                return found
        return kubernetes_schemas.bundled_crd_validator(key, self.strict, self.version)

    def retired(self, obj: K8sObject) -> tuple[str, bool] | None:
        return kubernetes_schemas.retired_message(obj.api_version, obj.kind, self.running)


def _user_schemas(repo: Any) -> kubernetes_schemas.CrdSchemas:
    """Schemas from the policy's `schema.crd_paths`: `<group>/<kind>_<version>.json` files and CRD
    documents (YAML or JSON) under each listed folder, or the listed files themselves."""
    found: dict[kubernetes_schemas.CrdKey, dict] = {}
    prefixes = [p.strip().strip("/").removeprefix("./") for p in repo.policy.schema.crd_paths]
    for src in repo.files:
        if not any(src.path == p or src.path.startswith(p + "/") or not p for p in prefixes):
            continue
        for doc in src.documents:
            from_crd = kubernetes_schemas.schemas_from_crd(doc.data)
            found.update(from_crd)
            match = re.search(r"([^/]+)/([A-Za-z0-9.-]+)_([a-z0-9]+)\.json$", src.path)
            if not from_crd and match and isinstance(doc.data, dict) and doc.index == 0:
                found[(match[1], match[2].lower(), match[3])] = doc.data
    return kubernetes_schemas.CrdSchemas(found)


def _hub_schemas(hub: HubInventory) -> kubernetes_schemas.CrdSchemas:
    """CRDs the hub receives define the schema of their own custom resources on that hub."""
    found: dict[kubernetes_schemas.CrdKey, dict] = {}
    for crd in hub.of_kind("CustomResourceDefinition"):
        found.update(kubernetes_schemas.schemas_from_crd(crd.data))
    return kubernetes_schemas.CrdSchemas(found)


def _checked(obj: K8sObject) -> bool:
    return obj.group not in _NOT_APPLIED_GROUPS and not (obj.kind == "List" and obj.api_version == "v1")


# --- schema/invalid ------------------------------------------------------------------------------


def check_invalid(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    schemas = _Schemas.of(hub, ctx)
    for obj in hub.objects:
        if not _checked(obj):
            continue
        if not obj.api_version:
            yield ctx.finding(f"{obj.kind} has no apiVersion", obj.locate("kind"), hub=hub.name, obj=obj, key="apiVersion")
            continue
        retired = schemas.retired(obj)
        if retired is not None:
            message, removed = retired
            if removed or ctx.options["deprecated_apis"]:
                # Still served: it works today, so a warning that names the replacement, not an error.
                yield ctx.finding(message, obj.locate("apiVersion"), hub=hub.name, obj=obj,
                                  key=f"retired:{obj.api_version}/{obj.kind}", severity=None if removed else Severity.WARNING)
            if removed:
                continue
        validator = schemas.validator(obj)
        if validator is None:
            continue
        data = obj.data
        encrypted = isinstance(data.get("sops"), dict)
        if encrypted:  # SOPS metadata: Flux's kustomize-controller strips it before applying
            data = {k: v for k, v in data.items() if k != "sops"}
        for path, detail in _problems(validator, obj, data, encrypted):
            dotted = _dotted(path) or "top level"
            yield ctx.finding(f"{dotted}: {detail}", obj.locate(*path), hub=hub.name, obj=obj, key=dotted)


# validator id -> (the validator, kept so its id is not reused; {object fingerprint: problems})
_PROBLEMS: dict[int, tuple[Any, dict[str, list[tuple[tuple, str]]]]] = {}


def _problems(validator: Any, obj: K8sObject, data: dict, encrypted: bool) -> list[tuple[tuple, str]]:
    """The readable problems of one object, computed once per distinct content: a base rendered
    for twenty hubs is the same object twenty times, and validation is the costliest check."""
    _, cache = _PROBLEMS.setdefault(id(validator), (validator, {}))
    found = cache.get(obj.fingerprint)
    if found is None:
        found = [problem for error in validator.iter_errors(data) for problem in _explain(error, obj, encrypted)]
        cache[obj.fingerprint] = found
    return found


def _explain(error: ValidationError, obj: K8sObject, encrypted: bool) -> Iterator[tuple[tuple, str]]:
    """(path of the offending field, readable message) for one validator error."""
    path = tuple(error.absolute_path)
    instance = error.instance
    if isinstance(instance, str) and (_FLUX_VAR.search(instance) or (encrypted and instance.startswith("ENC["))):
        return  # replaced before the cluster sees it (Flux substitution, SOPS decryption)
    kind = error.validator
    if kind == "additionalProperties" and error.validator_value is False and isinstance(instance, dict):
        known = list((error.schema.get("properties") or {}).keys())
        patterns = list((error.schema.get("patternProperties") or {}).keys())
        for name in instance:
            if name in known or any(re.search(p, str(name)) for p in patterns):
                continue
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            # A field name can be a secret pasted in the wrong place: never echo it in full.
            yield path + (name,), f"unknown field {redact_if_secret(str(name))!r}{hint}"
        return
    if kind in ("oneOf", "anyOf"):
        options = error.validator_value if isinstance(error.validator_value, list) else []
        if options and all(isinstance(o, dict) and set(o) <= {"type", "format"} for o in options):
            types = [t for o in options for t in _types(o.get("type"))]
            yield path, f"{_show(instance, obj, path)} is not of type {_or(types)}"
            return
        if error.context:
            yield from _explain(best_match(error.context), obj, encrypted)
            return
    if kind == "type":
        yield path, f"{_show(instance, obj, path)} is not of type {_or(_types(error.validator_value))}"
    elif kind == "enum":
        allowed = [v for v in error.validator_value if v is not None]
        listed = ", ".join(repr(v) for v in allowed[:12]) + (", …" if len(allowed) > 12 else "")
        yield path, f"{_show(instance, obj, path)} is not one of {listed}"
    elif kind == "required":
        yield path, error.message
    else:
        yield path, error.message.replace(repr(instance), _show(instance, obj, path))


def _types(value: Any) -> list[str]:
    types = value if isinstance(value, list) else [value]
    return [t for t in types if t and t != "null"]  # kubernetes-validate allows null everywhere


def _or(types: list[str]) -> str:
    unique = list(dict.fromkeys(types))
    return " or ".join(repr(t) for t in unique)


def _show(value: Any, obj: K8sObject, path: tuple) -> str:
    """A value as a message may show it: secrets redacted (SPEC), long text and collections summarised."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    sensitive = (obj.kind == "Secret" and path[:1] in (("data",), ("stringData",))) or any(
        isinstance(step, str) and _CREDENTIAL_KEY.search(step) for step in path
    )
    if sensitive:
        return redact(str(value))
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…'"


def _dotted(path: tuple) -> str:
    out = ""
    for step in path:
        step = redact_if_secret(step) if isinstance(step, str) else step
        if isinstance(step, int):
            out += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z0-9_-]+", str(step)):
            out += f".{step}" if out else str(step)
        else:
            out += f"[{str(step)!r}]"
    return out


# --- schema/unknown-kind -------------------------------------------------------------------------


def check_unknown(hub: HubInventory, ctx: RuleContext) -> Iterator[Finding]:
    schemas = _Schemas.of(hub, ctx)
    ignored = set(ctx.options["ignore_groups"])
    for obj in hub.objects:
        if not _checked(obj) or not obj.api_version or obj.group in ignored:
            continue
        if schemas.retired(obj) is not None or schemas.validator(obj) is not None:
            continue  # a retired version is reported by schema/invalid, with its replacement
        subject = f"{obj.api_version} {obj.kind}"
        if kubernetes_schemas.is_core_group(obj.group):
            message = (f"Kubernetes {kubernetes_schemas.version_text(schemas.version)} has no {subject}: check the kind and "
                       "apiVersion, or the hub's kubernetes_version")
        else:
            message = f"no schema for {subject}: add its CRD or JSON Schema to schema.crd_paths in .hubguard.yaml"
        yield ctx.finding(message, obj.locate("kind"), hub=hub.name, obj=obj, key=subject)


INVALID = Rule(
    id="schema/invalid",
    severity=Severity.ERROR,
    scope=Scope.HUB,
    summary="An object does not match the schema of its kind for the hub's Kubernetes version, or uses a retired API version.",
    doc="""Every object a hub receives is validated against its schema: core kinds against the Kubernetes
OpenAPI schemas of the hub's `kubernetes_version` (the policy's; the newest bundled when unset),
custom resources against the bundled CRD schemas (Flux, Argo CD, cert-manager, External Secrets,
Sealed Secrets, Prometheus Operator monitors), the CRDs the hub itself receives, and those added
with `schema.crd_paths`. The API server rejects such objects, or silently drops unknown fields
(a misspelt `readinessProbe` is no probe at all), so a hub ends up different from what Git says.
With `schema.strict: true` (the default) unknown fields are errors. Each error is reported at the
line of the offending field. An API version the hub no longer serves is an error naming its
replacement; one it still serves but has deprecated is a warning naming the replacement. Core
kinds follow the hub's `kubernetes_version`, Flux kinds its `flux_version` (else the release
`flux bootstrap` wrote atop the hub's gotk-components.yaml, else 2.7, the oldest Flux release
still supported upstream): `source.toolkit.fluxcd.io/v1beta2 OCIRepository` is a warning on Flux
2.6 and 2.7 and an error from 2.8, which no longer serves it. The `sops:` block of SOPS-encrypted
files, encrypted values and Flux `${VAR}` substitutions are not schema errors.

FAIL:

    apiVersion: apps/v1
    kind: Deployment
    spec:
      replicas: two                 # spec.replicas: 'two' is not of type 'integer'
      template:
        spec:
          containers:
          - name: web
            readinesProbe: {}       # unknown field 'readinesProbe'; did you mean 'readinessProbe'?

    apiVersion: policy/v1beta1      # removed in Kubernetes 1.25; use policy/v1
    kind: PodDisruptionBudget

PASS:

    apiVersion: apps/v1
    kind: Deployment
    spec:
      replicas: 2
      template:
        spec:
          containers:
          - name: web
            readinessProbe: {httpGet: {path: /healthz, port: 8080}}
""",
    remediation="""Fix the field named in the message (`kubectl explain deployment.spec` shows the schema), or
move to the replacement API version the message names. Make sure each hub's `kubernetes_version`
in .hubguard.yaml is the version it really runs:

    hubs:
      seattle: {kubernetes_version: "1.30"}

Fields the cluster accepts but the bundled schema does not know (a newer operator version) can be
allowed with `schema: {strict: false}`, or better by adding that version's CRD with
`schema: {crd_paths: [schemas/crds-extra]}`. Deprecated-but-served API versions can be tolerated
with `rules: {schema/invalid: {deprecated_apis: false}}`. To accept one object as it is, annotate
it with `hubguard.io/ignore: schema/invalid` and a `hubguard.io/ignore-reason`, or put
`# hubguard: ignore[schema/invalid] reason` on the line above the field.""",
    check=check_invalid,
    options={
        "deprecated_apis": {
            "type": "boolean",
            "default": True,
            "description": "Also report (as warnings) API versions the hub still serves but has deprecated.",
        },
    },
)

UNKNOWN_KIND = Rule(
    id="schema/unknown-kind",
    severity=Severity.WARNING,
    scope=Scope.HUB,
    summary="An object's kind and apiVersion have no schema, so it cannot be validated.",
    doc="""An object whose kind hubguard has no schema for is not validated at all: a typo in `kind` or
`apiVersion`, an API the hub's Kubernetes version does not serve yet, or a custom resource whose
CRD schema is not known. The message names the apiVersion and kind.

FAIL:

    apiVersion: example.com/v1
    kind: Widget                 # no schema for example.com/v1 Widget

PASS: the CRD of `Widget` is rendered for the hub, or listed in `schema.crd_paths`:

    # .hubguard.yaml
    schema:
      crd_paths: [schemas/crds-extra]   # schemas/crds-extra/example.com/widget_v1.json
""",
    remediation="""Check the kind and apiVersion for typos and the hub's `kubernetes_version`. For custom
resources, add their schemas with `schema.crd_paths` in .hubguard.yaml: folders of
`<group>/<kind>_<version>.json` JSON Schemas, or CRD YAML files (their openAPIV3Schema is used).
Whole API groups can be skipped with `rules: {schema/unknown-kind: {ignore_groups: [example.com]}}`;
one object with the annotation `hubguard.io/ignore: schema/unknown-kind`.""",
    check=check_unknown,
    options={
        "ignore_groups": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "API groups whose kinds are not expected to have a schema.",
        },
    },
)

RULES = [INVALID, UNKNOWN_KIND]
