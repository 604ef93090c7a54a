"""`--changed-since` and `--staged` against a full run, one kind of change at a time (issue 23).

One three-hub Flux repository (plain cluster folders, a Flux Kustomization per hub with
`substituteFrom` a ConfigMap, kustomize overlays over shared bases, a component on two hubs, a
generator with an env file, a patch per hub, a workload on one hub only, a Traffic Manager template,
a policy file) is built once; each case copies it, makes one change, stages it, and runs a full run
and both focused runs. A focused run must report exactly the full run's findings that belong to a
hub it checks, to a changed file, or to a rule that judges the repository as a whole; it must check
every hub whose rendered output changed (compared against renders of the repository before the
change), and no more hubs than the change can reach.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from hubguard.engine import ValidateOptions, load_repository, render_hubs
from hubguard.rules.registry import Scope, all_rules
from integration_helpers import PLAINTEXT_SECRET, d, edit, steps, write
from testkit import flux_kustomization

HUBS = ["munich", "oslo", "seattle"]
TOKEN = "ghp_R8c2Kq9ZtLw3Xv7NpB4mYd6Hs1Fj0GaUe5Ti"  # GitHub's shape: known-token finds it wherever it lands
MISSING_REASON = "suppress/missing-reason"
POLICY = ".hubguard.yaml"


def deployment(name: str, env: dict[str, str]) -> str:
    lines = "".join(f"        - name: {key}\n          value: \"{value}\"\n" for key, value in env.items())
    return d(f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
          namespace: shop
        spec:
          replicas: 2
          selector:
            matchLabels: {{app: {name}}}
          template:
            metadata:
              labels: {{app: {name}}}
            spec:
              containers:
              - name: {name}
                image: registry.example/{name}:1.0
                env:
        """) + lines


def replicas_patch(count: int) -> str:
    return f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: {count}\n"


