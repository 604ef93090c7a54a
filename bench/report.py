"""The bench's tables (Markdown, pasted into bench/README.md) and the issue's targets, checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from measure import Measurement

REPO_ROOT = Path(__file__).resolve().parent.parent
PEERS = ("checkov kustomize", "checkov kubernetes", "kubernetes-validate", "detect-secrets")


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "–"


def _wall(corpus: dict, key: str) -> float | None:
    m = corpus["measurements"].get(key)
    return m.wall if m and m.ok else None


def per_thousand(corpus: dict, key: str = "hubguard") -> float | None:
    objects = corpus.get("hubguard_summary", {}).get("objects") or corpus.get("expected_objects")
    wall = _wall(corpus, key)
    return wall / objects * 1000 if wall and objects else None


def marginal_per_thousand(corpora: dict) -> list[tuple[str, float]]:
    """Seconds per 1,000 rendered objects *added* from one size to the next: the slope of the
    cost, free of the fixed start-up cost that dominates the small corpus (linear growth means
    equal slopes)."""
    points = []
    for size in ("small", "medium", "large"):
        corpus = corpora.get(size)
        wall = _wall(corpus, "hubguard") if corpus else None
        objects = (corpus or {}).get("hubguard_summary", {}).get("objects") or (corpus or {}).get("expected_objects")
        if wall and objects:
            points.append((size, objects, wall))
    return [(f"{a}→{b}", (wb - wa) / (nb - na) * 1000) for (a, na, wa), (b, nb, wb) in zip(points, points[1:]) if nb > na]


def secrets_table(secrets: dict) -> list[str]:
    """The secrets corpus rows: time, recall and findings outside the planted secrets per tool."""
    lines = [f"Secrets corpus: {secrets['files']} files, {secrets['planted']} planted secrets.", "",
             "| tool | median wall | recall | found | other findings (in look-alike files) | missed, by kind |",
             "|---|---:|---:|---:|---:|---|"]
    for key, tool_name in (("hubguard --select secret/", "hubguard"), ("detect-secrets", "detect-secrets")):
        m, r = secrets["measurements"][key], secrets["recall"][tool_name]
        missed = ", ".join(f"{k} {v}" for k, v in sorted(r["missed_by_kind"].items())) or "none"
        lines.append(f"| {key} | {seconds(m.wall)} | {r['recall']:.1%} | {r['found']}/{r['planted']} | "
                     f"{r['other_findings']} ({r['findings_in_lookalike_files']}) | {missed} |")
    return lines


def table(results: dict) -> str:
    machine = results["machine"]
    lines = [
        f"Machine: {machine['nproc']} cores ({machine.get('cpu') or 'unknown CPU'}), {machine['memory']} memory, "
        f"Python {machine['python']}, {machine['system']}; load average at start {results.get('load_at_start')}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()) + ".",
        "",
        "| corpus | tool | median wall | runs | CPU (user+sys) | peak RSS | hubguard ÷ tool |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, corpus in results["corpora"].items():
        hub = _wall(corpus, "hubguard")
        for key, m in corpus["measurements"].items():
            shown = seconds(m.wall) if m.ok else f"failed ({m.note or 'exit ' + str(m.runs[-1].exit_code if m.runs else '?')})"
            lines.append(f"| {name} | {key} | {shown} | {len(m.runs)} | {seconds(m.cpu)} | "
                         f"{m.rss_mb:.0f} MB | {'' if key.startswith('hubguard') else ratio(hub, m.wall if m.ok else None)} |")
    lines += ["", "| corpus | rendered objects | hubguard per 1,000 objects | floor per 1,000 objects | hubs reported: hubguard / checkov | per-hub runs: sum of walls (whole) | findings: whole / union of per-hub |",
              "|---|---:|---:|---:|---|---|---|"]
    for name, corpus in results["corpora"].items():
        summary = corpus.get("hubguard_summary", {})
        hubs = corpus.get("hubs") or []
        reported = f"{len(summary.get('hubs', []))}/{len(hubs)}" if hubs else "–"
        ck = corpus.get("checkov_kustomize_hubs")
        reported += f" / {len(ck)}/{len(hubs)}" if ck is not None and hubs else " / –"
        split = corpus.get("per_hub")
        split_text = "–"
        if split:
            partial = f", {split['hubs_run']} of {split['hubs']} hubs" if split["hubs_run"] < split["hubs"] else ""
            split_text = f"{seconds(split['sum_wall_s'])}{partial} ({seconds(_wall(corpus, 'hubguard'))})"
        findings = f"{split['findings_whole']} / {split['findings_union_per_hub']}" if split else "–"
        pk = per_thousand(corpus)
        fk = per_thousand(corpus, "floor")
        lines.append(f"| {name} | {summary.get('objects', '–')} (expected {corpus.get('expected_objects') or '–'}) | "
                     f"{seconds(pk)} | {seconds(fk)} | {reported} | {split_text} | {findings} |")
    secrets = results.get("secrets")
    if secrets:
        lines += ["", *secrets_table(secrets)]
    startup = results.get("startup")
    if startup:
        lines += ["", f"`hubguard --version` start-up: {startup.wall * 1000:.0f} ms (median of {len(startup.runs)})."]
    staged = results.get("staged_small")
    if staged:
        lines.append(f"`hubguard validate --staged` on the small corpus (the template does not generate yet): {seconds(staged.wall)}.")
    lines += ["", "| target (issue 11) | measured | met |", "|---|---|---|"]
    for target in results.get("targets", []):
        lines.append(f"| {target['target']} | {target['measured']} | {target['met']} |")
    return "\n".join(lines)


def targets(results: dict) -> list[dict]:
    corpora = results["corpora"]
    out: list[dict] = []

    def add(target: str, measured: str, met: bool | None) -> None:
        out.append({"target": target, "measured": measured, "met": "n/a" if met is None else ("yes" if met else "**no**")})

    template = corpora.get("template")
    staged = _wall(template, "hubguard --staged") if template else None
    add("`--staged` on the template's repo < 1.0 s", seconds(staged) if staged else "template does not generate yet",
        staged < 1.0 if staged else None)
    for size, peer_factor, floor_factor in (("medium", 5, 2.0), ("large", 3, 1.3)):
        corpus = corpora.get(size)
        if corpus is None:
            add(f"{size}: ≥ {peer_factor}× faster than checkov kustomize", "not run", None)
            add(f"{size}: ≤ {floor_factor}× the floor", "not run", None)
            continue
        hub, ck, floor = _wall(corpus, "hubguard"), _wall(corpus, "checkov kustomize"), _wall(corpus, "floor")
        add(f"{size}: ≥ {peer_factor}× faster than checkov kustomize", f"{ratio(ck, hub)}×" if hub and ck else "–",
            (ck / hub >= peer_factor) if hub and ck else None)
        add(f"{size}: ≤ {floor_factor}× the floor", f"{ratio(hub, floor)}×" if hub and floor else "–",
            (hub / floor <= floor_factor) if hub and floor else None)
    large = corpora.get("large")
    if large:
        summary = large.get("hubguard_summary", {})
        whole = large["measurements"]["hubguard"]
        if whole.ok:
            every = len(summary.get("hubs", [])) == len(large.get("hubs") or []) and summary.get("objects") == large.get("expected_objects")
            add("large: every hub reported", f"{len(summary.get('hubs', []))} hubs, {summary.get('objects')} objects", every)
            add("large: peak memory < 400 MB", f"{whole.rss_mb:.0f} MB", whole.rss_mb < 400)
        else:
            add("large: every hub reported", f"the run did not finish ({whole.note})", False)
            add("large: peak memory < 400 MB", f"{whole.rss_mb:.0f} MB until killed", None)
    else:
        add("large: every hub reported", "not run", None)
        add("large: peak memory < 400 MB", "not run", None)
    per_k = {size: per_thousand(corpora[size]) for size in ("small", "medium", "large") if size in corpora}
    values = [v for v in per_k.values() if v]
    if len(values) >= 2:
        spread = max(values) / min(values) - 1
        add("time per 1,000 objects agrees within 30% across sizes",
            ", ".join(f"{k} {seconds(v)}" for k, v in per_k.items()) + f" (spread {spread:.0%})", spread <= 0.30 if len(values) == 3 else None)
    marginal = marginal_per_thousand(corpora)
    if marginal:
        values = [v for _, v in marginal]
        spread = max(values) / min(values) - 1
        add("(not a target) time per 1,000 objects added, between sizes: agrees within 30%",
            ", ".join(f"{k} {seconds(v)}" for k, v in marginal) + f" (spread {spread:.0%})",
            spread <= 0.30 if len(values) == 2 else None)
    startup = results.get("startup")
    if startup:
        add("`hubguard --version` well under 150 ms", f"{startup.wall * 1000:.0f} ms", startup.wall < 0.150)
    return out


def to_json(value: Any) -> Any:
    """Plain JSON, with this checkout's absolute paths made relative (results are committed)."""
    if isinstance(value, Measurement):
        return to_json(value.to_json())
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, str):
        return value.replace(str(REPO_ROOT) + "/", "").replace(str(REPO_ROOT), ".")
    return value
