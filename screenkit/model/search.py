"""``--auto``: search featurizer x estimator choices on the honest split, within a time budget.

Every candidate is cross-validated on the same folds of the problem's own split (the
cluster split by default) and judged on measured compounds of new clusters:

* classification: SAR ROC-AUC (measured actives vs measured inactives of the test fold)
  and its margin over the similarity baseline (max Tanimoto to the fold's training
  actives) on the same folds, with a paired one-sided t-test over folds; the mixed
  ROC-AUC (which the putative inactives make easy) plays no part;
* regression: RMSE on measured exact values.

After the single candidates, soft-voting ensembles of the best two and three are scored
from their members' out-of-fold predictions (exactly what the ensemble's own CV gives,
see :mod:`screenkit.model.ensemble`).

Time budget: each candidate's cost is estimated from its first fold; a candidate that
would end past ``budget * (1 + BUDGET_TOLERANCE)`` is stopped there, and none starts once
the budget is spent. So the search ends within ``budget * 1.1`` plus one fold (and one
featurization) of the last candidate started; the first candidate always finishes, so
there is a model. Native thread pools (BLAS, OpenMP: hist_gb) are capped at ``n_jobs``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .crossval import (
    FoldPrediction,
    baseline_predictions,
    compare_with_baseline,
    cross_validate,
    estimator_factory,
    per_fold_subset_metrics,
)
from .ensemble import ensemble_spec
from .problem import Problem

__all__ = ["auto_candidates", "auto_search", "search", "SearchResult", "thread_limit", "paired_gain",
           "BUDGET_TOLERANCE"]

BUDGET_TOLERANCE = 0.10


def thread_limit(n_jobs: int):
    """Cap BLAS and OpenMP pools at ``n_jobs`` (hist_gb's OpenMP used every core before); -1 or 0: no cap."""
    if n_jobs is None or n_jobs < 1:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=int(n_jobs))


def auto_candidates(task: str, n_estimators: int = 200) -> list[tuple[dict, dict]]:
    """``(featurizer, estimator)`` choices searched by ``--auto``; the first is screenkit's default.

    Featurizers: ECFP4 bits and counts, FCFP4, atom pairs, ECFP4 + RDKit 2D descriptors;
    estimators: random forest, extra trees, histogram gradient boosting, Tanimoto/MinMax
    SVM, Tanimoto kNN (ensembles of the best are added by :func:`search`).
    """
    ecfp = {"name": "morgan", "params": {"radius": 2, "fp_size": 2048}}
    ecfp_counts = {"name": "morgan", "params": {"radius": 2, "fp_size": 2048, "counts": True}}
    fcfp = {"name": "fcfp", "params": {"radius": 2, "fp_size": 2048}}
    ap = {"name": "atom_pair", "params": {"fp_size": 2048, "counts": True}}
    ecfp_desc = {"name": "concat", "params": {"parts": [ecfp, {"name": "descriptors", "params": {}}]}}
    forest = {"n_estimators": n_estimators, "min_samples_leaf": 1}
    if task == "classification":  # cheap and strong first, so a short budget still sees kernels and trees
        return [
            (ecfp, {"name": "rf", "params": forest}),
            (ecfp, {"name": "svm_tanimoto", "params": {"C": 1.0}}),
            (ecfp_counts, {"name": "svm_tanimoto", "params": {"C": 1.0}}),
            (ecfp, {"name": "knn", "params": {"n_neighbors": 5}}),
            (ecfp, {"name": "svm_tanimoto", "params": {"C": 10.0}}),
            (ecfp_counts, {"name": "rf", "params": forest}),
            (ecfp, {"name": "extra_trees", "params": forest}),
            (fcfp, {"name": "rf", "params": forest}),
            (ecfp_desc, {"name": "rf", "params": forest}),
            (ap, {"name": "rf", "params": forest}),
            (ecfp_counts, {"name": "hist_gb", "params": {"max_iter": 200}}),
            (ecfp, {"name": "rf", "params": {**forest, "min_samples_leaf": 3}}),
        ]
    return [
        (ecfp, {"name": "svm_tanimoto", "params": {"C": 5.0, "epsilon": 0.1}}),
        (ecfp_counts, {"name": "svm_tanimoto", "params": {"C": 5.0, "epsilon": 0.1}}),
        (ecfp, {"name": "svm_tanimoto", "params": {"C": 1.0, "epsilon": 0.1}}),
        (ecfp_counts, {"name": "svm_tanimoto", "params": {"C": 1.0, "epsilon": 0.1}}),
        (fcfp, {"name": "svm_tanimoto", "params": {"C": 5.0, "epsilon": 0.1}}),
        (ecfp, {"name": "knn", "params": {"n_neighbors": 5}}),
        (ecfp_counts, {"name": "rf", "params": forest}),
        (ecfp_counts, {"name": "hist_gb", "params": {"max_iter": 300}}),
        (ecfp, {"name": "extra_trees", "params": forest}),
        (ecfp_desc, {"name": "rf", "params": forest}),
        (ap, {"name": "rf", "params": forest}),
        (ecfp, {"name": "rf", "params": forest}),
    ]


