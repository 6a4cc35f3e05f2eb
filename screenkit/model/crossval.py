"""Cross-validation on a :class:`~screenkit.model.problem.Problem`: out-of-fold scores of the
model and of the similarity baseline, ranking metrics on three subsets, and the paired test.

The baseline is max Tanimoto to the fold's measured training actives: what a chemist gets
from a similarity search, for free. Both are scored on the same folds.

Subsets (classification):

* ``sar``: measured actives vs measured inactives of the test fold (the headline: can the
  model rank chemistry that was really measured?);
* ``library``: measured actives vs the test fold's putative inactives;
* ``mixed``: all test rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..chem.featurize import make_featurizer
from ..chem.similarity import tanimoto_max
from .estimators import make_estimator, positive_score
from .metrics import bedroc, classification_metrics, regression_metrics, summarise
from .problem import Problem

__all__ = ["FoldPrediction", "estimator_factory", "cross_validate", "baseline_predictions", "subset_rows",
           "per_fold_subset_metrics", "subset_metrics", "headline_metrics", "compare_with_baseline",
           "SUBSET_METRICS", "BASELINE_METHOD"]

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
