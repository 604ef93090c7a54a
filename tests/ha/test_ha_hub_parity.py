"""ha/hub-parity: every hub runs the same workloads, except those declared hub-local in the policy."""

from __future__ import annotations

import pytest
from ha_support import deployment, line_of
from testkit import repo_from_files, run_rule

SURVEY = deployment("site-survey", namespace="tools")
FILES = {"apps/base/web.yaml": deployment(), "apps/seattle/survey.yaml": SURVEY}
SURVEY_LINE = line_of(SURVEY, "name: site-survey")


@pytest.mark.parametrize(("hubs", "hub_local", "expected"), [
    # same workloads everywhere
    ({"seattle": ["apps/base/web.yaml"], "munich": ["apps/base/web.yaml"]}, [], []),
    # seattle only, undeclared: a finding for munich, at the definition
    ({"seattle": ["apps/base/web.yaml", "apps/seattle/survey.yaml"], "munich": ["apps/base/web.yaml"]}, [],
     [("apps/seattle/survey.yaml", SURVEY_LINE, "munich")]),
    # the subtle case: declared hub-local in the policy
    ({"seattle": ["apps/base/web.yaml", "apps/seattle/survey.yaml"], "munich": ["apps/base/web.yaml"]},
     [{"hub": "seattle", "kind": "Deployment", "namespace": "tools", "name": "site-survey"}], []),
    # a namespace-less declaration matches the name in any namespace
    ({"seattle": ["apps/base/web.yaml", "apps/seattle/survey.yaml"], "munich": ["apps/base/web.yaml"]},
     [{"hub": "seattle", "kind": "Deployment", "name": "site-survey"}], []),
    # declared for the wrong hub: still a finding
    ({"seattle": ["apps/base/web.yaml", "apps/seattle/survey.yaml"], "munich": ["apps/base/web.yaml"]},
     [{"hub": "munich", "kind": "Deployment", "namespace": "tools", "name": "site-survey"}],
     [("apps/seattle/survey.yaml", SURVEY_LINE, "munich")]),
    # declared with the wrong kind: still a finding
    ({"seattle": ["apps/base/web.yaml", "apps/seattle/survey.yaml"], "munich": ["apps/base/web.yaml"]},
     [{"hub": "seattle", "kind": "StatefulSet", "namespace": "tools", "name": "site-survey"}],
     [("apps/seattle/survey.yaml", SURVEY_LINE, "munich")]),
    # three hubs, present on two: one finding, for the third
    ({"a": ["apps/base/web.yaml", "apps/seattle/survey.yaml"], "b": ["apps/base/web.yaml", "apps/seattle/survey.yaml"],
      "c": ["apps/base/web.yaml"]}, [], [("apps/seattle/survey.yaml", SURVEY_LINE, "c")]),
    # present on one of three: a finding for each hub lacking it
    ({"a": ["apps/base/web.yaml", "apps/seattle/survey.yaml"], "b": ["apps/base/web.yaml"], "c": ["apps/base/web.yaml"]}, [],
     [("apps/seattle/survey.yaml", SURVEY_LINE, "b"), ("apps/seattle/survey.yaml", SURVEY_LINE, "c")]),
    # one hub: nothing to compare
    ({"seattle": ["apps/base/web.yaml", "apps/seattle/survey.yaml"]}, [], []),
], ids=["same", "missing", "hub-local-declared", "hub-local-any-namespace", "hub-local-wrong-hub", "hub-local-wrong-kind",
        "three-hubs", "one-of-three", "single-hub"])
def test_hub_parity(hubs: dict, hub_local: list, expected: list) -> None:
    repo = repo_from_files(FILES, hubs=hubs, policy={"hub_local": hub_local})
    findings = run_rule("ha/hub-parity", repo)
    assert [(f.path, f.line, f.hub) for f in findings] == expected
    assert all(f.rule == "ha/hub-parity" and f.object == "Deployment/tools/site-survey" for f in findings)


def test_same_name_in_another_namespace_is_another_workload() -> None:
    other = deployment("web", namespace="staging")
    repo = repo_from_files({"a.yaml": deployment(), "b.yaml": other}, hubs={"x": ["a.yaml"], "y": ["b.yaml"]})
    assert [(f.path, f.hub) for f in run_rule("ha/hub-parity", repo)] == [("a.yaml", "y"), ("b.yaml", "x")]


def test_non_workloads_are_not_compared() -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: only-here, namespace: shop}\n"
    repo = repo_from_files({"cm.yaml": cm}, hubs={"x": ["cm.yaml"], "y": []})
    assert run_rule("ha/hub-parity", repo) == []
