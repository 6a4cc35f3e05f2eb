"""Fit and validate one classifier per (target, activity type), and write model bundles.

Why classification: the bundled data are measured compounds only, mostly potent ones,
and a screening library is mostly inactive. A regressor trained on measured compounds
has never seen an inactive library compound and predicts mid-range pActivity for all of
them. A classifier trained on measured actives and inactives (at the panel's
family-aware threshold) plus *putative inactives* (lead-like compounds dissimilar to
every measured active, picked by sphere exclusion as PIDGIN does) learns to tell
the two apart, and its probability is what the ranking needs.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import rdBase
from rdkit.SimDivFilters import rdSimDivPickers
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import (average_precision_score, balanced_accuracy_score, matthews_corrcoef,
                             roc_auc_score)

from . import __version__
from .bundle import TargetModel, save_bundle
from .config import Panel, bundled_path
from .dataset import read_dataset, select_targets
from .errors import UsageError
from .featurize import bitvects_from_matrix, make_featurizer, tanimoto_max
from .split import murcko_scaffold, scaffold_kfold

__all__ = ["TrainConfig", "train_models", "card_markdown"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Every setting that shapes a model; written verbatim into each model card."""

    fp_radius: int = 2
    fp_size: int = 2048
    n_estimators: int = 200
    min_samples_leaf: int = 1
    putative_inactive_ratio: float = 1.0  # putative inactives per measured compound
    putative_inactive_max_similarity: float = 0.35  # to any measured active (ECFP4 Tanimoto)
    putative_inactive_sphere: float = 0.6  # sphere-exclusion radius (Tanimoto distance)
    n_folds: int = 5
    min_compounds: int = 50
    min_per_class: int = 10
    ad_quantile: float = 0.05
    seed: int = 0
    n_jobs: int = 1


def _hash_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _fingerprints(smiles, config: TrainConfig) -> np.ndarray:
    return make_featurizer("morgan", radius=config.fp_radius, fp_size=config.fp_size).transform(list(smiles))


def _holdout_filter(table: pd.DataFrame, holdout_path: Path | None) -> tuple[pd.DataFrame, int]:
    """Drop every compound that is a positive control or shares a control's scaffold."""
    if holdout_path is None:
        return table, 0
    holdout = pd.read_csv(holdout_path)
    if "inchikey" not in holdout.columns:
        raise UsageError(f"holdout file {holdout_path} needs an 'inchikey' column (and optionally 'scaffold')")
    scaffolds = set(holdout["scaffold"].dropna()) - {""} if "scaffold" in holdout.columns else set()
    table_scaffolds = table["smiles"].map(murcko_scaffold)
    drop = table["inchikey"].isin(set(holdout["inchikey"])) | table_scaffolds.isin(scaffolds)
    return table[~drop], int(drop.sum())


def _labels(rows: pd.DataFrame, threshold: float) -> tuple[pd.DataFrame, int]:
    """Binary labels; a censored value is kept only when it decides the label.

    ``relation`` is on the pActivity scale: ``<`` 5 means "weaker than 10 uM" and is a sure
    inactive at threshold 6; ``>`` 5 says nothing about a threshold of 6 and is dropped.
    """
    relation = rows["relation"].fillna("=").replace("", "=")
    exact = relation == "="
    sure_inactive = relation.isin(["<", "<="]) & (rows["pactivity"] <= threshold)
    sure_active = relation.isin([">", ">="]) & (rows["pactivity"] >= threshold)
    keep = exact | sure_inactive | sure_active
    rows = rows[keep].assign(active=lambda d: (d["pactivity"] >= threshold).astype(int))
    return rows, int((~keep).sum())


def _pick_putative_inactives(pool_fps: np.ndarray, active_fps: np.ndarray, n: int,
                             config: TrainConfig) -> np.ndarray:
    """Indices into the pool: far from every active, then diverse by sphere exclusion."""
    if n <= 0 or len(pool_fps) == 0:
        return np.array([], dtype=int)
    far = np.flatnonzero(tanimoto_max(pool_fps, active_fps) < config.putative_inactive_max_similarity)
    if len(far) == 0:
        return far
    rng = np.random.default_rng(config.seed)
    far = rng.permutation(far)  # LeaderPicker takes leaders in input order
    picker = rdSimDivPickers.LeaderPicker()
    picked = picker.LazyBitVectorPick(bitvects_from_matrix(pool_fps[far]), len(far),
                                      config.putative_inactive_sphere, min(n, len(far)))
    return np.sort(far[list(picked)])


