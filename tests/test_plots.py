"""Card plots: written and registered at training, deterministic, redrawn from their stored data,
recomputed for an old bundle by scripts/card_plots.py, and shown offline in the report."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from test_report import Page, browser  # noqa: F401  (the Chromium fixture: fails in CI, skips elsewhere)

from screenkit.hashing import file_sha256
from screenkit.model.bundle import MANIFEST, load_bundle
from screenkit.model.calibration import reliability_table
from screenkit.model.card import card_markdown
from screenkit.model.plots import PlotData, fold_mean, render_plots
from screenkit.model.train import train_models
from screenkit.model.trainconfig import TrainConfig

CLASSIFIER_PLOTS = {"roc.svg", "pr.svg", "reliability.svg", "plots.npz"}


def strip_plots(bundle: Path) -> None:
    """Turn a bundle into one written before plots existed: no plot files, card or manifest entries."""
    manifest = json.loads((bundle / MANIFEST).read_text())
    for entry in manifest["models"]:
        for role in [r for r in entry["files"] if r not in ("estimator", "training_set", "card_json", "card_markdown")]:
            (bundle / entry["files"][role]).unlink()
            del manifest["sha256"][entry["files"].pop(role)]
        card_path = bundle / entry["files"]["card_json"]
        card = json.loads(card_path.read_text())
        card.pop("plots")
        write_card(bundle, entry, card, manifest)
    (bundle / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def write_card(bundle: Path, entry: dict, card: dict, manifest: dict) -> None:
    for role, text in (("card_json", json.dumps(card, indent=2) + "\n"), ("card_markdown", card_markdown(card))):
        (bundle / entry["files"][role]).write_text(text)
        manifest["sha256"][entry["files"][role]] = file_sha256(bundle / entry["files"][role])


def test_training_writes_plots_registered_in_the_manifest_and_linked_from_the_card(small_models):
    manifest = json.loads((small_models / MANIFEST).read_text())
    for model in load_bundle(small_models, with_estimators=False):
        files = next(e["files"] for e in manifest["models"] if e["name"] == model.name)
        assert CLASSIFIER_PLOTS <= set(files) and "measured.svg" not in files
        for suffix in CLASSIFIER_PLOTS:
            assert files[suffix] == f"{model.name}.{suffix}" == model.card.plots[suffix]
            assert manifest["sha256"][files[suffix]] == file_sha256(small_models / files[suffix])
        markdown = (small_models / files["card_markdown"]).read_text()
        for suffix in ("roc.svg", "pr.svg", "reliability.svg"):
            assert f"]({model.name}.{suffix})" in markdown
        roc = (small_models / files["roc.svg"]).read_text()
        assert roc.startswith("<?xml") and "<script" not in roc and "similarity baseline" in roc


def test_stored_plot_data_reproduce_the_cards_figures(small_models):
    for model in load_bundle(small_models, with_estimators=False):
        data = PlotData.from_file(model.files["plots.npz"])
        v = model.card.validation
        for metric in ("roc_auc", "pr_auc"):
            got, sd, n = fold_mean(data, metric)
            assert got == pytest.approx(v["metrics_by_subset"]["sar"][metric]["mean"], abs=1e-4)
            assert n == v["metrics_by_subset"]["sar"][metric]["folds"]
            base, _, _ = fold_mean(data, metric, "baseline")
            assert base == pytest.approx(v["baseline"]["metrics_by_subset"]["sar"][metric]["mean"], abs=1e-4)
        assert (data.measured.sum() == model.card.data["n_measured"])  # each measured compound tested once
        ok = np.isfinite(data.calibrated)
        assert reliability_table(data.y[ok], data.calibrated[ok]) == v["calibration"]["reliability"]["calibrated"]
        assert reliability_table(data.y[ok], np.clip(data.score[ok], 0, 1)) == \
            v["calibration"]["reliability"]["uncalibrated"]
        # the figures in the legend are the card's, as text in the SVG
        roc = model.files["roc.svg"].read_text()
        assert f"ROC-AUC {v['metrics_by_subset']['sar']['roc_auc']['mean']:.3f}" in roc


def test_plots_redrawn_from_stored_data_equal_those_written_at_training(small_models):
    for model in load_bundle(small_models, with_estimators=False):
        redrawn = render_plots(model.card, PlotData.from_file(model.files["plots.npz"]))
        assert set(redrawn) == {"roc.svg", "pr.svg", "reliability.svg"}
        for suffix, svg in redrawn.items():
            assert svg == model.files[suffix].read_bytes(), suffix


def test_two_training_runs_write_byte_identical_plots(small_dataset, small_pool, panel, small_models, tmp_path):
    again = tmp_path / "again"
    train_models(small_dataset, again, panel, targets=["JAK1"], pool=small_pool,
                 config=TrainConfig(n_estimators=25, n_folds=3, min_compounds=20))
    for suffix in CLASSIFIER_PLOTS:
        assert (again / f"JAK1_Ki.{suffix}").read_bytes() == (small_models / f"JAK1_Ki.{suffix}").read_bytes(), suffix
    card = json.loads((again / "JAK1_Ki.card.json").read_text())
    assert card["created"]  # the card has a date; the plots do not
    assert b"<dc:date>" not in (again / "JAK1_Ki.roc.svg").read_bytes()


def test_regression_model_plots_predicted_against_measured(small_dataset, small_pool, panel, tmp_path):
    config = TrainConfig(task="regression", n_estimators=15, n_folds=3, min_compounds=20,
                         y_randomisation_permutations=0)
    model = train_models(small_dataset, tmp_path / "reg", panel, targets=["JAK1"], pool=small_pool, config=config)[0]
    loaded = load_bundle(tmp_path / "reg", with_estimators=False)[0]
    assert {"roc.svg", "pr.svg", "measured.svg", "plots.npz"} == set(model.card.plots)
    assert "reliability.svg" not in loaded.files
    data = PlotData.from_file(loaded.files["plots.npz"])
    assert data.task == "regression" and data.threshold == model.card.label["threshold"]
    r2 = loaded.card.validation["metrics"]["r2"]["mean"]
    assert f"R\u00b2 {r2:.3f}" in loaded.files["measured.svg"].read_text()
    got, _, _ = fold_mean(data, "roc_auc")  # predicted pActivity ranked against the threshold
    assert got == pytest.approx(loaded.card.validation["metrics_by_subset"]["sar"]["roc_auc"]["mean"], abs=1e-4)


def _script():
    spec = importlib.util.spec_from_file_location("card_plots", ROOT / "scripts" / "card_plots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def old_bundle(small_models, small_dataset, small_pool, tmp_path):
    """small_models as a bundle from before plots, and a data folder holding its dataset and pool."""
    bundle = tmp_path / "old"
    shutil.copytree(small_models, bundle)
    strip_plots(bundle)
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(small_dataset, data)
    shutil.copy(small_pool, data)
    return bundle, data


def test_old_bundle_without_plots_loads_and_the_script_adds_the_same_plots(old_bundle, small_models, capsys):
    bundle, data = old_bundle
    models = load_bundle(bundle)  # an old bundle loads as before
    assert all("roc.svg" not in m.files and m.card.plots is None for m in models)
    assert _script().main(["--models", str(bundle), "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out.count("reproduces the card") == 2
    for model in load_bundle(bundle, with_estimators=False):  # verified against the updated manifest
        for suffix in CLASSIFIER_PLOTS:
            assert model.files[suffix].read_bytes() == (small_models / f"{model.name}.{suffix}").read_bytes()
        assert (small_models / f"{model.name}.card.md").read_text() == model.files["card_markdown"].read_text()
    # --redraw draws from the stored data alone (no dataset needed), to the same bytes
    before = {p.name: p.read_bytes() for p in bundle.iterdir()}
    assert _script().main(["--models", str(bundle), "--data-dir", str(bundle), "--redraw"]) == 0
    assert {p.name: p.read_bytes() for p in bundle.iterdir()} == before


def test_script_refuses_a_card_it_cannot_reproduce(old_bundle, capsys):
    bundle, data = old_bundle
    manifest = json.loads((bundle / MANIFEST).read_text())
    entry = next(e for e in manifest["models"] if e["name"] == "JAK1_Ki")
    card = json.loads((bundle / entry["files"]["card_json"]).read_text())
    card["validation"]["metrics_by_subset"]["sar"]["roc_auc"]["mean"] += 0.01
    write_card(bundle, entry, card, manifest)
    (bundle / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    assert _script().main(["--models", str(bundle), "--data-dir", str(data), "--names", "JAK1_Ki"]) == 1
    out = capsys.readouterr().out
    assert "JAK1_Ki: FAILED to reproduce the card (SAR model roc_auc: recomputed" in out
    assert not (bundle / "JAK1_Ki.roc.svg").exists()


@pytest.fixture(scope="module")
def plot_report(small_models, tmp_path_factory) -> Path:
    from screenkit.report import write_report
    from screenkit.screen.run import screen_library

    folder = tmp_path_factory.mktemp("plot_report")
    library = folder / "lib.smi"
    library.write_text("CN1CCC[C@H]1c1cccnc1 nicotine\nCC(=O)Oc1ccccc1C(=O)O aspirin\n")
    ranked = folder / "ranked.csv"
    screen_library(library, ranked, models_dir=small_models)
    out = folder / "report.html"
    write_report(ranked, out, models_dir=small_models)
    return out


def test_report_shows_the_cards_plots_as_data_images(plot_report, small_models, tmp_path):
    from screenkit.report.models import model_plots

    html = plot_report.read_text(encoding="utf-8")
    shown = re.findall(r"<img src='data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)' alt='([^']+)'", html)
    expected = {f.read_bytes() for m in load_bundle(small_models, with_estimators=False)
                for s, f in m.files.items() if s.endswith(".svg")}
    assert len(shown) == len(expected) == 6 and {base64.b64decode(b) for b, _ in shown} == expected
    assert "GSK3B_Ki: validation plots" in html and "JAK1_Ki: validation plots" in html

    # an SVG that could run a script or reach out is not shown
    hostile = tmp_path / "x.roc.svg"
    hostile.write_bytes(b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    outside = tmp_path / "x.pr.svg"
    outside.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.org/a.png"/></svg>')

    class Fake:
        files = {"roc.svg": hostile, "pr.svg": outside}

    assert [uri for _, uri in model_plots(Fake())] == ["", ""]
    assert all("not shown" in title for title, _ in model_plots(Fake()))


def test_report_plots_render_in_a_browser_with_no_request(browser, plot_report):  # noqa: F811
    view = Page(browser, plot_report)
    page = view.page
    images = "Array.from(document.querySelectorAll('.model-plots img'))"
    for _ in range(50):  # wait_for_function evaluates a string, which the page's CSP forbids
        if page.evaluate(f"{images}.length === 6 && {images}.every(i => i.complete)"):
            break
        page.wait_for_timeout(100)
    sizes = page.evaluate(f"{images}.map(i => [i.naturalWidth, i.naturalHeight])")
    assert len(sizes) == 6 and all(w > 300 and h > 200 for w, h in sizes), sizes
    view.inert()
    assert view.blocked == []  # no request besides the report itself
    view.close()
