#!/usr/bin/env python
"""Regression or classification for the bundled activity models? Measured on their own folds.

Every bundled activity model is a random-forest classifier (active if pActivity >= the
card's threshold) trained on measured compounds plus fold-clean putative inactives (ZINC
decoys). Issue 13 asks for regression on pChEMBL "where it validates better". For every
bundled activity model (BBB_B3DB is not one) the script rebuilds the card's training
problem exactly as ``scripts/model_search.py`` does (same 5 cluster folds, same decoys) and
scores, per fold, on the test fold:

* the shipped classifier (the card's featurizer and estimator, screenkit's own
  :func:`~screenkit.model.crossval.cross_validate`), and the similarity baseline (max
  Tanimoto to the fold's training actives);
* two regressors fitted on the training fold's *measured* compounds with *exact* pActivity
  only (censored ``<``/``>`` records dropped, as ``screenkit train --task regression`` does by
  default; no putative inactives), scoring by predicted pActivity:
  screenkit's regression default (the card's settings with ``task="regression"``: Morgan r2
  2048 bits + random forest) and the regression search's winner family
  (Tanimoto-kernel SVR on Morgan counts, C=5, from ``auto_candidates("regression")``).

Two figures per fold, both ROC-AUC against the classification labels of the test fold:

* ``sar``: measured actives vs measured inactives (the cards' headline);
* ``screen``: measured actives vs measured inactives *and* the fold's putative inactives
  (screenkit's ``mixed`` subset): a library screen, where the regressor has never seen a
  decoy and the classifier has.

Verdict per regressor, the model search's rule plus one condition: switch to regression
only if the paired gain in SAR ROC-AUC over the shipped classifier exceeds 1 fold-sd of the
shipped model's SAR ROC-AUC AND the paired one-sided t-test over the folds gives p < 0.05,
AND its mean screening ROC-AUC is not below the classifier's.

The shipped classifier's figures are checked against the card (mean and sd of the SAR and
mixed ROC-AUC) and, where it exists, the per-fold figures in ``docs/model_search/<model>.json``.

    PYTHONPATH=. nice -n 15 python scripts/regression_vs_classification.py --n-jobs 1 \\
        --out docs/regression_vs_classification

``--targets HRH3_Ki,JAK1_Ki`` runs some models and keeps the others' saved figures
(``results.json``); ``--summarise-only`` rewrites the tables from ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from model_search import DATASETS, problem_of, retrain_rule, shipped_candidate  # noqa: E402

from screenkit.model.crossval import (  # noqa: E402
    FoldPrediction,
    baseline_predictions,
    cross_validate,
    estimator_factory,
    per_fold_subset_metrics,
)
from screenkit.model.problem import Problem, regression_rows  # noqa: E402
from screenkit.model.search import auto_candidates, describe, paired_gain, thread_limit  # noqa: E402
from screenkit.model.trainconfig import TrainConfig  # noqa: E402

SVR_WINNER = ({"name": "morgan", "params": {"radius": 2, "fp_size": 2048, "counts": True}},
              {"name": "svm_tanimoto", "params": {"C": 5.0, "epsilon": 0.1}})
FIGURES = {"sar": "sar", "screen": "mixed"}  # our name -> screenkit's subset


def problem_with_rows(card: dict, n_jobs: int) -> tuple[Problem, TrainConfig, pd.DataFrame]:
    """``model_search.problem_of``: the card's problem as ``screenkit train`` built it, its config and the measured
    rows (their ``pactivity`` and ``relation`` are what the regressors learn from)."""
    return problem_of(card, n_jobs)


def regressors(config: TrainConfig) -> dict[str, tuple[dict, dict]]:
    """The two regressors: screenkit's default for these settings and the regression search's winner family."""
    as_regression = replace(config, task="regression")
    default = (as_regression.featurizer_choice(), as_regression.estimator_choice())
    svr = [c for c in auto_candidates("regression", config.n_estimators) if describe(*c) == describe(*SVR_WINNER)]
    if not svr:
        raise SystemExit(f"{describe(*SVR_WINNER)} is no longer among auto_candidates('regression')")
    return {"regression default": default, "regression SVR": svr[0]}


def regression_targets(problem: Problem, rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """pActivity of every problem row (NaN for decoys) and which rows a regression may train on.

    Trainable: measured rows with an exact value (screenkit's ``exclude`` policy for censored
    records); never a putative inactive.
    """
    n = problem.n_measured
    exact = regression_rows(rows, "bound")[0]["exact"].to_numpy(bool)  # the "bound" policy keeps every row
    value = np.full(len(problem.smiles), np.nan)
    value[:n] = rows["pactivity"].to_numpy(float)
    trainable = np.zeros(len(problem.smiles), bool)
    trainable[:n] = exact
    return value, trainable


def regression_predictions(problem: Problem, X: np.ndarray, build, value: np.ndarray, trainable: np.ndarray,
                           folds=None) -> list[FoldPrediction]:
    """Predicted pActivity of each fold's test rows (measured and decoys), fitted on the fold's exact training rows."""
    out = []
    for fold in problem.folds if folds is None else folds:
        train = fold.train[trainable[fold.train]]
        model = build().fit(X[train], value[train])
        out.append(FoldPrediction(fold.test, np.asarray(model.predict(X[fold.test]), float)))
    return out


def fold_figures(problem: Problem, preds: list[FoldPrediction]) -> dict[str, list[float]]:
    """Per-fold ROC-AUC on the SAR and screening subsets, by screenkit's own subset metrics."""
    per_fold = per_fold_subset_metrics(problem, preds)
    return {ours: [float(f["roc_auc"]) for f in per_fold[theirs]] for ours, theirs in FIGURES.items()}


