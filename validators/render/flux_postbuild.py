"""Flux post-build substitution (kustomize-controller's `LoadVariables` and `SubstituteVariables`):
the variables of `postBuild.substituteFrom` ConfigMaps and Secrets, then of `postBuild.substitute`,
every value with its newlines removed, evaluated in each object by hubguard.render.envsubst.

Flux reads the referenced objects from the cluster, after the Kustomizations it depends on applied
them; hubguard reads them from what the hub receives from Git (whichever Kustomization of the hub
creates them), and failing that from the one document of the repository that defines them. A Secret's `data` is base64-decoded and its `stringData` applied over
it, as the API server does. A SOPS-encrypted value is unknown here: a marked placeholder stands in.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any, Callable

import yaml

from hubguard.findings import Location
from hubguard.model import K8sObject
from hubguard.render.envsubst import SubstitutionError, has_expression, substitute

SUBSTITUTE = "kustomize.toolkit.fluxcd.io/substitute"  # label or annotation
DISABLED = "disabled"

try:  # libyaml: rendered objects need no positions, only speed
    _FastLoader: Any = yaml.CSafeLoader
    _FastDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader, _FastDumper = yaml.SafeLoader, yaml.SafeDumper

# kustomize_varsub.go `varsubRegex`: Flux refuses every other variable name
_VARIABLE_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
_SOPS_VALUE = re.compile(r"^ENC\[[A-Za-z0-9_]+,data:")


def encrypted_placeholder(name: str) -> str:
    """What stands for a SOPS-encrypted variable: a placeholder that no rule reads as a value."""
    return f"<sops-encrypted:{name}>"


@dataclass(frozen=True)
class Reference:
    """One `substituteFrom` entry and where it is written."""

    kind: str
    name: str
    namespace: str | None
    optional: bool
    location: Location

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Variables:
    """The outcome for one Flux Kustomization.

    `values` is None when Flux substitutes nothing: no `postBuild`, no variable at all under the
    default strategy, or a reference Flux would fail on (`missing`, `invalid`)."""

    values: dict[str, str] | None
    missing: tuple[Reference, ...] = ()  # required references nothing in the hub provides
    encrypted: tuple[Reference, ...] = ()  # references whose values are SOPS-encrypted
    invalid: str | None = None  # a variable name Flux refuses

    def key(self) -> tuple:
        return (None if self.values is None else tuple(sorted(self.values.items())),)


NO_VARIABLES = Variables(None)


def references(kustomization: K8sObject) -> list[Reference]:
    post = kustomization.get("spec", "postBuild")
    refs = post.get("substituteFrom") if isinstance(post, dict) else None
    out = []
    for index, ref in enumerate(refs if isinstance(refs, list) else []):
        if isinstance(ref, dict) and isinstance(ref.get("name"), str):
            out.append(Reference(str(ref.get("kind") or "ConfigMap"), ref["name"], kustomization.namespace,
                                 ref.get("optional") is True,
                                 kustomization.locate("spec", "postBuild", "substituteFrom", index)))
    return out


Lookup = Callable[[str, "str | None", str], "K8sObject | None"]


def flux_variables(kustomization: K8sObject, find: Lookup) -> Variables:
    """The variables `kustomization` substitutes; `find(kind, namespace, name)` is the object of the
    hub (or, failing that, of the repository) a reference names, if any."""
    post = kustomization.get("spec", "postBuild")
    if not isinstance(post, dict):
        return NO_VARIABLES
    values: dict[str, str] = {}
    missing: list[Reference] = []
    encrypted: list[Reference] = []
    for ref in references(kustomization):
        source = find(ref.kind, ref.namespace, ref.name)
        if source is None:
            if not ref.optional:
                missing.append(ref)
            continue
        data, sealed = secret_data(source) if ref.kind == "Secret" else (_config_map_data(source), False)
        if sealed:
            encrypted.append(ref)
        values.update({k: v.replace("\n", "") for k, v in data.items()})
    inline = post.get("substitute")
    if isinstance(inline, dict):
        values.update({str(k): _text(v).replace("\n", "") for k, v in inline.items()})
    invalid = next((name for name in values if not _VARIABLE_NAME.fullmatch(name)), None)
    if missing or invalid is not None:
        return Variables(None, tuple(missing), tuple(encrypted),
                         f"'{invalid}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'" if invalid else None)
    if not values and post.get("substituteStrategy") != "Always":
        return Variables(None, (), tuple(encrypted))
    return Variables(values, (), tuple(encrypted))


def _config_map_data(obj: K8sObject) -> dict[str, str]:
    data = obj.get("data")
    return {str(k): _text(v) for k, v in data.items()} if isinstance(data, dict) else {}


def secret_data(obj: K8sObject) -> tuple[dict[str, str], bool]:
    """A Secret's values as the cluster holds them, and whether any was SOPS-encrypted."""
    out: dict[str, str] = {}
    sealed = False
    for field in ("data", "stringData"):
        entries = obj.get(field)
        if not isinstance(entries, dict):
            continue
        for key, raw in entries.items():
            text = _text(raw)
            if _SOPS_VALUE.match(text):
                out[str(key)] = encrypted_placeholder(str(key))
                sealed = True
            elif field == "data":
                out[str(key)] = _decoded(text)
            else:
                out[str(key)] = text
    return out, sealed


