"""hubguard's benchmark: hubguard against its peers and the floor, on synthetic multi-hub repositories.

Run it through `bench/run.sh` (which builds the bench virtualenv); see bench/README.md.

    python bench/bench.py [--quick] [--sizes small,medium,large] [--no-peers] [--profile]

Everything is timed as a whole process (wall time, median of several runs; CPU time and peak memory
alongside). Corpora are written under bench/work/, results as JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402  (bench modules sit next to this file)
import report  # noqa: E402
from measure import Measurement, load_average, measure, run_once  # noqa: E402

BIN = Path(sys.executable).parent
WORK = HERE / "work"
RESULTS = HERE / "results"
UPSTREAM_DETECT_SECRETS = HERE / ".venv" / "upstream-detect-secrets"
RUNS = {"small": 5, "medium": 5, "large": 3}
BUDGET = {"small": 60.0, "medium": 90.0, "large": 150.0}  # seconds per tool and corpus, see measure()


def tool(name: str) -> str:
    path = BIN / name
    if not path.is_file():
        raise SystemExit(f"bench: {name} is not installed in the bench virtualenv; run bench/run.sh")
    return str(path)


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # the bench venv's kubectl for every tool
    env.pop("GITHUB_ACTIONS", None)
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    env["BC_SKIP_MAPPING"] = "TRUE"  # checkov: no attempt to reach its platform
    env["CHECKOV_RUN_SCA_PACKAGE_SCAN_V2"] = "false"
    for go_setting in ("GOGC", "GOMEMLIMIT"):  # the floor is bare kustomize; hubguard sets its own
        env.pop(go_setting, None)
    return env


# hubguard runs kustomize with these (validators/kustomize.py); the floor is also timed with them,
# so that the table shows how much of hubguard's lead over the bare floor is the GC setting alone.
TUNED_GO = {"GOGC": "400", "GOMEMLIMIT": "512MiB"}


def detect_secrets_command() -> tuple[list[str], dict[str, str]]:
    """Upstream detect-secrets, kept apart: checkov installs its fork under the same import name."""
    env = environment()
    env["PYTHONPATH"] = str(UPSTREAM_DETECT_SECRETS)
    return [sys.executable, "-m", "detect_secrets", "scan"], env


def versions() -> dict[str, str]:
    def out(cmd: list[str], env: dict | None = None) -> str:
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env or environment(), timeout=120)
            return (proc.stdout.strip() or proc.stderr.strip()).splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unavailable"

    ds_cmd, ds_env = detect_secrets_command()
    return {
        "hubguard": out([tool("hubguard"), "--version"]).split()[-1],
        "checkov": out([tool("checkov"), "--version"]),
        "detect-secrets": out([*ds_cmd[:3], "--version"], ds_env),
        "kubernetes-validate": out([tool("kubernetes-validate"), "--version"]),
        "kubectl": " ".join(out([tool("kubectl"), "version", "--client"]).split()[-1:]),
        "kustomize": subprocess.run([tool("kubectl"), "version", "--client"], capture_output=True, text=True).stdout.split()[-1],
    }


def machine() -> dict:
    mem_total = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "memory": mem_total, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.machine()}", "cpu": _cpu_model()}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


# ---------------------------------------------------------------------------------------------
def prepare(sizes: list[str]) -> dict[str, dict]:
    WORK.mkdir(parents=True, exist_ok=True)
    corpora: dict[str, dict] = {}
    for size in sizes:
        hubs, apps = corpus.SIZES[size]
        corpora[size] = corpus.write_multihub(WORK / size, hubs, apps)
        print(f"corpus {size}: {hubs} hubs x {apps} apps, {corpora[size]['expected_objects']} objects", flush=True)
    template = corpus.write_template(WORK / "template", tool("hubguard"), environment())
    if template is not None:
        corpora["template"] = template
        print(f"corpus template: {template['repo']}", flush=True)
    corpora["secrets"] = corpus.write_secrets(WORK / "secrets", 10_000)
    print(f"corpus secrets: 10000 files, {len(corpora['secrets']['planted'])} planted secrets", flush=True)
    return corpora


def repo_path(name: str, meta: dict) -> Path:
    return Path(meta["repo"]) if "repo" in meta else WORK / name


def floor_command(repo: Path, meta: dict, write: Path | None = None) -> list[str]:
    cmd = [sys.executable, str(HERE / "floor.py"), str(repo)]
    for root in meta["kustomize_roots"]:
        cmd += ["--root", root]
    for plain in meta["plain_roots"]:
        cmd += ["--plain", plain]
    if write:
        cmd += ["--write", str(write)]
    return cmd


def hubguard_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def bench_repo(name: str, meta: dict, *, runs: int, budget: float, peers: bool, timeout: float) -> dict:
    repo = repo_path(name, meta)
    env = environment()
    out_dir = WORK / f"{name}.out"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    result: dict = {"corpus": name, "load_before": load_average(), "measurements": {}}
    m = result["measurements"]

    def timed(key: str, command: list[str], **kwargs) -> Measurement:
        started = time.perf_counter()
        measurement = measure(key, command, runs=runs, budget=budget, env=kwargs.pop("env", env),
                              stdout=out_dir / f"{key}.out", timeout=timeout, **kwargs)
        m[key] = measurement
        print(f"  {name:8} {key:26} {report.seconds(measurement.wall):>9}  ({len(measurement.runs)} run(s), "
              f"{time.perf_counter() - started:.0f} s)", flush=True)
        return measurement

    # No untimed warm-up run: the corpora were just written (page cache) and startup() has already
    # compiled hubguard's .pyc files; a warm-up on a slow corpus would cost as much as the measurement.
    hg = timed("hubguard", [tool("hubguard"), "validate", str(repo), "--format", "json"])
    report_json = hubguard_json(Path(hg.output)) or {}
    summary = report_json.get("summary", {})
    result["hubguard_summary"] = summary
    result["hubguard_rules"] = sorted({f["rule"] for f in report_json.get("findings", [])})
    result["expected_objects"] = meta.get("expected_objects")
    result["hubs"] = meta.get("hubs")
    if meta["kind"] == "template":
        timed("hubguard --staged", [tool("hubguard"), "validate", "--staged", ".", "--format", "json"], cwd=repo)
    timed("floor", floor_command(repo, meta))
    timed("floor, kustomize GOGC=400", floor_command(repo, meta), env={**env, **TUNED_GO})
    rendered = WORK / f"{name}.rendered"
    shutil.rmtree(rendered, ignore_errors=True)
    run_once(floor_command(repo, meta, rendered), env=env)
    if peers:
        ck = timed("checkov kustomize", [tool("checkov"), "--framework", "kustomize", "-d", ".", "--skip-download",
                                         "--quiet", "--compact", "-o", "json"], cwd=repo)
        result["checkov_kustomize_hubs"] = checkov_hubs(Path(ck.output), meta.get("hubs") or [])
        timed("checkov kubernetes", [tool("checkov"), "--framework", "kubernetes", "-d", ".", "--skip-download",
                                     "--quiet", "--compact", "-o", "json"], cwd=repo)
        files = sorted(str(p) for p in rendered.glob("*.yaml"))
        version = corpus.K8S_VERSION if meta["kind"] == "multihub" else "1.30"
        timed("kubernetes-validate", [tool("kubernetes-validate"), "-k", version, "--strict", "--quiet", *files])
        ds_cmd, ds_env = detect_secrets_command()
        timed("detect-secrets", ds_cmd, cwd=repo, env=ds_env)
    return result


def checkov_hubs(output: Path, hubs: list[str]) -> list[str] | None:
    """Hubs checkov reported anything for: a result whose file or resource names the hub's overlay
    (it builds every overlay as a kustomize root, but reports only some of them)."""
    try:
        text = output.read_text()
    except OSError:
        return None
    return [hub for hub in hubs if f"/{hub}/" in text or f":{hub}:" in text]


def per_hub(name: str, meta: dict, budget: float, timeout: float) -> dict:
    """`--hub X` for each hub, once each: their times add up to about the whole, and together they
    report what the whole run reports (cross-hub rules aside, which need every hub). Stops when
    `budget` seconds are spent; the result then says how many hubs ran."""
    repo, env = WORK / name, environment()
    total, keys_union, rules_seen, done = 0.0, set(), {}, 0
    out_dir = WORK / f"{name}.out"
    for hub in meta["hubs"]:
        if total > budget:
            break
        out = out_dir / f"hub-{hub}.json"
        run = run_once([tool("hubguard"), "validate", str(repo), "--hub", hub, "--format", "json"], env=env, stdout=out,
                       timeout=timeout)
        total += run.wall
        done += 1
        data = hubguard_json(out) or {}
        for f in data.get("findings", []):
            keys_union.add(_finding_key(f))
            rules_seen[f["rule"]] = rules_seen.get(f["rule"], 0) + 1
    whole = hubguard_json(out_dir / "hubguard.out") or {}
    whole_keys = {_finding_key(f) for f in whole.get("findings", [])}
    return {
        "hubs": len(meta["hubs"]), "hubs_run": done, "sum_wall_s": round(total, 3),
        "findings_whole": len(whole_keys), "findings_union_per_hub": len(keys_union),
        "only_in_whole": sorted({k[0] for k in whole_keys - keys_union}),
        "only_in_per_hub": sorted({k[0] for k in keys_union - whole_keys}),
    }


def _finding_key(f: dict) -> tuple:
    return (f["rule"], f["path"], f["line"], f["column"], f["object"], f["message"])


# ---------------------------------------------------------------------------------------------
def bench_secrets(meta: dict, runs: int) -> dict:
    repo, env = WORK / "secrets", environment()
    out_dir = WORK / "secrets.out"
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    hg = measure("hubguard --select secret/", [tool("hubguard"), "validate", str(repo), "--select", "secret/", "--format", "json"],
                 runs=runs, budget=120.0, env=env, stdout=out_dir / "hubguard.json")
    ds_cmd, ds_env = detect_secrets_command()
    ds = measure("detect-secrets", ds_cmd, runs=runs, budget=120.0, cwd=repo, env=ds_env, stdout=out_dir / "detect-secrets.json")
    hg_hits = [(f["path"], f["line"]) for f in (hubguard_json(out_dir / "hubguard.json") or {}).get("findings", [])]
    ds_data = hubguard_json(out_dir / "detect-secrets.json") or {}
    ds_hits = [(path, item.get("line_number")) for path, items in ds_data.get("results", {}).items() for item in items]
    for m in (hg, ds):
        print(f"  secrets  {m.name:26} {report.seconds(m.wall):>9}  ({len(m.runs)} run(s))", flush=True)
    return {
        "files": meta["files"], "planted": len(meta["planted"]),
        "measurements": {"hubguard --select secret/": hg, "detect-secrets": ds},
        "recall": {"hubguard": recall(meta, hg_hits), "detect-secrets": recall(meta, ds_hits)},
    }


def recall(meta: dict, hits: list[tuple[str, int | None]]) -> dict:
    """A planted secret is found when the tool reports a line of its construct; other reports
    count as noise (those in look-alike files separately)."""
    by_path: dict[str, list[dict]] = {}
    for p in meta["planted"]:
        by_path.setdefault(p["path"], []).append(p)
    found, missed_kinds, noise, decoy_noise = set(), {}, 0, 0
    decoys = set(meta["decoys"])
    for path, line in hits:
        match = [p for p in by_path.get(path, []) if line is not None and p["first_line"] <= line <= p["last_line"]]
        if match:
            found.update((p["path"], p["first_line"]) for p in match)
        else:
            noise += 1
            decoy_noise += path in decoys
    for p in meta["planted"]:
        if (p["path"], p["first_line"]) not in found:
            missed_kinds[p["kind"]] = missed_kinds.get(p["kind"], 0) + 1
    total = len(meta["planted"])
    return {"found": len(found), "planted": total, "recall": round(len(found) / total, 3) if total else None,
            "missed_by_kind": missed_kinds, "other_findings": noise, "findings_in_lookalike_files": decoy_noise}


def startup(runs: int = 10) -> Measurement:
    return measure("hubguard --version", [tool("hubguard"), "--version"], runs=runs, budget=30.0, env=environment(), warmup=True)


def profile(size: str) -> Path:
    out = RESULTS / f"profile-{size}.txt"
    prof = WORK / f"profile-{size}.prof"
    proc = subprocess.run([sys.executable, str(HERE / "hotspots.py"), str(WORK / size), "--out", str(prof), "--top", "40"],
                          capture_output=True, text=True, env=environment())
    text = proc.stdout + proc.stderr
    # Function locations without this machine's folders: the checkout, the venv, the interpreter.
    for prefix, name in ((sysconfig_path("purelib"), "<site-packages>"), (sysconfig_path("stdlib"), "<stdlib>"),
                         (str(HERE.parent), ".")):
        text = text.replace(prefix + "/", name + "/")
    out.write_text(text, encoding="utf-8")
    return out


def sysconfig_path(name: str) -> str:
    import sysconfig

    return sysconfig.get_paths()[name]


def main_focused(timeout: float, size: str) -> int:
    """The focused rows alone (bench/focused.py): results/latest-focused.json and their table."""
    import focused

    started, load_at_start = time.perf_counter(), load_average()
    print(f"machine: {machine()}\nload average: {load_at_start}", flush=True)
    WORK.mkdir(parents=True, exist_ok=True)
    result = focused.bench_focused(WORK, tool("hubguard"), environment(), timeout, runs=3, size=corpus.SIZES[size])
    data = {"mode": "focused", "machine": machine(), "load_at_start": load_at_start, "load_at_end": load_average(),
            **focused.to_json(result), "elapsed_s": round(time.perf_counter() - started, 1)}
    return _rows_written("focused", data, focused.table(result))


def main_fleet(timeout: float, rows: tuple[str, ...]) -> int:
    """The fleet rows alone (bench/fleet.py): results/latest-fleet.json and their table."""
    import fleet

    started = time.perf_counter()
    print(f"machine: {machine()}\nload average: {load_average()}", flush=True)
    WORK.mkdir(parents=True, exist_ok=True)
    result = fleet.bench_fleet(WORK, tool("hubguard"), environment(), floor_command, timeout, rows=rows)
    kubectl = subprocess.run([tool("kubectl"), "version", "--client"], capture_output=True, text=True).stdout.split()
    hubguard_version = subprocess.run([tool("hubguard"), "--version"], capture_output=True, text=True).stdout.split()
    data = {"mode": "fleet", "machine": machine(), "load_at_start": load_average(),
            "versions": {"hubguard": hubguard_version[-1:], "kubectl/kustomize": kubectl[-1:]},
            **fleet.to_json(result), "elapsed_s": round(time.perf_counter() - started, 1)}
    return _rows_written("fleet", data, fleet.table(result))


def _rows_written(mode: str, data: dict, table: str) -> int:
    """Rows run alone (--only): results/latest-MODE.json, a timestamped copy, and their table."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in (RESULTS / f"bench-{stamp}-{mode}.json", RESULTS / f"latest-{mode}.json"):
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print()
    print(table)
    print(f"\nresults: bench/results/latest-{mode}.json ({data['elapsed_s']:.0f} s in all)")
    return 0