def fold_rmse(problem: Problem, preds: list[FoldPrediction], value: np.ndarray, trainable: np.ndarray) -> list[float]:
    """RMSE on each test fold's exact measured values (context: how well pActivity itself is predicted)."""
    return [float(np.sqrt(np.mean((value[p.rows][trainable[p.rows]] - p.score[trainable[p.rows]]) ** 2)))
            for p in preds]


def evaluate(card: dict, n_jobs: int, folds=None, problem_rows=None) -> dict:
    """Every method's per-fold figures on the card's problem, the paired comparisons and the verdicts.

    ``problem_rows`` (``problem, config, rows`` as :func:`problem_with_rows` returns) replaces the
    card's own problem, e.g. a small one in a test; then nothing is checked against the card.
    """
    t0 = time.perf_counter()
    problem, config, rows = problem_rows or problem_with_rows(card, n_jobs)
    folds = list(problem.folds if folds is None else folds)
    value, trainable = regression_targets(problem, rows)
    print(f"  problem: {problem.n_measured} measured ({int(trainable.sum())} exact), {len(problem.smiles)} rows, "
          f"{len(folds)} folds ({time.perf_counter() - t0:.0f} s)", flush=True)
    methods: dict[str, dict] = {}
    base = [b for b, f in zip(baseline_predictions(problem), problem.folds) if any(f is g for g in folds)]
    methods["similarity"] = {"label": "max Tanimoto to the fold's training actives", **fold_figures(problem, base)}
    with thread_limit(n_jobs):
        featurizer, estimator = shipped_candidate(card)
        t = time.perf_counter()
        X = problem.features(featurizer, n_jobs)
        preds = cross_validate(problem, X, estimator_factory(featurizer, estimator, "classification", config),
                               folds=folds)
        methods["shipped classifier"] = {"label": describe(featurizer, estimator), **fold_figures(problem, preds),
                                         "seconds": round(time.perf_counter() - t, 1)}
        print(f"  shipped classifier {describe(featurizer, estimator)}: {time.perf_counter() - t:.0f} s", flush=True)
        reg_config = replace(config, task="regression")
        for name, (featurizer, estimator) in regressors(config).items():
            t = time.perf_counter()
            X = problem.features(featurizer, n_jobs)
            build = estimator_factory(featurizer, estimator, "regression", reg_config)
            preds = regression_predictions(problem, X, build, value, trainable, folds)
            methods[name] = {"label": describe(featurizer, estimator), **fold_figures(problem, preds),
                             "rmse": fold_rmse(problem, preds, value, trainable),
                             "seconds": round(time.perf_counter() - t, 1)}
            print(f"  {name} {describe(featurizer, estimator)}: {time.perf_counter() - t:.0f} s", flush=True)
    shipped = methods["shipped classifier"]
    for m in methods.values():
        m["sar_mean"], m["sar_sd"] = mean_sd(m["sar"])
        m["screen_mean"], m["screen_sd"] = mean_sd(m["screen"])
    for name, m in methods.items():
        if name == "shipped classifier":
            continue
        ok, gain = retrain_rule({"folds": {"roc_auc": shipped["sar"]}, "roc_auc_sd": shipped["sar_sd"]},
                                {"folds": {"roc_auc": m["sar"]}})
        screen_gain = paired_gain(m["screen"], shipped["screen"])
        m["sar_gain"], m["screen_gain"] = gain, screen_gain
        if name.startswith("regression"):
            not_worse = screen_gain["mean"] is not None and screen_gain["mean"] >= 0
            m["switch"] = bool(ok and not_worse)
            m["verdict"] = verdict(ok, not_worse, gain, shipped["sar_sd"])
    return {"model": card["name"], "n_measured": problem.n_measured, "n_exact": int(trainable.sum()),
            "n_rows": len(problem.smiles), "n_folds": len(folds), "threshold": float(card["label"]["threshold"]),
            "methods": methods, "card_check": card_check(card, shipped) if problem_rows is None else {},
            "seconds": round(time.perf_counter() - t0, 1)}


