"""ha/hub-count: at least `min_hubs` hubs, reported at the policy file's `hubs:` key."""

from __future__ import annotations

import pytest
from ha_support import dedent, line_of
from testkit import repo_from_files, run_rule, where

POLICY = dedent("""
    # the hubs of this deployment
    min_hubs: {min_hubs}
    hubs:
    {hubs}
    """)


@pytest.mark.parametrize(("hubs", "min_hubs", "fires"), [
    (["seattle", "munich"], 2, False),
    (["seattle"], 2, True),
    (["seattle", "munich"], 3, True),
    (["seattle"], 1, False),
])
def test_hub_count(hubs: list[str], min_hubs: int, fires: bool) -> None:
    text = POLICY.format(min_hubs=min_hubs, hubs="".join(f"  {h}: {{}}\n" for h in hubs))
    policy = {"min_hubs": min_hubs, "hubs": {h: {} for h in hubs}}
    repo = repo_from_files({".hubguard.yaml": text}, hubs={h: [] for h in hubs}, policy=policy)
    expected = [("ha/hub-count", ".hubguard.yaml", line_of(text, "hubs:", nth=2))] if fires else []
    assert where(run_rule("ha/hub-count", repo)) == expected


def test_hubs_from_folders_point_at_min_hubs() -> None:
    text = "min_hubs: 3\n"
    repo = repo_from_files({".hubguard.yaml": text}, hubs={"seattle": [], "munich": []})
    # repo_from_files declares the hubs; model discovery from clusters/ folders instead.
    repo.policy = type(repo.policy)(**{**repo.policy.__dict__, "hubs_declared": False, "min_hubs": 3})
    (finding,) = run_rule("ha/hub-count", repo)
    assert (finding.path, finding.line, finding.hub) == (".hubguard.yaml", 1, None)
    assert "2 hub(s) (munich, seattle) found under clusters/" in finding.message


def test_no_policy_file_has_no_location() -> None:
    repo = repo_from_files({}, hubs={"only": []})
    assert [(f.path, f.line) for f in run_rule("ha/hub-count", repo)] == [(None, None)]