def describe(featurizer: dict, estimator: dict) -> str:
    """Short label, e.g. ``morgan(counts)+rf`` or ``ensemble[morgan+rf + morgan+svm_tanimoto(C=1.0)]``."""
    if estimator["name"] == "soft_voting":
        return "ensemble[" + " + ".join(describe(m["featurizer"], m["estimator"])
                                        for m in estimator["params"]["members"]) + "]"
    name = featurizer["name"]
    if name == "concat":
        name = "+".join(p["name"] for p in featurizer["params"]["parts"])
    if featurizer["params"].get("counts"):
        name += "(counts)"
    extra = ",".join(f"{k}={v}" for k, v in estimator["params"].items() if k in ("C", "min_samples_leaf", "n_neighbors")
                     and not (k == "min_samples_leaf" and v == 1))
    return f"{name}+{estimator['name']}" + (f"({extra})" if extra else "")


@dataclass
class SearchResult:
    """Every candidate's record (JSON-able), the winner's specs and why it won."""

    candidates: list[dict]
    featurizer: dict
    estimator: dict
    reason: str
    exhausted: bool
    seconds: float
    predictions: dict = field(default_factory=dict, repr=False)  # label -> out-of-fold predictions
    not_run: list = field(default_factory=list)  # labels of candidates left out once the budget was spent


def _fold_values(problem: Problem, preds: list[FoldPrediction]) -> dict[str, list[float]]:
    if problem.task == "classification":
        folds = per_fold_subset_metrics(problem, preds)["sar"]
        return {m: [f[m] for f in folds] for m in ("roc_auc", "pr_auc", "bedroc_20")}
    rmse, r2 = [], []
    for pred in preds:
        mask = problem.measured[pred.rows] & problem.scored[pred.rows]
        y, s = problem.y[pred.rows][mask], pred.score[mask]
        rmse.append(float(np.sqrt(np.mean((y - s) ** 2))) if len(y) else np.nan)
        r2.append(float(1 - np.sum((y - s) ** 2) / np.sum((y - y.mean()) ** 2)) if len(y) > 1 else np.nan)
    return {"rmse": rmse, "r2": r2}


def _mean_sd(values) -> tuple[float | None, float | None]:
    v = np.array([x for x in values if x is not None and not np.isnan(x)], dtype=float)
    if not len(v):
        return None, None
    return round(float(v.mean()), 4), round(float(v.std(ddof=1)) if len(v) > 1 else 0.0, 4)


def paired_gain(a: list[float], b: list[float]) -> dict:
    """Mean and sd over folds of ``a - b`` and the one-sided paired t-test p-value (a > b)."""
    from scipy.stats import ttest_rel

    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    d = x[keep] - y[keep]
    if len(d) < 2:
        return {"mean": None, "sd": None, "p_value": None, "n_folds": int(len(d))}
    p = float(ttest_rel(x[keep], y[keep], alternative="greater").pvalue) if d.std() > 0 else \
        (0.0 if d.mean() > 0 else 1.0)
    return {"mean": round(float(d.mean()), 4), "sd": round(float(d.std(ddof=1)), 4), "p_value": round(p, 4),
            "n_folds": int(len(d))}


def _record(problem: Problem, label: str, featurizer: dict, estimator: dict, preds, baseline_folds,
            seconds: float, status: str) -> dict:
    values = _fold_values(problem, preds)
    record = {"label": label, "featurizer": featurizer, "estimator": estimator, "status": status,
              "seconds": round(seconds, 1), "n_folds": len(preds), "folds": {k: [None if np.isnan(x) else round(x, 4)
                                                                               for x in v] for k, v in values.items()}}
    for metric, v in values.items():
        record[metric], record[f"{metric}_sd"] = _mean_sd(v)
    if problem.task == "classification":
        model_folds = {"sar": [{"roc_auc": r, "pr_auc": p, "bedroc_20": e} for r, p, e in
                               zip(values["roc_auc"], values["pr_auc"], values["bedroc_20"])]}
        base = baseline_folds["sar"][:len(preds)]
        for metric in ("roc_auc", "bedroc_20"):
            test = compare_with_baseline(model_folds, {"sar": base}, metric=metric)["paired_test"]
            record[f"margin_{metric}"] = test["mean_difference"]
            record[f"margin_{metric}_p"] = test["p_value"]
    record["score"] = _selection_value(problem, record)
    return record


