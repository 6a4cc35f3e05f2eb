"""Validate a model configuration on a :class:`~screenkit.model.problem.Problem`.

Everything is computed on the same folds: the model's out-of-fold scores, a similarity
baseline (max Tanimoto to the fold's measured training actives: what a chemist gets from
a similarity search, for free), metrics on three subsets, a paired model-vs-baseline
test, y-randomisation with several permutations, held-out calibration and conformal
checks, and the applicability-domain threshold.

Subsets (classification):

* ``sar``: measured actives vs measured inactives of the test fold (the headline: can the
  model rank chemistry that was really measured?);
* ``library``: measured actives vs the test fold's putative inactives;
* ``mixed``: all test rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..chem.featurize import make_featurizer
from ..chem.similarity import tanimoto_max
from .estimators import conformal_quantile, fit_platt, make_estimator, mondrian_p_values, positive_score, prior_correct
from .metrics import bedroc, classification_metrics, regression_metrics, summarise
from .problem import Problem, build_problem
from .split import nearest_train_similarity, split_difficulty

__all__ = ["FoldPrediction", "estimator_factory", "cross_validate", "baseline_predictions", "subset_rows",
           "subset_metrics", "headline_metrics", "compare_with_baseline", "y_randomisation",
           "calibration_and_conformal", "measured_nn_similarity", "pooled_out_of_fold", "validate", "temporal_check",
           "error_by_similarity", "difficulty", "out_of_fold_record", "platt_calibrator", "SUBSET_METRICS",
           "BASELINE_METHOD"]

SUBSET_METRICS = ("roc_auc", "pr_auc", "bedroc_20")
BASELINE_METHOD = "max Tanimoto to the fold's training actives (Morgan r2 2048)"


@dataclass(frozen=True)
class FoldPrediction:
    """Scores of one fold's test rows (``rows`` index the problem)."""

    rows: np.ndarray
    score: np.ndarray


def estimator_factory(featurizer: dict, estimator: dict, task: str, config):
    """A zero-argument builder of fresh estimators (fails now on bad parameters)."""
    from .ensemble import ENSEMBLES, ensemble_factory

    if estimator["name"] in ENSEMBLES:  # members carry their own featurizers and column blocks
        return ensemble_factory(estimator, task, config, featurizer)
    nonnegative = make_featurizer(featurizer["name"], **featurizer["params"]).nonnegative

    def build():
        return make_estimator(estimator["name"], task, nonnegative=nonnegative, seed=config.seed,
                              n_jobs=config.n_jobs, **estimator["params"])

    build()
    return build


def _score(estimator, X, task) -> np.ndarray:
    return positive_score(estimator, X) if task == "classification" else np.asarray(estimator.predict(X), float)


def cross_validate(problem: Problem, X: np.ndarray, build, permute_seed: int | None = None,
                   folds=None) -> list[FoldPrediction]:
    """Out-of-fold scores per fold; with ``permute_seed``, training labels are permuted."""
    rng = np.random.default_rng(permute_seed) if permute_seed is not None else None
    out = []
    for fold in problem.folds if folds is None else folds:
        y_train = problem.y[fold.train]
        if rng is not None:
            y_train = rng.permutation(y_train)
        model = build().fit(X[fold.train], y_train)
        out.append(FoldPrediction(fold.test, _score(model, X[fold.test], problem.task)))
    return out


def baseline_predictions(problem: Problem) -> list[FoldPrediction]:
    """Max Tanimoto of each test row to the measured actives of *its fold's* training rows."""
    return [FoldPrediction(fold.test, tanimoto_max(problem.ad_fps[fold.test],
                                                   problem.ad_fps[problem.measured_actives(fold.train)]))
            for fold in problem.folds]


