"""Focused rows of the benchmark (issue 23, and issue 22's `--staged`): what `--changed-since` and
`--staged` cost after one change, against a full run of the same tree.

    bench/run.sh --only focused        # just these rows

On the 20 hubs x 100 apps corpus (a committed git repository), one change at a time, undone after:
- an overlay change: one hub's patch of one app (only that hub's render can change);
- a base change: one app's base Deployment (every hub's render can change).
For each: `validate --changed-since HEAD` on the changed work tree, `validate --staged` with the change
staged, and a full `validate` of the changed tree, all with the render cache that a full run of the
unchanged tree filled (a developer's machine, or CI with its cache step), so that the ratios
compare like with like (that cache holds every hub's record, so the "full" run re-renders only the
changed hubs too; "full --no-cache" is the full check the focused modes exist to avoid); and, for the overlay change, `--changed-since` without ha/hub-parity (the
one rule that needs every hub's render), which shows what the planning itself costs.

Two floor rows put the overlay change's seconds in proportion: `--staged` with nothing staged (the
fixed cost of any run: start-up and git) and `kubectl kustomize` of the changed hub alone (what
checking that hub's render cannot avoid). Their sum is the least an overlay-change `--staged` can take.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import corpus
import floor
from fleet import _fmt, _median, _ratio  # the same figures as the fleet rows
from measure import Run, run_once

SIZE = (20, 100)
OVERLAY = "overlay"
BASE = "base"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def bench_focused(work: Path, hubguard: str, env: dict[str, str], timeout: float, runs: int = 1,
                  size: tuple[int, int] = SIZE) -> dict:
    hubs, apps = size
    repo = work / f"focused-{hubs}x{apps}"
    meta = corpus.write_multihub(repo, hubs, apps)
    out = work / "focused.out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cache_env = {**env, "XDG_CACHE_HOME": str(out / "cache")}
    changes = {
        OVERLAY: repo / "apps" / meta["hubs"][0] / "patches" / "app-001.yaml",
        BASE: repo / "apps" / "base" / "app-001" / "deployment.yaml",
    }
    originals = {kind: path.read_text() for kind, path in changes.items()}
    validate = [hubguard, "validate", str(repo), "--format", "json"]
    result: dict = {"measurements": {}, "targets": {}, "size": f"{hubs} x {apps}"}
    m = result["measurements"]
    run_once(validate, env=cache_env, timeout=timeout)  # fills the render cache with the unchanged tree
    # The floor of any check of an overlay change: the interpreter starting, and kustomize building
    # the changed hub once (what --staged cannot avoid; kustomize's cost grows faster than its
    # number of objects, kubernetes-sigs/kustomize#5084).
    overlay = repo / "apps" / meta["hubs"][0]
    floors = {"--staged with nothing staged (start-up, git, no check)": [*validate, "--staged"],
              f"kubectl kustomize of the changed hub alone ({apps} apps)": [floor.kubectl(), "kustomize", str(overlay)]}
    for label, command in floors.items():
        m[label] = _median(label, command, [run_once(command, env=cache_env, timeout=timeout) for _ in range(max(3, runs))])
        print(f"  focused {label:60} {m[label].wall:7.2f} s", flush=True)
    filled = out / "cache-filled"
    shutil.copytree(out / "cache", filled)

    for kind, path in changes.items():
        commands = {
            "full": validate,
            # a full check of every hub: what the focused runs are there to avoid (the "full" row above
            # reuses the hub records the filled cache holds for every hub the change does not touch)
            "full --no-cache": [*validate, "--no-cache"],
            "--changed-since HEAD": [*validate, "--changed-since", "HEAD"],
            "--staged": [*validate, "--staged"],
            # what planning alone costs: no fleet rule asks for the other hubs' renders
            "--changed-since HEAD --ignore ha/hub-parity": [*validate, "--changed-since", "HEAD", "--ignore", "ha/hub-parity"],
        }
        timed: dict[str, list[Run]] = {}
        for attempt in range(runs):
            path.write_text(_edited(originals[kind], kind, attempt))
            _git(repo, "add", str(path))  # staged; --changed-since HEAD sees it in the work tree too
            for label, command in commands.items():
                if label.startswith("--changed-since HEAD --ignore") and kind == BASE:
                    continue  # every hub is rendered for a base change anyway
                shutil.rmtree(out / "cache")  # every run starts from the cache of the unchanged tree
                shutil.copytree(filled, out / "cache")
                timed.setdefault(f"{label}, {kind} change", []).append(run_once(command, env=cache_env, timeout=timeout))
            _git(repo, "reset", "-q", "--", str(path))
            path.write_text(originals[kind])
        for key, measured in timed.items():
            m[key] = _median(key, commands[key.rsplit(",", 1)[0]], measured)
            print(f"  focused {key:60} {m[key].wall:7.2f} s", flush=True)
        limit = 0.15 if kind == OVERLAY else 1.1
        for label in ("--changed-since HEAD", "--staged"):
            for full in ("full", "full --no-cache"):
                result["targets"][f"{label} after {kind} change <= {limit}x {full}"] = _ratio(
                    m[f"{label}, {kind} change"].wall, m[f"{full}, {kind} change"].wall, limit)
        if kind == OVERLAY:  # issue 22: a commit hook under a second and a half on 20 hubs
            staged = m[f"--staged, {kind} change"].wall
            result["targets"]["--staged after overlay change <= 1.5 s (seconds)"] = {"ratio": round(staged, 2), "met": staged <= 1.5}
            least = sum(measurement.wall for label, measurement in m.items() if label in floors)
            result["targets"]["start-up + that hub's kustomize, the least --staged can take (seconds)"] = {
                "ratio": round(least, 2), "met": least <= 1.5}
    return result


def _edited(text: str, kind: str, attempt: int) -> str:
    if kind == OVERLAY:
        return text.replace("replicas: 3", f"replicas: {5 + attempt}")
    return text.replace(":1.4.1", f":1.4.{2 + attempt}")  # a new image for every hub


def table(result: dict) -> str:
    lines = [f"| focused row ({result['size']}) | wall s | CPU s | peak MB |", "|---|---:|---:|---:|"]
    for key, measurement in result["measurements"].items():
        lines.append(f"| {key} | {_fmt(measurement.wall)} | {_fmt(measurement.cpu)} | {_fmt(measurement.rss_mb, 0)} |")
    lines += ["", "| target | ratio | met |", "|---|---:|---|"]
    for key, target in result["targets"].items():
        lines.append(f"| {key} | {_fmt(target['ratio'])} | {'yes' if target['met'] else 'no'} |")
    return "\n".join(lines)


def to_json(result: dict) -> dict:
    return {**result, "measurements": {k: v.to_json() for k, v in result["measurements"].items()}}
