"""JSON Schemas for Kubernetes objects, loaded lazily and cached for the whole process.

- Core kinds: the schemas `kubernetes-validate` ships for each Kubernetes minor version (`strict`
  variants forbid unknown fields). Its `validate()` re-reads the 1.6 MB definitions file on every
  call and stops at the first error; here `_definitions.json` is read once per (version,
  strictness) into a `referencing` registry, and one validator per (version, strictness, kind,
  apiVersion) is built once, so every object costs only its own validation.
- Custom resources: the bundled `schemas/crds/<group>/<kind>_<version>.json` (read once each, on
  first use) and the user's own (`CrdSchemas`, built from a repository's files by the rule).

Each schema is checked two ways (`ObjectSchema`): jsonschema-rs, compiled, answers "is this object
valid?" in microseconds, and only for an object it rejects does the `jsonschema` validator walk it
to explain every error (its messages and paths are what findings show). Almost every object is
valid, so the costly walk is rarely taken; and since a rejection is always explained by
`jsonschema`, a difference between the two can only cost time, never invent a finding. The other
way round (jsonschema-rs accepting what `jsonschema` rejects) would hide one, which
tests/schema/test_quick_check.py guards against on every invalid object the tests know.

The schemas declare Draft 2020-12 but use only draft-4 keywords (`$defs` is just a container that
`$ref` points into; `$ref` siblings are only annotations), so the Draft 7 validator class gives
the same errors. It is at least as fast: about 10% less CPU on a large Deployment, the same on
the mixed corpus of bench/schema_speed.py, where `$ref` resolution dominates.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Callable, Iterator, Mapping

import jsonschema
import jsonschema_rs
import referencing
import referencing.jsonschema

from hubguard.policy import POLICY_FILE

VALIDATOR_CLASS = jsonschema.Draft7Validator
_SPEC = referencing.jsonschema.DRAFT7
DEFINITIONS_URI = "https://kubernetes.io/api/_definitions.json"
OBJECT_META_REF = DEFINITIONS_URI + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


# --- one kind's schema ---------------------------------------------------------------------------


class ObjectSchema:
    """The schema of one kind: `iter_errors` yields `jsonschema`'s errors, after a compiled
    "valid?" check that lets valid objects (nearly all) skip the slow walk."""

    def __init__(self, schema: dict, definitions: dict) -> None:
        self.schema = schema
        self.explain = VALIDATOR_CLASS(schema, registry=_registry_of(definitions))
        self.quick = _quick_validator(schema, definitions)

    def iter_errors(self, data: Any) -> Iterator[jsonschema.ValidationError]:
        if self.quick is not None:
            try:
                if self.quick.is_valid(data):
                    return iter(())
            except (ValueError, TypeError, OverflowError):
                pass  # a value JSON has no type for (a YAML date, a huge integer): explain it
        return self.explain.iter_errors(data)


def _quick_validator(schema: dict, definitions: dict) -> Any:
    """jsonschema-rs for the same schema and definitions, offline and without format assertions
    (as the `jsonschema` validator, which is given no format checker). None if it cannot compile
    the schema (a user CRD's regex it does not support, say): `jsonschema` alone then decides."""
    try:
        return jsonschema_rs.Draft7Validator(schema, registry=_quick_registry_of(definitions), validate_formats=False, offline=True)
    except Exception:  # noqa: BLE001 - any refusal to compile just means no shortcut
        return None


# One registry of each kind per definitions document (a Kubernetes version's 1.6 MB of
# definitions costs milliseconds to take in, and every kind of that version shares it).
_REGISTRIES: dict[tuple[str, int], tuple[dict, Any]] = {}  # (kind of registry, id of definitions)


def _kept(kind: str, definitions: dict, make: Callable[[], Any]) -> Any:
    """`make()` once per definitions document and kind of registry (the id alone could be reused)."""
    found = _REGISTRIES.get((kind, id(definitions)))
    if found is None or found[0] is not definitions:
        found = _REGISTRIES[(kind, id(definitions))] = (definitions, make())
    return found[1]


def _registry_of(definitions: dict) -> referencing.Registry:
    """The `referencing` registry holding one definitions document."""
    def make() -> referencing.Registry:
        resource = referencing.Resource(contents=definitions, specification=_SPEC)
        return referencing.Registry().with_resource(DEFINITIONS_URI, resource)

    return _kept("referencing", definitions, make)


def _quick_registry_of(definitions: dict) -> Any:
    """The jsonschema-rs registry holding one definitions document."""
    return _kept("jsonschema-rs", definitions,
                 lambda: jsonschema_rs.Registry([(DEFINITIONS_URI, definitions)], draft=jsonschema_rs.Draft7))


# --- Kubernetes versions -------------------------------------------------------------------------


def _k8s_schema_root():
    return resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")


@functools.lru_cache(maxsize=1)
def bundled_versions() -> tuple[tuple[int, int], ...]:
    """The Kubernetes minor versions kubernetes-validate ships schemas for, oldest first."""
    found = set()
    for entry in _k8s_schema_root().iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local", entry.name)
        if match:
            found.add((int(match[1]), int(match[2])))
    return tuple(sorted(found))


def parse_version(text: str | None) -> tuple[int, int] | None:
    """`"1.30"`, `"v1.30.2"` -> (1, 30). A YAML float such as `1.30` reaches us as "1.3": no
    Kubernetes release with a one-digit minor is in use any more, so "1.3" is read as 1.30."""
    if text is None:
        return None
    match = re.match(r"^v?(\d+)\.(\d+)", str(text).strip())
    if not match:
        return None
    major, minor_text = int(match[1]), match[2]
    minor = int(minor_text)
    if major == 1 and len(minor_text) == 1 and minor < 10 and (1, minor * 10) >= bundled_versions()[0]:
        minor *= 10
    return (major, minor)


def schema_version(requested: str | None) -> tuple[int, int]:
    """The bundled version used for a hub: the newest not newer than the requested minor (the
    newest of all when nothing is requested; the oldest when the request predates them all)."""
    versions = bundled_versions()
    wanted = parse_version(requested)
    if wanted is None:
        return versions[-1]
    older = [v for v in versions if v <= wanted]
    return older[-1] if older else versions[0]


def version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def version_note(hub: str, requested: str | None) -> str | None:
    """A note for a hub whose `kubernetes_version` predates every bundled schema: its objects are
    checked against the oldest one instead, which the user should know."""
    wanted, oldest = parse_version(requested), bundled_versions()[0]
    if wanted is None or wanted >= oldest:
        return None
    return (f"hub {hub}: kubernetes_version {requested} is older than the oldest bundled Kubernetes schema; "
            f"its objects are checked against {version_text(oldest)}")


# --- core kinds ------------------------------------------------------------------------------------


def _schema_dir(version: tuple[int, int], strict: bool):
    name = f"v{version[0]}.{version[1]}.0-local" + ("-strict" if strict else "")
    return _k8s_schema_root().joinpath(name)


@functools.lru_cache(maxsize=None)
def core_definitions(version: tuple[int, int], strict: bool) -> dict:
    """The version's `_definitions.json`, read once per process."""
    return json.loads(_schema_dir(version, strict).joinpath("_definitions.json").read_text(encoding="utf-8"))


def core_registry(version: tuple[int, int], strict: bool) -> referencing.Registry:
    """A `referencing` registry holding the version's definitions (built once per process)."""
    return _registry_of(core_definitions(version, strict))


# `*.k8s.io` groups that Kubernetes itself does not serve: SIG projects installed as CRDs (Gateway
# API, volume snapshots, network policy API) or aggregated APIs (metrics). Their schemas come from
# their CRDs, like any custom resource's.
_INSTALLED_K8S_IO_GROUPS = frozenset({
    "gateway.networking.k8s.io", "snapshot.storage.k8s.io", "policy.networking.k8s.io",
    "metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io",
})


def is_core_group(group: str) -> bool:
    """Groups served by Kubernetes itself (the legacy core group, `apps`, `batch`, `*.k8s.io`
    but for the SIG projects installed separately)."""
    return group == "" or "." not in group or (group.endswith(".k8s.io") and group not in _INSTALLED_K8S_IO_GROUPS)


_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}")
_API_VERSION = re.compile(r"(?:[a-z0-9][a-z0-9.-]{0,252}/)?v[a-z0-9]{1,20}")