def subset_rows(problem: Problem, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean masks over ``rows`` for the ``sar``, ``library`` and ``mixed`` subsets."""
    measured, scored = problem.measured[rows], problem.scored[rows]
    out = {"sar": measured & scored}
    if problem.task == "classification" and (~measured).any():
        out["library"] = (measured & (problem.y[rows] == 1)) | ~measured
        out["mixed"] = scored
    return out


def _truth(problem: Problem, rows: np.ndarray) -> np.ndarray:
    if problem.task == "classification":
        return problem.y[rows].astype(int)
    return (problem.y[rows] >= problem.threshold).astype(int)


def _ranking_metrics(y: np.ndarray, score: np.ndarray) -> dict:
    from sklearn.metrics import average_precision_score, roc_auc_score

    both = len(np.unique(y)) == 2
    return {"roc_auc": float(roc_auc_score(y, score)) if both else np.nan,
            "pr_auc": float(average_precision_score(y, score)) if y.any() else np.nan,
            "bedroc_20": bedroc(y, score, 20.0)}


def per_fold_subset_metrics(problem: Problem, predictions: list[FoldPrediction]) -> dict[str, list[dict]]:
    """``{subset: [per-fold {roc_auc, pr_auc, bedroc_20}]}``."""
    out: dict[str, list[dict]] = {}
    for pred in predictions:
        y = _truth(problem, pred.rows)
        for name, mask in subset_rows(problem, pred.rows).items():
            out.setdefault(name, []).append(_ranking_metrics(y[mask], pred.score[mask]))
    return out


def subset_metrics(per_fold: dict[str, list[dict]]) -> dict:
    """``{subset: {metric: {"mean", "sd", "folds"}}}`` from :func:`per_fold_subset_metrics`."""
    return {name: summarise(folds) for name, folds in per_fold.items()}


def headline_metrics(problem: Problem, predictions: list[FoldPrediction]) -> dict:
    """The card's ``metrics``: every classification metric on the SAR subset (measured test
    compounds only), or regression metrics on measured exact values."""
    per_fold = []
    for pred in predictions:
        mask = subset_rows(problem, pred.rows)["sar"]
        rows, score = pred.rows[mask], pred.score[mask]
        if problem.task == "classification":
            per_fold.append(classification_metrics(problem.y[rows], score))
        else:
            per_fold.append(regression_metrics(problem.y[rows], score, problem.threshold))
    return summarise(per_fold)


def compare_with_baseline(model_folds: dict[str, list[dict]], baseline_folds: dict[str, list[dict]],
                          metric: str = "roc_auc", subset: str = "sar", alpha: float = 0.05) -> dict:
    """Paired one-sided t-test over folds of model minus baseline, and a verdict in words.

    With 5 folds a Wilcoxon signed-rank test cannot go below p = 1/32 one-sided (0.0625
    two-sided), so the paired t-test is used; its power is low: a difference must be
    consistent across folds (about 2 fold-sds) to reach p < 0.05.
    """
    from scipy.stats import ttest_rel

    m = np.array([f[metric] for f in model_folds.get(subset, [])], dtype=float)
    b = np.array([f[metric] for f in baseline_folds.get(subset, [])], dtype=float)
    keep = ~(np.isnan(m) | np.isnan(b))
    m, b = m[keep], b[keep]
    if len(m) < 2:
        return {"paired_test": {"metric": metric, "subset": subset, "mean_difference": None, "p_value": None,
                                "test": "not run: fewer than 2 folds with both classes", "n_folds": int(len(m))},
                "model_beats_baseline": False,
                "verdict": "not compared with similarity search: too few folds with both classes"}
    diff = float(np.mean(m - b))
    p = float(ttest_rel(m, b, alternative="greater").pvalue) if np.std(m - b) > 0 else (0.0 if diff > 0 else 1.0)
    beats = bool(diff > 0 and p < alpha)
    figures = f"{subset.upper()} {metric.replace('_', '-').upper()} {np.mean(m):.3f} vs {np.mean(b):.3f}"
    if beats:
        verdict = f"beats similarity search to its training actives ({figures}; p = {p:.3f})"
    elif diff <= 0:
        verdict = f"does not beat similarity search to its training actives ({figures}: it loses by {-diff:.3f})"
    else:
        verdict = (f"is not shown to beat similarity search to its training actives ({figures}, +{diff:.3f}; "
                   f"p = {p:.2f} over {len(m)} folds)")
    return {"paired_test": {"metric": metric, "subset": subset, "mean_difference": round(diff, 4),
                            "p_value": round(p, 4), "n_folds": int(len(m)),
                            "test": f"paired t-test over folds, one-sided (model > baseline), alpha {alpha}; "
                                    "with 5 folds only a difference consistent across folds reaches it"},
            "model_beats_baseline": beats, "verdict": verdict}


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


def pooled_out_of_fold(problem: Problem, predictions: list[FoldPrediction]) -> tuple[np.ndarray, np.ndarray]:
    """Scores and truths of every scored test row, all folds together (a decoy may recur)."""
    scores, ys = [], []
    for pred in predictions:
        keep = problem.scored[pred.rows]
        scores.append(pred.score[keep])
        ys.append(problem.y[pred.rows][keep])
    return np.concatenate(scores), np.concatenate(ys)


def platt_calibrator(scores: np.ndarray, y: np.ndarray, calibrate: bool = True):
    """The Platt map fitted on ``(scores, y)`` as a function of new scores (the identity when off)."""
    if not calibrate:
        return lambda s: s
    a, b = fit_platt(scores, y)
    return lambda s: 1 / (1 + np.exp(-(a * s + b)))


def out_of_fold_record(problem: Problem, predictions: list[FoldPrediction], calibrate: bool) -> dict[str, np.ndarray]:
    """What the card's plots are drawn from, one entry per scored test row of each fold.

    ``fold``, ``measured`` (False: a putative inactive), ``y`` (label or pActivity),
    ``score`` (the model's out-of-fold score), ``baseline`` (the similarity baseline on the
    same folds) and ``calibrated``: the probability after Platt scaling fitted on the *other*
    folds, as in :func:`calibration_and_conformal` (NaN for regression). Stored beside the
    card, it lets the plots be redrawn, and the card's figures recomputed, without retraining.
    """
    baseline = baseline_predictions(problem)
    parts: dict[str, list] = {k: [] for k in ("fold", "measured", "y", "score", "baseline", "calibrated")}
    for k, (pred, base) in enumerate(zip(predictions, baseline)):
        keep = problem.scored[pred.rows]
        rows = pred.rows[keep]
        parts["fold"].append(np.full(len(rows), k, dtype=np.int16))
        parts["measured"].append(problem.measured[rows])
        parts["y"].append(problem.y[rows].astype(float))
        parts["score"].append(pred.score[keep].astype(float))
        parts["baseline"].append(base.score[keep].astype(float))
        others = [p for j, p in enumerate(predictions) if j != k]
        if problem.task == "classification" and len(rows) and others:
            s_rest, y_rest = pooled_out_of_fold(problem, others)
            parts["calibrated"].append(np.asarray(platt_calibrator(s_rest, y_rest, calibrate)(pred.score[keep]), float))
        else:
            parts["calibrated"].append(np.full(len(rows), np.nan))
    return {k: np.concatenate(v) if v else np.array([]) for k, v in parts.items()}


def calibration_and_conformal(problem: Problem, predictions: list[FoldPrediction], config) -> dict:
    """Brier score and conformal coverage, each checked on held-out folds.

    For every fold k, the Platt calibrator and the conformal calibration scores are fitted
    on the out-of-fold predictions of the *other* folds and applied to fold k.
    """
    eps = 1 - config.conformal_confidence
    per_fold: list[dict] = []
    held_out: dict[str, list] = {"y": [], "raw": [], "calibrated": []}
    for k, pred in enumerate(predictions):
        keep = problem.scored[pred.rows]
        s_test, y_test = pred.score[keep], problem.y[pred.rows][keep]
        others = [p for j, p in enumerate(predictions) if j != k]
        if len(s_test) == 0 or not others:
            continue
        s_rest, y_rest = pooled_out_of_fold(problem, others)
        if problem.task == "classification":
            cal = platt_calibrator(s_rest, y_rest, config.calibrate)
            p_rest, p_test = cal(s_rest), cal(s_test)
            held_out["y"].append(y_test)
            held_out["raw"].append(np.clip(s_test, 0, 1))
            held_out["calibrated"].append(p_test)
            p_act = mondrian_p_values(1 - p_rest[y_rest == 1], 1 - p_test)
            p_inact = mondrian_p_values(p_rest[y_rest == 0], p_test)
            in_set_true = np.where(y_test == 1, p_act > eps, p_inact > eps)
            set_size = (p_act > eps).astype(int) + (p_inact > eps).astype(int)
            per_fold.append({"brier_uncalibrated": float(np.mean((np.clip(s_test, 0, 1) - y_test) ** 2)),
                             "brier_calibrated": float(np.mean((p_test - y_test) ** 2)),
                             "conformal_coverage": float(in_set_true.mean()),
                             "conformal_coverage_actives": float(in_set_true[y_test == 1].mean())
                             if (y_test == 1).any() else np.nan,
                             "conformal_singleton_rate": float((set_size == 1).mean())})
        else:
            half = conformal_quantile(y_rest - s_rest, config.conformal_confidence)
            per_fold.append({"conformal_coverage": float((np.abs(y_test - s_test) <= half).mean()),
                             "conformal_interval_width": 2 * half})
    summary = summarise(per_fold) if per_fold else {}
    out = {"conformal": {
        "method": ("Mondrian (class-conditional) inductive conformal prediction on calibrated out-of-fold "
                   "probabilities; p-values for both labels" if problem.task == "classification" else
                   "split conformal on absolute out-of-fold residuals; p_active from the conformal predictive "
                   "distribution of signed residuals"),
        "confidence": config.conformal_confidence,
        "held_out_check": {k: v for k, v in summary.items() if k.startswith("conformal")},
        "note": "checked per fold: calibrated on the other folds' out-of-fold predictions (measured compounds and "
                "the folds' putative inactives), tested on this fold",
    }}
    if problem.task == "classification":
        out["calibration"] = {
            "method": "Platt scaling fitted on out-of-fold scores" if config.calibrate else "none",
            "held_out_check": {k: v for k, v in summary.items() if k.startswith("brier")},
        }
        if held_out["y"]:
            y, raw, calibrated = (np.concatenate(held_out[k]) for k in ("y", "raw", "calibrated"))
            out["calibration"]["reliability"] = {"uncalibrated": reliability_table(y, raw),
                                                 "calibrated": reliability_table(y, calibrated),
                                                 "note": "held-out folds, each calibrated on the other folds"}
            out["calibration"]["prior_correction"] = prior_correction_note(float(np.mean(y)), config.library_base_rate)
    return out


def reliability_table(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> list[dict]:
    """Per probability bin: mean predicted, observed active rate, count (a reliability diagram as data)."""
    edges = np.linspace(0, 1, n_bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = which == b
        if mask.any():
            rows.append({"bin": [round(float(edges[b]), 2), round(float(edges[b + 1]), 2)],
                         "mean_predicted": round(float(p[mask].mean()), 4),
                         "observed": round(float(y[mask].mean()), 4), "n": int(mask.sum())})
    return rows


def prior_correction_note(training_rate: float, base_rate: float) -> dict:
    """What the prior correction to a library base rate does to this model's probabilities."""
    return {"training_active_rate": round(training_rate, 4), "library_base_rate": base_rate,
            "p_0_5_becomes": round(float(prior_correct(0.5, training_rate, base_rate)), 4),
            "p_0_9_becomes": round(float(prior_correct(0.9, training_rate, base_rate)), 4),
            "method": "Bayes odds correction of the calibrated p_active from the calibration mix's active rate to "
                      "the library base rate (ConformalModel.p_active_at_base_rate); scoring applies it at the "
                      "run's base rate (score --base-rate, the profile's base_rate), so a scored p_active is this"}


