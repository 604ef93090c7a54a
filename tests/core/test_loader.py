"""Loading files: positions, multi-document streams, and hostile input that must not crash or hang."""

from __future__ import annotations

import pytest
from hubguard.load.sources import load_text, parse_json, parse_yaml
from testkit import billion_laughs


def test_positions_are_one_based_for_every_key_and_value_in_every_document():
    docs, error = parse_yaml("x.yaml", "---\nkind: A\nspec:\n  replicas: 3\n  items:\n  - name: a\n    value: b\n---\nkind: B\n")
    assert error is None and [d.line for d in docs] == [2, 9]
    assert docs[0].position("spec", "replicas") == (4, 13)
    assert docs[0].position("spec", "replicas", key=True) == (4, 3)
    assert docs[0].position("spec", "items", 0, "value") == (7, 12)
    assert docs[0].position("spec", "missing", "deeper") == (3, 1)  # nearest ancestor present


def test_plain_values_are_plain_python():
    (doc,), _ = parse_yaml("x.yaml", "a: true\nb: 3\nc: 1.5\nd: yes\ne: null\nf: 2024-01-01\ng: 0644\n")
    # YAML 1.1 as Kubernetes reads manifests (sigs.k8s.io/yaml): `yes` is a boolean, 0644 octal;
    # timestamps stay text, since the API server sees strings there.
    assert doc.data == {"a": True, "b": 3, "c": 1.5, "d": True, "e": None, "f": "2024-01-01", "g": 0o644}
    assert type(doc.data["a"]) is bool and type(doc.data["b"]) is int


def test_json_files_have_positions():
    (doc,), error = parse_json("x.json", '{\n  "a": 1,\n  "b": {"c": [1, 2]}\n}\n')
    assert error is None and doc.position("b", "c") == (3, 9)


def test_json_indented_with_tabs_loads_with_positions():
    (doc,), error = parse_json("x.json", '{\n\t"a": {\n\t\t"b": 1,\n\t\t"c":\t"x\\ty"\n\t}\n}\n')
    assert error is None and doc.data == {"a": {"b": 1, "c": "x\ty"}}
    assert doc.position("a", "b") == (3, 8) and doc.position("a", "c") == (4, 8)


@pytest.mark.parametrize(
    "text, needle, line",
    [
        ("a: 1\nb: [unclosed\nc: 3\n", "flow sequence", 3),
        ("a: 1\na: 2\n", "duplicate key 'a'", 2),
        ("a:\n  b: 1\n c: 2\n", "", 3),
        ("key: 'unterminated\n", "", 2),
    ],
)
def test_syntax_errors_carry_their_line(text, needle, line):
    _, error = parse_yaml("x.yaml", text)
    assert error is not None and needle in error.message and error.line == line


def test_alias_bomb_is_refused_quickly():
    _, error = parse_yaml("bomb.yaml", billion_laughs())
    assert error is not None and "alias bomb" in error.message


def test_only_texts_that_could_expand_are_measured(monkeypatch):
    from hubguard.load import sources

    measured: list[int] = []
    real = sources.expanded_size
    monkeypatch.setattr(sources, "expanded_size", lambda node, memo=None: measured.append(1) or real(node, memo))
    docs, error = parse_yaml("plain.yaml", "a: [1, 2]\n---\nb: {c: d}\n")
    assert error is None and [d.data for d in docs] == [{"a": [1, 2]}, {"b": {"c": "d"}}] and measured == []
    docs, error = parse_yaml("alias.yaml", "a: &x [1, 2]\nb: *x\n")
    assert error is None and docs[0].data == {"a": [1, 2], "b": [1, 2]} and measured
    # A long text without aliases is measured too: it could hold more nodes than the limit.
    monkeypatch.setattr(sources, "MAX_NODES", 10)
    _, error = parse_yaml("wide.yaml", "[" + ", ".join(["1"] * 20) + "]\n")
    assert error is not None and "more than 10 nodes" in error.message


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, "{a: " * 50_000 + "1" + "}" * 50_000,
                                  "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 5000))])
def test_absurd_nesting_is_refused(text):
    _, error = parse_yaml("deep.yaml", text)
    assert error is not None and "too deep" in error.message


def test_bom_and_crlf_are_fine():
    src = load_text("x.yaml", "\ufeffa: 1\r\nb: 2\r\n")
    assert src.error is None and src.documents[0].data == {"a": 1, "b": 2}
    assert src.documents[0].position("b") == (2, 4)


def test_documents_that_are_lists_or_scalars_load():
    docs, error = parse_yaml("x.yaml", "- 1\n- 2\n---\njust text\n")
    assert error is None and [d.data for d in docs] == [[1, 2], "just text"]


def test_helm_templates_are_text_not_yaml():
    src = load_text("charts/app/templates/dep.yaml", "{{- if .Values.x }}\nkind: {{ .Values.kind }}\n{{ end }}\n", ("charts/app",))
    assert src.kind == "template" and src.error is None and src.documents == []