@functools.lru_cache(maxsize=None)
def core_validator(version: tuple[int, int], strict: bool, kind: str, api_version: str):
    """The validator for a core kind at a Kubernetes version, or None when that version has no
    such kind/apiVersion. Cached: built once per process."""
    if not (_KIND.fullmatch(kind) and _API_VERSION.fullmatch(api_version)):
        return None  # not a Kubernetes name: no schema file can be meant (and none is looked up)
    group, _, api = api_version.rpartition("/")
    short_group = group.split(".", 1)[0]
    name = f"{kind.lower()}-{short_group}-{api}.json" if group else f"{kind.lower()}-{api}.json"
    path = _schema_dir(version, strict).joinpath(name)
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    # File names only keep the group's first label; check the real group/version/kind so that a
    # custom `apps.example.com/v1 Deployment` or a sub-type such as `Affinity` is never matched.
    gvks = schema.get("x-kubernetes-group-version-kind") or []
    if not any((g.get("group"), g.get("version"), g.get("kind")) == (group, api, kind) for g in gvks):
        return None
    return ObjectSchema(schema, core_definitions(version, strict))


# --- custom resources ------------------------------------------------------------------------------

CrdKey = tuple[str, str, str]  # (group, kind lowercased, version)


def _crd_root():
    return resources.files("hubguard.schemas").joinpath("crds")


