"""Every ha/* rule end to end: a two-hub repository (Flux Kustomizations -> overlays -> base, built
with the real kustomize) where each rule fires once at its file and line, and its fixed twin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hubguard.cli import main
from hubguard.rules.registry import all_rules

FIXTURES = Path(__file__).parent / "fixtures"

# (rule, path, line, hub): hub is null where the finding holds on both hubs.
BROKEN = [
    ("ha/hub-count", ".hubguard.yaml", 3, None),  # min_hubs 3, two hubs: at `hubs:`
    ("ha/hpa-min", "apps/base/api.yaml", 36, None),  # minReplicas: 1 (not also ha/replicas)
    ("ha/backup-offsite", "apps/base/backup.yaml", 6, "munich"),  # label substituted by munich's Flux postBuild
    ("ha/statefulset-quorum", "apps/base/mongodb.yaml", 7, None),  # replicas: 2
    ("ha/spread", "apps/base/worker.yaml", 12, None),  # pod spec without spread or anti-affinity
    ("ha/probes", "apps/base/worker.yaml", 14, None),  # container without livenessProbe
    ("ha/resources", "apps/base/worker.yaml", 18, None),  # requests without memory
    ("ha/pdb", "apps/base/worker.yaml", 25, None),  # minAvailable: 100%
    ("ha/engine-overlap", "apps/munich-tools/settings.yaml", 4, "munich"),  # applied by Flux and Argo CD
    ("ha/replicas", "apps/munich/replicas-patch.yaml", 7, "munich"),  # base 3, munich's patch 1
    ("ha/hub-parity", "apps/seattle/site-survey.yaml", 4, "munich"),  # seattle only, not hub_local
    ("ha/control-plane", "clusters/munich/aks-engine/apimodel.json", 7, "munich"),  # 2 masters
    ("ha/traffic-routing", "infra/traffic-manager.json", 8, "munich"),  # no endpoint for munich
]


def _copy_as_repo(name: str, make_repo) -> Path:
    source = FIXTURES / name
    files = {p.relative_to(source).as_posix(): p.read_text(encoding="utf-8") for p in source.rglob("*") if p.is_file()}
    return make_repo(files)


def _validate(root: Path, capsys) -> tuple[int, dict]:
    code = main(["validate", str(root), "--format", "json", "--select", "ha/"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out)


def test_broken_fires_every_ha_rule_once_at_its_line(make_repo, capsys) -> None:
    code, report = _validate(_copy_as_repo("broken", make_repo), capsys)
    assert code == 1
    got = [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]]
    assert got == BROKEN
    assert report["summary"]["hubs"] == ["munich", "seattle"]


def test_broken_covers_every_ha_rule() -> None:
    assert sorted(r for r, *_ in BROKEN) == sorted(i for i in all_rules() if i.startswith("ha/"))


def test_fixed_twin_has_no_finding(make_repo, capsys) -> None:
    code, report = _validate(_copy_as_repo("fixed", make_repo), capsys)
    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["objects"] >= 20  # rendered, not vacuously empty


@pytest.mark.parametrize(("hub", "expected_rules"), [
    # CI matrices validate one hub: cross-hub parity has nothing to compare, munich's findings stay.
    ("munich", {"ha/hub-count", "ha/hpa-min", "ha/backup-offsite", "ha/statefulset-quorum", "ha/spread", "ha/probes",
                "ha/resources", "ha/pdb", "ha/replicas", "ha/control-plane", "ha/traffic-routing", "ha/engine-overlap"}),
    ("seattle", {"ha/hub-count", "ha/hpa-min", "ha/statefulset-quorum", "ha/spread", "ha/probes", "ha/resources",
                 "ha/pdb"}),
])
def test_one_hub_at_a_time(make_repo, capsys, hub: str, expected_rules: set[str]) -> None:
    root = _copy_as_repo("broken", make_repo)
    code = main(["validate", str(root), "--format", "json", "--select", "ha/", "--hub", hub])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {f["rule"] for f in report["findings"]} == expected_rules


def test_suppressions_promised_by_the_remediations(make_repo, capsys) -> None:
    """A comment above the patched line and an object annotation silence ha/replicas and ha/probes."""
    root = _copy_as_repo("broken", make_repo)
    patch = root / "apps/munich/replicas-patch.yaml"
    patch.write_text(patch.read_text().replace("  replicas: 1", "  # hubguard: ignore[ha/replicas] munich is a lab\n  replicas: 1"))
    worker = root / "apps/base/worker.yaml"
    worker.write_text(worker.read_text().replace(
        "  name: ratings-worker\nspec:\n  replicas",
        "  name: ratings-worker\n  annotations:\n    hubguard.io/ignore: ha/probes\n    hubguard.io/ignore-reason: queue consumer\n"
        "spec:\n  replicas", 1))
    code, report = _validate(root, capsys)
    assert code == 1
    assert {f["rule"] for f in report["findings"]} == {r for r, *_ in BROKEN} - {"ha/replicas", "ha/probes"}
    # The engine counts suppressions before collapsing hubs: the base's probes finding counts once per hub.
    assert report["summary"]["suppressed"] >= 2


def test_json_indented_with_tabs_reports_its_line(make_repo, capsys) -> None:
    """Editors and `jq --tab` indent JSON with tabs, which YAML (where positions come from) refuses."""
    root = _copy_as_repo("broken", make_repo)
    model = root / "clusters/munich/aks-engine/apimodel.json"
    text = model.read_text(encoding="utf-8")
    model.write_text("\n".join(line.lstrip(" ").rjust(len(line.lstrip(" ")) + (len(line) - len(line.lstrip(" "))) // 2, "\t")
                               for line in text.split("\n")), encoding="utf-8")
    assert "\t\t\"count\": 2," in model.read_text(encoding="utf-8")
    _, report = _validate(root, capsys)
    found = [(f["rule"], f["path"], f["line"], f["column"]) for f in report["findings"] if f["rule"] == "ha/control-plane"]
    assert found == [("ha/control-plane", "clusters/munich/aks-engine/apimodel.json", 7, 13)]  # at the value 2