def mean_sd(values: list[float]) -> tuple[float | None, float | None]:
    v = np.array([x for x in values if x is not None and not np.isnan(x)], float)
    if not len(v):
        return None, None
    return round(float(v.mean()), 4), round(float(v.std(ddof=1)) if len(v) > 1 else 0.0, 4)


def verdict(sar_ok: bool, screen_not_worse: bool, gain: dict, shipped_sd: float) -> str:
    if sar_ok and screen_not_worse:
        return "**switch to regression**"
    if sar_ok:
        return "keep classifier (SAR gain passes, screening worse)"
    if gain["mean"] is None:
        return "keep classifier (too few folds)"
    if gain["mean"] <= 0:
        return "keep classifier (SAR: no gain)"
    if gain["mean"] <= shipped_sd:
        return f"keep classifier (SAR gain below 1 fold-sd {shipped_sd:.3f})"
    return f"keep classifier (SAR gain p = {gain['p_value']:.2g})"


def card_check(card: dict, shipped: dict) -> dict:
    """The shipped classifier's figures beside the card's and docs/model_search's: equal to the 4th decimal."""
    sar = card["validation"]["metrics_by_subset"]["sar"]["roc_auc"]
    mixed = card["validation"]["metrics_by_subset"]["mixed"]["roc_auc"]
    check = {"card_sar": [sar["mean"], sar["sd"]], "card_screen": [mixed["mean"], mixed["sd"]]}
    check["card_equal"] = ([shipped["sar_mean"], shipped["sar_sd"], shipped["screen_mean"], shipped["screen_sd"]]
                           == [*check["card_sar"], *check["card_screen"]])
    saved = ROOT / "docs" / "model_search" / f"{card['name']}.json"
    if saved.is_file():
        records = json.loads(saved.read_text())
        records = records["records"] if isinstance(records, dict) else records
        check["model_search_folds"] = records[0]["folds"]["roc_auc"]
        check["model_search_equal"] = [round(x, 4) for x in shipped["sar"]] == check["model_search_folds"]
    return check


METHOD_ORDER = ("shipped classifier", "similarity", "regression default", "regression SVR")


def table_rows(results: list[dict]) -> pd.DataFrame:
    rows = []
    for r in results:
        for name in METHOD_ORDER:
            m = r["methods"][name]
            g, s = m.get("sar_gain", {}), m.get("screen_gain", {})
            rows.append({"model": r["model"], "method": name, "configuration": m["label"],
                         "sar_roc_auc": m["sar_mean"], "sar_roc_auc_sd": m["sar_sd"],
                         "screen_roc_auc": m["screen_mean"], "screen_roc_auc_sd": m["screen_sd"],
                         "sar_gain": g.get("mean"), "sar_gain_sd": g.get("sd"), "sar_gain_p": g.get("p_value"),
                         "screen_gain": s.get("mean"), "screen_gain_sd": s.get("sd"),
                         "screen_gain_p": s.get("p_value"),
                         "rmse": mean_sd(m["rmse"])[0] if "rmse" in m else None,
                         "switch": m.get("switch"), "verdict": m.get("verdict", ""),
                         "sar_folds": json.dumps([round(x, 4) for x in m["sar"]]),
                         "screen_folds": json.dumps([round(x, 4) for x in m["screen"]]),
                         "n_measured": r["n_measured"], "n_exact": r["n_exact"], "seconds": m.get("seconds")})
    return pd.DataFrame(rows)