def _selection_value(problem: Problem, record: dict) -> float:
    if problem.task == "classification":
        return record["roc_auc"] if record["roc_auc"] is not None else -np.inf
    return -record["rmse"] if record["rmse"] is not None else -np.inf


@dataclass(frozen=True)
class _Budget:
    """The search's clock, when the search started, and its budget in seconds."""

    clock: Callable[[], float]
    started: float
    seconds: float

    @property
    def limit(self) -> float:
        """A candidate projected to end past this is stopped: the budget plus the tolerance."""
        return self.seconds * (1 + BUDGET_TOLERANCE)

    def spent(self) -> bool:
        return self.clock() - self.started >= self.seconds


def search(problem: Problem, candidates: list[tuple[dict, dict]], config, budget: float, folds=None,
           ensemble_sizes=(2, 3), clock=time.perf_counter) -> SearchResult:
    """Cross-validate ``candidates`` (and ensembles of the best) on the same folds within ``budget`` seconds."""
    timer = _Budget(clock, clock(), budget)
    folds = list(problem.folds if folds is None else folds)
    baseline_folds = _baseline_folds(problem, folds)
    records: list[dict] = []
    predictions: dict[str, list[FoldPrediction]] = {}
    exhausted = False
    not_run: list[str] = []
    with thread_limit(config.n_jobs):
        for i, (featurizer, estimator) in enumerate(candidates):
            label = describe(featurizer, estimator)
            if i > 0 and timer.spent():  # the first candidate always runs
                exhausted = True
                not_run.append(label)
                continue
            record, preds = _evaluate(problem, label, featurizer, estimator, folds, config, baseline_folds,
                                      i == 0, timer)
            records.append(record)
            if preds is None:
                exhausted = True
            else:
                predictions[label] = preds
    for record, preds in _ensembles(problem, records, predictions, baseline_folds, ensemble_sizes):
        records.append(record)
        predictions[record["label"]] = preds
    winner, reason = _choose(problem, records)
    return SearchResult(records, winner["featurizer"], winner["estimator"], reason, exhausted,
                        round(clock() - timer.started, 1), predictions, not_run)


def _baseline_folds(problem: Problem, folds: list) -> dict[str, list[dict]]:
    """Per-fold SAR metrics of the similarity baseline on the searched folds (classification only)."""
    baseline = baseline_predictions(problem)
    baseline = [b for b, f in zip(baseline, problem.folds) if any(f is g for g in folds)] or baseline[:len(folds)]
    return per_fold_subset_metrics(problem, baseline) if problem.task == "classification" else {}


def _evaluate(problem: Problem, label: str, featurizer: dict, estimator: dict, folds: list, config,
              baseline_folds: dict, first: bool, timer: _Budget) -> tuple[dict, list[FoldPrediction] | None]:
    """One candidate's record and out-of-fold predictions (None when the budget stopped it)."""
    t0 = timer.clock()
    X = problem.features(featurizer, config.n_jobs)
    build = estimator_factory(featurizer, estimator, problem.task, config)
    t_fit = timer.clock()
    preds, status, fold_seconds = _fold_by_fold(problem, X, build, folds, first, t_fit, timer)
    seconds = timer.clock() - t0
    timing = {"featurize_seconds": round(t_fit - t0, 2), "fold_seconds": fold_seconds}
    if status != "done":
        return {"label": label, "featurizer": featurizer, "estimator": estimator, "status": status,
                "seconds": round(seconds, 1), "score": None, **timing}, None
    return {**_record(problem, label, featurizer, estimator, preds, baseline_folds, seconds, status), **timing}, preds


