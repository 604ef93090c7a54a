"""`hubguard egress-map`: per hub, where workloads that handle personal data can connect — asserted
as JSON edges on a leaky repository and on the template's default repository, and each picture
parsed by a real parser (Graphviz `dot`, mermaid.js in headless chromium, an XML parser + chromium)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from review_support import browse, make_review_repo, write, commit

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def review_repo(tmp_path_factory):
    return make_review_repo(tmp_path_factory.mktemp("egress") / "repo")


def egress_json(hubguard, repo: Path, *args: str) -> dict:
    code, out, err = hubguard("egress-map", str(repo), "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def edges_of(doc: dict, hub: str) -> set[tuple]:
    (entry,) = [h for h in doc["hubs"] if h["hub"] == hub]
    return {(e["workload"], e["destination"], tuple(e["ports"]), e["explicit"]) for e in entry["edges"]}


def test_leaky_repository_edges_per_hub(hubguard, review_repo):
    doc = egress_json(hubguard, review_repo)
    assert [h["hub"] for h in doc["hubs"]] == ["a", "b"]
    assert edges_of(doc, "a") == {
        ("Deployment/shop/api", "namespace", ("TCP/27017",), True),
        ("Deployment/shop/api", "other-hubs", ("TCP/27017",), True),  # 10.20.0.0/16 is hub b's
        # 0.0.0.0/0 is every address: the premises, the other hub, undeclared private ranges, the internet
        *{("Deployment/shop/web", cls, ("TCP/443",), True) for cls in ("onprem", "other-hubs", "private", "internet")},
    }
    assert edges_of(doc, "b") == {
        ("Deployment/shop/api", "namespace", ("TCP/27017",), True),
        ("Deployment/shop/api", "onprem", ("TCP/27017",), True),  # the same range is b's own
        *{("Deployment/shop/web", cls, ("TCP/443",), True) for cls in ("onprem", "other-hubs", "private", "internet")},
        ("Deployment/shop/worker", "internet", ("any port",), False),  # no policy: everything allowed
    }
    (b,) = [h for h in doc["hubs"] if h["hub"] == "b"]
    worker = [w for w in b["workloads"] if w["ref"] == "Deployment/shop/worker"]
    assert worker == [{"ref": "Deployment/shop/worker", "namespace": "shop", "restricted": False, "host_network": False}]
    assert {c["id"] for c in doc["classes"] if c["exposed"]} == {"private", "internet"}


def test_undeclared_private_range_dns_and_hub_filter(hubguard, tmp_path):
    repo = make_review_repo(tmp_path / "repo")
    netpol = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 192.168.50.0/24}}]
    ports: [{port: 5432}]
  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.0.0.0/9, 10.128.0.0/9]}}]  # nothing left
    ports: [{port: 8080}]
  - to: [{ipBlock: {cidr: 10.10.0.0/15, except: [10.11.0.0/16]}}]  # exactly hub a's range
    ports: [{port: 6379}]
  - to: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: http}]
  - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
"""
    text = (repo / "apps/base/netpol.yaml").read_text()
    write(repo, {"apps/base/netpol.yaml": text.split("---\n")[0] + "---\n" + netpol})
    commit(repo, "web talks to an undeclared private range")
    doc = egress_json(hubguard, repo, "--hub", "a")
    assert [h["hub"] for h in doc["hubs"]] == ["a"]
    web = {e for e in edges_of(doc, "a") if e[0] == "Deployment/shop/web"}
    assert web == {
        ("Deployment/shop/web", "private", ("TCP/5432",), True),
        ("Deployment/shop/web", "onprem", ("TCP/6379",), True),
        ("Deployment/shop/web", "namespace", ("TCP/http",), True),  # a named port reaches pods only
        ("Deployment/shop/web", "dns", ("TCP/53", "UDP/53"), True),
    }


