"""Evaluate trained models on an external test set of measurements.

The external file goes through the same reading, standardisation and aggregation as
training data (:func:`screenkit.curation.measurements.read_measurements`). Compounds that were
in a model's training set are counted and left out of its metrics, so the figures are
about new compounds; metrics are reported for all test compounds and for those inside
the model's applicability domain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..chem.similarity import AD_SPACE, tanimoto_max
from ..curation.measurements import read_measurements
from ..errors import UsageError
from .bundle import TargetModel, load_bundle
from .metrics import classification_metrics, regression_metrics
from .problem import decided_labels

__all__ = ["evaluate_models"]


def _round(metrics: dict) -> dict:
    return {k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else round(float(v), 4))
            for k, v in metrics.items()}


def _evaluate_one(model: TargetModel, table: pd.DataFrame, ad_fps: np.ndarray, mols: list) -> dict:
    threshold = model.card.label_threshold
    in_training = table["inchikey"].isin(set(model.train_inchikey)).to_numpy()
    keep = ~in_training
    sub, fps = table[keep], ad_fps[keep]
    out: dict[str, Any] = {"model": model.name, "task": model.card.task, "threshold": threshold,
           "n_compounds": int(len(table)), "n_in_training_excluded": int(in_training.sum())}
    if len(sub) == 0:
        return {**out, "n_evaluated": 0}
    ad = tanimoto_max(fps, model.train_fingerprints)
    in_domain = ad >= model.ad_threshold
    X = model.featurizer.transform([m for m, k in zip(mols, keep) if k])
    predictions = model.predict(X, difficulty=1.0 - ad)
    y, decided = decided_labels(sub, threshold)
    out.update(n_evaluated=int(len(sub)), n_active=int(y[decided].sum()), in_domain_fraction=round(float(in_domain.mean()), 4))
    p = predictions["p_active"]
    out["metrics"] = _round(classification_metrics(y[decided], p[decided]))
    small = small_sample_note(y[decided], p[decided])
    if small:
        out["small_sample"] = small
    out["metrics_in_domain"] = _round(classification_metrics(y[decided & in_domain], p[decided & in_domain])) \
        if (decided & in_domain).any() else {}
    confidence = None
    if "pactivity" in predictions:
        exact = (sub["relation"].fillna("=").replace("", "=") == "=").to_numpy()
        value = sub["pactivity"].to_numpy(float)
        out["metrics"].update(_round(regression_metrics(value[exact], predictions["pactivity"][exact])))
        if (exact & in_domain).sum() > 1:
            out["metrics_in_domain"].update(_round(regression_metrics(value[exact & in_domain],
                                                                      predictions["pactivity"][exact & in_domain])))
        if "pactivity_lower" in predictions:
            covered = (value >= predictions["pactivity_lower"]) & (value <= predictions["pactivity_upper"])
            out["conformal_coverage"] = round(float(covered[exact].mean()), 4) if exact.any() else None
            confidence = model.card.conformal_confidence
    elif "conformal_p_active" in predictions:
        confidence = model.card.conformal_confidence
        eps = 1 - confidence
        true_p = np.where(y == 1, predictions["conformal_p_active"], predictions["conformal_p_inactive"])
        out["conformal_coverage"] = round(float((true_p[decided] > eps).mean()), 4)
    if confidence is not None:
        out["conformal_confidence"] = confidence
    return out


SMALL_SAMPLE = 10  # fewer actives or inactives than this: the metrics are mostly chance


def small_sample_note(y: np.ndarray, score: np.ndarray) -> dict | None:
    """A warning for a test set with fewer than :data:`SMALL_SAMPLE` actives or inactives.

    It gives the chance that a random ranking scores at least the observed ROC-AUC: the
    one-sided Mann-Whitney p-value, exact for small untied samples. With one active and one
    inactive a ROC-AUC of 1.000 happens half the time.

    >>> small_sample_note(np.array([1, 0]), np.array([0.9, 0.1]))["p_random_at_least_this_roc_auc"]
    0.5
    """
    from scipy.stats import mannwhitneyu

    n_active, n_inactive = int(y.sum()), int(len(y) - y.sum())
    if min(n_active, n_inactive) >= SMALL_SAMPLE:
        return None
    note: dict[str, Any] = {"n_active": n_active, "n_inactive": n_inactive, "p_random_at_least_this_roc_auc": None}
    if n_active and n_inactive:
        test = mannwhitneyu(score[y == 1], score[y == 0], alternative="greater")
        note["p_random_at_least_this_roc_auc"] = round(float(test.pvalue), 4)
    chance = note["p_random_at_least_this_roc_auc"]
    note["message"] = (f"small sample: {n_active} active and {n_inactive} inactive compounds; "
                       + (f"a random ranking reaches this ROC-AUC or better with probability {chance:.2g}"
                          if chance is not None else "ROC-AUC is undefined with one class")
                       + f" (read the metrics as anecdote below {SMALL_SAMPLE} of each)")
    return note


def evaluate_models(models_dir: str | Path, data: str | Path, *, smiles_col: str | None, value_col: str,
                    units: str = "pactivity", relation_col: str | None = None,
                    names: list[str] | None = None) -> list[dict]:
    """Metrics of each model on an external test set.

    Parameters
    ----------
    models_dir : path
        A model folder (``screenkit train -o``; the bundled ``models``).
    data : path
        CSV/TSV, SDF or Parquet with structures and measured values.
    smiles_col, value_col, units, relation_col
        As for :func:`screenkit.curation.measurements.read_measurements`.
    names : list of str, optional
        Models to evaluate; required when the folder holds more than one, because one
        test set normally measures one target.

    Returns
    -------
    list of dict
        Per model: counts, in-domain fraction, classification metrics of ``p_active``
        against ``pActivity >= threshold`` (plus regression metrics for regression
        models), the same for in-domain compounds, and conformal coverage.
    """
    infos = load_bundle(models_dir, with_estimators=False)
    if names is None:
        if len(infos) > 1:
            raise UsageError(f"{models_dir} holds {len(infos)} models ({', '.join(i.name for i in infos)}); "
                             "pick the one(s) your test set measures with --model NAME")
        names = [infos[0].name]
    models = load_bundle(models_dir, names)
    measurements = read_measurements(data, smiles_col=smiles_col, value_col=value_col, units=units,
                                     relation_col=relation_col)
    table = measurements.table.reset_index(drop=True)
    from rdkit import Chem

    mols = [Chem.MolFromSmiles(s) for s in table["smiles"]]
    ad_fps = AD_SPACE.fingerprints(mols)
    results = []
    for model in models:
        result = _evaluate_one(model, table, ad_fps, mols)
        result["n_input_rows"] = measurements.n_input_rows
        result["n_rows_excluded"] = int(len(measurements.excluded))
        results.append(result)
    return results
