"""`hubguard hub add` and `hubguard hub remove`: plan the changes to a generated repository.

The new hub's trees are rendered from the template with the recorded answers. Every file the
hub list shows up in (the policy, .sops.yaml, the traffic manager, the other hubs' cross-hub
NetworkPolicies, the README) is handled by one rule: a file as the template rendered it takes the
template's rendering for the new hub list; a file the user changed gets a structured edit (YAML,
JSON) or a clean three-way merge (text), or is left alone with a note saying what to do.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import yaml
from hubguard.errors import HubguardError
from hubguard.generator import hub_entries
from hubguard.generator.planned_changes import Changes, merge3
from hubguard.generator.preserving_edits import NotStructured
from hubguard.generator.template_record import (
    RECORD_FILE,
    Record,
    describe,
    enriched_hubs,
    fingerprint,
    format_record,
    hook_module,
    load_record,
    render_hub_files,
    render_repo_files,
    same_template,
    template_dir,
)

AGE_DIR = ".age"
CROSS_HUB_FILE = "apps/ratings/overlays/{hub}/networkpolicy-cross-hub.yaml"
REPO_EDITS: dict[str, Callable[..., str]] = {
    ".hubguard.yaml": hub_entries.policy, ".sops.yaml": hub_entries.sops, "global/traffic-manager.json": hub_entries.traffic_manager,
}


def _read(repo: Path, rel: str) -> str | None:
    path = repo / rel
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _policy_hubs(repo: Path) -> tuple[list[str], int]:
    try:
        data = yaml.safe_load(_read(repo, ".hubguard.yaml") or "") or {}
    except yaml.YAMLError as exc:
        raise HubguardError(f".hubguard.yaml: not valid YAML ({exc.__class__.__name__}); fix it first") from None
    return list((data.get("hubs") or {}).keys()), int(data.get("min_hubs") or 2)


def _start(repo: Path) -> tuple[Path, Record, Changes, int]:
    template, record, changes = template_dir(), load_record(repo), Changes()
    names, min_hubs = _policy_hubs(repo)
    if sorted(names) != sorted(record.hub_names):
        raise HubguardError(f".hubguard.yaml lists hubs {', '.join(names) or 'none'} but {RECORD_FILE} records "
                            f"{', '.join(record.hub_names)}; make them agree first")
    current = fingerprint(template)
    if not same_template(current, record.template):
        changes.notes.append(f"this repository was generated from template {describe(record.template)}; the hub's files "
                             f"come from the installed template {describe(current)} (`hubguard update` brings the rest in step)")
    return template, record, changes, min_hubs


def carry(repo: Path, changes: Changes, rel: str, before: str | None, after: str | None,
          structured: Callable[[str], str] | None, what: str) -> None:
    """Bring file `rel` from the rendering `before` to `after` (None: not rendered) without losing
    a user's change."""
    user = _read(repo, rel)
    if before == after or user == after:
        return
    if user is None:
        if before is None:
            changes.write(rel, after)  # rendered only for the new hub list
        else:
            changes.notes.append(f"{rel}: not found (deleted?); {what} is not in it")
        return
    if user == before:
        changes.write(rel, after)
        return
    if after is None:
        changes.notes.append(f"{rel}: the template no longer renders it without {what}; kept because you changed it")
        return
    if structured is not None:
        try:
            changes.write(rel, structured(user))
        except NotStructured as exc:
            changes.notes.append(f"{exc} ({what})")
        return
    merged, conflicts = merge3(user, before or "", after, (rel, "template before", "template after"))
    if conflicts:
        changes.notes.append(f"{rel}: you changed the lines {what} touches; not changed, update it by hand")
    else:
        changes.write(rel, merged)


def _carry_all(repo: Path, template: Path, record: Record, changes: Changes, before: list[dict[str, Any]],
               after: list[dict[str, Any]], name: str, adding: bool) -> None:
    """Every existing file whose rendering depends on the hub list: repo-wide files, and the files
    of the hubs that stay."""
    what = f"hub {name}"
    old_files = render_repo_files(template, record.answers, enriched_hubs(template, before))
    new_files = render_repo_files(template, record.answers, enriched_hubs(template, after))
    for rel in sorted(set(old_files) | set(new_files)):
        old, new = old_files.get(rel), new_files.get(rel)
        edit = REPO_EDITS.get(rel)
        structured = (lambda user, e=edit, o=old or new, n=new, r=rel: e(r, user, o, n, name, adding)) if edit else None
        carry(repo, changes, rel, old, new, structured, what)
    hub = next(h for h in (after if adding else before) if h["name"] == name)
    staying = [h["name"] for h in (before if adding else after)]
    old_enriched, new_enriched = enriched_hubs(template, before), enriched_hubs(template, after)
    for other in staying:
        old_hub_files = render_hub_files(template, record.answers, old_enriched, other)
        new_hub_files = render_hub_files(template, record.answers, new_enriched, other)
        others = ([h["name"] for h in before if h["name"] != other], [h["name"] for h in after if h["name"] != other])
        cross = CROSS_HUB_FILE.format(hub=other)
        for rel in sorted(set(old_hub_files) | set(new_hub_files)):
            old, new = old_hub_files.get(rel), new_hub_files.get(rel)
            structured = None
            if rel == cross:
                structured = (lambda user, r=rel, o=old or new, n=new: hub_entries.cross_hub(
                    r, user, o, n, name, adding, _mongodb_ranges(template, record, after if adding else before, hub), *others))
            elif rel.endswith((".yaml", ".yml", ".json")):
                structured = _refuse(rel, what)
            carry(repo, changes, rel, old, new, structured, what)


