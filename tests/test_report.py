"""The HTML review report: escaping, evidence neighbours, errors, and the page in a real browser.

The browser tests open the report in Debian's Chromium (``bash .ci/chromium.sh`` installs it)
through Playwright with every request intercepted: the count of requests other than the
report's own file:// load must be zero. Screenshots go to ``$SCREENKIT_ARTIFACTS`` (default
``tests/artifacts/``).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from screenkit.cli import main
from screenkit.config import bundled_path
from screenkit.errors import InputFileError, UsageError
from screenkit.report import write_report
from screenkit.report.data import assemble, find_alerts, nearest_neighbours, _alert_catalog
from screenkit.report.html import content_security_policy, safe_json
from screenkit.screen import screen_library

from conftest import molblock_from_smiles, write_sdf

IMG_ID = "<img src=x onerror=alert(1)>"
SCRIPT_ID = "<script>window.__injected = 1</script>"
RHODANINE = "O=C1C(=Cc2ccccc2)SC(=S)N1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--headless=new", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def ranked(tmp_path_factory, small_models) -> Path:
    """A ranked CSV of a small SDF: real JAK1/GSK3B compounds, a PAINS compound, injected IDs, a broken record."""
    folder = tmp_path_factory.mktemp("report")
    table = pd.read_csv(bundled_path("data/chembl_bundled.csv"))
    picks = pd.concat([table[table["gene"] == g].iloc[::40].head(12) for g in ("JAK1", "GSK3B")])
    records = [molblock_from_smiles(s, f"CHEMBL-like {i:02d}") for i, s in enumerate(picks["smiles"])]
    records += [
        molblock_from_smiles("CN1CCC[C@H]1c1cccnc1", IMG_ID) + f"> <note>\n{IMG_ID}\n\n",
        molblock_from_smiles("CC(=O)Oc1ccccc1C(=O)O", SCRIPT_ID),
        molblock_from_smiles(RHODANINE, "rhodanine"),
        "garbage\nthis is not\na molblock at all\n",
    ]
    library = write_sdf(folder / "library.sdf", records)
    out = folder / "ranked.csv"
    screen_library(library, out, models_dir=small_models)
    return out


@pytest.fixture(scope="module")
def ranked_with_properties(ranked, tmp_path_factory) -> Path:
    """The same ranking with the property/alert/reason columns the ranking stage adds."""
    folder = tmp_path_factory.mktemp("report_props")
    table = pd.read_csv(ranked, dtype=str, keep_default_na=False)
    n = len(table)
    table["rank_reason"] = [f"JAK1 activity <b>high</b> & in domain #{i}" for i in range(n)]
    table["mw"] = [f"{300 + 7.25 * i:.2f}" for i in range(n)]
    table["cns_mpo"] = [f"{(i % 7) * 0.9:.2f}" for i in range(n)]
    table["veber_ok"] = ["True" if i % 2 else "False" for i in range(n)]
    table["alerts"] = ["PAINS:ene_rhod_A(235);Brenk:Michael_acceptor_1" if i == "rhodanine" else ""
                       for i in table["id"]]
    table["vendor_note"] = [IMG_ID] * n  # an unknown column: shown as text in the details
    out = folder / "ranked.csv"
    table.to_csv(out, index=False)
    shutil.copyfile(str(ranked) + ".meta.json", str(out) + ".meta.json")
    return out


@pytest.fixture(scope="module")
def report(ranked, small_models, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    write_report(ranked, out, models_dir=small_models, top=300)
    return out


@pytest.fixture(scope="module")
def report_with_properties(ranked_with_properties, small_models, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html_props") / "report.html"
    write_report(ranked_with_properties, out, models_dir=small_models, top=300, title="Review <b>batch</b> 7")
    return out


# ---- no browser -----------------------------------------------------------------------------------------

def test_safe_json_cannot_close_a_script_element():
    text = safe_json({"id": "</script><script>alert(1)</script>", "x": float("nan"), "amp": "a&b"})
    assert "<" not in text and ">" not in text and "&" not in text
    import json

    assert json.loads(text) == {"id": "</script><script>alert(1)</script>", "x": None, "amp": "a&b"}


def test_input_values_are_escaped_and_nothing_points_to_the_network(report_with_properties):
    html = report_with_properties.read_text(encoding="utf-8")
    for raw in (IMG_ID, SCRIPT_ID, "<b>high</b>", "<b>batch</b>"):
        assert raw not in html
    assert "&lt;b&gt;batch&lt;/b&gt;" in html  # the title, escaped in <title> and <h1>
    # only XML namespace URIs (not requests) may appear; no src/href to anything but in-page anchors
    urls = set(re.findall(r"https?://[^\s'\"<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.rdkit.org/xml", "http://www.w3.org/1999/xlink"}, urls
    from html.parser import HTMLParser

    class Links(HTMLParser):
        found = []

        def handle_starttag(self, tag, attrs):
            self.found += [(tag, k, v) for k, v in attrs if k in ("src", "href", "action", "srcset", "poster")]

    parser = Links()
    parser.feed(html)
    assert parser.found and all(k == "href" and v.startswith("#") for _, k, v in parser.found), parser.found
    assert len(re.findall(r"<script>", html)) == 1  # the report's own script; data blocks have a type


def test_content_security_policy_allows_only_the_reports_script(report):
    html = report.read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "img-src data:" in csp
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert content_security_policy(script) == csp


def test_nearest_neighbours_match_brute_force():
    rng = np.random.default_rng(0)
    query = (rng.random((7, 64)) < 0.2).astype(np.uint8)
    reference = (rng.random((50, 64)) < 0.2).astype(np.uint8)
    reference[10] = query[3]  # an exact match
    idx, sim = nearest_neighbours(query, reference, k=3, block=16)  # several blocks
    for i, q in enumerate(query):
        inter = (reference & q).sum(axis=1)
        union = (reference | q).sum(axis=1)
        brute = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        order = np.lexsort((np.arange(len(brute)), -brute))[:3]
        assert idx[i].tolist() == order.tolist()
        assert np.allclose(sim[i], brute[order])
    assert idx[3, 0] == 10 and sim[3, 0] == pytest.approx(1.0)
    idx, sim = nearest_neighbours(query, reference[:2], k=3)
    assert idx.shape == (7, 2)


def test_evidence_neighbours_are_the_measured_training_compounds(ranked, small_models):
    from screenkit.bundle import load_bundle

    data = assemble(ranked, models_dir=small_models, top=300)
    rows = read_csv(ranked)
    assert [r["id"] for r in data.rows] == [r["id"] for r in rows]  # rank order untouched
    models = {m.name: m for m in load_bundle(small_models)}
    train = {name: dict(zip(m.train_inchikey, m.train_pactivity)) for name, m in models.items()}
    checked = 0
    for i, row in enumerate(data.rows):
        if row["status"] == "error":
            assert data.neighbours[i] == {}
            continue
        for name, found in data.neighbours[i].items():
            assert len(found) == 3
            sims = [n.similarity for n in found]
            assert sims == sorted(sims, reverse=True)
            # the nearest neighbour's similarity is the applicability-domain value scoring wrote
            assert sims[0] == pytest.approx(float(row[f"{name}_ad"]), abs=1e-3)
            for n in found:
                assert train[name][n.inchikey] == pytest.approx(n.pactivity)
                assert n.svg_key in data.molecule_svgs
            checked += 1
    assert checked >= 40
    # a compound taken from the JAK1 training data finds itself
    first = next(i for i, r in enumerate(data.rows) if r["id"].startswith("CHEMBL-like 00"))
    assert data.neighbours[first]["JAK1_Ki"][0].similarity == pytest.approx(1.0)


def test_alert_atoms_are_found_and_highlighted(ranked, small_models):
    from rdkit import Chem

    alerts = find_alerts(Chem.MolFromSmiles(RHODANINE), _alert_catalog(("PAINS", "BRENK", "NIH")))
    labels = [a.label for a in alerts]
    assert any(label.startswith("PAINS_A:ene_rhod") for label in labels)
    assert all(a.atoms for a in alerts)
    data = assemble(ranked, models_dir=small_models, top=300)
    i = next(i for i, r in enumerate(data.rows) if r["id"] == "rhodanine")
    listed = next(r["alerts"] for r in read_csv(ranked) if r["id"] == "rhodanine").split(";") \
        if "alerts" in data.columns else labels  # the ranking's alerts column decides, when present
    assert {a.label.split(":")[-1] for a in data.alerts[i]} == {a.split(":")[-1] for a in listed}
    assert "#FF9E8C" in data.molecule_svgs[f"#{i}"].upper()  # the alert colour (1.0, 0.62, 0.55)


def test_alerts_column_decides_what_is_highlighted(ranked_with_properties, small_models):
    data = assemble(ranked_with_properties, models_dir=small_models, top=300)
    i = next(i for i, r in enumerate(data.rows) if r["id"] == "rhodanine")
    assert {a.label for a in data.alerts[i]} == {"PAINS_A:ene_rhod_A(235)", "Brenk:Michael_acceptor_1"}
    assert {"cns_mpo", "mw", "veber_ok"} <= {p[0] for p in data.properties}
    assert "vendor_note" in data.extra_columns
    assert all(not alerts for j, alerts in data.alerts.items() if j != i)


def test_report_reads_without_changing_the_ranking(ranked, small_models, tmp_path):
    before = ranked.read_bytes()
    summary = write_report(ranked, tmp_path / "r.html", models_dir=small_models, top=5)
    assert ranked.read_bytes() == before
    assert summary.n_rows == 5 and summary.n_rows_total == len(read_csv(ranked))
    assert summary.size_bytes < 10_000_000


def test_caller_mistakes(ranked, small_models, tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        write_report(tmp_path / "nope.csv", tmp_path / "r.html")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputFileError, match="empty"):
        write_report(empty, tmp_path / "r.html")
    no_smiles = tmp_path / "other.csv"
    no_smiles.write_text("a,b\n1,2\n")
    with pytest.raises(InputFileError, match="no 'id' or 'smiles' column"):
        write_report(no_smiles, tmp_path / "r.html")
    with pytest.raises(UsageError, match="--top"):
        write_report(ranked, tmp_path / "r.html", top=0)
    with pytest.raises(UsageError, match="does not exist"):
        write_report(ranked, tmp_path / "missing" / "r.html")
    with pytest.raises(InputFileError, match="metadata file"):
        write_report(ranked, tmp_path / "r.html", meta=tmp_path / "nope.json")
    bad_meta = tmp_path / "bad.json"
    bad_meta.write_text("{not json")
    with pytest.raises(InputFileError, match="not valid JSON"):
        write_report(ranked, tmp_path / "r.html", meta=bad_meta)
    assert main(["report", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "r.html")]) == 3
    assert main(["report", str(ranked), "-o", str(tmp_path / "r.html"), "--top", "0"]) == 2


def test_cli_writes_a_report_and_notes_missing_metadata(ranked, small_models, tmp_path, capsys):
    copy = tmp_path / "copy.csv"
    shutil.copyfile(ranked, copy)  # no .meta.json beside it
    assert main(["report", str(copy), "-o", str(tmp_path / "r.html"), "--models", str(small_models),
                 "--top", "4"]) == 0
    out = capsys.readouterr().out
    assert "4 of" in out and "No run metadata" in out
    assert "No run metadata" in (tmp_path / "r.html").read_text()


# ---- in a real browser ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "Python playwright is not installed: pip install '.[test]'"
    if reason is None and not Path(CHROMIUM).is_file():
        reason = f"{CHROMIUM} is missing: run `bash .ci/chromium.sh` (installs Debian's chromium)"
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def artifacts_dir() -> Path:
    path = Path(os.environ.get("SCREENKIT_ARTIFACTS") or Path(__file__).parent / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Page:
    """A report opened with every request intercepted, dialogs and errors recorded."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1500, "height": 1000})
        self.url = path.resolve().as_uri()
        self.blocked, self.dialogs, self.errors = [], [], []
        self.page.route("**/*", self._route)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-structures=ready]", timeout=15_000)

    def _route(self, route):
        if route.request.url == self.url:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def filter(self, text: str) -> list[str]:
        """Type into the filter box and return the visible IDs once the (debounced) table settles."""
        self.page.fill("#filter", text)
        return self.settled()

    def settled(self) -> list[str]:
        """Visible IDs after the table stopped changing (the filter box is debounced by 120 ms)."""
        import time

        previous, deadline = None, time.monotonic() + 5
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(150)
            current = self.visible_ids()
            if current == previous:
                return current
            previous = current
        return previous

    def visible_ids(self) -> list[str]:
        return self.page.eval_on_selector_all("#grid tbody tr.row", "rows => rows.map(r => r.dataset.id)")

    def column(self, key: str) -> list[str]:
        """Text of the visible cells under the header with ``data-key=key``."""
        keys = self.page.eval_on_selector_all("#grid th", "ths => ths.map(t => t.dataset.key)")
        return self.page.eval_on_selector_all(f"#grid tbody tr.row > td:nth-child({keys.index(key) + 1})",
                                              "cells => cells.map(c => c.textContent)")