def markdown(results: list[dict]) -> str:
    def ms(mean, sd):
        return "" if mean is None else f"{mean:.3f} ± {sd:.3f}"

    def gain(g):
        return "" if not g or g.get("mean") is None else f"{g['mean']:+.3f} ({g['p_value']:.2g})"

    lines = ["# Regression or classification for the bundled activity models", "",
             "Measured by `scripts/regression_vs_classification.py` on each model's own 5 cluster folds (the card's "
             "split, its putative inactives chosen per fold). **SAR**: ROC-AUC of the test fold's measured actives vs "
             "its measured inactives. **Screen**: measured actives vs measured inactives plus the fold's putative "
             "inactives (ZINC lead-like decoys; screenkit's `mixed` subset). Regressors train on the training fold's "
             "measured compounds with exact pActivity only (censored records dropped, no decoys) and rank by "
             "predicted pActivity. Gains are paired over folds against the shipped classifier (one-sided t-test "
             "p). Rule: switch only if the SAR gain exceeds 1 fold-sd of the shipped SAR ROC-AUC and p < 0.05, and "
             "the mean screening gain is not negative.", ""]
    lines += summary_lines(results) + ["", findings(results)]
    for r in results:
        shipped = r["methods"]["shipped classifier"]
        lines += ["", f"## {r['model']}", "",
                  f"{r['n_measured']} measured compounds ({r['n_exact']} with exact values), active at pActivity >= "
                  f"{r['threshold']:g}; {r['n_rows']} rows with the putative inactives; {r['seconds']:.0f} s.", "",
                  "| method | configuration | SAR ROC-AUC | screen ROC-AUC | SAR gain (p) | screen gain (p) | "
                  "test RMSE | verdict |", "|---|---|---:|---:|---:|---:|---:|---|"]
        for name in METHOD_ORDER:
            m = r["methods"][name]
            rmse = mean_sd(m["rmse"])[0] if "rmse" in m else None
            lines.append(f"| {name} | {m['label']} | {ms(m['sar_mean'], m['sar_sd'])} | "
                         f"{ms(m['screen_mean'], m['screen_sd'])} | {gain(m.get('sar_gain'))} | "
                         f"{gain(m.get('screen_gain'))} | {'' if rmse is None else f'{rmse:.3f}'} | "
                         f"{m.get('verdict', '')} |")
        c = r["card_check"]
        lines += [] if not c else ["", f"Shipped classifier per fold (SAR): {[round(x, 4) for x in shipped['sar']]}; the card says "
                      f"{c['card_sar'][0]:.4f} ± {c['card_sar'][1]:.4f} (screen {c['card_screen'][0]:.4f} ± "
                      f"{c['card_screen'][1]:.4f}): {'equal' if c.get('card_equal') else 'NOT EQUAL'}"
                  + (f"; docs/model_search per fold {c['model_search_folds']}: "
                     f"{'equal' if c['model_search_equal'] else 'NOT EQUAL'}" if "model_search_folds" in c else "")
                  + "."]
    return "\n".join(lines) + "\n"


