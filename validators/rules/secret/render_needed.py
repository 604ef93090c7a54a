"""Whether a secrets-only run (the `hubguard-secrets` hook: `--select secret/`) must render hubs.

The secret rules scan every text file, and each rendered object only where it holds a value its own
files do not (`rendered_values`): the rendered view adds findings only where a render puts a value
into an object that is not written in the object's source document, its patches or its generator
inputs. Rendering is the expensive part of a run, so a secrets-only run renders the hubs only when
the repository holds something that can do that:

- Flux `postBuild` substitution, and only where a `${VAR}` sits where a secret detector would judge
  its value (a Secret's data, a credential-named key or env var, the password of a URI, a token
  prefix, a kubeconfig). That is found by scanning each file holding `${...}` again with every
  reference replaced by a probe value that every detector flags: a finding that only the probed
  text has marks such a place. The values themselves (from `substitute` or `substituteFrom`
  ConfigMaps and Secrets) need not be known: any value could land there.
- kustomize constructs that copy values from elsewhere or out of sight of the file scan:
  `replacements`, `vars`, inline and JSON 6902 patches (but for scalar writes under keys no detector
  judges, as `flux bootstrap` makes to controller args), patches whose `target` is of another kind,
  `commonAnnotations`, Helm chart inflation, generator and transformer plugins, generator inputs
  that are not scanned files; Flux Kustomization `patches` and `commonMetadata` annotations; Argo CD
  Application kustomize patches and annotations.

Everything else a render does (gather resources, prefix names, set namespaces, images and replica
counts, apply strategic-merge patch files, also to a `target` of their own kind — scanned as
documents of that kind, with their own keys) moves no value into
a new context, so the file scan already sees every secret such a render could carry. When in doubt
(an unparsable kustomization, an unknown key), the hubs are rendered.
"""

from __future__ import annotations

import posixpath
import re
from typing import Iterable

from hubguard.model import RepoContext, SourceFile
from hubguard.render.kustomize import KUSTOMIZATION_FILES
from hubguard.rules.registry import Rule

# kustomization keys that move no value into a new context (see above); any other key renders.
SAFE_KUSTOMIZATION_KEYS = frozenset({
    "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace", "namePrefix", "nameSuffix",
    "images", "replicas", "labels", "commonLabels", "patches", "patchesStrategicMerge", "configMapGenerator",
    "secretGenerator", "generatorOptions", "configurations", "openapi", "crds", "buildMetadata", "sortOptions",
})
# A `${VAR}` reference as Flux substitutes it (`$${VAR}` is an escape, left alone).
_REFERENCE = re.compile(r"(?<!\$)\$\{[^}\n]*\}")
# A value every detector flags where a secret can be: alphanumeric (valid inside a URI, a token,
# base64 `data`), 40 characters (long enough for any token format), no dictionary word.
PROBE = "q7Xv2LmZ9kR4tW8pN3sB6yH1jD5fG0cAe2Ui8Qo4"


def why_render(repo: RepoContext, secret_rules: list[Rule]) -> str | None:
    """Why the hubs must be rendered for the secret rules, or None when the file scan sees every
    value a render can carry."""
    substitution = False
    for src in repo.files:
        for doc in src.documents:
            data = doc.data
            if not isinstance(data, dict):
                continue
            reason = _kustomize_reason(src, data, repo) if _is_kustomization(src, data) else _gitops_reason(data)
            if reason == "substitution":
                substitution = True
            elif reason:
                return f"{src.path}: {reason}"
    if substitution:
        return _substituted_into_a_secret_place(repo, secret_rules)
    return None


def _is_kustomization(src: SourceFile, data: dict) -> bool:
    return posixpath.basename(src.path) in KUSTOMIZATION_FILES or str(data.get("apiVersion", "")).startswith("kustomize.config.k8s.io/")


def _kustomize_reason(src: SourceFile, data: dict, repo: RepoContext) -> str | None:
    unsafe = sorted(str(key) for key in data if key not in SAFE_KUSTOMIZATION_KEYS)
    if unsafe:
        return f"kustomize `{unsafe[0]}`"
    folder = posixpath.dirname(src.path)
    for patch in data.get("patches") or []:
        # A strategic-merge patch file is scanned as the document it is (its kind, its keys), so a
        # value it sets keeps its context on every object of that kind its `target` selects.
        if isinstance(patch, dict) and isinstance(patch.get("patch"), str) and _harmless_json_ops(patch["patch"], patch.get("target")):
            continue
        if not isinstance(patch, dict) or set(patch) - {"path", "options", "target"} or not _strategic_file(folder, patch.get("path"), repo):
            return "a kustomize patch that is not a strategic-merge file (inline or JSON 6902)"
        if "target" in patch and not _same_kind(folder, patch, repo):
            return "a kustomize patch whose target is not of the patch's own kind"
    for patch in data.get("patchesStrategicMerge") or []:
        if not _strategic_file(folder, patch, repo):
            return "an inline or missing patchesStrategicMerge entry"
    for kind in ("configMapGenerator", "secretGenerator"):
        for gen in data.get(kind) or []:
            if not isinstance(gen, dict):
                return f"a {kind} entry that is not a mapping"
            inputs = [*(gen.get("files") or []), *(gen.get("envs") or []), *([gen["env"]] if gen.get("env") else [])]
            for ref in inputs:
                rel = posixpath.normpath(posixpath.join(folder, str(ref).split("=", 1)[-1]))
                found = repo.file(rel)
                if found is None or found.text is None:
                    return f"{kind} input {ref} is not a scanned text file"
    return None


