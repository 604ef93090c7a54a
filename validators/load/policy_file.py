"""Reading the policy file `.hubguard.yaml`: parsed, validated against its JSON Schema, turned into
a `Policy` (the values live in hubguard.policy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hubguard.errors import ConfigError
from hubguard.load.sources import parse_yaml
from hubguard.policy import (
    DEFAULT_PII_LABEL,
    POLICY_FILE,
    HubPolicy,
    PiiPolicy,
    Policy,
    RepositoryPolicy,
    SchemaPolicy,
)


def find_repository_root(path: Path) -> Path:
    """The root of the repository `path` lies in, found upward as git finds its work tree: the
    nearest folder holding .hubguard.yaml, not above the git work tree's top; else that top; else
    `path` itself. `validate apps/` then checks the repository under its own policy, and paths in
    the output stay relative to the repository root."""
    if not path.is_dir():
        return path  # the caller reports it
    start = path.resolve()
    for folder in (start, *start.parents):
        if (folder / POLICY_FILE).is_file() or (folder / ".git").exists():
            return folder if folder != start else path
    return path


def load_policy(root: Path, explicit: Path | None = None) -> Policy:
    """The policy for `root`: `explicit` if given, else `root/.hubguard.yaml`, else defaults.
    Hubs not declared there are discovered from `clusters/<hub>/` folders (SPEC)."""
    path = explicit if explicit is not None else root / POLICY_FILE
    raw: dict[str, Any] = {}
    label = str(explicit) if explicit is not None else POLICY_FILE
    if explicit is not None and not path.is_file():
        raise ConfigError(f"{label}: policy file not found")
    if path.is_file() and not path.is_symlink():
        raw = _read(path, label)
    policy = build_policy(raw, root, label)
    _check_roots(policy, root, label)
    return policy


def _check_roots(policy: Policy, root: Path, label: str) -> None:
    """A declared hub whose root is missing is a configuration error: rendering nothing for it would
    report every workload of the other hubs as a parity gap instead of the one typo."""
    if not policy.hubs_declared:
        return
    for hub in policy.hubs.values():
        for hub_root in hub.roots:
            if not (root / hub_root).exists():
                raise ConfigError(f"{label}: hubs.{hub.name}.roots: {hub_root} does not exist")


def _read(path: Path, label: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot be read ({exc})") from None
    docs, error = parse_yaml(label, text)
    if error is not None:
        where = f":{error.line}" if error.line else ""
        raise ConfigError(f"{label}{where}: {error.message}")
    if not docs:
        return {}
    if not isinstance(docs[0].data, dict):
        raise ConfigError(f"{label}: must be a mapping of settings")
    return docs[0].data


def build_policy(raw: dict[str, Any], root: Path, label: str = POLICY_FILE) -> Policy:
    _validate(raw, label)
    hubs_raw = raw.get("hubs") or {}
    declared = bool(hubs_raw)
    if not declared:
        hubs_raw = {name: {} for name in discover_hub_folders(root)}
    hubs = {}
    for name, spec in sorted(hubs_raw.items()):
        spec = spec or {}
        version = spec.get("kubernetes_version")
        flux = spec.get("flux_version")
        hubs[name] = HubPolicy(
            name=name,
            roots=tuple(spec.get("roots") or (f"clusters/{name}",)),
            onprem_cidrs=tuple(spec.get("onprem_cidrs") or ()),
            kubernetes_version=str(version) if version is not None else None,
            ingress_host=spec.get("ingress_host"),
            backup_hub=spec.get("backup_hub"),
            location=spec.get("location"),
            flux_version=str(flux) if flux is not None else None,
        )
    pii = raw.get("pii") or {}
    schema = raw.get("schema") or {}
    repository = raw.get("repository") or {}
    return Policy(
        hubs=hubs,
        min_hubs=int(raw.get("min_hubs", 2)),
        hub_local=tuple(raw.get("hub_local") or ()),
        pii=PiiPolicy(
            label=pii.get("label", DEFAULT_PII_LABEL),
            values=tuple(pii.get("values", ("pii",))),
            namespaces=tuple(pii.get("namespaces", ())),
            onprem_domains=tuple(pii.get("onprem_domains", ())),
        ),
        schema=SchemaPolicy(strict=bool(schema.get("strict", True)), crd_paths=tuple(schema.get("crd_paths", ()))),
        rules={str(k): dict(v or {}) for k, v in (raw.get("rules") or {}).items()},
        ignore_paths=tuple(raw.get("ignore_paths") or ()),
        baseline=raw.get("baseline"),
        traffic_routing=tuple(raw.get("traffic_routing") or ()),
        repository=RepositoryPolicy(urls=tuple(repository.get("urls") or ()), sources=tuple(repository.get("sources") or ())),
        source=label,
        hubs_declared=declared,
    )


def discover_hub_folders(root: Path) -> list[str]:
    clusters = root / "clusters"
    if not clusters.is_dir() or clusters.is_symlink():
        return []
    return sorted(p.name for p in clusters.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


def _validate(raw: dict[str, Any], label: str) -> None:
    import jsonschema  # only when a policy is read: keeps `hubguard --help` fast
    from hubguard.resources import load_json_schema

    validator = jsonschema.Draft202012Validator(load_json_schema("policy.schema.json"), format_checker=_formats())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    where = ".".join(str(p) for p in error.absolute_path) or "top level"
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        raise ConfigError(f"{label}: unknown key {', '.join(map(repr, unknown))} at {where}")
    if error.validator == "format" and error.validator_value == "cidr":
        raise ConfigError(f"{label}: {where}: {error.instance!r} is not a valid CIDR (address/prefix length)")
    raise ConfigError(f"{label}: {where}: {error.message}")


def _formats() -> Any:
    """The formats the policy schema checks: `cidr` (IPv4 or IPv6, as the rules parse them), so a
    typo such as 10.10.0.0/33 stops the run instead of silently widening what counts as public."""
    import ipaddress

    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    checker.checks("cidr", raises=ValueError)(lambda value: not isinstance(value, str) or bool(ipaddress.ip_network(value.strip(), strict=False)))
    return checker
