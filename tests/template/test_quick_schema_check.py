"""The compiled "valid?" check (jsonschema-rs) agrees with `jsonschema` on every object the default
template repository renders, and on thousands of mutations of them. It may only ever skip the
explaining walk for objects that `jsonschema` finds valid: accepting anything `jsonschema` rejects
would hide a schema/invalid finding."""

from __future__ import annotations

import copy
import datetime
import random

from hubguard.engine import ValidateOptions, load_repository, render_hubs
from hubguard.model import K8sObject
from hubguard.rules.schema import kubernetes_schemas

REPLACEMENTS = ["x", "", 0, 1, -1, 2**31, 10**20, 1.5, True, False, None, [], ["x"], {}, {"unknown": 1},
                {"name": 1}, "a" * 300, "UPPER_case", "1.2.3.4", "http://x", "-1", "80"]


def _schema_for(obj: K8sObject, version):
    group, _, api = obj.api_version.rpartition("/")
    if kubernetes_schemas.is_core_group(group):
        found = kubernetes_schemas.core_validator(version, True, obj.kind, obj.api_version)
        if found is not None:
            return found
    return kubernetes_schemas.bundled_crd_validator((group, obj.kind.lower(), api), True, version)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _mutated(data: dict, rng: random.Random) -> dict:
    data = copy.deepcopy(data)
    path = rng.choice([p for p in _paths(data) if p])
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    action = rng.random()
    if action < 0.15 and isinstance(parent, dict):
        del parent[last]  # a required field may go missing
    elif action < 0.3 and isinstance(parent[last], dict):
        parent[last]["unknownField" + str(rng.randint(0, 9))] = rng.choice(REPLACEMENTS)
    else:
        parent[last] = copy.deepcopy(rng.choice(REPLACEMENTS))
    return data


def _agree(schema: kubernetes_schemas.ObjectSchema, data: dict) -> tuple[bool, bool]:
    explained = not any(True for _ in schema.explain.iter_errors(data))
    return schema.quick.is_valid(data), explained


def test_quick_check_agrees_with_jsonschema_on_rendered_and_mutated_objects(bake):
    repo = bake()
    policy, files, _ = load_repository(ValidateOptions(root=repo))
    renders = render_hubs(repo, policy, files, sorted(policy.hubs), None)
    version = kubernetes_schemas.schema_version(None)
    objects = [obj for render in renders.values() for obj in render.inventory.objects]
    checked = [(obj, schema) for obj in objects if (schema := _schema_for(obj, version)) is not None]
    kinds = {obj.kind for obj, _ in checked}
    assert len(checked) > 50 and {"Deployment", "StatefulSet", "NetworkPolicy", "Kustomization", "HelmRelease", "ClusterIssuer"} <= kinds
    rng = random.Random(20261125)
    rejected = 0
    for obj, schema in checked:
        assert schema.quick is not None, obj.ref
        data = {k: v for k, v in obj.data.items() if k != "sops"}
        assert _agree(schema, data) == (True, True), obj.ref
        for _ in range(25):
            mutated = _mutated(data, rng)
            quick, explained = _agree(schema, mutated)
            assert quick == explained, (obj.ref, mutated)
            rejected += not explained
    assert rejected > 500  # the mutations do produce invalid objects


def test_values_json_has_no_type_for_are_explained_by_jsonschema():
    schema = kubernetes_schemas.core_validator(kubernetes_schemas.schema_version(None), True, "ConfigMap", "v1")
    data = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"day": datetime.date(2026, 1, 1)}}
    errors = list(schema.iter_errors(data))
    assert [list(e.absolute_path) for e in errors] == [["data", "day"]]
    int_keys = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {8080: "port"}}
    assert list(schema.iter_errors(int_keys)) == list(schema.explain.iter_errors(int_keys))