def main_secrets() -> int:
    """The secrets corpus alone: results/latest-secrets.json and its table."""
    started = time.perf_counter()
    print(f"machine: {machine()}\nload average: {load_average()}", flush=True)
    WORK.mkdir(parents=True, exist_ok=True)
    meta = corpus.write_secrets(WORK / "secrets", 10_000)
    print(f"corpus secrets: 10000 files, {len(meta['planted'])} planted secrets", flush=True)
    results = {"mode": "secrets", "machine": machine(), "versions": versions(), "load_at_start": load_average(),
               "secrets": bench_secrets(meta, 3)}
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    data = report.to_json(results)
    for path in (RESULTS / f"bench-{stamp}-secrets.json", RESULTS / "latest-secrets.json"):
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print()
    print("\n".join(report.secrets_table(results["secrets"])))
    print(f"\nresults: bench/results/latest-secrets.json ({results['elapsed_s']:.0f} s in all)")
    return 0


# ---------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and medium only, one run each")
    parser.add_argument("--sizes", help="comma-separated corpus sizes (small,medium,large)")
    parser.add_argument("--no-peers", action="store_true", help="time hubguard and the floor only")
    parser.add_argument("--per-hub", default="medium,large", help="sizes on which to time --hub runs")
    parser.add_argument("--profile", action="store_true", help="also profile hubguard on the medium corpus")
    parser.add_argument("--timeout", type=float, default=240.0, help="kill any single run after this many seconds")
    parser.add_argument("--only", choices=("fleet", "fleet-warm", "fleet-shards", "fleet-memory", "secrets", "focused"),
                        help="only these rows: fleet = render cache (warm), sharding and memory (issue 22), or one of "
                        "them; secrets = the secrets corpus; focused = --changed-since and --staged after one change "
                        "(issue 23)")
    args = parser.parse_args(argv)
    if args.only == "secrets":
        return main_secrets()
    if args.only == "focused":  # on the large corpus (20 x 100) unless --sizes names another
        return main_focused(args.timeout, (args.sizes or "large").split(",")[0])
    if args.only:
        rows = ("warm", "shards", "memory") if args.only == "fleet" else (args.only.split("-", 1)[1],)
        return main_fleet(args.timeout, rows)
    sizes = args.sizes.split(",") if args.sizes else (["small", "medium"] if args.quick else ["small", "medium", "large"])
    started = time.perf_counter()
    results: dict = {"mode": "quick" if args.quick else "full", "machine": machine(), "versions": versions(),
                     "load_at_start": load_average(), "corpora": {}}
    print(f"machine: {results['machine']}\nversions: {results['versions']}", flush=True)
    metas = prepare(sizes)
    results["startup"] = startup(3 if args.quick else 10)
    for name, meta in metas.items():
        if meta["kind"] == "secrets":
            continue
        size_runs = 1 if args.quick else RUNS.get(name, 5)
        results["corpora"][name] = bench_repo(name, meta, runs=size_runs, budget=BUDGET.get(name, 60.0),
                                              peers=not args.no_peers, timeout=args.timeout)
        whole = results["corpora"][name]["measurements"]["hubguard"]
        if name in args.per_hub.split(",") and meta["kind"] == "multihub":
            if whole.ok and whole.runs[-1].exit_code in (0, 1):
                results["corpora"][name]["per_hub"] = per_hub(name, meta, 2 * whole.wall + 30, args.timeout)
            else:
                print(f"  {name:8} per-hub runs skipped: the whole run did not finish", flush=True)
    if "template" not in metas and "small" in metas:
        # Until the template works, --staged is timed on the small corpus (also a committed repo).
        repo = WORK / "small"
        results["staged_small"] = measure("hubguard --staged (small)", [tool("hubguard"), "validate", "--staged", ".", "--format", "json"],
                                          runs=1 if args.quick else 5, budget=60.0, cwd=repo, env=environment())
    results["secrets"] = bench_secrets(metas["secrets"], 1 if args.quick else 3)
    if args.profile:
        results["profile"] = str(profile("medium").relative_to(HERE.parent))
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    results["targets"] = report.targets(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    data = report.to_json(results)
    for path in (RESULTS / f"bench-{stamp}-{results['mode']}.json", RESULTS / f"latest-{results['mode']}.json"):
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print()
    print(report.table(results))
    print(f"\nresults: bench/results/latest-{results['mode']}.json ({results['elapsed_s']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
