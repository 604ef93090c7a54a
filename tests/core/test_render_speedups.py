"""The shortcuts the renderer takes for speed give exactly what the slow, obvious way gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hubguard.render import hubs
from hubguard.render import kustomize
from hubguard.render.envsubst import substitute as substitute_text
from hubguard.render.flux_postbuild import _substituted_values
from hypothesis import given, settings
from hypothesis import strategies as st


def whole_text(data: dict, values: dict[str, str]):
    """Flux's way: substitute in the object's YAML text and read it back."""
    text = yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False)
    return yaml.load(substitute_text(text, values), Loader=yaml.CSafeLoader)


def test_values_are_substituted_with_yaml_typing_as_in_the_whole_text():
    data = {"spec": {"replicas": "${N}", "host": "web.${HUB}.corp", "flag": "${ON:=true}",
                     "list": ["${HUB}", "keep $${HUB}"], "quoted": "${A}: ${B}", "n": 3}}
    values = {"N": "4", "HUB": "munich", "A": "x", "B": "y"}
    got = _substituted_values(data, values)
    assert got == whole_text(data, values)
    assert got["spec"]["replicas"] == 4 and got["spec"]["flag"] is True
    assert got["spec"]["list"] == ["munich", "keep ${HUB}"]
    assert data["spec"]["replicas"] == "${N}"  # the shared input is left as it was


def test_variables_in_keys_or_multi_line_values_go_through_the_whole_text():
    assert _substituted_values({"data": {"${KEY}": "v"}}, {"KEY": "k"}) is None
    assert _substituted_values({"data": {"k": "line one\n${V}\n"}}, {"V": "x"}) is None
    assert _substituted_values({"data": {"k": "${V}"}}, {"V": "two\nlines"}) is None


text_parts = st.sampled_from(["${V}", "${N}", "${MISSING:=d}", "${MISSING:-5}", "$${V}", "a", " ", ":", "#", "'", '"',
                              "-", "[", "{", "}", "yes", "0x1F", "1.5", "~", "@", "*", "&", "!", "%", "é", "\t", ","])
strings = st.lists(text_parts, min_size=1, max_size=12).map("".join)
var_values = st.sampled_from(["3", "munich", "true", "null", "a b", "x: y", "[1, 2]", "'q'", "", "0.5", "-1", "{}"])


@settings(max_examples=400, deadline=None)
@given(value=strings, v=var_values, n=var_values)
def test_value_wise_substitution_equals_flux_whole_text_substitution(value, v, n):
    data = {"kind": "ConfigMap", "data": {"k": value, "nested": [{"x": value}]}}
    values = {"V": v, "N": n}
    try:
        expected = whole_text(data, values)
    except yaml.YAMLError:
        expected = "error"
    got = _substituted_values(data, values)
    if got is None:  # not taken: the caller substitutes the whole text
        return
    assert got == expected


def test_each_distinct_document_of_kustomize_output_is_parsed_once_and_shared(tmp_path):
    renderer = hubs.Renderer(tmp_path, {})
    one = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
    other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
    first, second = renderer._parsed(one), renderer._parsed(other)
    assert [d["metadata"]["name"] for d in first] == ["a", "b"]
    assert [d["metadata"]["name"] for d in second] == ["a", "c"]
    assert first[0] is second[0] and first[1] is not second[1]
    assert first == list(yaml.safe_load_all(one))
    # A piece that does not parse alone: the whole output is parsed (and its error raised).
    broken = "a: [1,\n---\n2]\n"
    with pytest.raises(yaml.YAMLError):
        renderer._parsed(broken)


def test_the_walk_resolves_references_exactly_as_path_resolve(tmp_path):
    root = tmp_path / "repo"
    (root / "base").mkdir(parents=True)
    (root / "base" / "cm.yaml").write_text("kind: ConfigMap\n")
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "real.yaml").write_text("kind: ConfigMap\n")
    os.symlink(root / "elsewhere" / "real.yaml", root / "base" / "link.yaml")
    os.symlink(root / "base", root / "alias")
    os.symlink(tmp_path, root / "out")
    (root / "overlay").mkdir()
    resolve = kustomize._Resolver()
    for ref in ["../base/cm.yaml", "../base/link.yaml", "../alias/link.yaml", "../alias/../base/cm.yaml",
                "../out/repo/base/cm.yaml", "../out", "..", ".", "../base/", "../missing/x.yaml", "../../outside.yaml",
                "", "./../base/cm.yaml", "..//base//cm.yaml", "../base/./cm.yaml", "../alias/", str(root / "base")]:
        joined = os.path.join(root / "overlay", ref)  # as the walker joins: strings, not normalised by Path
        assert resolve(joined) == str((root / "overlay" / ref).resolve()), ref
        assert resolve(joined) == str((root / "overlay" / ref).resolve()), ref  # and again, from the remembered folders
    assert resolve(str(root / "base" / "link.yaml")) == str(Path(root / "elsewhere" / "real.yaml").resolve())


def _env_of_build(monkeypatch, tmp_path) -> dict:
    seen = {}
    real_run = kustomize.run_tool

    def spy(args, **kwargs):
        seen.update(kwargs["env"])
        return real_run(args, **kwargs)

    monkeypatch.setattr(kustomize, "run_tool", spy)
    (tmp_path / "kustomization.yaml").write_text("resources:\n- cm.yaml\n")
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    result = kustomize.build(tmp_path, tmp_path)
    assert result.error is None and "name: a" in result.output
    return seen


def test_kustomize_runs_with_a_lazier_garbage_collector_unless_the_user_chose(monkeypatch, tmp_path):
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    env = _env_of_build(monkeypatch, tmp_path)
    assert (env["GOGC"], env["GOMEMLIMIT"]) == ("400", "512MiB")
    monkeypatch.setenv("GOGC", "100")
    monkeypatch.setenv("GOMEMLIMIT", "2GiB")
    env = _env_of_build(monkeypatch, tmp_path)
    assert (env["GOGC"], env["GOMEMLIMIT"]) == ("100", "2GiB")


def test_files_load_once_whichever_thread_asks_first(tmp_path, monkeypatch):
    import threading

    from hubguard.load import sources

    for index in range(40):
        (tmp_path / f"f{index}.yaml").write_text(f"a: {index}\n")
    calls: list[str] = []
    real = sources.load_file
    monkeypatch.setattr(sources, "load_file", lambda root, rel, charts=(): calls.append(rel) or real(root, rel, charts))
    loader = sources.SourceLoader(tmp_path, [f"f{i}.yaml" for i in range(40)])
    threads = [threading.Thread(target=loader.all) for _ in range(4)]
    for thread in threads:
        thread.start()
    files = loader.all()
    for thread in threads:
        thread.join()
    assert sorted(calls) == sorted(f"f{i}.yaml" for i in range(40))  # each exactly once
    assert [f.documents[0].data for f in files] == [{"a": i} for i in range(40)]
    assert loader.get("not-a-file.yaml") is None


def test_validation_ends_when_no_hub_ever_starts_a_build(make_repo, validate_json):
    """The engine waits for the first builds before loading every file; hubs with only plain
    folders, or whose kustomization is refused, never start one."""
    repo = make_repo({
        ".hubguard.yaml": "hubs:\n  plain: {roots: [manifests]}\n  refused: {roots: [remote]}\n",
        "manifests/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\n",
        "remote/kustomization.yaml": "resources:\n- https://github.com/example/repo//base?ref=main\n",
    })
    code, report = validate_json(repo, "--select", "schema/")
    assert report["summary"]["objects"] == 1
    assert [(f["rule"], f["path"], f["line"], f["hub"]) for f in report["findings"]] == [
        ("schema/render-error", "remote/kustomization.yaml", 2, "refused")]