def _probability_active(model, X: np.ndarray) -> np.ndarray:
    """P(active); a fold whose training part holds one class gets that class's certainty."""
    classes = list(model.classes_)
    if 1 not in classes:
        return np.zeros(len(X))
    return model.predict_proba(X)[:, classes.index(1)]


def _enrichment_factor(y_true: np.ndarray, score: np.ndarray, fraction: float = 0.01) -> float:
    n_top = max(1, int(round(len(score) * fraction)))
    top = np.argsort(-score, kind="stable")[:n_top]
    base = y_true.mean()
    return float(y_true[top].mean() / base) if base > 0 else float("nan")


def _fold_metrics(y: np.ndarray, p: np.ndarray, measured: np.ndarray) -> dict:
    metrics = {
        "roc_auc": roc_auc_score(y, p) if len(set(y)) == 2 else np.nan,
        "pr_auc": average_precision_score(y, p) if y.any() else np.nan,
        "mcc": matthews_corrcoef(y, p >= 0.5),
        "balanced_accuracy": balanced_accuracy_score(y, p >= 0.5),
        "ef_1pct": _enrichment_factor(y, p, 0.01),
    }
    ym, pm = y[measured], p[measured]
    metrics["roc_auc_measured_only"] = roc_auc_score(ym, pm) if len(set(ym)) == 2 else np.nan
    return metrics


def _summarise(per_fold: list[dict]) -> dict:
    out = {}
    for key in per_fold[0]:
        values = np.array([fold[key] for fold in per_fold], dtype=float)
        values = values[~np.isnan(values)]
        out[key] = {"mean": round(float(values.mean()), 4) if len(values) else None,
                    "sd": round(float(values.std(ddof=1)), 4) if len(values) > 1 else None,
                    "folds": len(values)}
    return out


def _new_forest(config: TrainConfig) -> RandomForestClassifier:
    return RandomForestClassifier(
        n_estimators=config.n_estimators, min_samples_leaf=config.min_samples_leaf, max_features="sqrt",
        class_weight="balanced_subsample", n_jobs=config.n_jobs, random_state=config.seed,
    )


