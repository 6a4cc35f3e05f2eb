#!/usr/bin/env python
"""Is the reliability-table calibration honest? Fit it on four folds, test it on the fifth.

Five bundled models ship without Platt scaling (it did not lower their held-out Brier score),
so scoring maps their raw scores through a monotone fit to the card's held-out reliability
table (:func:`screenkit.screen.probability.reliability_map`). That table pools the out-of-fold
predictions of all folds, so judging the map on the same rows is optimistic. Here, from each
model's ``plots.npz`` (the honest split's out-of-fold scores, written by ``scripts/card_plots.py``):

1. the card's table is rebuilt from the pooled rows and must equal the card's (checks the data);
2. per fold k, the table is built from the other folds only, the map fitted on it, and fold k's
   scores mapped: the Brier score of the raw scores, of the in-sample map (fitted on all folds,
   as shipped) and of the cross-fitted map, each over all rows and over the measured rows.

Brier is measured on the training mix (before the prior correction, which is the same Bayes
step for every variant). The result is written to ``docs/reliability_crossfit/``::

    python scripts/reliability_crossfit.py
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.model.bundle import load_bundle  # noqa: E402
from screenkit.model.calibration import reliability_table  # noqa: E402
from screenkit.model.card import ModelCard  # noqa: E402
from screenkit.model.plots import DATA_FILE, PlotData  # noqa: E402
from screenkit.screen.probability import reliability_map  # noqa: E402


def _mapped(table: list[dict], score: np.ndarray) -> np.ndarray:
    card = ModelCard("x", validation={"calibration": {"applied": False, "reliability": {"uncalibrated": table}}})
    calibrate = reliability_map(card)
    assert calibrate is not None, "a table of at least two bins gives a map"
    return calibrate(score)


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def check(model) -> dict:
    data = PlotData.from_file(model.files[DATA_FILE])
    card_table = model.card.calibration["reliability"]["uncalibrated"]
    rebuilt = reliability_table(data.y, data.score)
    if rebuilt != card_table:
        raise SystemExit(f"{model.name}: {DATA_FILE} does not rebuild the card's reliability table")
    in_sample = _mapped(card_table, data.score)
    cross = np.empty_like(data.score)
    for fold in np.unique(data.fold):
        test = data.fold == fold
        cross[test] = _mapped(reliability_table(data.y[~test], data.score[~test]), data.score[test])
    out = {"model": model.name, "n_rows": int(len(data.y)), "n_measured": int(data.measured.sum())}
    for subset, rows in (("all", np.ones(len(data.y), bool)), ("measured", data.measured.astype(bool))):
        y = data.y[rows]
        out[subset] = {"brier_raw": round(_brier(y, data.score[rows]), 4),
                       "brier_map_in_sample": round(_brier(y, in_sample[rows]), 4),
                       "brier_map_cross_fitted": round(_brier(y, cross[rows]), 4)}
    folds = []
    for fold in np.unique(data.fold):
        test = data.fold == fold
        folds.append(_brier(data.y[test], cross[test]) - _brier(data.y[test], data.score[test]))
    out["folds_where_cross_fitted_map_beats_raw"] = f"{sum(d < 0 for d in folds)} of {len(folds)}"
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, default=ROOT / "models")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability_crossfit")
    args = parser.parse_args(argv)
    rows = [check(m) for m in load_bundle(args.models, with_estimators=False)
            if m.card.is_activity_model and m.card.calibration.get("applied") is False and DATA_FILE in m.files]
    lines = ["| model | rows | Brier raw | map, in sample | map, cross-fitted | measured rows: raw | in sample | "
             "cross-fitted | folds improved |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        a, m = r["all"], r["measured"]
        lines.append(f"| {r['model']} | {r['n_rows']} | {a['brier_raw']} | {a['brier_map_in_sample']} | "
                     f"{a['brier_map_cross_fitted']} | {m['brier_raw']} | {m['brier_map_in_sample']} | "
                     f"{m['brier_map_cross_fitted']} | {r['folds_where_cross_fitted_map_beats_raw']} |")
    print("\n".join(lines))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "reliability_crossfit.json").write_text(json.dumps(rows, indent=2) + "\n")
    (args.out / "README.md").write_text(
        "# Reliability-map calibration on separate folds\n\nWritten by `scripts/reliability_crossfit.py` "
        "(see its docstring). Brier on the training mix, pooled over the honest split's test folds.\n\n"
        + "\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
