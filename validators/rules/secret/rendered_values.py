"""Rendered objects whose values the file scan cannot see.

The secret rules run per file (so `--staged` and `--changed-since` check only what changed), and
most of what a hub receives is already in some file verbatim. Two things are not: values put in by
Flux `postBuild.substitute` where the file has `${VAR}`, and objects made by kustomize generators
(`configMapGenerator`/`secretGenerator` from `envs:`/`files:`). Each rendered object is anchored to
the file it came from (its source document, or the kustomization that generated it); as each hub
is checked, the values of its objects anchored at a checked file are scanned (the rules'
`rendered` checks), and a hit is reported only if its value is not written in that file (or in a
patch or generator input that targets it) — those are reported by the file scan already, at their
own line. The hub is released afterwards, so nothing here outlives it.
"""

from __future__ import annotations

import posixpath
import weakref
from typing import Any, Callable, Iterator

from hubguard.model import HubInventory, K8sObject, RepoContext, SourceFile
from hubguard.rules.encoding import base64_text
from hubguard.rules.secret.candidates import Hit


_VIEWS: dict[int, tuple[weakref.ref, dict[tuple, Any]]] = {}


def _views(hub: HubInventory) -> dict[tuple, Any]:
    """Each object's `changed_values` for one hub, shared by the rules that ask (and released with
    the hub: hubs are checked and dropped one after another)."""
    entry = _VIEWS.get(id(hub))
    if entry is not None and entry[0]() is hub:
        return entry[1]
    for key in [k for k, (ref, _) in _VIEWS.items() if ref() is None]:
        del _VIEWS[key]
    views: dict[tuple, Any] = {}
    _VIEWS[id(hub)] = (weakref.ref(hub), views)
    return views


def receiving_hubs(repo: RepoContext, path: str) -> list[str | None]:
    """The hubs a finding in file `path` concerns: [None] when every hub of the run (or none
    rendered here) receives what the file holds, else those that do (a Secret only one hub's
    overlay adds is that hub's). A shard compares with every hub of the run, not only its own, so
    `hubguard merge` sees which hubs each finding holds on."""
    hubs = repo.receivers.get(path)
    if not hubs or hubs >= set(repo.hubs_in_run):
        return [None]
    return sorted(hubs)


def _generator_inputs(src: SourceFile, files: Callable[[str], SourceFile | None]) -> list[str]:
    """Texts of the files a kustomization's generators read (`files:`, `envs:`, `env:`)."""
    texts = []
    folder = posixpath.dirname(src.path)
    for doc in src.documents:
        if not isinstance(doc.data, dict):
            continue
        for kind in ("configMapGenerator", "secretGenerator"):
            for gen in doc.data.get(kind) or []:
                if not isinstance(gen, dict):
                    continue
                refs = [*(gen.get("files") or []), *(gen.get("envs") or []), *([gen["env"]] if gen.get("env") else [])]
                for ref in refs:
                    rel = posixpath.normpath(posixpath.join(folder, str(ref).split("=", 1)[-1]))
                    found = files(rel)
                    if found is not None and found.text:
                        texts.append(found.text)
    return texts


def _written(value: str, texts: list[str]) -> bool:
    return any(value in text for text in texts)


_MISSING = object()


def changed_values(rendered: Any, written: Any) -> Any:
    """`rendered` with every value its source document holds at the same place blanked (None), keys
    kept; None when nothing differs. That is all a scan of the rendered object can find beyond the
    file scan, which reads the document itself: most rendered objects differ from their document
    only in a patched or substituted field or two. `name` values stay, as scans read them beside a
    changed value (an env var's `value`); a list whose length changed is kept whole."""
    if rendered == written:
        return None
    if isinstance(rendered, dict) and isinstance(written, dict):
        return {k: (v if k == "name" else changed_values(v, written.get(k, _MISSING))) for k, v in rendered.items()}
    if isinstance(rendered, list) and isinstance(written, list) and len(rendered) == len(written):
        return [changed_values(r, w) for r, w in zip(rendered, written)]
    return rendered


def _changed(hub: HubInventory, same: tuple, obj: K8sObject) -> Any:
    """`changed_values` of an object, computed once per hub for all the rules that ask."""
    views = _views(hub)
    if same not in views:
        generated = obj.generated or obj.document is None
        views[same] = obj.data if generated else changed_values(obj.data, obj.document.data)
    return views[same]


def uncovered(
    src: SourceFile, hub: HubInventory, repo: RepoContext, scan: Callable[[K8sObject, dict], Iterator[Hit]]
) -> Iterator[tuple[str, K8sObject, Hit]]:
    """(hub, object, hit) for hits in objects `hub` renders from `src` whose value `src` does not hold.
    `scan(obj, data)` walks `data`, the object's data with what its document already holds blanked
    (see `changed_values`), and locates hits in `obj`."""
    objects = hub.by_anchor.get(src.path)
    if not objects:
        return
    texts = [src.text or ""]
    if any(obj.generated for obj in objects):
        texts += _generator_inputs(src, repo.file)
    scanned: dict[tuple, list[Hit]] = {}  # the same object twice in a hub is scanned once
    hub_name = hub.name
    for obj in objects:
        own = texts + [(repo.file(d.path).text or "") for d in obj.overrides if repo.file(d.path) is not None]
        same = (obj.fingerprint, id(obj.document), tuple(id(d) for d in obj.overrides))
        if same not in scanned:
            data = _changed(hub, same, obj)
            scanned[same] = list(scan(obj, data)) if isinstance(data, dict) else []
        for hit in scanned[same]:
            raw = obj.get(*hit.path) if hit.path else None
            if _written(hit.value, own) or (isinstance(raw, str) and _written(raw, own)):
                continue
            decoded = base64_text(raw) if hit.path[:1] == ("data",) else None
            if decoded is not None and _written(decoded, own):
                continue
            yield hub_name, obj, hit


def object_locator(obj: K8sObject) -> Callable[[tuple], tuple[int, int]]:
    def locate(path: tuple) -> tuple[int, int]:
        where = obj.locate(*path)
        return where.line or obj.source.line or 1, where.column or 1

    return locate


def object_path(obj: K8sObject, path: tuple) -> str:
    return obj.locate(*path).path or obj.source.path