@functools.lru_cache(maxsize=1)
def bundled_crds() -> frozenset[CrdKey]:
    """Which CRD schemas are bundled (a directory listing; no file is read)."""
    keys = set()
    for group_dir in _crd_root().iterdir():
        if not group_dir.is_dir():
            continue
        for entry in group_dir.iterdir():
            match = re.fullmatch(r"([a-z0-9.-]+)_([a-z0-9]+)\.json", entry.name)
            if match:
                keys.add((group_dir.name, match[1], match[2]))
    return frozenset(keys)


@functools.lru_cache(maxsize=None)
def _bundled_crd_raw(key: CrdKey) -> dict:
    group, kind, version = key
    return json.loads(_crd_root().joinpath(group, f"{kind}_{version}.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _bundled_crd_schema(key: CrdKey, strict: bool) -> dict:
    return adapt_crd_schema(_bundled_crd_raw(key), strict)


@functools.lru_cache(maxsize=None)
def bundled_crd_validator(key: CrdKey, strict: bool, version: tuple[int, int]):
    if key not in bundled_crds():
        return None
    return crd_validator(_bundled_crd_schema(key, strict), strict, version)


def crd_validator(schema: dict, strict: bool, version: tuple[int, int]):
    """A validator for an adapted CRD schema whose `metadata` is checked as Kubernetes ObjectMeta.
    The API server adds `apiVersion`, `kind` and `metadata` to every CRD schema; hand-written
    openAPIV3Schemas often leave them out."""
    properties = dict(schema.get("properties") or {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    properties["metadata"] = {"$ref": OBJECT_META_REF}
    return ObjectSchema({**schema, "properties": properties}, core_definitions(version, strict))


def adapt_crd_schema(schema: dict, strict: bool) -> dict:
    """A copy of an openAPIV3Schema as JSON Schema: `nullable` allows null; in strict mode an object
    with `properties` rejects unknown fields (as the API server prunes or rejects them), unless it
    preserves unknown fields; relaxed, no `additionalProperties: false` remains."""
    schema = copy.deepcopy(schema)
    _adapt(schema, strict)
    return schema


def _adapt(node: Any, strict: bool) -> None:
    if isinstance(node, list):
        for item in node:
            _adapt(item, strict)
        return
    if not isinstance(node, dict):
        return
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if node.get("additionalProperties") is False and (preserve or not strict):
        del node["additionalProperties"]
    elif strict and isinstance(node.get("properties"), dict) and "additionalProperties" not in node and not preserve:
        node["additionalProperties"] = False
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions", "$defs") and isinstance(value, dict):
            for sub in value.values():
                _adapt(sub, strict)
        elif key not in ("enum", "const", "default", "example", "required"):
            _adapt(value, strict)


@dataclass
class CrdSchemas:
    """Schemas a repository adds (policy `schema.crd_paths`, CRDs a hub receives), keyed by
    (group, kind lowercased, version); validators are built on first use and kept."""

    schemas: dict[CrdKey, dict]

    def __post_init__(self) -> None:
        self._validators: dict[tuple[CrdKey, bool, tuple[int, int]], Any] = {}

    def validator(self, key: CrdKey, strict: bool, version: tuple[int, int]):
        raw = self.schemas.get(key)
        if raw is None:
            return None
        cache_key = (key, strict, version)
        if cache_key not in self._validators:
            self._validators[cache_key] = crd_validator(adapt_crd_schema(raw, strict), strict, version)
        return self._validators[cache_key]


def schemas_from_crd(data: Any) -> dict[CrdKey, dict]:
    """The openAPIV3Schema of every version of a CustomResourceDefinition document."""
    if not isinstance(data, dict) or data.get("kind") != "CustomResourceDefinition":
        return {}
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
    if not isinstance(group, str) or not isinstance(kind, str):
        return {}
    found: dict[CrdKey, dict] = {}
    for entry in spec.get("versions") or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        schema = ((entry.get("schema") or {}).get("openAPIV3Schema")) or (spec.get("validation") or {}).get("openAPIV3Schema")
        if isinstance(schema, dict):
            found[(group, kind.lower(), entry["name"])] = schema
    return found


# --- retired API versions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Retired:
    replacement: str  # what to use instead
    removed: tuple[int, int] | None = None  # release of `project` that stopped serving it
    deprecated: tuple[int, int] | None = None  # release of `project` that deprecated it
    note: str | None = None  # retired independently of the versions a policy declares: always removed
    project: str = "Kubernetes"  # whose releases `removed` and `deprecated` are: Kubernetes or Flux


# A hub whose flux_version is not declared is taken to run the oldest Flux release still supported
# upstream (Flux supports its three newest minor releases; 2.9 is the newest this table knows): an
# API version that a supported Flux still serves is then a deprecation warning, never an error.
DEFAULT_FLUX_VERSION = (2, 7)


# The header `flux bootstrap` writes atop the gotk-components.yaml it commits for a cluster.
_FLUX_HEADER = re.compile(r"^# Flux Version: v?(\d+\.\d+)", re.MULTILINE)
_FLUX_CONTROLLERS = ("source-controller", "kustomize-controller", "helm-controller")


def hub_flux(hub: Any, repo: Any) -> tuple[tuple[int, int], str] | None:
    """The Flux release a hub runs, and the file that says so: the policy's `flux_version`, else
    the release `flux bootstrap` installed (the header of the components file the hub's Flux
    controllers are rendered from); None for a hub without Flux controllers."""
    declared = parse_version(hub.policy.flux_version)
    if declared is not None:
        return declared, POLICY_FILE
    for obj in hub.of_kind("Deployment"):
        if obj.name in _FLUX_CONTROLLERS and obj.namespace == "flux-system":
            src = repo.file(obj.source.path)
            match = _FLUX_HEADER.search((src.text or "")[:1000]) if src is not None else None
            version = parse_version(match[1]) if match else None
            if version is not None:
                return version, obj.source.path
    return None


def _table() -> dict[tuple[str, str], Retired]:
    table: dict[tuple[str, str], Retired] = {}

    def add(api_versions: str, kinds: str, replacement: str, removed=None, deprecated=None, note=None,
            project: str = "Kubernetes") -> None:
        for api_version in api_versions.split():
            for kind in kinds.split():
                table[(api_version, kind)] = Retired(replacement, removed, deprecated, note, project)

    # Kubernetes deprecated API migration guide.
    add("extensions/v1beta1 apps/v1beta1 apps/v1beta2", "Deployment DaemonSet ReplicaSet StatefulSet", "apps/v1", (1, 16), (1, 9))
    add("extensions/v1beta1", "NetworkPolicy", "networking.k8s.io/v1", (1, 16), (1, 9))
    add("extensions/v1beta1 networking.k8s.io/v1beta1", "Ingress", "networking.k8s.io/v1", (1, 22), (1, 19))
    add("networking.k8s.io/v1beta1", "IngressClass", "networking.k8s.io/v1", (1, 22), (1, 19))
    add("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io/v1", (1, 22), (1, 16))
    add("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "apiextensions.k8s.io/v1", (1, 22), (1, 16))
    add("apiregistration.k8s.io/v1beta1", "APIService", "apiregistration.k8s.io/v1", (1, 22), (1, 19))
    add("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "certificates.k8s.io/v1", (1, 22), (1, 19))
    add("coordination.k8s.io/v1beta1", "Lease", "coordination.k8s.io/v1", (1, 22), (1, 14))
    add("rbac.authorization.k8s.io/v1beta1", "ClusterRole ClusterRoleBinding Role RoleBinding",
        "rbac.authorization.k8s.io/v1", (1, 22), (1, 17))
    add("scheduling.k8s.io/v1beta1", "PriorityClass", "scheduling.k8s.io/v1", (1, 22), (1, 14))
    add("storage.k8s.io/v1beta1", "CSIDriver CSINode StorageClass VolumeAttachment", "storage.k8s.io/v1", (1, 22), (1, 19))
    add("batch/v1beta1", "CronJob", "batch/v1", (1, 25), (1, 21))
    add("discovery.k8s.io/v1beta1", "EndpointSlice", "discovery.k8s.io/v1", (1, 25), (1, 21))
    add("events.k8s.io/v1beta1", "Event", "events.k8s.io/v1", (1, 25), (1, 19))
    add("autoscaling/v2beta1", "HorizontalPodAutoscaler", "autoscaling/v2", (1, 25), (1, 22))
    add("policy/v1beta1", "PodDisruptionBudget", "policy/v1", (1, 25), (1, 21))
    add("policy/v1beta1 extensions/v1beta1", "PodSecurityPolicy", "Pod Security Admission (namespace labels)", (1, 25), (1, 21))
    add("node.k8s.io/v1beta1", "RuntimeClass", "node.k8s.io/v1", (1, 25), (1, 20))
    add("autoscaling/v2beta2", "HorizontalPodAutoscaler", "autoscaling/v2", (1, 26), (1, 23))
    flow_kinds, flow_v1 = "FlowSchema PriorityLevelConfiguration", "flowcontrol.apiserver.k8s.io/v1"
    add("flowcontrol.apiserver.k8s.io/v1beta1", flow_kinds, flow_v1, (1, 26), (1, 23))
    add("storage.k8s.io/v1beta1", "CSIStorageCapacity", "storage.k8s.io/v1", (1, 27), (1, 24))
    add("flowcontrol.apiserver.k8s.io/v1beta2", flow_kinds, flow_v1, (1, 29), (1, 26))
    add("flowcontrol.apiserver.k8s.io/v1beta3", flow_kinds, flow_v1, (1, 32), (1, 29))
    # Custom resources whose projects retired an API version (independent of the Kubernetes version).
    add("external-secrets.io/v1alpha1 external-secrets.io/v1beta1",
        "ExternalSecret ClusterExternalSecret SecretStore ClusterSecretStore", "external-secrets.io/v1",
        note="no longer served by External Secrets Operator 0.17 and later")
    # Flux: the versions each Flux minor release's CRDs serve and mark deprecated (kustomize-,
    # source- and helm-controller config/crd/bases of Flux 2.0 to 2.9).
    kustomize_v1, source_v1, helm_v2 = "kustomize.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1", "helm.toolkit.fluxcd.io/v2"
    add("kustomize.toolkit.fluxcd.io/v1beta1", "Kustomization", kustomize_v1, (2, 7), (2, 0), project="Flux")
    add("kustomize.toolkit.fluxcd.io/v1beta2", "Kustomization", kustomize_v1, (2, 8), (2, 0), project="Flux")
    add("source.toolkit.fluxcd.io/v1beta1", "GitRepository", source_v1, (2, 7), (2, 0), project="Flux")
    add("source.toolkit.fluxcd.io/v1beta2", "GitRepository", source_v1, (2, 8), (2, 0), project="Flux")
    add("source.toolkit.fluxcd.io/v1beta1", "HelmRepository HelmChart Bucket", source_v1, (2, 7), (2, 3), project="Flux")
    add("source.toolkit.fluxcd.io/v1beta2", "HelmRepository HelmChart", source_v1, (2, 8), (2, 3), project="Flux")
    add("source.toolkit.fluxcd.io/v1beta2", "Bucket", source_v1, (2, 8), (2, 4), project="Flux")
    add("source.toolkit.fluxcd.io/v1beta2", "OCIRepository", source_v1, (2, 8), (2, 6), project="Flux")
    add("helm.toolkit.fluxcd.io/v2beta1", "HelmRelease", helm_v2, (2, 7), (2, 2), project="Flux")
    add("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease", helm_v2, (2, 8), (2, 3), project="Flux")
    add("cert-manager.io/v1alpha2 cert-manager.io/v1alpha3 cert-manager.io/v1beta1",
        "Certificate Issuer ClusterIssuer CertificateRequest", "cert-manager.io/v1",
        note="no longer served by cert-manager 1.7 and later")
    return table


RETIRED: dict[tuple[str, str], Retired] = _table()


def retired_message(api_version: str, kind: str, running: Mapping[str, tuple[int, int]]) -> tuple[str, bool] | None:
    """(message, removed) when `api_version` `kind` is retired on a hub running the releases
    `running` ({"Kubernetes": (1, 30), "Flux": (2, 7)}): removed (no longer served) or deprecated
    (served, but on its way out). None otherwise."""
    entry = RETIRED.get((api_version, kind))
    if entry is None:
        return None
    subject = f"{api_version} {kind}"
    if entry.note:
        return f"{subject} is {entry.note}; use {entry.replacement}", True
    version = running.get(entry.project)
    if version is None:
        return None
    if entry.removed and version >= entry.removed:
        return f"{subject} was removed in {entry.project} {version_text(entry.removed)}; use {entry.replacement}", True
    if entry.deprecated and version >= entry.deprecated:
        removed = f" and removed in {version_text(entry.removed)}" if entry.removed else ""
        return (f"{subject} is deprecated since {entry.project} {version_text(entry.deprecated)}{removed}; "
                f"use {entry.replacement}"), False
    return None
