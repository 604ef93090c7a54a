"""The policy (`.hubguard.yaml`) as values every stage reads: hubs, PII settings, schema options,
rule settings. hubguard.load.policy_file reads and validates the file."""

from __future__ import annotations

from dataclasses import dataclass, field

POLICY_FILE = ".hubguard.yaml"
DEFAULT_PII_LABEL = "hubguard.io/data-classification"


@dataclass(frozen=True)
class HubPolicy:
    name: str
    roots: tuple[str, ...]
    onprem_cidrs: tuple[str, ...] = ()
    kubernetes_version: str | None = None
    ingress_host: str | None = None
    backup_hub: str | None = None
    location: str | None = None
    flux_version: str | None = None


@dataclass(frozen=True)
class PiiPolicy:
    label: str = DEFAULT_PII_LABEL
    values: tuple[str, ...] = ("pii",)
    namespaces: tuple[str, ...] = ()
    onprem_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class SchemaPolicy:
    strict: bool = True
    crd_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepositoryPolicy:
    """What else names this repository, besides its git remotes: Flux sources and Argo CD
    repoURLs that match are rendered from the work tree."""

    urls: tuple[str, ...] = ()  # e.g. the on-prem Git server's URL of a GitHub mirror
    sources: tuple[str, ...] = ()  # Flux GitRepositories, as namespace/name


@dataclass(frozen=True)
class Policy:
    hubs: dict[str, HubPolicy] = field(default_factory=dict)
    min_hubs: int = 2
    hub_local: tuple[dict, ...] = ()
    pii: PiiPolicy = PiiPolicy()
    schema: SchemaPolicy = SchemaPolicy()
    rules: dict[str, dict] = field(default_factory=dict)
    ignore_paths: tuple[str, ...] = ()
    baseline: str | None = None  # the baseline file, relative to the repository root
    traffic_routing: tuple[str, ...] = ()  # kinds of global routing ha/traffic-routing demands
    repository: RepositoryPolicy = RepositoryPolicy()
    source: str | None = None  # the file it came from, for messages
    hubs_declared: bool = False  # True when hubs came from the policy, not from clusters/<hub>/

    @property
    def all_onprem_cidrs(self) -> tuple[str, ...]:
        return tuple(c for hub in self.hubs.values() for c in hub.onprem_cidrs)