def test_report_in_browser_sorts_filters_and_stays_offline(browser, report, ranked):
    view = Page(browser, report)
    page = view.page
    rows = read_csv(ranked)
    assert view.visible_ids() == [r["id"] for r in rows]  # default: rank order, all rows on one page

    page.click("th[data-key=id]")
    ids = view.visible_ids()
    assert ids == sorted(ids, key=str.lower) and len(ids) == len(rows)
    page.click("th[data-key=score]")  # highest first
    scores = [float(s[:4]) for s in view.column("score") if s[:1] != "\u2013"]
    assert scores == sorted(scores, reverse=True) and len(scores) == sum(r["status"] != "error" for r in rows)
    page.click("th[data-key='p:JAK1_Ki']")
    jak = [float(r["JAK1_Ki_p_active"]) for r in rows if r["JAK1_Ki_p_active"]]
    shown = [float(t[:4]) for t in view.column("p:JAK1_Ki") if t != "\u2013"]
    assert shown == sorted(shown, reverse=True) and len(shown) == len(jak)
    page.click("th[data-key=rank]")

    assert view.filter("rhodanine") == ["rhodanine"]
    expected = [r["id"] for r in rows if r["JAK1_Ki_p_active"] and float(r["JAK1_Ki_p_active"]) > 0.5]
    assert view.filter("jak1_ki>0.5") == expected and 0 < len(expected) < len(rows)
    assert view.filter('"CHEMBL-like 1"') == [r["id"] for r in rows if r["id"].startswith("CHEMBL-like 1")]
    assert len(view.filter("")) == len(rows)

    # the injected markup is text on the page, and never ran
    assert page.get_by_text(IMG_ID, exact=True).first.is_visible()
    assert page.get_by_text(SCRIPT_ID, exact=True).first.is_visible()
    assert page.evaluate("window.__injected") is None
    assert page.evaluate("document.querySelectorAll('img[src=x], #grid script').length") == 0

    # evidence: three measured neighbours per model, drawn
    page.click(f"tr.row[data-id='{rows[0]['id']}'] button.tog")
    page.wait_for_selector("tr.details .card img")
    assert page.locator("tr.details .evm").count() == 2
    assert page.locator("tr.details .card").count() == 6
    assert page.evaluate("Array.from(document.querySelectorAll('tr.details .card img')).every(i => i.complete)")
    page.screenshot(path=str(artifacts_dir() / "report_table.png"))
    page.locator("#space").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir() / "report_summary.png"))

    assert view.dialogs == [] and view.errors == []
    assert view.blocked == []  # no request at all besides the report itself
    # and the page's CSP stops a request before it is even attempted
    assert page.evaluate("fetch('https://example.org/x').then(() => 'sent', () => 'blocked')") == "blocked"
    assert view.blocked == []
    page.close()