def configmap(name: str, namespace: str, data: dict[str, str]) -> str:
    body = "".join(f"  {key}: \"{value}\"\n" for key, value in data.items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n{body}"


def traffic_manager(hubs: list[str]) -> str:
    endpoints = [{"name": hub, "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",
                  "properties": {"target": f"shop.{hub}.example.local", "endpointStatus": "Enabled"}} for hub in hubs]
    return json.dumps({"resources": [{"type": "Microsoft.Network/trafficManagerProfiles", "name": "shop",
                                      "properties": {"monitorConfig": {"protocol": "HTTPS", "port": 443, "path": "/healthz"},
                                                     "endpoints": endpoints}}]}, indent=2) + "\n"


def repository() -> dict[str, str]:
    files = {
        ".hubguard.yaml": "hubs:\n" + "".join(f"  {hub}: {{roots: [clusters/{hub}]}}\n" for hub in HUBS),
        "apps/base/web/kustomization.yaml": "resources:\n- deploy.yaml\n- service.yaml\n",
        # The variables come from each hub's cluster-vars ConfigMap (Flux substituteFrom).
        "apps/base/web/deploy.yaml": deployment("web", {"REGION": "${REGION}", "API_TOKEN": "${API_TOKEN:=}"}),
        "apps/base/web/service.yaml": d("""
            apiVersion: v1
            kind: Service
            metadata:
              name: web
              namespace: shop
            spec:
              selector: {app: web}
              ports:
              - port: 80
            """),
        "apps/base/api/kustomization.yaml": d("""
            resources:
            - deploy.yaml
            - secret.yaml
            configMapGenerator:
            - name: api-config
              namespace: shop
              envs:
              - api.env
            """),
        "apps/base/api/deploy.yaml": deployment("api", {"MODE": "serve"}),
        "apps/base/api/api.env": "FEATURE=on\n",
        "apps/base/api/secret.yaml": PLAINTEXT_SECRET,  # a finding of an unchanged file in most cases
        "components/tracing/kustomization.yaml": d("""
            apiVersion: kustomize.config.k8s.io/v1alpha1
            kind: Component
            patches:
            - path: patch.yaml
            """),
        "components/tracing/patch.yaml": d("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: shop
            spec:
              template:
                metadata:
                  annotations: {tracing: "on"}
            """),
        "global/traffic-manager.json": traffic_manager(["munich", "seattle"]),  # no endpoint for oslo
        "notes/README.md": "# shop\n",
    }
    for index, hub in enumerate(HUBS):
        components = "components:\n- ../../components/tracing\n" if hub != "oslo" else ""
        extra = "- survey.yaml\n" if hub == "seattle" else ""  # a workload on one hub only: ha/hub-parity
        files[f"apps/{hub}/kustomization.yaml"] = (
            f"resources:\n- ../base/web\n- ../base/api\n{extra}{components}patches:\n- path: replicas.yaml\n")
        files[f"apps/{hub}/replicas.yaml"] = replicas_patch(2 + index)
        files[f"clusters/{hub}/apps.yaml"] = flux_kustomization(f"./apps/{hub}", substitute_from=["{kind: ConfigMap, name: cluster-vars}"])
        files[f"clusters/{hub}/vars.yaml"] = configmap("cluster-vars", "flux-system", {"REGION": hub})
        files[f"clusters/{hub}/namespace.yaml"] = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
    files["apps/seattle/survey.yaml"] = deployment("survey", {"MODE": "poll"})
    return files


def run_git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                          check=True, capture_output=True, text=True).stdout


def git_step(*args: str) -> Callable[[Path], None]:
    return lambda root: run_git(root, *args) and None


CASES = [
    # (id, change, hubs a focused run must check)
    ("base-resource", edit("apps/base/web/service.yaml", "port: 80", "port: 8080"), HUBS),
    ("overlay-drops-an-app", edit("apps/oslo/kustomization.yaml", "- ../base/api\n", ""), ["oslo"]),
    ("overlay-adds-an-app", edit("apps/munich/kustomization.yaml", "- ../base/api\n", "- ../base/api\n- ../seattle/survey.yaml\n"),
     ["munich"]),
    # A token put into web on every hub that uses the component; its base file did not change.
    ("component", edit("components/tracing/patch.yaml", 'annotations: {tracing: "on"}',
                       f'annotations: {{tracing: "on"}}\n    spec:\n      containers:\n      - name: web\n'
                       f'        env:\n        - name: TRACE_TOKEN\n          value: "{TOKEN}"'),
     ["munich", "seattle"]),
    ("generator-env-file", edit("apps/base/api/api.env", "FEATURE=on\n", "FEATURE=on\nDB_PASSWORD=Zq8vLm3XrT-hunter7\n"), HUBS),
    ("patch-file", edit("apps/seattle/replicas.yaml", "replicas: 4", "replicas: 1"), ["seattle"]),
    # The token reaches web's env through ${API_TOKEN}: the finding is in an unchanged base file.
    ("substitute-from-configmap", edit("clusters/oslo/vars.yaml", 'REGION: "oslo"\n', f'REGION: "oslo"\n  API_TOKEN: "{TOKEN}"\n'), ["oslo"]),
    ("added-file", write("clusters/munich/limits.yaml", configmap("limits", "shop", {"MAX": "3"})), ["munich"]),
    ("deleted-file", git_step("rm", "-q", "clusters/munich/namespace.yaml"), ["munich"]),
    ("deleted-patch-still-named", git_step("rm", "-q", "apps/seattle/replicas.yaml"), ["seattle"]),
    ("renamed-file", git_step("mv", "clusters/oslo/namespace.yaml", "clusters/oslo/ns.yaml"), ["oslo"]),
    ("renamed-resource", steps(git_step("mv", "apps/base/web/service.yaml", "apps/base/web/svc.yaml"),
                               edit("apps/base/web/kustomization.yaml", "service.yaml", "svc.yaml")), HUBS),
    ("non-kustomize-file", edit("notes/README.md", "# shop\n", f"# shop\ntoken: {TOKEN}\n"), []),
    ("unread-manifest", write("apps/munich/unused.yaml", PLAINTEXT_SECRET), []),
    ("traffic-manager", write("global/traffic-manager.json", traffic_manager(["munich"])), []),
    ("policy-file", edit(".hubguard.yaml", "hubs:\n", "min_hubs: 3\nhubs:\n"), HUBS),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("focused") / "base"
    for rel, text in repository().items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    run_git(root, "init", "-q")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-qm", "base", "--no-verify")
    return root, rendered(root)


def rendered(root: Path) -> dict[str, list[str]]:
    """What each hub receives, as comparable text (objects and render problems)."""
    policy, files, _ = load_repository(ValidateOptions(root=root))
    renders = render_hubs(root, policy, files, sorted(policy.hubs), None)
    return {name: sorted(json.dumps(o.data, sort_keys=True) for o in render.inventory.objects)
            + sorted(p.message for p in render.problems) for name, render in renders.items()}


def findings(hubguard, root: Path, *args: str) -> tuple[dict, set[tuple]]:
    code, out, err = hubguard("validate", str(root), "--format", "json", *args)
    assert code in (0, 1), err
    report = json.loads(out)
    return report, {(f["rule"], f["path"], f["line"], f["column"], f["hub"], f["object"], f["message"])
                    for f in report["findings"]}


def belongs(finding: tuple, checked: set[str], changed: set[str]) -> bool:
    rule, path, _, _, hub, _, _ = finding
    if POLICY in changed:
        return True  # how every file and hub is judged changed: everything is checked
    scope = all_rules()[rule].scope
    if scope is Scope.FLEET and not checked:
        return False  # no hub's render changed: the comparison of the hubs is the one at REF
    if scope in (Scope.REPO, Scope.FLEET) and rule != MISSING_REASON:
        return True  # judges the repository as a whole, over every hub
    if hub is not None:
        return hub in checked
    if path in changed:
        return True
    # Hub null: every hub has it (collapsed), or a file-level finding. The repository gives no
    # rendered object the same finding on every hub, so a file rule's hub-null finding is file-level.
    return scope is Scope.HUB and bool(checked)


@pytest.mark.parametrize("change, hubs", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_focused_runs_report_what_the_full_run_reports_for_the_change(pristine, tmp_path, hubguard, change, hubs):
    base, before = pristine
    root = tmp_path / "repo"
    shutil.copytree(base, root, symlinks=True)
    change(root)
    run_git(root, "add", "-A")  # the work tree is the index: one full run serves both modes
    changed = set(filter(None, run_git(root, "diff", "--cached", "--name-only", "--no-renames", "HEAD").split("\n")))
    after = rendered(root)
    really_changed = {name for name in HUBS if before.get(name) != after.get(name)}
    assert really_changed <= set(hubs)  # the case's expectation itself is sound

    _, full = findings(hubguard, root)  # leaves a hub record of every hub: the focused runs plan from them
    for mode in (("--changed-since", "HEAD"), ("--staged",), ("--changed-since", "HEAD", "--no-cache")):
        report, focused = findings(hubguard, root, *mode)
        assert report["summary"]["hubs"] == hubs, (mode, report["notes"][:1])
        expected = {f for f in full if belongs(f, set(hubs), changed)}
        assert sorted(focused - expected, key=str) == [], mode  # nothing else
        assert sorted(expected - focused, key=str) == [], mode  # nothing missed


def test_the_cases_find_what_they_are_about(pristine, tmp_path, hubguard):
    """The repository is not silent: the differential cases compare real findings of each kind."""
    base, _ = pristine
    _, full = findings(hubguard, base)
    rules = {(f[0], f[4]) for f in full}
    assert ("ha/hub-parity", "munich") in rules and ("ha/hub-parity", "oslo") in rules
    assert ("ha/traffic-routing", "oslo") in rules
    assert ("secret/plaintext-secret", None) in rules