def _mongodb_ranges(template: Path, record: Record, hubs: list[dict[str, Any]], hub: dict[str, Any]) -> list[str]:
    """The ranges another hub's MongoDB traffic comes from: the hub's node network (templates
    with an address plan) and its on-prem ranges."""
    inputs = hook_module(template, "hubinputs")
    if not hasattr(inputs, "hub_networks"):
        return list(hub["onprem_cidrs"])
    space = record.answers.get("cluster_address_space") or inputs.DEFAULT_ADDRESS_SPACE
    return [inputs.hub_networks(hubs, space)[hub["name"]]["vnet"], *hub["onprem_cidrs"]]


def _refuse(rel: str, what: str) -> Callable[[str], str]:
    def refuse(user: str) -> str:
        raise NotStructured(f"{rel}: you changed it and hubguard has no structured edit for it; compare it with a fresh "
                            f"rendering and update it by hand")
    return refuse


def _record(changes: Changes, template: Path, record: Record, hubs: list[dict[str, Any]]) -> None:
    changes.write(RECORD_FILE, format_record(template, Record(record.template, record.answers, hubs)))


def _age_identity(repo: Path, name: str) -> tuple[str, str | None]:
    """(public key, private key file text to write or None): an existing `.age/<hub>.agekey`
    (a hub added again) is reused, else a new pair is made."""
    import pyrage

    path = repo / AGE_DIR / f"{name}.agekey"
    if path.is_file():
        secret = next((line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                       if line.startswith("AGE-SECRET-KEY-")), None)
        if secret is None:
            raise HubguardError(f"{AGE_DIR}/{name}.agekey exists but holds no age identity; move it away first")
        return str(pyrage.x25519.Identity.from_str(secret).to_public()), None
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    return recipient, f"# hub: {name}\n# public key: {recipient}\n{identity}\n"


def _backup_default(hubs: list[dict[str, Any]]) -> str:
    """The hub fewest hubs back up to (the first such): spreads the backup load."""
    load = {h["name"]: 0 for h in hubs}
    for h in hubs:
        load[h["backup_hub"]] = load.get(h["backup_hub"], 0) + 1
    return min(hubs, key=lambda h: load[h["name"]])["name"]


def _check_new(template: Path, record: Record, hub: dict[str, Any]) -> None:
    inputs = hook_module(template, "hubinputs")
    name = hub["name"]
    if not isinstance(name, str) or not inputs.DNS_1123_LABEL.match(name):
        raise HubguardError(f"hub name {name!r} is not a DNS-1123 label (lowercase letters, digits, '-', at most 63)")
    if name in record.hub_names:
        raise HubguardError(f"hub {name} already exists")
    if hub["backup_hub"] not in record.hub_names:
        detail = "the hub itself" if hub["backup_hub"] == name else "not one of the hubs"
        raise HubguardError(f"hub {name}: backup hub {hub['backup_hub']!r} is {detail} ({', '.join(record.hub_names)})")
    try:
        inputs.injection_in(hub, f"hub {name}")
        inputs.validate_hubs(record.hubs + [hub], str(record.answers.get("traffic_routing", "Priority")))
        if hasattr(inputs, "check_flux_kubernetes") and record.answers.get("flux_version"):  # templates since Flux support ranges
            inputs.check_flux_kubernetes([hub], str(record.answers["flux_version"]), str(record.answers.get("gitops_engine") or "flux"))
    except inputs.InputError as exc:
        raise HubguardError(str(exc)) from None


