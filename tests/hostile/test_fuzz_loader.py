"""Property tests (bounded): whatever text a file holds, loading it and running every rule on it
ends in findings, never an exception."""

from __future__ import annotations

from hubguard.load.sources import parse_yaml
from hubguard.rules.registry import all_rules
from hubguard.rules.runner import run_rules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testkit import repo_from_files

YAML_ALPHABET = st.sampled_from(list("abcdefkind:Secret -[]{}&*!|>'\"#,?\n\t  0123456789.%@`~$\\/")) 
yaml_like = st.text(YAML_ALPHABET, max_size=300)

KEYS = st.sampled_from(["apiVersion", "kind", "metadata", "name", "namespace", "labels", "spec", "data", "stringData",
                        "replicas", "template", "containers", "env", "value", "egress", "to", "ipBlock", "cidr",
                        "selector", "matchLabels", "password", "properties", "masterProfile", "count", "resources"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=20),
                    st.sampled_from(["Deployment", "Secret", "NetworkPolicy", "v1", "apps/v1", "vlabs", "0.0.0.0/0", "pii"]))
documents = st.recursive(st.dictionaries(KEYS, SCALARS, max_size=4),
                         lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=4)),
                         max_leaves=25)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_like)
def test_any_text_parses_or_is_a_parse_error(text):
    docs, error = parse_yaml("f.yaml", text)
    assert error is None or isinstance(error.message, str)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents, min_size=1, max_size=3))
def test_every_rule_survives_arbitrary_objects(docs):
    import yaml

    text = yaml.safe_dump_all(docs)
    repo = repo_from_files({"m.yaml": text, "aks.json": __import__("json").dumps(docs[0])},
                           hubs={"a": ["m.yaml"], "b": ["m.yaml"]},
                           policy={"hubs": {"a": {"onprem_cidrs": ["10.0.0.0/8"]}, "b": {}}})
    errors: list[str] = []
    run_rules(repo, all_rules().values(), errors)
    assert errors == []