def _strategic_file(folder: str, ref: object, repo: RepoContext) -> bool:
    if not isinstance(ref, str) or "\n" in ref:
        return False
    found = repo.file(posixpath.normpath(posixpath.join(folder, ref)))
    return found is not None and bool(found.documents) and all(
        isinstance(d.data, dict) and d.data.get("kind") and isinstance(d.data.get("metadata"), dict) for d in found.documents)


def _harmless_json_ops(text: str, target: object) -> bool:
    """An inline JSON 6902 patch whose every operation writes a scalar under a key no detector
    judges, outside Secrets and data maps: the tweaks `flux bootstrap` repositories make to the
    controllers' args (`value: --no-cross-namespace-refs=true`). A value with a token or URI in it
    is in the kustomization's own text, which the file scan reads."""
    import yaml

    from hubguard.rules.secret.key_names import sensitive_word

    try:
        ops = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    if not isinstance(ops, list) or not isinstance(target, dict) or target.get("kind") in (None, "Secret"):
        return False
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove", "test"):
            return False
        keys = [k for k in str(op.get("path", "")).split("/") if k and k != "-" and not k.isdigit()]
        value = op.get("value")
        if isinstance(value, (dict, list)) or not keys or {"data", "stringData"} & set(keys):
            return False
        flag = str(value).lstrip("-").split("=", 1)[0] if isinstance(value, str) and str(value).startswith("--") else ""
        if sensitive_word(keys[-1]) or (flag and sensitive_word(flag)):
            return False
    return True


def _same_kind(folder: str, patch: dict, repo: RepoContext) -> bool:
    """A patch's `target` selects only objects of the kind its documents are written as."""
    target = patch.get("target")
    found = repo.file(posixpath.normpath(posixpath.join(folder, patch["path"])))
    return isinstance(target, dict) and found is not None and all(d.data.get("kind") == target.get("kind") for d in found.documents)


def _gitops_reason(data: dict) -> str | None:
    """What a Flux or Argo CD object asks its controller to do to the values it deploys."""
    api, kind = str(data.get("apiVersion", "")), data.get("kind")
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    if api.startswith("kustomize.toolkit.fluxcd.io/") and kind == "Kustomization":
        patches = spec.get("patches") or []
        if not isinstance(patches, list) or not all(
                isinstance(p, dict) and isinstance(p.get("patch"), str) and _harmless_json_ops(p["patch"], p.get("target"))
                for p in patches):
            return "Flux Kustomization `patches`"
        if (spec.get("commonMetadata") or {}).get("annotations") if isinstance(spec.get("commonMetadata"), dict) else False:
            return "Flux Kustomization `commonMetadata.annotations`"
        post = spec.get("postBuild") if isinstance(spec.get("postBuild"), dict) else {}
        if post.get("substitute") or post.get("substituteFrom"):
            return "substitution"
    if api.startswith("argoproj.io/") and kind in ("Application", "ApplicationSet"):
        template = spec.get("template") if kind == "ApplicationSet" and isinstance(spec.get("template"), dict) else data
        app_spec = template.get("spec") if isinstance(template.get("spec"), dict) else {}
        sources = [app_spec.get("source"), *(app_spec.get("sources") or [])]
        for source in sources:
            kustomize = source.get("kustomize") if isinstance(source, dict) else None
            if isinstance(kustomize, dict) and (kustomize.get("patches") or kustomize.get("commonAnnotations")):
                return "Argo CD kustomize `patches`/`commonAnnotations`"
    return None


def _substituted_into_a_secret_place(repo: RepoContext, secret_rules: list[Rule]) -> str | None:
    """The first file where a `${VAR}` sits in a place a secret detector judges, if any."""
    from hubguard.load.sources import load_text
    from hubguard.rules.runner import RuleRunner

    candidates = [src for src in repo.files if src.text and "${" in src.text and _REFERENCE.search(src.text)]
    if not candidates:
        return None
    probed = [load_text(src.path, _REFERENCE.sub(PROBE, src.text or ""), abspath=src.abspath) for src in candidates]
    runner = RuleRunner(RepoContext(root=repo.root, policy=repo.policy, files=list(repo.files)), secret_rules)
    before = _places(runner.files(candidates))
    for src, found in zip(candidates, probed):
        new = _places(runner.files([found])) - before
        if new:
            line = min(line for _, line in new)
            return f"{src.path}:{line}: a Flux substitution variable in a place the secret rules judge"
    return None


def _places(findings: Iterable) -> set[tuple[str, int]]:
    return {(f.path or "", f.line or 0) for f in findings}