def measured_nn_similarity(problem: Problem) -> np.ndarray:
    """Test-to-train nearest-neighbour Tanimoto of measured test compounds to measured training ones."""
    from .problem import Fold

    measured_folds = [Fold(f.train[problem.measured[f.train]], f.test[problem.measured[f.test]])
                      for f in problem.folds]
    return nearest_train_similarity(problem.ad_fps, [(f.train, f.test) for f in measured_folds])


def difficulty(problem: Problem) -> tuple[dict, np.ndarray]:
    """:func:`~screenkit.model.split.split_difficulty` of the problem's folds and the raw similarities."""
    nn = measured_nn_similarity(problem)
    return split_difficulty(nn), nn


def error_by_similarity(problem: Problem, predictions: list[FoldPrediction], baseline: list[FoldPrediction],
                        level: float = 0.7) -> dict:
    """SAR ROC-AUC of model and baseline by test-to-train similarity, and where the model reaches ``level``.

    Measured test compounds of all folds are pooled and binned by quartile of their
    nearest-neighbour similarity to the fold's training compounds. ``threshold_by_error`` is
    the lowest similarity s such that compounds with similarity >= s reach SAR ROC-AUC
    ``level`` (None if none do): an applicability domain defined by measured error,
    comparable across models.
    """
    from sklearn.metrics import roc_auc_score

    if problem.task != "classification":
        return {}
    nn = measured_nn_similarity(problem)
    masks = [problem.measured[pred.rows] for pred in predictions]
    y = np.concatenate([problem.y[pred.rows][m] for pred, m in zip(predictions, masks)])
    s = np.concatenate([pred.score[m] for pred, m in zip(predictions, masks)])
    b = np.concatenate([base.score[m] for base, m in zip(baseline, masks)])

    def auc(mask, score):
        return round(float(roc_auc_score(y[mask], score[mask])), 4) if len(np.unique(y[mask])) == 2 else None

    edges = np.quantile(nn, [0, 0.25, 0.5, 0.75, 1.0])
    bins = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (nn >= lo) & ((nn < hi) | (hi == edges[-1]))
        bins.append({"similarity": [round(float(lo), 3), round(float(hi), 3)], "n": int(mask.sum()),
                     "model_roc_auc": auc(mask, s), "baseline_roc_auc": auc(mask, b)})
    threshold = None
    for edge in np.quantile(nn, np.linspace(0, 0.9, 10)):
        mask = nn >= edge
        value = auc(mask, s)
        if value is not None and value >= level and mask.sum() >= 20:
            threshold = round(float(edge), 4)
            break
    return {"bins": bins, "level": level, "threshold_by_error": threshold,
            "rule": f"lowest test-to-train similarity above which pooled SAR ROC-AUC >= {level} (at least 20 "
                    "compounds); None: the model does not reach it at any similarity"}