def test_report_with_properties_in_browser(browser, report_with_properties, ranked_with_properties):
    view = Page(browser, report_with_properties)
    page = view.page
    assert page.title() == "Review <b>batch</b> 7"
    headers = page.eval_on_selector_all("#grid th", "ths => ths.map(t => t.dataset.key)")
    assert {"q:cns_mpo", "q:mw", "q:veber_ok", "alerts"} <= set(headers)
    assert page.get_by_text("JAK1 activity <b>high</b> & in domain #0", exact=True).is_visible()
    page.click("th[data-key='q:mw']")  # descending
    mw = [float(t) for t in view.column("q:mw") if t != "\u2013"]
    assert mw == sorted(mw, reverse=True)
    table = pd.read_csv(ranked_with_properties)
    assert sorted(view.filter("cns_mpo>=4")) == sorted(table.loc[table["cns_mpo"] >= 4, "id"].astype(str))
    view.filter("")
    page.check("#noalerts")
    assert "rhodanine" not in view.settled()
    page.uncheck("#noalerts")
    assert view.filter("ene_rhod") == ["rhodanine"]
    assert page.locator("#grid span.chip.alert").count() == 2
    page.click("tr.row button.tog")
    page.wait_for_selector("tr.details")
    assert page.locator("tr.details").get_by_text(IMG_ID, exact=True).is_visible()  # the vendor_note column
    page.screenshot(path=str(artifacts_dir() / "report_properties.png"))
    assert view.dialogs == [] and view.errors == [] and view.blocked == []
    page.close()


def test_evidence_pictures_are_bounded_for_long_tables(ranked, small_models):
    data = assemble(ranked, models_dir=small_models, top=300, evidence_rows=2)
    drawn_rows = {key for i in (0, 1) for found in data.neighbours[i].values() for key in (n.svg_key for n in found)}
    training_svgs = {k for k in data.molecule_svgs if not k.startswith("#")}
    assert training_svgs == drawn_rows
    assert all(f"#{i}" in data.molecule_svgs for i, r in enumerate(data.rows) if r["status"] != "error")
    assert sum(len(f) for f in data.neighbours[5].values()) == 6  # still listed, without pictures
