"""Which hubs a shard of a CI matrix checks (`validate --shard K/N`).

A shard renders and checks a deterministic share of the hubs. Hubs are placed largest first on the
least loaded shard, by a cheap estimate of what each hub reads (the files under its roots and under
the Flux/Argo CD paths they name), so shards finish together even when hubs differ in size. Each
file is checked by the file rules in exactly one shard (by a digest of its path), which leaves its
findings' hubs to `hubguard merge`: the hubs receiving a file are known only from every shard's
renders. The file rules' view of rendered values runs with each hub, in that hub's shard.
Repository rules run in shard 1 only; the cross-hub (fleet) rules run in `hubguard merge`, over
the per-hub summaries every shard writes (report/shard_file.py)."""

from __future__ import annotations

import bisect
import hashlib
import posixpath
from dataclasses import dataclass
from typing import Any, Mapping

from hubguard.load.sources import SourceLoader
from hubguard.policy import HubPolicy, Policy


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        """`K/N` with 1 <= K <= N."""
        index, slash, count = text.partition("/")
        if not slash or not index.strip().isdigit() or not count.strip().isdigit():
            raise ValueError(f"{text!r}: expected K/N, e.g. 1/4")
        shard = cls(int(index), int(count))
        if not 1 <= shard.index <= shard.count:
            raise ValueError(f"{text!r}: K must be between 1 and N")
        return shard

    @property
    def runs_repository_rules(self) -> bool:
        return self.index == 1

    def checks_file(self, path: str) -> bool:
        """Whether the file rules check `path` in this shard: in exactly one shard of the N."""
        digest = hashlib.blake2b(path.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def hubs(self, names: list[str], policy: Policy, files: SourceLoader) -> list[str]:
        """This shard's share of `names`; `files` is the repository's SourceLoader."""
        paths = sorted(files.paths)
        costs = {name: estimated_cost(policy.hubs[name], paths, files) for name in names}
        return shard_hubs(self, names, costs)


def estimated_cost(hub: HubPolicy, paths: list[str], files: Mapping[str, Any]) -> int:
    """A cheap stand-in for what rendering `hub` reads: the files under its roots, plus the files
    under the Flux Kustomization and Argo CD paths that the root files name. `paths` is sorted."""
    cost = 0
    for root in hub.roots:
        root = _folder(root)
        for rel in _under(paths, root):
            cost += 1
            src = files.get(rel)
            for doc in getattr(src, "documents", None) or ():
                for target in _named_paths(doc.data):
                    cost += len(_under(paths, _folder(target)))
    return cost


def _folder(path: str) -> str:
    norm = posixpath.normpath(path.strip().lstrip("/")) if path.strip() not in ("", ".", "./") else ""
    return "" if norm == "." else norm


def _under(paths: list[str], folder: str) -> list[str]:
    if not folder:
        return paths
    start = bisect.bisect_left(paths, folder + "/")
    end = bisect.bisect_left(paths, folder + "0")  # "0" sorts right after "/"
    return paths[start:end]


def _named_paths(data: Any) -> list[str]:
    """`spec.path` of a Flux Kustomization, `spec.source(s).path` of an Argo CD Application."""
    if not isinstance(data, dict) or not isinstance(data.get("spec"), dict):
        return []
    spec = data["spec"]
    found = [spec["path"]] if isinstance(spec.get("path"), str) else []
    sources = [spec.get("source"), *(spec.get("sources") if isinstance(spec.get("sources"), list) else [])]
    found += [s["path"] for s in sources if isinstance(s, dict) and isinstance(s.get("path"), str)]
    return found


def shard_hubs(shard: Shard, names: list[str], costs: Mapping[str, int]) -> list[str]:
    """The hubs of `shard`: largest first onto the least loaded shard (ties: the lower shard, the
    hub first by name), the same for every shard of the run."""
    loads = [0] * shard.count
    mine: list[str] = []
    for name in sorted(names, key=lambda n: (-costs.get(n, 0), n)):
        target = min(range(shard.count), key=lambda i: (loads[i], i))
        loads[target] += max(1, costs.get(name, 0))
        if target == shard.index - 1:
            mine.append(name)
    return sorted(mine)