def test_template_default_repository_keeps_personal_data_contained(hubguard, tmp_path):
    code, _, err = hubguard("new", "--no-input", "-o", str(tmp_path))
    assert code == 0, err
    (repo,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    doc = egress_json(hubguard, repo)
    assert len(doc["hubs"]) >= 2
    for hub in doc["hubs"]:
        refs = {w["ref"] for w in hub["workloads"]}
        assert "StatefulSet/ratings/mongodb" in refs and "Deployment/ratings/ratings-api" in refs
        assert all(w["restricted"] for w in hub["workloads"]), hub["workloads"]
        assert hub["edges"] and all(e["explicit"] for e in hub["edges"])
        assert not [e for e in hub["edges"] if e["destination"] in ("internet", "private")], hub["edges"]
        # replication crosses to the other hubs only on MongoDB's port; the nightly backup only to
        # the backup hub's blob storage (HTTPS)
        cross = [e for e in hub["edges"] if e["destination"] == "other-hubs"]
        backup = "CronJob/ratings/mongodb-backup"
        assert cross and all(e["ports"] == (["TCP/443"] if e["workload"] == backup else ["TCP/27017"]) for e in cross), cross
        assert {e["workload"] for e in cross} >= {backup, "StatefulSet/ratings/mongodb"}


def test_text_names_exposed_destinations(hubguard, review_repo):
    code, out, _ = hubguard("egress-map", str(review_repo), "--hub", "b")
    assert code == 0
    assert "hub b: 3 workload(s) with personal data" in out
    assert "! public internet: any port [no policy]" in out
    assert "-> this hub's on-prem ranges: TCP/27017" in out


def test_dot_parses_with_graphviz(hubguard, review_repo, tmp_path):
    code, out, _ = hubguard("egress-map", str(review_repo), "--format", "dot")
    assert code == 0
    dot = shutil.which("dot")
    assert dot, "Graphviz is not installed: scripts/test installs Debian's graphviz package"
    done = subprocess.run([dot, "-Tsvg"], input=out, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "public internet" in done.stdout and "style=dashed" in out
    broken = subprocess.run([dot, "-Tsvg"], input=out.replace("->", "-->", 1), capture_output=True, text=True)
    assert broken.returncode != 0  # the parser really checks


def mermaid_js() -> Path:
    path = Path(sys.prefix) / "share" / "mermaid" / "package" / "dist" / "mermaid.min.js"
    assert path.is_file(), "mermaid.js is missing: scripts/test fetches it with `npm pack mermaid@11`"
    return path


def mermaid_renders(text: str, tmp_path: Path) -> tuple[bool, str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    page = tmp_path / "mermaid.html"
    page.write_text(f"""<!doctype html><html><body><pre id="out"></pre>
<script src="{mermaid_js().as_uri()}"></script>
<script>
mermaid.initialize({{startOnLoad: false}});
mermaid.render('g', {json.dumps(text)}).then(function (r) {{
  document.body.setAttribute('data-parsed', 'yes'); document.getElementById('out').innerHTML = r.svg;
}}).catch(function (e) {{
  document.body.setAttribute('data-parsed', 'no'); document.getElementById('out').textContent = String(e && e.message || e);
}});
</script></body></html>""")
    done = browse(page.as_uri(), tmp_path, "--virtual-time-budget=15000", "--dump-dom")
    return 'data-parsed="yes"' in done.stdout, done.stdout


def test_mermaid_renders_in_a_browser(hubguard, review_repo, tmp_path):
    code, out, _ = hubguard("egress-map", str(review_repo), "--format", "mermaid")
    assert code == 0
    ok, dom = mermaid_renders(out, tmp_path)
    assert ok, dom[-2000:]
    assert "public internet" in dom and "no policy" in dom
    bad, _ = mermaid_renders(out.replace("-->", "--> -->", 1), tmp_path / "bad")
    assert not bad  # the check can fail


def test_svg_is_valid_xml_and_draws_the_leak(hubguard, review_repo, tmp_path):
    target = tmp_path / "map.svg"
    code, _, err = hubguard("egress-map", str(review_repo), "--format", "svg", "--output", str(target))
    assert code == 0, err
    root = ET.parse(target).getroot()
    assert root.tag == SVG_NS + "svg"
    hubs = [g.get("data-hub") for g in root.iter(SVG_NS + "g") if g.get("class") == "hub"]
    assert hubs == ["a", "b"]
    implicit = [p for p in root.iter(SVG_NS + "path") if "implicit" in (p.get("class") or "")]
    assert [(p.get("data-from"), p.get("data-to")) for p in implicit] == [("Deployment/shop/worker", "internet")]
    exposed = {r.get("data-class") for r in root.iter(SVG_NS + "rect") if r.get("class") == "exposed"}
    assert exposed == {"internet", "private"}  # 0.0.0.0/0 reaches both
    shot = tmp_path / "map.png"
    done = browse(target.as_uri(), tmp_path, f"--screenshot={shot}", "--window-size=960,700")
    assert shot.is_file() and shot.stat().st_size > 10_000, done.stderr[-500:]