def _decoded(text: str) -> str:
    try:
        return base64.b64decode("".join(text.split()), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return text  # the API server would refuse it; keep the text rather than invent a value


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def substituted(batch: list[K8sObject], values: dict[str, str]) -> tuple[list[K8sObject], list[str]]:
    """Objects as Flux's post-build substitution leaves them: each object's YAML text evaluated
    with `values` (so `replicas: ${N}` becomes a number, as in Flux), except objects labelled or
    annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`; and why Flux fails on an object
    (such objects are kept unsubstituted here)."""
    out = []
    failed: list[str] = []
    for obj in batch:
        data = obj.data
        disabled = DISABLED in (obj.labels.get(SUBSTITUTE), obj.annotations.get(SUBSTITUTE))
        if not disabled and _has_variable(data):
            by_value = _substituted_values(data, values)
            if by_value is not None:
                data = by_value
            else:
                text = yaml.dump(data, Dumper=_FastDumper, sort_keys=False)
                try:
                    loaded = yaml.load(substitute(text, values), Loader=_FastLoader)
                except SubstitutionError as exc:
                    failed.append(f"Flux post-build substitution of {obj.ref} fails (envsubst error: {exc}); "
                                  "Flux will fail to apply it")
                    loaded = None
                except yaml.YAMLError as exc:
                    reason = str(getattr(exc, "problem", None) or "does not parse")
                    failed.append(f"Flux post-build substitution makes {obj.ref} invalid YAML ({reason}); "
                                  "Flux will fail to apply it")
                    loaded = None
                data = loaded if isinstance(loaded, dict) else data
        out.append(obj if data is obj.data else K8sObject(data, obj.source, obj.document, obj.overrides, obj.generated))
    return out, failed


class _WholeText(Exception):
    """A variable that only the whole object's YAML text can substitute faithfully."""


def _substituted_values(data: dict, values: dict[str, str]) -> dict | None:
    """`data` substituted value by value, or None when that would differ from Flux's substitution
    in the object's YAML text. Each string holding `${` is written as YAML alone (the emitter picks
    the same style for a value as for a lone scalar), substituted and read back, so `replicas:
    ${N}` still becomes a number. That is exact while the written value is one line and no
    variable sits in a key or expands to several lines; otherwise the caller substitutes the whole
    text. Re-serialising only the few strings with variables is far cheaper than the object."""
    if any("\n" in value for value in values.values()):
        return None
    def one(value: str) -> Any:
        text = yaml.dump(value, Dumper=_FastDumper)
        if text.endswith("\n...\n"):
            text = text[: -len("...\n")]
        if text.count("\n") != 1:
            raise _WholeText
        try:
            loaded = yaml.load(substitute(text, values), Loader=_FastLoader)
        except (yaml.YAMLError, SubstitutionError):
            raise _WholeText from None
        if isinstance(loaded, (dict, list)):  # `k: ${V}` with V = "a: b" is no mapping in the whole text
            raise _WholeText
        return loaded

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if any(isinstance(k, str) and has_expression(k) for k in node):
                raise _WholeText
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and has_expression(node):
            return one(node)
        return node

    try:
        return walk(data)
    except _WholeText:
        return None


def _has_variable(node: Any) -> bool:
    """Whether any key or string holds `${` or `$$`: only those objects are worth re-serialising."""
    if isinstance(node, dict):
        return any(_has_variable(k) or _has_variable(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_has_variable(v) for v in node)
    return isinstance(node, str) and has_expression(node)