def validate(problem: Problem, X: np.ndarray, build, config) -> tuple[dict, list]:
    """Model and baseline on the same folds, subsets, paired test and y-randomisation."""
    preds = cross_validate(problem, X, build)
    baseline = baseline_predictions(problem)
    model_folds = per_fold_subset_metrics(problem, preds)
    baseline_folds = per_fold_subset_metrics(problem, baseline)
    comparison = compare_with_baseline(model_folds, baseline_folds)
    by_subset = subset_metrics(model_folds)
    real = by_subset["sar"]["roc_auc"]["mean"] if problem.task == "classification" else None
    if problem.task == "regression":
        real = headline_metrics(problem, preds)["r2"]["mean"]
    split_difficulty, _ = difficulty(problem)
    out = {
        "split": problem.split_text,
        "split_name": problem.split_name,
        "split_difficulty": split_difficulty,
        "metrics_scope": ("SAR subset: measured test compounds only (putative inactives excluded)"
                          if problem.task == "classification" else "measured exact values of the test folds"),
        "metrics": headline_metrics(problem, preds),
        "metrics_by_subset": by_subset,
        "baseline": {"method": BASELINE_METHOD, "metrics_by_subset": subset_metrics(baseline_folds), **comparison},
        "y_randomisation": y_randomisation(problem, X, build, config.y_randomisation_permutations,
                                           config.seed + 7, real),
        "error_by_similarity": error_by_similarity(problem, preds, baseline),
    }
    return out, preds


