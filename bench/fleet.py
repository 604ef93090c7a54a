"""Fleet rows of the benchmark (issue 22): the render cache, sharding and memory in the number of hubs.

    bench/run.sh --only fleet          # just these rows (about 15 minutes on 2 idle cores)

- warm runs on 20 hubs x 100 apps against the floor (bare `kubectl kustomize` of every hub): with
  nothing changed since the previous run, and with one overlay file changed before each run;
- 400 hubs x 20 apps: one unsharded run, the 4 shards of `--shard K/4` one after another (each as
  its own process, as a CI matrix runs them on their own machines), then `hubguard merge`; the
  merged findings are compared with the unsharded run's;
- peak memory (RSS of hubguard's process) at 400 x 20 against 20 x 20.

Every hubguard run here but the warm ones uses --no-cache, so the figures are those of rendering.
The render cache lives in a folder of its own under bench/work/ (XDG_CACHE_HOME)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import corpus
from measure import Measurement, Run, measure, run_once

WARM = (20, 100)
FLEET = (400, 20)
SMALL_FLEET = (20, 20)
SHARDS = 4


def _findings(path: Path) -> list | None:
    try:
        return json.loads(path.read_text())["findings"]
    except (OSError, ValueError, KeyError):
        return None


def _median(name: str, command: list[str], runs: list[Run]) -> Measurement:
    return Measurement(name, [str(c) for c in command], runs)


def bench_fleet(work: Path, hubguard: str, env: dict[str, str], floor: Callable[[Path, dict], list[str]],
                timeout: float, runs: int = 3, rows: tuple[str, ...] = ("warm", "shards", "memory")) -> dict:
    out = work / "fleet.out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    result: dict = {"measurements": {}, "targets": {}}
    if "warm" in rows:
        _warm_rows(work, out, hubguard, env, floor, timeout, runs, result)
    if "shards" in rows:
        _shard_rows(work, out, hubguard, env, timeout, result)
    if "memory" in rows:
        _memory_rows(work, hubguard, env, timeout, runs, result)
    return result


def _warm_rows(work: Path, out: Path, hubguard: str, env: dict[str, str], floor: Callable[[Path, dict], list[str]],
               timeout: float, runs: int, result: dict) -> None:
    cache_env = {**env, "XDG_CACHE_HOME": str(out / "cache")}
    m = result["measurements"]

    # -- warm runs, 20 x 100 ---------------------------------------------------------------
    hubs, apps = WARM
    repo = work / f"fleet-{hubs}x{apps}"
    meta = corpus.write_multihub(repo, hubs, apps)
    validate = [hubguard, "validate", str(repo), "--format", "json"]
    m["floor 20x100"] = measure("floor 20x100", floor(repo, meta), runs=runs, budget=120.0, env=env, timeout=timeout)
    m["cold, cache filled 20x100"] = measure("cold 20x100", validate, runs=1, budget=120.0, env=cache_env, timeout=timeout)
    m["warm, nothing changed 20x100"] = measure("warm 20x100", validate, runs=runs, budget=120.0, env=cache_env, timeout=timeout)
    patch = repo / "apps" / meta["hubs"][0] / "patches" / "app-001.yaml"
    original = patch.read_text()
    changed: list[Run] = []
    for replicas in range(5, 5 + runs):
        patch.write_text(original.replace("replicas: 3", f"replicas: {replicas}"))
        changed.append(run_once(validate, env=cache_env, timeout=timeout))
    patch.write_text(original)
    m["warm, one overlay changed 20x100"] = _median("warm, one overlay changed", validate, changed)
    for key in ("warm, nothing changed 20x100", "warm, one overlay changed 20x100"):
        print(f"  fleet   {key:34} {m[key].wall:7.2f} s  ({m[key].wall / m['floor 20x100'].wall:.2f} x floor)", flush=True)

    floor_wall = m["floor 20x100"].wall
    result["targets"]["warm, nothing changed <= 0.1x floor (20x100)"] = _ratio(m["warm, nothing changed 20x100"].wall, floor_wall, 0.1)
    result["targets"]["warm, one overlay changed <= 0.2x floor (20x100)"] = _ratio(m["warm, one overlay changed 20x100"].wall, floor_wall, 0.2)


def _shard_rows(work: Path, out: Path, hubguard: str, env: dict[str, str], timeout: float, result: dict) -> None:
    m = result["measurements"]
    hubs, apps = FLEET
    repo = work / f"fleet-{hubs}x{apps}"
    corpus.write_multihub(repo, hubs, apps)
    whole_json = out / "whole.json"
    whole = [hubguard, "validate", str(repo), "--format", "json", "--output", str(whole_json), "--no-cache"]
    m["unsharded 400x20"] = _median("unsharded", whole, [run_once(whole, env=env, timeout=4 * timeout)])
    shard_runs = []
    command: list[str] = []
    for index in range(1, SHARDS + 1):
        command = [hubguard, "validate", str(repo), "--shard", f"{index}/{SHARDS}", "--format", "json",
                   "--output", str(out / f"shard-{index}.json"), "--no-cache"]
        shard_runs.append(run_once(command, env=env, timeout=4 * timeout))
    m["slowest of 4 shards 400x20"] = _median("slowest shard", command, [max(shard_runs, key=lambda r: r.wall)])
    merged_json = out / "merged.json"
    merge = [hubguard, "merge", *(str(out / f"shard-{i}.json") for i in range(1, SHARDS + 1)),
             "--format", "json", "--output", str(merged_json)]
    m["merge of 4 shards 400x20"] = _median("merge", merge, [run_once(merge, env=env, timeout=timeout)])
    whole_findings, merged_findings = _findings(whole_json), _findings(merged_json)
    result["shards_equal_unsharded"] = whole_findings is not None and whole_findings == merged_findings
    result["findings_400x20"] = len(whole_findings or [])
    result["shard_walls"] = [r.wall for r in shard_runs]
    unsharded = m["unsharded 400x20"].wall
    result["targets"]["4 shards + merge = unsharded (400x20)"] = {"met": result["shards_equal_unsharded"]}
    result["targets"]["slowest shard <= 0.3x unsharded (400x20)"] = _ratio(m["slowest of 4 shards 400x20"].wall, unsharded, 0.3)
    merge_wall = m["merge of 4 shards 400x20"].wall
    result["targets"]["merge <= 2 s (400x20)"] = {"value": merge_wall, "met": (merge_wall or 99) <= 2.0}


def _memory_rows(work: Path, hubguard: str, env: dict[str, str], timeout: float, runs: int, result: dict) -> None:
    """Peak memory of unsharded runs at 20 and 400 hubs of 20 apps (the 400-hub run is the
    shard rows' when they ran)."""
    m = result["measurements"]
    if "unsharded 400x20" not in m:
        hubs, apps = FLEET
        repo = work / f"fleet-{hubs}x{apps}"
        corpus.write_multihub(repo, hubs, apps)
        command = [hubguard, "validate", str(repo), "--format", "json", "--no-cache"]
        m["unsharded 400x20"] = _median("unsharded", command, [run_once(command, env=env, timeout=4 * timeout)])
    hubs, apps = SMALL_FLEET
    repo = work / f"fleet-{hubs}x{apps}"
    corpus.write_multihub(repo, hubs, apps)
    small = [hubguard, "validate", str(repo), "--format", "json", "--no-cache"]
    m["unsharded 20x20"] = measure("20x20", small, runs=runs, budget=120.0, env=env, timeout=timeout)

    result["targets"]["peak memory 400x20 <= 1.5x 20x20"] = _ratio(m["unsharded 400x20"].rss_mb, m["unsharded 20x20"].rss_mb, 1.5)


def _ratio(value: float | None, reference: float | None, limit: float) -> dict:
    if not value or not reference:
        return {"met": False, "ratio": None}
    ratio = value / reference
    return {"ratio": round(ratio, 3), "met": ratio <= limit}


def table(result: dict) -> str:
    lines = ["| fleet row | wall s | CPU s | peak MB |", "|---|---:|---:|---:|"]
    for key, measurement in result["measurements"].items():
        lines.append(f"| {key} | {_fmt(measurement.wall)} | {_fmt(measurement.cpu)} | {_fmt(measurement.rss_mb, 0)} |")
    lines += ["", "| target | figure | met |", "|---|---:|---|"]
    for key, target in result["targets"].items():
        figure = target.get("ratio", target.get("value"))
        lines.append(f"| {key} | {_fmt(figure) if figure is not None else '—'} | {'yes' if target['met'] else 'no'} |")
    if "shard_walls" in result:
        lines.append(f"\nshard walls (s): {', '.join(_fmt(w) for w in result['shard_walls'])}; "
                     f"findings of the unsharded 400x20 run: {result['findings_400x20']}")
    return "\n".join(lines)


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def to_json(result: dict) -> dict:
    return {**result, "measurements": {k: v.to_json() for k, v in result["measurements"].items()}}
