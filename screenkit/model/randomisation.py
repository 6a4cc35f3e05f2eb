"""Y-randomisation: refit on permuted training labels, to show the model learns more than chance."""

from __future__ import annotations

import numpy as np

from .crossval import cross_validate, per_fold_subset_metrics, subset_rows
from .metrics import regression_metrics
from .problem import Problem

__all__ = ["y_randomisation"]


def y_randomisation(problem: Problem, X: np.ndarray, build, n_permutations: int, seed: int,
                    real_value: float | None, band_width: float = 0.1) -> dict | None:
    """Refit on permuted training labels on every fold, ``n_permutations`` times.

    Rule: passed if the mean permuted SAR metric lies within chance ± ``band_width`` and
    the real model's mean exceeds the permuted mean by more than 2 permuted sds.
    """
    if n_permutations <= 0:
        return None
    key = "roc_auc" if problem.task == "classification" else "r2"
    chance = 0.5 if key == "roc_auc" else 0.0
    values = []
    for k in range(n_permutations):
        preds = cross_validate(problem, X, build, permute_seed=seed + k)
        if key == "roc_auc":
            folds = per_fold_subset_metrics(problem, preds)["sar"]
            values += [f["roc_auc"] for f in folds]
        else:
            values += [f["r2"] for f in [regression_metrics(problem.y[p.rows][m], p.score[m])
                                         for p in preds for m in [subset_rows(problem, p.rows)["sar"]]]]
    runs = np.array(values, dtype=float)
    runs = runs[~np.isnan(runs)]
    mean = float(runs.mean()) if len(runs) else float("nan")
    sd = float(runs.std(ddof=1)) if len(runs) > 1 else 0.0
    band = [round(chance - band_width, 3), round(chance + band_width, 3)] if key == "roc_auc" else [-1.0, 0.1]
    in_band = bool(band[0] <= mean <= band[1])
    separated = bool(real_value is not None and real_value - mean > 2 * sd)
    return {"metric": key, "subset": "sar", "mean": round(mean, 4), "sd": round(sd, 4),
            "n_folds": len(problem.folds), "n_permutations": n_permutations, "n_runs": int(len(runs)),
            "band": band, "passed": in_band and separated, "real_model": real_value,
            "rule": (f"passed if the mean permuted {key} lies in [{band[0]}, {band[1]}] (chance {chance} "
                     f"± {band_width if key == 'roc_auc' else 'n/a'}) and the real model's {key} exceeds it by "
                     "more than 2 sd of the permuted runs"),
            "method": "all training labels (measured and putative) permuted within each training fold; "
                      "tested on the true labels of the fold's measured compounds"}