def _fold_by_fold(problem: Problem, X: np.ndarray, build, folds: list, first: bool, t_fit: float,
                  timer: _Budget) -> tuple[list[FoldPrediction], str, list[float]]:
    """Out-of-fold predictions, a status and seconds per fold; a candidate other than the first is stopped
    after a fold once the mean fold time so far projects its end past the budget's limit."""
    preds: list[FoldPrediction] = []
    status, fold_seconds = "done", []
    for k, fold in enumerate(folds):
        t_fold = timer.clock()
        preds += cross_validate(problem, X, build, folds=[fold])
        now = timer.clock()
        fold_seconds.append(round(now - t_fold, 2))
        per_fold = (now - t_fit) / (k + 1)  # the cost estimate: mean fold time so far
        projected = now + per_fold * (len(folds) - k - 1) - timer.started
        if not first and k + 1 < len(folds) and projected > timer.limit:
            status = (f"stopped after {k + 1} fold(s): projected {projected:.0f} s > "
                      f"{timer.limit:.0f} s (budget + {BUDGET_TOLERANCE:.0%})")
            break
    return preds, status, fold_seconds


def _ensembles(problem: Problem, records: list[dict], predictions: dict[str, list[FoldPrediction]],
               baseline_folds: dict, ensemble_sizes) -> list[tuple[dict, list[FoldPrediction]]]:
    """Records and predictions of soft-voting ensembles of the best finished candidates, one per size,
    scored from the members' out-of-fold predictions (no refit)."""
    done = sorted([r for r in records if r["score"] is not None], key=lambda r: -r["score"])
    out = []
    for size in ensemble_sizes:
        if len(done) < size:
            continue
        members = done[:size]
        featurizer, estimator = ensemble_spec([(m["featurizer"], m["estimator"]) for m in members])
        member_preds = [predictions[m["label"]] for m in members]
        preds = [FoldPrediction(fold_preds[0].rows, np.mean([p.score for p in fold_preds], axis=0))
                 for fold_preds in zip(*member_preds)]
        label = describe(featurizer, estimator)
        record = _record(problem, label, featurizer, estimator, preds, baseline_folds, 0.0,
                         "done (from the members' out-of-fold scores)")
        record["seconds"] = round(sum(m["seconds"] for m in members), 1)
        out.append((record, preds))
    return out


def _choose(problem: Problem, records: list[dict]) -> tuple[dict, str]:
    """Best selection value; the default (first candidate) is kept unless a challenger beats it."""
    scored = [r for r in records if r["score"] is not None]
    best = max(scored, key=lambda r: r["score"])
    default = records[0]
    if problem.task == "classification":
        gain = paired_gain(best["folds"]["roc_auc"], default["folds"]["roc_auc"])
        figures = (f"mean SAR ROC-AUC {best['roc_auc']:.3f} ± {best['roc_auc_sd']:.3f}, margin over similarity "
                   f"search {best['margin_roc_auc']:+.3f} (p = {best['margin_roc_auc_p']})")
    else:  # gain = RMSE reduction over the default
        gain = paired_gain([-x for x in best["folds"]["rmse"]], [-x for x in default["folds"]["rmse"]])
        figures = f"mean RMSE {best['rmse']:.3f} ± {best['rmse_sd']:.3f}"
    if best is default:
        return best, f"{best['label']}: best of {len(scored)} evaluated ({figures})"
    what = "SAR ROC-AUC" if problem.task == "classification" else "RMSE reduction"
    return best, (f"{best['label']}: best of {len(scored)} evaluated ({figures}); vs the default "
                  f"{default['label']}: {what} {gain['mean']:+.3f} ± {gain['sd']} over folds (paired one-sided "
                  f"p = {gain['p_value']})")


def auto_search(problem: Problem, config, budget: float) -> tuple[dict, dict, dict]:
    """``--auto``: :func:`search` over :func:`auto_candidates` on the first ``auto_folds`` folds.

    Returns the winner's featurizer and estimator specs and the card's ``auto_search`` record.
    """
    folds = problem.folds[:max(2, config.auto_folds)]
    result = search(problem, auto_candidates(problem.task, config.n_estimators), config, budget, folds=folds)
    metric = "mean SAR ROC-AUC (measured actives vs measured inactives of new clusters)" \
        if problem.task == "classification" else "mean RMSE on measured values"
    return result.featurizer, result.estimator, {
        "candidates": result.candidates, "winner": describe(result.featurizer, result.estimator),
        "reason": result.reason, "budget_seconds": round(budget, 1), "search_seconds": result.seconds,
        "budget_exhausted": result.exhausted, "not_run": result.not_run,
        "budget_rule": f"a candidate is stopped after its first fold if it would end past the budget + "
                       f"{BUDGET_TOLERANCE:.0%}; none starts once the budget is spent; the first always finishes",
        "selection": f"{metric} over the first {len(folds)} folds of the {config.split} split"
                     + (", beside the similarity baseline on the same folds" if problem.task == "classification" else "")
                     + "; the validation below reuses those folds, so it is mildly optimistic for the chosen "
                       "configuration (selection bias)"}