def temporal_check(rows, threshold: float, pool_smiles, pool_fps, config, featurizer: dict,
                   estimator: dict) -> dict:
    """SAR metrics of model and baseline on a forward-in-time split, where document years exist."""
    years = pd.to_numeric(rows.get("document_year", pd.Series(index=rows.index, dtype=float)), errors="coerce")
    if config.split == "temporal":
        return {"available": True, "why": "the main split above is temporal"}
    if years.notna().mean() < 0.5 or years.nunique() < config.n_folds + 1:
        return {"available": False,
                "why": f"no usable document_year ({int(years.notna().sum())} of {len(rows)} rows have one); "
                       "data fetched from ChEMBL carry it, the MoleculeACE-derived bundled data do not"}
    from ..errors import UsageError

    temporal = dataclasses.replace(config, split="temporal", y_randomisation_permutations=0)
    try:
        problem, _ = build_problem(rows, threshold, pool_smiles, pool_fps, temporal)
    except UsageError as exc:
        return {"available": False, "why": str(exc)}
    X = problem.features(featurizer, config.n_jobs)
    preds = cross_validate(problem, X, estimator_factory(featurizer, estimator, problem.task, config))
    model_folds = per_fold_subset_metrics(problem, preds)
    baseline_folds = per_fold_subset_metrics(problem, baseline_predictions(problem))
    model, base = subset_metrics(model_folds), subset_metrics(baseline_folds)
    diff, _ = difficulty(problem)
    m, b = model["sar"]["roc_auc"]["mean"], base["sar"]["roc_auc"]["mean"]
    return {"available": True, "split": problem.split_text, "split_difficulty": diff, "metrics_by_subset": model,
            "baseline_metrics_by_subset": base,
            "summary": f"{problem.split_text}: SAR ROC-AUC {m if m is None else round(m, 3)} vs similarity "
                       f"baseline {b if b is None else round(b, 3)} (median test-to-train similarity "
                       f"{diff['median']})"}