def _site_defaults(hub: dict[str, Any], first: dict[str, Any]) -> None:
    """What a new hub shares with the first hub unless given: its engine, identity system and
    Azure Stack Hub external domain (the portal URL with the new hub's location)."""
    for key in ("gitops_engine", "identity_system"):
        if first.get(key):
            hub.setdefault(key, first[key])
    portal, location = first.get("portal_url"), first.get("location")
    if isinstance(portal, str) and location and portal.startswith(f"https://portal.{location}."):
        hub.setdefault("portal_url", f"https://portal.{hub.get('location')}.{portal[len(f'https://portal.{location}.'):]}")


def _allocate_block(template: Path, record: Record, hub: dict[str, Any]) -> None:
    """The new hub's address block: the first one no hub holds (recorded, so it never moves)."""
    inputs = hook_module(template, "hubinputs")
    if not hasattr(inputs, "hub_networks"):
        return  # a template from before address plans
    space = record.answers.get("cluster_address_space") or inputs.DEFAULT_ADDRESS_SPACE
    try:
        hub["address_block"] = inputs.hub_networks([*record.hubs, hub], space)[hub["name"]]["block"]
    except inputs.InputError as exc:
        raise HubguardError(str(exc)) from None


def plan_add(repo: Path, given: dict[str, Any]) -> Changes:
    template, record, changes, _ = _start(repo)
    hub = {k: v for k, v in given.items() if v not in (None, "", [], ())}
    hub.setdefault("kubernetes_version", record.hubs[0].get("kubernetes_version"))
    hub.setdefault("backup_hub", _backup_default(record.hubs))
    _site_defaults(hub, record.hubs[0])
    hub["onprem_cidrs"] = list(hub.get("onprem_cidrs") or [])
    if "geo_mapping" in hub:
        hub["geo_mapping"] = list(hub["geo_mapping"])
    _check_new(template, record, hub)
    name = hub["name"]
    _allocate_block(template, record, hub)
    sops = record.answers.get("secrets_backend") == "sops-age"
    if sops:
        hub["age_recipient"], private = _age_identity(repo, name)
        if private:
            changes.private[f"{AGE_DIR}/{name}.agekey"] = private
    after = [*record.hubs, hub]
    enriched = enriched_hubs(template, after)
    files = render_hub_files(template, record.answers, enriched, name)
    if sops:
        files.update(_encrypted_sample(template, next(h for h in enriched if h["name"] == name)))
    for rel, text in files.items():
        if (repo / rel).exists():
            raise HubguardError(f"{rel} already exists; move it away before adding hub {name}")
        changes.write(rel, text)
    _carry_all(repo, template, record, changes, record.hubs, after, name, adding=True)
    _record(changes, template, record, after)
    return changes


def _encrypted_sample(template: Path, hub: dict[str, Any]) -> dict[str, str]:
    hubgen = hook_module(template, "hubgen")
    with tempfile.TemporaryDirectory(prefix="hubguard-hub-") as scratch:
        try:
            written = hubgen.encrypt_samples(Path(scratch), [hub])
        except hubgen.GenerationError as exc:
            raise HubguardError(str(exc)) from None
        return {rel: (Path(scratch) / rel).read_text(encoding="utf-8") for rel in written}


def plan_remove(repo: Path, name: str) -> Changes:
    template, record, changes, min_hubs = _start(repo)
    if name not in record.hub_names:
        raise HubguardError(f"no hub {name!r} (hubs: {', '.join(record.hub_names)})")
    backed_up = [h["name"] for h in record.hubs if h.get("backup_hub") == name]
    if backed_up:
        who = f"hub {backed_up[0]} backs" if len(backed_up) == 1 else f"hubs {', '.join(backed_up)} back"
        raise HubguardError(f"refusing to remove hub {name}: {who} up to it; move "
                            f"{'its' if len(backed_up) == 1 else 'their'} backups to another hub first (backup_hub)")
    after = [h for h in record.hubs if h["name"] != name]
    if len(after) < max(2, min_hubs):
        raise HubguardError(f"refusing to remove hub {name}: {len(after)} hub(s) would be left, at least "
                            f"{max(2, min_hubs)} are needed for high availability")
    rendered = render_hub_files(template, record.answers, enriched_hubs(template, record.hubs), name)
    folders = sorted({"/".join(rel.split("/")[:rel.split("/").index(name) + 1]) for rel in rendered})
    for folder in folders:
        for path in sorted((repo / folder).rglob("*")):
            if path.is_file():
                changes.write(path.relative_to(repo).as_posix(), None)
    _carry_all(repo, template, record, changes, record.hubs, after, name, adding=False)
    _record(changes, template, record, after)
    if (repo / AGE_DIR / f"{name}.agekey").exists():
        changes.notes.append(f"{AGE_DIR}/{name}.agekey is kept (it decrypts hub {name}'s secrets in git history); "
                             "delete it when you no longer need it")
    return changes