def _train_one(name: str, target, activity_type: str, rows: pd.DataFrame, pool_smiles: np.ndarray,
               pool_fps: np.ndarray, config: TrainConfig, provenance: dict) -> TargetModel:
    started = time.perf_counter()
    threshold = target.active_threshold
    rows, n_censored_dropped = _labels(rows, threshold)
    fps = _fingerprints(rows["smiles"], config)
    y_measured = rows["active"].to_numpy()
    n_decoys = int(round(config.putative_inactive_ratio * len(rows)))
    decoy_idx = _pick_putative_inactives(pool_fps, fps[y_measured == 1], n_decoys, config)

    X = np.vstack([fps, pool_fps[decoy_idx]])
    y = np.concatenate([y_measured, np.zeros(len(decoy_idx), dtype=int)])
    measured = np.concatenate([np.ones(len(rows), bool), np.zeros(len(decoy_idx), bool)])
    all_smiles = np.concatenate([rows["smiles"].to_numpy(str), pool_smiles[decoy_idx]])
    scaffolds = np.array([murcko_scaffold(s) or f"acyclic:{i}" for i, s in enumerate(all_smiles)])
    _, groups = np.unique(scaffolds, return_inverse=True)

    per_fold, nn_similarity = [], []
    for train_idx, test_idx in scaffold_kfold(groups, n_splits=config.n_folds, seed=config.seed):
        model = _new_forest(config).fit(X[train_idx], y[train_idx])
        p = _probability_active(model, X[test_idx])
        per_fold.append(_fold_metrics(y[test_idx], p, measured[test_idx]))
        test_measured = test_idx[measured[test_idx]]
        train_measured = train_idx[measured[train_idx]]
        nn_similarity.append(tanimoto_max(X[test_measured], X[train_measured]))
    nn_similarity = np.concatenate(nn_similarity)
    ad_threshold = float(np.quantile(nn_similarity, config.ad_quantile))

    estimator = _new_forest(config).fit(X, y)
    estimator.n_jobs = 1
    card = {
        "name": name,
        "task": "classification",
        "target": {"chembl_id": target.chembl_id, "gene": target.gene, "name": target.name,
                   "uniprot": target.uniprot, "family": target.family, "category": target.category,
                   "modality": target.modality, "rationale": target.rationale, "reference": target.reference},
        "activity_type": activity_type,
        "label": {"rule": f"active if p{activity_type} >= {threshold}", "threshold": threshold,
                  "why": f"family-aware potency cut for {target.family} (IDG/Pharos)"},
        "data": {
            **provenance,
            "n_measured": int(len(rows)),
            "n_measured_active": int(y_measured.sum()),
            "n_measured_inactive": int(len(rows) - y_measured.sum()),
            "n_censored_dropped": n_censored_dropped,
            "n_putative_inactives": int(len(decoy_idx)),
            "n_scaffolds": int(len(set(scaffolds[measured]))),
        },
        "featurizer": {"name": "morgan", "params": {"radius": config.fp_radius, "fp_size": config.fp_size,
                                                    "counts": False}},
        "estimator": {"class": type(estimator).__name__,
                      "params": {k: v for k, v in estimator.get_params().items() if k != "n_jobs"}},
        "validation": {
            "split": f"Bemis-Murcko scaffold groups, {config.n_folds}-fold GroupKFold (seed {config.seed}); "
                     "putative inactives are grouped by their own scaffolds",
            "metrics": _summarise(per_fold),
            "note": "roc_auc, pr_auc, mcc, balanced_accuracy (at p=0.5) and ef_1pct are computed on measured "
                    "compounds plus putative inactives (a screening-like mix); roc_auc_measured_only ranks "
                    "measured actives against measured inactives (the harder SAR task).",
        },
        "applicability_domain": {
            "method": "max Tanimoto similarity (Morgan bits) to the measured training compounds",
            "threshold": round(ad_threshold, 4),
            "why": f"{config.ad_quantile:.0%} quantile of that similarity for the measured compounds of the "
                   "scaffold-CV test folds: the validation metrics describe queries at or above it",
        },
        "training_config": asdict(config),
        "versions": {"screenkit": __version__, "rdkit": rdBase.rdkitVersion,
                     "scikit-learn": __import__("sklearn").__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_seconds": round(time.perf_counter() - started, 1),
        "intended_use": (
            "Prioritising compounds for experimental testing against this target in leukodystrophy research "
            "(OECD QSAR principles: defined endpoint above, unambiguous algorithm, applicability domain, "
            f"scaffold-grouped validation; mechanism: {target.rationale}). The label is binding/potency, not "
            f"direction: the desired modality is '{target.modality}', which Ki data cannot confirm. "
            "Not for predictions far outside the applicability domain, nor as a substitute for assays."
        ),
    }
    return TargetModel(name, card, estimator, fps, rows["pactivity"].to_numpy(float),
                       rows["smiles"].to_numpy(str), rows["inchikey"].to_numpy(str))


def train_models(dataset: str | Path, output: str | Path, panel: Panel, *, targets: list[str] | None = None,
                 holdout: str | Path | None = None, pool: str | Path | None = None,
                 config: TrainConfig = TrainConfig(), progress=None) -> list[TargetModel]:
    """Train one model per (target, activity type) of a curated dataset and save the bundle.

    Parameters
    ----------
    dataset : path
        Curated activity table (see :mod:`screenkit.dataset`).
    output : path
        Model folder to write (models of other targets already there are kept).
    panel : Panel
        Supplies each target's threshold, family and rationale.
    targets : list of str, optional
        ChEMBL IDs or genes to train (default: all in the dataset).
    holdout : path, optional
        CSV of compounds (``inchikey``, ``scaffold``) to keep out of training entirely.
    pool : path, optional
        Putative-inactive pool (CSV with ``smiles``); default the bundled ZINC lead-like pool.

    Returns
    -------
    list of TargetModel
        The models written.
    """
    table = select_targets(read_dataset(dataset), targets)
    table, n_holdout = _holdout_filter(table, Path(holdout) if holdout else None)
    pool_path = Path(pool) if pool else bundled_path("data/putative_inactive_pool.csv.gz")
    pool_smiles = pd.read_csv(pool_path)["smiles"].to_numpy(str) if config.putative_inactive_ratio > 0 \
        else np.array([], dtype=str)
    pool_fps = _fingerprints(pool_smiles, config) if len(pool_smiles) else np.zeros((0, config.fp_size), np.uint8)
    provenance = {"dataset": Path(dataset).name, "dataset_sha256": _hash_file(Path(dataset)),
                  "putative_inactive_pool": pool_path.name if len(pool_smiles) else None,
                  "holdout": Path(holdout).name if holdout else None, "n_rows_held_out": n_holdout}
    models = []
    for (chembl_id, activity_type), rows in table.groupby(["target_chembl_id", "activity_type"], sort=True):
        target = panel.get(chembl_id)
        name = f"{target.gene}_{activity_type}"
        n_active = int((rows["pactivity"] >= target.active_threshold).sum())
        if len(rows) < config.min_compounds or n_active < config.min_per_class:
            log.warning("%s: %d compounds (%d active) is too little for a model (minimum %d compounds, %d actives); "
                        "skipped", name, len(rows), n_active, config.min_compounds, config.min_per_class)
            continue
        log.info("training %s on %d compounds", name, len(rows))
        model = _train_one(name, target, activity_type, rows, pool_smiles, pool_fps, config, provenance)
        metrics = model.card["validation"]["metrics"]
        log.info("%s: scaffold-CV ROC-AUC %.3f (measured only %.3f), %.0f s", name, metrics["roc_auc"]["mean"],
                 metrics["roc_auc_measured_only"]["mean"] or float("nan"), model.card["training_seconds"])
        models.append(model)
        if progress:
            progress(model)
    if not models:
        raise UsageError("no target had enough data to train a model; lower --min-compounds or add data")
    save_bundle(models, output, card_markdown)
    return models


def card_markdown(card: dict) -> str:
    """Render a model card dict as Markdown for people."""
    t, d, v = card["target"], card["data"], card["validation"]
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"**Target** {t['gene']} ({t['name']}; ChEMBL {t['chembl_id']}, UniProt {t['uniprot']}), "
        f"{t['family']}, {t['category']}. Desired modality: {t['modality']}.",
        "",
        f"**Endpoint** {card['activity_type']}: {card['label']['rule']} ({card['label']['why']}).",
        "",
        f"**Intended use** {card['intended_use']}",
        "",
        "## Data",
        "",
        f"- dataset `{d['dataset']}` (sha256 `{d['dataset_sha256'][:16]}...`)",
        f"- measured compounds {d['n_measured']}: {d['n_measured_active']} active, "
        f"{d['n_measured_inactive']} inactive; {d['n_scaffolds']} scaffolds",
        f"- putative inactives {d['n_putative_inactives']} from `{d['putative_inactive_pool']}`",
        f"- held out (positive controls and their scaffolds, all targets) {d['n_rows_held_out']} rows "
        f"via `{d['holdout']}`; censored values dropped {d['n_censored_dropped']}",
        "",
        "## Model",
        "",
        f"- featurizer {card['featurizer']['name']} {card['featurizer']['params']}",
        f"- estimator {card['estimator']['class']}: " + ", ".join(
            f"{k}={card['estimator']['params'][k]}" for k in ("n_estimators", "min_samples_leaf", "max_features",
                                                               "class_weight", "random_state")
            if k in card["estimator"]["params"]),
        "",
        "## Validation",
        "",
        f"{v['split']}.",
        "",
        "| metric | mean | sd |",
        "|---|---:|---:|",
    ]
    for key, value in v["metrics"].items():
        mean = "n/a" if value["mean"] is None else f"{value['mean']:.3f}"
        sd = "n/a" if value["sd"] is None else f"{value['sd']:.3f}"
        lines.append(f"| {key} | {mean} | {sd} |")
    ad = card["applicability_domain"]
    lines += ["", v["note"], "", "## Applicability domain", "",
              f"{ad['method']}; in-domain threshold {ad['threshold']:.3f} ({ad['why']}).", "",
              "## Versions", "", ", ".join(f"{k} {val}" for k, val in card["versions"].items()),
              f"; trained {card['created']} in {card['training_seconds']} s.", ""]
    return "\n".join(lines)
