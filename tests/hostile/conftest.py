"""The hostile-repository corpus: every kind of input a validator of untrusted pull requests meets.

Built at test time (a 50 MB file and NUL bytes do not belong in git history)."""

from __future__ import annotations

import json

import pytest
from testkit import billion_laughs

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: demo\ndata:\n  K: v\n"
FLUX = ("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: {name}, namespace: flux-system}}\n"
        "spec:\n  interval: 10m\n  path: {path}\n  prune: true\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n")


def hostile_files(marker: str) -> dict[str, str | bytes]:
    appset_dirs = {f"many/app{i:04d}/cm.yaml": CM.format(name=f"app{i}") for i in range(600)}
    return {
        ".hubguard.yaml": "hubs:\n  a: {roots: [clusters/a]}\n  b: {roots: [clusters/b]}\n",
        # YAML that must not hang, blow up memory or crash
        "yaml/bomb.yaml": billion_laughs(),
        "yaml/deep-flow.yaml": "[" * 100_000 + "]" * 100_000,
        "yaml/deep-block.yaml": "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 3000)),
        "yaml/binary.yaml": b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)),
        "yaml/nul.yaml": b"kind: ConfigMap\x00\nmetadata: {}\n",
        "yaml/latin1.yaml": "name: M\xfcnchen\n".encode("latin-1"),
        "yaml/crlf.yaml": CM.format(name="crlf").replace("\n", "\r\n"),
        "yaml/bom.yaml": "\ufeff" + CM.format(name="bom"),
        "yaml/tabs.yaml": "a:\n\tb: 1\n",
        "yaml/list.yaml": "- 1\n- [2, 3]\n",
        "yaml/scalar.yaml": "just a string\n",
        "yaml/empty.yaml": "",
        "yaml/only-comments.yaml": "# nothing\n---\n# here\n",
        "yaml/no-kind.yaml": "metadata: {name: x}\nspec: {}\n",
        "yaml/no-metadata.yaml": "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n",
        "yaml/weird-types.yaml": "apiVersion: 1\nkind: [Deployment]\nmetadata: 7\nspec: null\n",
        "yaml/dates.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: {when: 2024-01-01, bin: !!binary aGVsbG8=}\n",
        "yaml/unicode-\u00e9\u6f22.yaml": CM.format(name="unicode-\u00e9"),
        "yaml/$(touch pwned); rm -rf x.yaml": CM.format(name="shell"),
        "yaml/dup-1.yaml": CM.format(name="same"),
        "yaml/dup-2.yaml": CM.format(name="same"),
        "json/bad.json": '{"a": [1, 2,\n',
        "json/deep.json": "[" * 50_000 + "]" * 50_000,
        "json/list.json": json.dumps([1, {"a": None}]),
        "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        "charts/app/templates/dep.yaml": "{{- if .Values.enabled }}\nkind: {{ .Values.kind | quote }}\n{{- end }}\n",
        "charts/app/values.yaml": "enabled: true\nkind: Deployment\n",
        # kustomize and GitOps traps, hub a
        "clusters/a/remote.yaml": FLUX.format(name="remote", path="./apps/remote"),
        "apps/remote/kustomization.yaml": "resources:\n- https://example.invalid/x?ref=v1\n- git::https://example.invalid/y.git\n",
        "clusters/a/loop.yaml": FLUX.format(name="loop", path="./loop/one"),
        "loop/one/ks.yaml": FLUX.format(name="two", path="./loop/two"),
        "loop/two/ks.yaml": FLUX.format(name="back", path="./loop/one"),
        "clusters/a/escape.yaml": FLUX.format(name="escape", path="../../../../etc"),
        # hub b: a plugin that would touch a marker file, helm inflation, escaping paths
        "clusters/b/plugin.yaml": FLUX.format(name="plugin", path="./apps/plugin"),
        "clusters/b/helm.yaml": FLUX.format(name="helm", path="./apps/helm"),
        "clusters/b/escape.yaml": FLUX.format(name="escape", path="./apps/escape"),
        "apps/plugin/kustomization.yaml": "generators:\n- gen.yaml\n",
        "apps/plugin/gen.yaml": ("apiVersion: example.com/v1\nkind: Evil\nmetadata:\n  name: evil\n  annotations:\n"
                                 "    config.kubernetes.io/function: |\n      exec:\n        path: ./plugin.sh\n"),
        "apps/plugin/plugin.sh": f"#!/bin/sh\ntouch {marker}\n",
        "apps/helm/kustomization.yaml": "helmCharts:\n- name: x\n  repo: https://example.invalid/charts\n  version: 1.0.0\n",
        "apps/escape/kustomization.yaml": "resources:\n- ../../../../../../etc\n",
        # an ApplicationSet that enumerates hundreds of folders
        "clusters/b/appset.yaml": ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: many, namespace: argocd}\n"
                                   "spec:\n  generators:\n  - git:\n      repoURL: https://git.example.invalid/r.git\n      revision: HEAD\n"
                                   "      directories:\n      - path: many/*\n  template:\n    metadata: {name: '{{path.basename}}'}\n"
                                   "    spec:\n      project: default\n      source: {repoURL: https://git.example.invalid/r.git, path: '{{path}}'}\n"
                                   "      destination: {server: https://kubernetes.default.svc, namespace: x}\n"),
        **appset_dirs,
    }


@pytest.fixture
def hostile_repo(make_repo, tmp_path):
    marker = tmp_path / "plugin-ran"
    root = make_repo(hostile_files(str(marker)))
    (root / "apps/plugin/plugin.sh").chmod(0o755)
    big = root / "yaml/huge.yaml"
    with big.open("wb") as handle:  # 50 MB, above the size limit: skipped with a note
        handle.truncate(50 * 1024 * 1024)
        handle.seek(0)
        handle.write(b"a: 1\n")
    return root, marker