def summary_lines(results: list[dict]) -> list[str]:
    lines = ["| model | shipped: SAR | similarity: SAR | reg. default: SAR | reg. SVR: SAR | shipped: screen | "
             "reg. default: screen | reg. SVR: screen | SVR SAR gain (p) | SVR screen gain (p) | verdict |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        m = r["methods"]
        svr = m["regression SVR"]
        switched = [n for n in ("regression default", "regression SVR") if m[n].get("switch")]
        lines.append(
            f"| {r['model']} | {m['shipped classifier']['sar_mean']:.3f} ± {m['shipped classifier']['sar_sd']:.3f} | "
            f"{m['similarity']['sar_mean']:.3f} | {m['regression default']['sar_mean']:.3f} | "
            f"{svr['sar_mean']:.3f} ± {svr['sar_sd']:.3f} | {m['shipped classifier']['screen_mean']:.3f} | "
            f"{m['regression default']['screen_mean']:.3f} | {svr['screen_mean']:.3f} | "
            f"{svr['sar_gain']['mean']:+.3f} ({svr['sar_gain']['p_value']:.2g}) | "
            f"{svr['screen_gain']['mean']:+.3f} ({svr['screen_gain']['p_value']:.2g}) | "
            + ("**switch: " + ", ".join(switched) + "**" if switched else "keep classifier") + " |")
    return lines


def findings(results: list[dict]) -> str:
    """What the table shows, in words, counted from the figures (so a rerun keeps it true)."""
    def names(models):
        return f" ({', '.join(models)})" if models else ""

    n = len(results)
    switched = [r["model"] for r in results
                if any(r["methods"][k].get("switch") for k in ("regression default", "regression SVR"))]
    pairs = [(r, r["methods"]["regression SVR"]) for r in results]
    sar_up = [r["model"] for r, m in pairs if m["sar_gain"]["mean"] > 0]
    sar_sig = [r["model"] for r, m in pairs if m["sar_gain"]["mean"] > 0 and m["sar_gain"]["p_value"] < 0.05]
    sar_big = [r["model"] for r, m in pairs if m["sar_gain"]["mean"] > r["methods"]["shipped classifier"]["sar_sd"]]
    screen_up = [r["model"] for r, m in pairs if m["screen_gain"]["mean"] > 0]
    lift = {k: np.mean([r["methods"][k]["screen_mean"] - r["methods"][k]["sar_mean"] for r in results])
            for k in ("shipped classifier", "regression SVR")}
    worst = min((r["methods"]["regression default"]["screen_mean"], r["model"]) for r in results)
    censored = [f"{r['model']}: {r['n_measured'] - r['n_exact']} of {r['n_measured']}, SVR SAR gain "
                f"{r['methods']['regression SVR']['sar_gain']['mean']:+.3f}" for r in results
                if r["n_exact"] < r["n_measured"]]
    text = (f"**What it shows.** {len(switched)} of {n} models pass the switch rule{names(switched)}. "
            f"The Tanimoto SVR regressor ranks the measured compounds of new clusters better than the shipped "
            f"classifier on {len(sar_up)} of {n} models (mean SAR gain "
            f"{np.mean([m['sar_gain']['mean'] for _, m in pairs]):+.3f}), but the gains are small against the "
            f"fold-to-fold spread: p < 0.05 on {len(sar_sig)}{names(sar_sig)}, more than 1 fold-sd of the shipped "
            f"model on {len(sar_big)}{names(sar_big)}. In a screen (the fold's putative inactives added to its "
            f"measured inactives) it is better on {len(screen_up)} of {n}{names(screen_up)} (mean gain over models "
            f"{np.mean([m['screen_gain']['mean'] for _, m in pairs]):+.3f}). Adding the decoys lifts the "
            f"classifier's ROC-AUC by {lift['shipped classifier']:+.3f} on average and the regressor's by "
            f"{lift['regression SVR']:+.3f}: trained on measured compounds only, the regressor has never seen the "
            f"lead-like chemistry that fills a library, and ranks some of it above actives that the classifier, "
            f"trained with decoys, puts below them. screenkit's regression default (random forest on bits) is "
            f"worse still in a screen, down to {worst[0]:.3f} on {worst[1]}.")
    if censored:
        text += (" The regressors also lose the censored records (screenkit's default `exclude` policy), which the "
                 "classifier keeps where they decide the label: " + "; ".join(censored) + ".")
    return text + (" So by this rule the shipped classifiers stay; regression is at best a slightly better ranker "
                   "among measured compounds, not a better library screen." if not switched else "")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=str(ROOT / "models"), help="bundled model folder (cards)")
    parser.add_argument("--targets", help="comma-separated model names (default: every activity model)")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "docs" / "regression_vs_classification"))
    parser.add_argument("--summarise-only", action="store_true", help="rewrite the tables from results.json")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    saved_path = out / "results.json"
    saved = {r["model"]: r for r in json.loads(saved_path.read_text())} if saved_path.is_file() else {}
    cards = [json.loads(p.read_text()) for p in sorted(Path(args.models).glob("*.card.json"))]
    cards = [c for c in cards if c["task"] == "classification" and c["data"].get("dataset") in DATASETS]
    if args.targets:
        wanted = args.targets.split(",")
        cards = [c for c in cards if c["name"] in wanted]
    for card in [] if args.summarise_only else cards:
        print(f"{card['name']}:", flush=True)
        result = evaluate(card, args.n_jobs)
        saved[card["name"]] = result
        m = result["methods"]
        print(f"  SAR: classifier {m['shipped classifier']['sar_mean']}, similarity {m['similarity']['sar_mean']}, "
              f"regression default {m['regression default']['sar_mean']}, SVR {m['regression SVR']['sar_mean']}; "
              f"screen: classifier {m['shipped classifier']['screen_mean']}, SVR {m['regression SVR']['screen_mean']}"
              f"; card check {result['card_check'].get('card_equal')}, model_search check "
              f"{result['card_check'].get('model_search_equal')}; {result['seconds']:.0f} s", flush=True)
        write(saved, saved_path, out)
    write(saved, saved_path, out)
    return 0


def write(saved: dict, saved_path: Path, out: Path) -> None:
    results = [saved[k] for k in sorted(saved)]
    saved_path.write_text(json.dumps(results, indent=1))
    table_rows(results).to_csv(out / "results.csv", index=False)
    (out / "results.md").write_text(markdown(results))


if __name__ == "__main__":
    raise SystemExit(main())
