"""The HTML review report: reading, evidence, series, escaping, and the page in a real browser.

The browser tests open the report in Debian's Chromium (``bash .ci/chromium.sh`` installs it)
through Playwright with every request intercepted: the count of requests other than the
report's own file:// load must be zero. Screenshots go to ``$SCREENKIT_ARTIFACTS`` (default
``tests/artifacts/``).
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import molblock_from_smiles, write_sdf

from screenkit.chem.similarity import nearest_neighbours
from screenkit.cli import main
from screenkit.config import bundled_path
from screenkit.errors import InputFileError, UsageError
from screenkit.report import write_report
from screenkit.report.data import NO_MODEL_SUPPORT, assemble
from screenkit.report.evidence import alert_catalog, find_alerts
from screenkit.report.html import content_security_policy, safe_json
from screenkit.report.models import unmodelled_targets
from screenkit.report.reading import read_marks
from screenkit.screen.run import screen_library

IMG_ID = "<img src=x onerror=alert(1)>"
SCRIPT_ID = "<script>window.__injected = 1</script>"
CLOSE_SCRIPT = "</script><img src=x onerror=alert(2)>"
RHODANINE = "O=C1C(=Cc2ccccc2)SC(=S)N1"
PYRIDINE = "c1ccncc1"  # a known SMARTS for the substructure search
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--headless=new", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def ranked(tmp_path_factory, small_models) -> Path:
    """A ranked CSV of a small SDF: real JAK1/GSK3B compounds, a PAINS compound, a nicotine series with an
    injected ID, a broken record."""
    folder = tmp_path_factory.mktemp("report")
    table = pd.read_csv(bundled_path("data/chembl_bundled.csv"))
    picks = pd.concat([table[table["gene"] == g].iloc[::40].head(12) for g in ("JAK1", "GSK3B")])
    records = [molblock_from_smiles(s, f"CHEMBL-like {i:02d}") for i, s in enumerate(picks["smiles"])]
    records += [
        molblock_from_smiles("CN1CCC[C@H]1c1cccnc1", IMG_ID) + f"> <note>\n{IMG_ID}\n\n",
        molblock_from_smiles("CCN1CCC[C@H]1c1cccnc1", "nicotine ethyl"),
        molblock_from_smiles("OCCN1CCCC1c1cccnc1", "nicotine hydroxyethyl"),
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
    """The same ranking with the property/alert/reason columns the ranking stage adds, and hostile SD values."""
    folder = tmp_path_factory.mktemp("report_props")
    table = pd.read_csv(ranked, dtype=str, keep_default_na=False)
    n = len(table)
    table["rank_reason"] = [f"JAK1 activity <b>high</b> & in domain #{i}" for i in range(n)]
    table["d_activity"] = [f"{0.1 if i % 3 == 0 else 0.8:.2f}" for i in range(n)]
    table["mw"] = [f"{300 + 7.25 * i:.2f}" for i in range(n)]
    table["cns_mpo"] = [f"{(i % 7) * 0.9:.2f}" for i in range(n)]
    table["veber_ok"] = ["True" if i % 2 else "False" for i in range(n)]
    assert table.loc[table["id"] == "rhodanine", "alerts"].item()  # the ranking's own alerts column, kept as written
    table["vendor_note"] = [IMG_ID] * n  # an unknown column: shown as text in the details
    table["origin"] = [CLOSE_SCRIPT] * n  # an SD field carried over by scoring
    out = folder / "ranked.csv"
    table.to_csv(out, index=False)
    shutil.copyfile(str(ranked) + ".meta.json", str(out) + ".meta.json")
    return out


@pytest.fixture(scope="module")
def report(ranked, small_models, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html") / "report.html"
    write_report(ranked, out, models_dir=small_models)
    return out


@pytest.fixture(scope="module")
def report_with_properties(ranked_with_properties, small_models, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("html_props") / "report.html"
    write_report(ranked_with_properties, out, models_dir=small_models, title="Review <b>batch</b> 7")
    return out


def page_data(html: str) -> dict:
    """The JSON the page script reads (gzipped, base64) as Python."""
    block = re.search(r'<script type="application/octet-stream" id="report-data">([^<]*)</script>', html).group(1)
    return json.loads(gzip.decompress(base64.b64decode(block)))


# ---- no browser -----------------------------------------------------------------------------------------

def test_safe_json_cannot_close_a_script_element():
    text = safe_json({"id": "</script><script>alert(1)</script>", "x": float("nan"), "amp": "a&b"})
    assert "<" not in text and ">" not in text and "&" not in text
    import json

    assert json.loads(text) == {"id": "</script><script>alert(1)</script>", "x": None, "amp": "a&b"}


def test_input_values_are_escaped_and_nothing_points_to_the_network(report_with_properties):
    html = report_with_properties.read_text(encoding="utf-8")
    for raw in (IMG_ID, SCRIPT_ID, CLOSE_SCRIPT, "<b>high</b>", "<b>batch</b>"):
        assert raw not in html
    assert "&lt;b&gt;batch&lt;/b&gt;" in html  # the title, escaped in <title> and <h1>
    assert CLOSE_SCRIPT in page_data(html)["x"]["origin"]  # the SD value is in the data, packed
    # only XML namespace URIs (not requests) may appear; no src/href to anything but in-page anchors
    outside = re.sub(r'<script[^>]*>.*?</script>', "", html, flags=re.DOTALL)  # vendored RDKit code mentions URLs
    urls = set(re.findall(r"https?://[^\s'\"<>)]+", outside))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.rdkit.org/xml", "http://www.w3.org/1999/xlink"}, urls
    from html.parser import HTMLParser

    class Links(HTMLParser):
        found = []

        def handle_starttag(self, tag, attrs):
            self.found += [(tag, k, v) for k, v in attrs if k in ("src", "href", "action", "srcset", "poster")]

    parser = Links()
    parser.feed(html)
    # in-page anchors, and the model cards' SVG plots as data: images (checked inert in test_plots.py)
    assert parser.found and all((k == "href" and v.startswith("#")) or
                                (tag, k) == ("img", "src") and v.startswith("data:image/svg+xml;base64,")
                                for tag, k, v in parser.found), parser.found
    assert len(re.findall(r"<script>", html)) == 2  # RDKit MinimalLib and the report's script; data blocks have a type


def test_content_security_policy_allows_only_the_reports_scripts(report):
    html = report.read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert "'unsafe-eval'" not in csp and "'unsafe-inline'" not in csp.split("script-src")[1]
    scripts = re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert content_security_policy(*scripts) == csp
    assert "new Function" not in scripts[0] and "initRDKitModule" in scripts[0]


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


@pytest.fixture(scope="module")
def data(ranked, small_models):
    return assemble(ranked, models_dir=small_models)


def test_evidence_neighbours_are_the_measured_training_compounds(data, ranked, small_models):
    from screenkit.model.bundle import load_bundle

    rows = read_csv(ranked)
    assert data.table.text["id"] == [r["id"] for r in rows]  # every row, rank order untouched
    models = {m.name: m for m in load_bundle(small_models)}
    train = {name: dict(zip(m.train_inchikey, m.train_pactivity)) for name, m in models.items()}
    checked = 0
    for i, row in enumerate(rows):
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
                assert data.training[n.key][2] == n.inchikey  # the page's training record is this compound
            checked += 1
    assert checked >= 40
    # a compound taken from the JAK1 training data finds itself, and is flagged as measured with its value
    first = next(i for i, r in enumerate(rows) if r["id"].startswith("CHEMBL-like 00"))
    assert data.neighbours[first]["JAK1_Ki"][0].similarity == pytest.approx(1.0)
    measured = {m.model: m.pactivity for m in data.measured[first]}
    assert measured["JAK1_Ki"] == pytest.approx(data.neighbours[first]["JAK1_Ki"][0].pactivity)
    # and a made-up compound is not
    assert not data.measured.get(next(i for i, r in enumerate(rows) if r["id"] == "nicotine ethyl"))


def test_alert_atoms_are_found_for_the_listed_alerts(data, ranked):
    from rdkit import Chem

    alerts = find_alerts(Chem.MolFromSmiles(RHODANINE), alert_catalog(("PAINS", "BRENK", "NIH")))
    labels = [a.label for a in alerts]
    assert any(label.startswith("PAINS_A:ene_rhod") for label in labels)
    assert all(a.atoms for a in alerts)
    i = data.table.text["id"].index("rhodanine")
    listed = next(r["alerts"] for r in read_csv(ranked) if r["id"] == "rhodanine").split(";") \
        if "alerts" in data.table.columns else labels  # the ranking's alerts column decides, when present
    assert {a.label.split(":")[-1] for a in data.alerts[i]} == {a.split(":")[-1] for a in listed}
    # the atoms are those of the SMILES the page parses (same atom order in RDKit and MinimalLib)
    mol = Chem.MolFromSmiles(data.table.text["smiles"][i])
    ring = set(mol.GetSubstructMatch(Chem.MolFromSmarts("S=C1SC(=C)C(=O)N1")))
    rhod = next(a for a in data.alerts[i] if "ene_rhod" in a.label)
    assert len(ring) == 8 and ring <= set(rhod.atoms)


def test_alerts_column_decides_what_is_highlighted(ranked_with_properties, small_models):
    data = assemble(ranked_with_properties, models_dir=small_models)
    written = {r["id"]: {x for x in r["alerts"].split(";") if x} for r in read_csv(ranked_with_properties)}
    assert {"PAINS_A:ene_rhod_A(235)", "Brenk:Michael_acceptor_1"} <= written["rhodanine"]
    ids = data.table.text["id"]
    for j, alerts in data.alerts.items():  # highlighted: exactly what the ranking wrote for the row
        assert {a.label for a in alerts} == written[ids[j]], ids[j]
    assert {a.label for a in data.alerts[ids.index("rhodanine")]} == written["rhodanine"]
    assert {"cns_mpo", "mw", "veber_ok", "d_activity"} <= {p[0] for p in data.properties}
    assert {"vendor_note", "origin"} <= set(data.extra_columns)


def test_series_group_rows_by_murcko_scaffold(data):
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    ids = data.table.text["id"]
    nicotine = {IMG_ID, "nicotine ethyl", "nicotine hydroxyethyl"}
    series = [s for s in data.series if {ids[i] for i in s.members} >= nicotine]
    assert len(series) == 1
    expected = Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(Chem.MolFromSmiles("CN1CCCC1c1cccnc1")))
    assert series[0].scaffold == expected
    for s in data.series:  # every member has the scaffold, members in rank order, best first
        assert len(s.members) >= 2 and list(s.members) == sorted(s.members) and s.best == s.members[0]
        assert all(data.scaffolds[i] == s.scaffold for i in s.members)
        scores = data.table.numbers["overall_score"][list(s.members)]
        assert (s.score_min, s.score_max) == (pytest.approx(np.nanmin(scores)), pytest.approx(np.nanmax(scores)))


def test_unmodelled_panel_targets(data):
    from screenkit.config import load_panel

    panel = load_panel()
    modelled = {m.target for m in data.models}
    expected = [t.gene for t in panel.targets if t.default_panel and t.chembl_id not in modelled]
    assert [gene for gene, _, _ in data.unmodelled] == expected
    assert "JAK1" not in expected and len(expected) == sum(t.default_panel for t in panel.targets) - len(
        {t.gene for t in panel.targets if t.default_panel and t.chembl_id in modelled})
    assert unmodelled_targets([]) and len(unmodelled_targets([])) == sum(t.default_panel for t in panel.targets)


def test_models_table_reads_new_card_keys_and_falls_back_to_old_ones():
    from screenkit.model.card import ModelCard
    from screenkit.report.models import model_summaries

    class Model:
        def __init__(self, card):
            self.card = ModelCard.from_json({"name": "M", **card})

    old = {"validation": {"metrics": {"roc_auc": {"mean": 0.99}, "roc_auc_measured_only": {"mean": 0.81, "sd": 0.05}},
                          "y_randomisation": {"mean": 0.52, "near_chance": True}}}
    new = {"validation": {"split_name": "cluster", "split_difficulty": {"median": 0.41},
                          "metrics_by_subset": {"sar": {"roc_auc": {"mean": 0.71, "sd": 0.04}},
                                                "mixed": {"roc_auc": {"mean": 0.93}}},
                          "baseline": {"metrics_by_subset": {"sar": {"roc_auc": {"mean": 0.74}}},
                                       "model_beats_baseline": False, "verdict": "does not beat similarity search"},
                          "y_randomisation": {"mean": 0.5, "passed": True}}}
    a, b, c = model_summaries(["A", "B", "C"], [], None, {"A": Model(old), "B": Model(new), "C": Model({})})
    assert (a.sar_roc_auc, a.sar_source, a.mixed_roc_auc, a.yrand_passed) == (0.81, "metrics.roc_auc_measured_only", 0.99, True)
    assert (b.sar_roc_auc, b.baseline_roc_auc, b.beats_baseline, b.split, b.split_similarity, b.mixed_roc_auc) == \
        (0.71, 0.74, False, "cluster", 0.41, 0.93)
    assert np.isnan(c.sar_roc_auc) and c.beats_baseline is None  # a missing figure stays missing


def test_marks_file_is_read_back_and_bad_rows_are_named(tmp_path):
    path = tmp_path / "marks.csv"
    path.write_text("rank,id,smiles,mark,comment\n1,A,C,keep,good\n2,B,C,KEEP,\n3,C,C,wow,\n4,,C,keep,\n5,D,C,,just a note\n"
                    "6,'=X1,C,reject,'-bad\n")
    marks, problems = read_marks(path)  # the page writes '=X1 for the ID =X1 so spreadsheets do not run it
    assert marks == {"A": ("keep", "good"), "B": ("keep", ""), "D": ("", "just a note"), "=X1": ("reject", "-bad")}
    assert len(problems) == 2 and "row 4 (id C): unknown mark 'wow'" in problems[0] and "row 5: no id" in problems[1]
    (tmp_path / "bad.csv").write_text("name,flag\nx,y\n")
    with pytest.raises(InputFileError, match="needs 'id' and 'mark'"):
        read_marks(tmp_path / "bad.csv")
    with pytest.raises(InputFileError, match="does not exist"):
        read_marks(tmp_path / "none.csv")


def test_page_data_is_compact_and_complete(report, ranked):
    html = report.read_text(encoding="utf-8")
    d = page_data(html)
    rows = read_csv(ranked)
    assert d["n"] == len(rows) and d["c"]["id"] == [r["id"] for r in rows]
    assert d["c"]["smiles"] == [r["smiles"] for r in rows]
    p = [float(r["JAK1_Ki_p_active"]) if r["JAK1_Ki_p_active"] else None for r in rows]
    assert d["p"]["JAK1_Ki"] == [None if v is None else pytest.approx(v, abs=5e-4) for v in p]
    meta = json.loads(Path(str(ranked) + ".meta.json").read_text())
    assert d["run_key"] == meta["library"]["sha256"]
    assert d["no_support"] == NO_MODEL_SUPPORT
    assert "<svg" not in html.split('id="report-data"')[0].split("<main>")[1][:2000]  # no structure drawn into the table


def test_report_reads_without_changing_the_ranking(ranked, small_models, tmp_path):
    before = ranked.read_bytes()
    summary = write_report(ranked, tmp_path / "r.html", models_dir=small_models, top=5)
    assert ranked.read_bytes() == before
    assert summary.n_rows == 5 and summary.n_rows_total == len(read_csv(ranked))
    assert page_data((tmp_path / "r.html").read_text())["n"] == 5
    assert summary.size_bytes < 6_000_000  # RDKit's WebAssembly is about 3.2 MB of it


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
    assert main(["report", str(ranked), "-o", str(tmp_path / "r.html"), "--marks", str(tmp_path / "no.csv")]) == 3


def test_cli_writes_a_report_and_notes_missing_metadata(ranked, small_models, tmp_path, capsys):
    copy = tmp_path / "copy.csv"
    shutil.copyfile(ranked, copy)  # no .meta.json beside it
    assert main(["report", str(copy), "-o", str(tmp_path / "r.html"), "--models", str(small_models),
                 "--top", "4"]) == 0
    out = capsys.readouterr().out
    assert "4 of" in out and "No run metadata" in out
    assert "No run metadata" in (tmp_path / "r.html").read_text()


def test_evidence_is_bounded_for_long_files(ranked, small_models):
    data = assemble(ranked, models_dir=small_models, evidence_rows=2)
    assert {i for i, found in data.neighbours.items() if found} <= {0, 1}
    assert data.neighbours[0] and data.evidence_rows == 2
    keys = {n.key for i in (0, 1) for found in data.neighbours[i].values() for n in found}
    assert keys <= set(data.training)
    assert len(data.table) == len(read_csv(ranked))  # every row is still on the page


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

    def __init__(self, browser, path: Path, context=None):
        self.context = context or browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
        self.page = self.context.new_page()
        self.url = path.resolve().as_uri()
        self.blocked, self.dialogs, self.errors = [], [], []
        self.page.route("**/*", self._route)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.url)
        self.ready()

    def ready(self):
        self.page.wait_for_selector("body[data-structures=ready]", timeout=30_000)

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

    def search(self, query: str, mode: str = "sub", threshold: float | None = None) -> list[str]:
        """Run a structure search and return the visible IDs."""
        self.page.fill("#query", query)
        self.page.select_option("#qmode", mode)
        if threshold is not None:
            self.page.fill("#qsim", str(threshold))
        self.page.click("#qgo")
        self.page.wait_for_selector("body[data-search=done]")
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

    def download(self, button: str) -> str:
        with self.page.expect_download() as info:
            self.page.click(button)
        return Path(info.value.path()).read_text(encoding="utf-8")

    def inert(self):
        """No injected markup ran or became an element."""
        page = self.page
        assert page.evaluate("window.__injected") is None
        assert page.evaluate("document.querySelectorAll('img[src=x], #grid script, #drawer script, #gridview script').length") == 0
        assert page.evaluate("document.scripts.length") == 4  # two data blocks, RDKit, the report's script
        assert self.dialogs == [] and self.errors == []

    def close(self):
        self.context.close()


def row_index(ranked, rid):
    return [r["id"] for r in read_csv(ranked)].index(rid)


def test_report_in_browser_sorts_filters_and_stays_offline(browser, report, ranked):
    view = Page(browser, report)
    page = view.page
    rows = read_csv(ranked)
    assert len(rows) <= 50
    assert view.visible_ids() == [r["id"] for r in rows]  # default: rank order, every row

    page.click("th[data-key=rank]")  # rank is sorted ascending already; clicking reverses
    assert view.visible_ids() == [r["id"] for r in rows][::-1]
    page.click("th[data-key=score]")  # highest first
    scores = [float(s[:4]) for s in view.column("score") if s[:1] != "\u2013"]
    assert scores == sorted(scores, reverse=True) and len(scores) == sum(r["status"] != "error" for r in rows)
    page.click("th[data-key='p:JAK1_Ki']")
    jak = [float(r["JAK1_Ki_p_active"]) for r in rows if r["JAK1_Ki_p_active"]]
    shown = [float(t[:4]) for t in view.column("p:JAK1_Ki") if t != "\u2013"]
    assert shown == sorted(shown, reverse=True) and len(shown) == len(jak)
    page.click("th[data-key=rank]")  # back to rank order, ascending
    assert view.visible_ids() == [r["id"] for r in rows]

    assert view.filter("rhodanine") == ["rhodanine"]
    expected = [r["id"] for r in rows if r["JAK1_Ki_p_active"] and float(r["JAK1_Ki_p_active"]) > 0.5]
    assert view.filter("jak1_ki>0.5") == expected and 0 < len(expected) < len(rows)
    assert view.filter('"CHEMBL-like 1"') == [r["id"] for r in rows if r["id"].startswith("CHEMBL-like 1")]
    assert len(view.filter("")) == len(rows)

    # the injected markup is text on the page, and never ran
    assert page.get_by_text(IMG_ID, exact=True).first.is_visible()
    assert page.get_by_text(SCRIPT_ID, exact=True).first.is_visible()
    view.inert()

    # measured badge on the compound taken from the training data, with its measured value
    first = next(r["id"] for r in rows if r["id"].startswith("CHEMBL-like 00"))
    badge = page.locator(f"tr.row[data-id='{first}'] .chip.measured").first.text_content()
    assert badge.startswith("measured pKi ")
    assert page.locator("tr.row[data-id='nicotine ethyl'] .chip.measured").count() == 0

    # evidence: structure and the three measured neighbours per model first, drawn by RDKit in the page
    page.click(f"tr.row[data-id='{rows[0]['id']}'] button.tog")
    page.wait_for_selector("tr.details .card img")
    assert page.locator("tr.details .evm").count() == 2
    assert page.locator("tr.details .card").count() == 6
    assert page.evaluate("Array.from(document.querySelectorAll('tr.details img')).every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("tr.details details.more").first.get_attribute("open") is None  # conformal details collapsed
    # the sticky header does not cover the opened row
    header = page.locator("#grid thead").bounding_box()
    opened = page.locator(f"tr.row[data-id='{rows[0]['id']}']").bounding_box()
    assert opened["y"] >= header["y"] + header["height"] - 1
    page.screenshot(path=str(artifacts_dir() / "report_table.png"))

    assert view.blocked == []  # no request at all besides the report itself
    # and the page's CSP stops a request before it is even attempted
    assert page.evaluate("fetch('https://example.org/x').then(() => 'sent', () => 'blocked')") == "blocked"
    assert view.blocked == []
    view.close()


def test_structure_search_finds_the_right_rows(browser, report, ranked):
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    rows = read_csv(ranked)
    mols = [Chem.MolFromSmiles(r["smiles"]) if r["smiles"] else None for r in rows]
    pattern = Chem.MolFromSmarts(PYRIDINE)
    expected = [r["id"] for r, m in zip(rows, mols) if m is not None and m.HasSubstructMatch(pattern)]
    assert 3 <= len(expected) < len(rows)
    view = Page(browser, report)
    assert view.search(PYRIDINE) == expected
    view.page.wait_for_selector("body[data-indexed]", timeout=30_000)  # now through the SubstructLibrary
    view.page.evaluate("document.body.removeAttribute('data-search')")
    assert view.search(PYRIDINE) == expected
    # combined with the filter box
    assert view.filter("nicotine") == [i for i in expected if i.startswith("nicotine")]
    view.filter("")
    # a SMARTS with a ring-bond query: the tertiary amine in a ring
    amine = Chem.MolFromSmarts("[NX3;R;!$(N-C=O)]([#6])([#6])[#6]")
    assert view.search("[NX3;R;!$(N-C=O)]([#6])([#6])[#6]") == \
        [r["id"] for r, m in zip(rows, mols) if m is not None and m.HasSubstructMatch(amine)]
    # similarity search: Morgan radius 2, 2048 bits, as in RDKit
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    query = gen.GetFingerprint(Chem.MolFromSmiles("CN1CCC[C@H]1c1cccnc1"))
    sims = {r["id"]: DataStructs.TanimotoSimilarity(query, gen.GetFingerprint(m)) for r, m in zip(rows, mols) if m is not None}
    hits = view.search("CN1CCC[C@H]1c1cccnc1", "sim", 0.3)
    assert set(hits) == {k for k, v in sims.items() if v >= 0.3} and hits[0] == IMG_ID  # most similar first
    view.page.fill("#query", "C1CC(")  # a broken query: an error, and no structure filter left over
    view.page.select_option("#qmode", "sub")
    view.page.click("#qgo")
    view.page.wait_for_selector("body[data-search=error]")
    assert "not a valid SMILES or SMARTS" in view.page.text_content("#qstatus")
    assert len(view.settled()) == len(rows)
    view.inert()
    assert view.blocked == []
    view.close()


def test_marks_persist_export_and_come_back_with_marks_option(browser, report, ranked, small_models, tmp_path):
    from rdkit import Chem

    rows = read_csv(ranked)
    view = Page(browser, report)
    page = view.page
    page.click(f"tr.row[data-id='{IMG_ID}'] button[data-mark=keep]")
    page.click("tr.row[data-id='rhodanine'] button[data-mark=reject]")
    page.click("tr.row[data-id='nicotine ethyl'] button[data-mark=maybe]")
    page.click(f"tr.row[data-id='{IMG_ID}'] button.tog")
    page.fill("tr.details textarea.comment", f'keep, "but" check {CLOSE_SCRIPT}\nsecond line')
    page.locator("tr.details textarea.comment").blur()
    page.reload()
    view.ready()
    assert page.locator(f"tr.row[data-id='{IMG_ID}'] button[data-mark=keep].on").count() == 1
    assert page.locator("tr.row[data-id='rhodanine'] button[data-mark=reject].on").count() == 1
    assert page.locator("tr.row[data-id='nicotine ethyl'] button[data-mark=maybe].on").count() == 1
    assert page.locator("button[data-mark].on").count() == 3
    page.select_option("#markf", "any")
    assert sorted(view.settled()) == sorted([IMG_ID, "rhodanine", "nicotine ethyl"])
    page.select_option("#markf", "")

    text = view.download("#xcsv")
    exported = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [(r["id"], r["mark"]) for r in exported] == [(r["id"], {IMG_ID: "keep", "rhodanine": "reject", "nicotine ethyl": "maybe"}[r["id"]])
                                                       for r in rows if r["id"] in (IMG_ID, "rhodanine", "nicotine ethyl")]
    by_id = {r["id"]: r for r in exported}
    assert by_id[IMG_ID]["comment"] == f'keep, "but" check {CLOSE_SCRIPT}\nsecond line'
    assert by_id["rhodanine"]["smiles"] == next(r["smiles"] for r in rows if r["id"] == "rhodanine")
    assert float(by_id["rhodanine"]["JAK1_Ki_p_active"]) == pytest.approx(
        float(next(r["JAK1_Ki_p_active"] for r in rows if r["id"] == "rhodanine")), abs=5e-4)

    sdf = view.download("#xsdf")
    path = tmp_path / "marks.sdf"
    path.write_text(sdf)
    mols = [m for m in Chem.SDMolSupplier(str(path))]
    assert len(mols) == 3 and all(m is not None for m in mols)
    fields = {m.GetProp("id"): m for m in mols}
    assert fields[IMG_ID].GetProp("mark") == "keep" and fields[IMG_ID].GetProp("comment").startswith('keep, "but"')
    assert fields[IMG_ID].GetProp("_Name") == IMG_ID
    assert Chem.MolToSmiles(fields["rhodanine"]) == Chem.MolToSmiles(Chem.MolFromSmiles(RHODANINE))
    assert fields["nicotine ethyl"].GetProp("mark") == "maybe"
    view.inert()
    assert view.blocked == []
    view.close()

    # the exported marks carried into a new report, opened in a fresh browser profile
    marks_csv = tmp_path / "marks.csv"
    marks_csv.write_text(text)
    again = tmp_path / "again.html"
    write_report(ranked, again, models_dir=small_models, marks=marks_csv)
    fresh = Page(browser, again)
    assert fresh.page.locator("button[data-mark].on").count() == 3
    assert fresh.page.locator(f"tr.row[data-id='{IMG_ID}'] button[data-mark=keep].on").count() == 1
    assert fresh.page.locator(f"tr.row[data-id='{IMG_ID}'] .cm").text_content() == \
        f'keep, "but" check {CLOSE_SCRIPT}\nsecond line'
    fresh.inert()
    fresh.close()


def test_series_grid_plots_and_banner_in_browser(browser, report_with_properties, ranked_with_properties, small_models):
    data = assemble(ranked_with_properties, models_dir=small_models)
    view = Page(browser, report_with_properties)
    page = view.page
    assert page.title() == "Review <b>batch</b> 7"
    # the banner names every panel target without a model
    banner = page.text_content("#unmodelled")
    assert data.unmodelled and all(f"{gene} ({cid})" in banner for gene, cid, _ in data.unmodelled)
    assert "JAK1" not in banner
    # rows ranked without model support are flagged, and the box hides them
    weak = [r["id"] for r in read_csv(ranked_with_properties) if float(r["d_activity"]) < NO_MODEL_SUPPORT]
    assert sorted(page.eval_on_selector_all("tr.row:has(.chip.nomodel)", "rs => rs.map(r => r.dataset.id)")) == sorted(weak)
    page.check("#support")
    assert not set(view.settled()) & set(weak)
    page.uncheck("#support")

    # column groups: the targets can be hidden; nothing scrolls sideways by default
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.uncheck("input[data-group=targets]")
    assert page.locator("th[data-key^='p:']").count() == 0
    page.check("input[data-group=targets]")
    page.click("th[data-key='q:mw']")  # descending
    mw = [float(t) for t in view.column("q:mw") if t != "\u2013"]
    assert mw == sorted(mw, reverse=True)
    page.click("th[data-key=rank]")

    # the details show input fields as text
    page.click(f"tr.row[data-id='{IMG_ID}'] button.tog")
    page.wait_for_selector("tr.details")
    page.click("tr.details details.more summary >> text=details")
    assert page.locator("tr.details").get_by_text(CLOSE_SCRIPT, exact=True).is_visible()
    assert page.locator("tr.details").get_by_text(IMG_ID, exact=True).first.is_visible()
    view.inert()

    # a series opens: its members with per-target values
    nicotine = next(k for k, s in enumerate(data.series) if IMG_ID in {data.table.text["id"][i] for i in s.members})
    members = [data.table.text["id"][i] for i in data.series[nicotine].members]
    page.locator("#series").scroll_into_view_if_needed()
    page.click(f"#serieslist button[data-series='{nicotine}']")
    page.wait_for_selector("#drawer.open table.sar")
    assert page.eval_on_selector_all("#drawer table.sar tr.row", "rs => rs.map(r => r.dataset.id)") == members
    assert page.locator("#drawer table.sar tr.row td.pred").count() == len(members) * len(data.models)
    assert page.locator("#drawer").get_by_text(IMG_ID, exact=True).first.is_visible()
    page.screenshot(path=str(artifacts_dir() / "report_series.png"))
    view.inert()
    page.click("#drawer button[data-show-series]")
    assert view.settled() == members
    view.filter("")

    # grid view: cards, and a card opens the evidence in the drawer
    page.click("#vgrid")
    page.wait_for_selector("#gridview .gcard img")
    assert page.eval_on_selector_all("#gridview .gcard", "cs => cs.map(c => c.dataset.id)") == data.table.text["id"]
    page.click(f"#gridview .gcard[data-id='{IMG_ID}'] .cid")
    page.wait_for_selector("#drawer.open .panel")
    assert page.locator("#drawer .panel .cid").first.text_content().endswith(IMG_ID)
    page.screenshot(path=str(artifacts_dir() / "report_grid.png"))
    view.inert()
    page.click("#dclose")
    page.click("#vtable")

    # the scatter: a dragged box filters the table to the rows inside it; the heat map lists the rows
    page.locator("#plots").scroll_into_view_if_needed()
    heat = page.eval_on_selector_all("#heat td.lab", "ls => ls.map(l => l.textContent)")
    assert any(IMG_ID in t for t in heat)
    box = page.locator("#scatter").bounding_box()
    w, h = box["width"], box["height"]
    # plot area: x 0..1 over [46, 640-12] px, y 0..6 over [380-34, 12] px (canvas units = CSS px here)
    page.mouse.move(box["x"] + 46 + 0.0 * (w - 58), box["y"] + 12 + (1 - 3.0 / 6) * (h - 46))
    page.mouse.down()
    page.mouse.move(box["x"] + 46 + 1.0 * (w - 58) - 1, box["y"] + h - 34 - 1, steps=4)
    page.mouse.up()
    shown = view.settled()
    brush = page.evaluate("window.__screenkitReport.brush")
    assert brush["y0"] < 0.2 and 2.8 < brush["y1"] < 3.2 and brush["x0"] < 0.02 and brush["x1"] > 0.98
    table = pd.read_csv(ranked_with_properties)
    inside = [r["id"] for _, r in table.iterrows() if isinstance(r["best_model"], str)
              and brush["x0"] <= round(r[f"{r['best_model']}_p_active"], 3) <= brush["x1"]
              and brush["y0"] <= r["cns_mpo"] <= brush["y1"]]
    assert shown == inside and 0 < len(shown) < len(table)
    page.click("#unbrush")
    assert len(view.settled()) == len(table)
    view.inert()
    assert view.blocked == []
    view.close()


def test_server_drawn_structures_when_webassembly_is_off(browser, report, ranked):
    """Without WebAssembly the page still works: its first rows show the SVGs drawn when it was written."""
    context = browser.new_context()
    context.add_init_script("delete window.WebAssembly")  # a browser without WebAssembly
    page = context.new_page()
    url = report.resolve().as_uri()
    blocked = []
    page.route("**/*", lambda r: r.continue_() if r.request.url == url else (blocked.append(r.request.url), r.abort()))
    page.goto(url)
    page.wait_for_selector("body[data-structures=fallback]", timeout=30_000)
    assert page.locator(".warn", has_text="Structures could not be drawn").count() == 1
    first = read_csv(ranked)[0]["id"]
    assert page.locator(f"tr.row[data-id='{first}'] td.struct img").count() == 1  # pre-drawn
    assert len(page.eval_on_selector_all("#grid tbody tr.row", "rs => rs.map(r => r.dataset.id)")) == len(read_csv(ranked))
    assert blocked == []
    context.close()


def test_per_row_chemistry_is_the_same_with_two_processes(ranked_with_properties, small_models, data):
    one = assemble(ranked_with_properties, models_dir=small_models)
    two = assemble(ranked_with_properties, models_dir=small_models, n_jobs=2)
    assert two.scaffolds == one.scaffolds and two.series == one.series
    assert two.alerts == one.alerts and two.fallback_svgs == one.fallback_svgs
    assert one.scaffolds == data.scaffolds  # the extra columns change nothing about the structures
