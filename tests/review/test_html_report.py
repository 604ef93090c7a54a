"""`hubguard validate --format html`: one self-contained file, opened from a file:// URL by a real
headless chromium; the tests read the DOM the browser built (after the report's own script ran)."""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from review_support import PASSWORD, browse, commit, make_review_repo, write


class Dom(HTMLParser):
    """Elements of a dumped DOM: (tag, attributes) in document order, and the text of ids."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text_of: dict[str, str] = {}
        self._open: list[str | None] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attributes = {k: (v if v is not None else "") for k, v in attrs}
        self.elements.append((tag, attributes))
        self._open.append(attributes.get("id"))

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for ident in self._open:
            if ident:
                self.text_of[ident] = self.text_of.get(ident, "") + data

    def all(self, tag: str, cls: str | None = None) -> list[dict]:
        return [a for t, a in self.elements if t == tag and (cls is None or cls in a.get("class", "").split())]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """(html path, JSON report) of the review repository, with a suppressed finding."""
    from hubguard.cli import main

    tmp = tmp_path_factory.mktemp("html")
    repo = make_review_repo(tmp / "repo")
    text = (repo / "apps/base/web.yaml").read_text()
    write(repo, {"apps/base/web.yaml": text.replace("namespace: shop}\n", "namespace: shop}  # hubguard: ignore[ha/pdb] drained by hand, one at a time\n", 1)})
    commit(repo, "suppress")
    html = tmp / "report.html"
    assert main(["validate", str(repo), "--format", "html", "--output", str(html)]) == 1
    out = tmp / "report.json"
    assert main(["validate", str(repo), "--format", "json", "--output", str(out)]) == 1
    return html, json.loads(out.read_text())


def dom_of(html: Path, tmp: Path, fragment: str = "") -> Dom:
    done = browse(html.as_uri() + fragment, tmp, "--dump-dom")
    assert done.returncode == 0 and "<html" in done.stdout, done.stderr[-800:]
    return Dom(done.stdout)


def test_counts_per_hub_match_the_json_report(report, tmp_path):
    html, data = report
    dom = dom_of(html, tmp_path)
    expected = Counter((f["hub"] or "", f["rule"].split("/")[0]) for f in data["findings"])
    rows = [a for t, a in dom.elements if t == "tr" and "data-hub" in a]
    assert [r["data-hub"] for r in rows] == ["a", "b", ""]
    cells = [a for t, a in dom.elements if t == "td" and "data-family" in a]
    assert len(cells) == 3 * 5  # schema, secret, ha, pii, suppress per row
    table = {}
    for line in html.read_text().split("<tr data-hub=")[1:]:
        hub = line.split('"')[1]
        for family in ("schema", "secret", "ha", "pii"):
            table[(hub, family)] = int(line.split(f'data-family="{family}">')[1].split("<")[0])
    assert {k: v for k, v in table.items() if v} == dict(expected)
    assert len(dom.all("article", "finding")) == len(data["findings"])
    assert dom.text_of["visible-count"] == f"{len(data['findings'])} of {len(data['findings'])} findings shown"


def test_hub_filter_hides_the_other_hubs_findings(report, tmp_path):
    html, data = report
    dom = dom_of(html, tmp_path, "#hub=a")
    articles = dom.all("article", "finding")
    hidden = [a for a in articles if "hidden" in a]
    shown = [a for a in articles if "hidden" not in a]
    assert {a["data-hub"] for a in hidden} == {"b"}
    assert {a["data-hub"] for a in shown} <= {"a", ""}
    wanted = sum(1 for f in data["findings"] if f["hub"] in ("a", None))
    assert len(shown) == wanted and len(hidden) == len(data["findings"]) - wanted
    assert dom.text_of["visible-count"] == f"{wanted} of {len(data['findings'])} findings shown"
    figures = {a["data-hub"]: "hidden" in a for a in dom.all("figure", "egress")}
    assert figures == {"a": False, "b": True}
    severity = dom_of(html, tmp_path / "w", "#severity=warning")
    assert all("hidden" in a for a in severity.all("article", "finding"))  # no warnings here


def test_rules_link_to_their_explanation_and_suppressions_are_listed(report, tmp_path):
    html, data = report
    dom = dom_of(html, tmp_path)
    anchors = {a["href"] for a in dom.all("a", "rule")}
    ids = {a["id"] for t, a in dom.elements if t == "details" and "id" in a}
    assert anchors and {h.removeprefix("#") for h in anchors} <= ids
    assert "rule-secret-plaintext-secret" in ids
    text = html.read_text()
    assert "Suppressed findings (1)" in text and data["summary"]["suppressed"] == 1
    suppressed = text.split('id="suppressed-findings"')[1].split("</table>")[0]
    assert "ha/pdb" in suppressed and "drained by hand, one at a time" in suppressed and "comment" in suppressed


def test_no_secret_in_full_and_nothing_fetched(report, tmp_path):
    html, _ = report
    text = html.read_text()
    assert PASSWORD not in text
    assert "Zq8-…(23 chars)" in text  # the excerpt shows the line, the value masked
    for needle in ('src="http', "src='http", 'href="http', "@import", "url(http"):
        assert needle not in text, needle
    dom = dom_of(html, tmp_path)
    assert not [a for t, a in dom.elements if t in ("script", "img", "link") and a.get("src", a.get("href", "")).startswith("http")]


def test_screenshot(report, tmp_path):
    html, _ = report
    shot = tmp_path / "report.png"
    done = browse(html.as_uri(), tmp_path, f"--screenshot={shot}", "--window-size=1200,1600")
    assert shot.is_file() and shot.stat().st_size > 20_000, done.stderr[-500:]
