"""The card of a model just trained: its sections from the training run's problem and results.

Versions, the target and label sections, data counts and provenance, the estimator's
parameters as JSON, the applicability domain and the intended use, gathered into a
:class:`~screenkit.model.card.ModelCard`.
"""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rdkit import rdBase

from .. import __version__
from ..chem.featurize import featurizer_spec, make_featurizer
from .card import ModelCard
from .split import murcko_scaffold

if TYPE_CHECKING:
    from .trainconfig import TrainConfig

__all__ = ["training_card", "versions", "jsonable", "intended_use", "target_section", "own_target_section",
           "label_section"]


def training_card(name: str, target: dict, activity_type: str, label: dict, config: TrainConfig, provenance: dict,
                  parts: dict, result: dict, started: float) -> ModelCard:
    """The card of one trained model.

    ``parts`` and ``result`` are what :func:`~screenkit.model.problem.build_problem` and
    :func:`~screenkit.model.fitting.fit_and_validate` returned; ``started`` is the
    ``time.perf_counter()`` at which the model's training began.
    """
    model = result["model"]
    featurizer = featurizer_spec(make_featurizer(result["featurizer"]["name"], **result["featurizer"]["params"]))
    inner = model.estimator
    return ModelCard(
        name=name, task=config.task, outputs=model.outputs, target=target, activity_type=activity_type, label=label,
        data=_data_section(provenance, parts, config.task, float(label["threshold"])),
        featurizer=featurizer,
        estimator={"name": result["estimator"]["name"], "class": type(inner).__name__,
                   "params": jsonable({k: v for k, v in inner.get_params(deep=False).items() if k != "n_jobs"})},
        validation={**result["validation"], **result["uncertainty"]},
        applicability_domain=_domain_section(result, config.ad_quantile),
        training_config=asdict(config), versions=versions(),
        created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        training_seconds=round(time.perf_counter() - started, 1),
        intended_use=intended_use(target, config.task, label), auto_search=result["auto"])


def _data_section(provenance: dict, parts: dict, task: str, threshold: float) -> dict:
    """Provenance, then what the model was trained on: measured counts, censored values, putative inactives."""
    rows, y_measured, exact = parts["rows"], parts["y_measured"], parts["exact"]
    counts = ({"n_measured_active": int(y_measured.sum()), "n_measured_inactive": int(len(rows) - y_measured.sum())}
              if task == "classification" else
              {"n_measured_active": int((y_measured[exact] >= threshold).sum()),
               "n_measured_inactive": int((y_measured[exact] < threshold).sum()),
               "n_censored_used_as_bound": int((~exact).sum()),
               "pactivity_range": [round(float(y_measured.min()), 2), round(float(y_measured.max()), 2)]})
    return {**provenance, "n_measured": int(len(rows)), **counts, "n_censored_dropped": parts["n_censored"],
            "censored_values": parts["censored_note"], "n_putative_inactives": int(parts["n_decoys"]),
            "n_scaffolds": int(len(set(murcko_scaffold(s) or f"acyclic:{i}" for i, s in enumerate(rows["smiles"]))))}


def _domain_section(result: dict, ad_quantile: float) -> dict:
    """The applicability domain: the quantile threshold and the error-defined one scoring uses."""
    return {
        "method": "max Tanimoto similarity (Morgan radius 2, 2048 bits) to the measured training compounds",
        "threshold": round(result["ad_threshold"], 4),
        "why": f"{ad_quantile:.0%} quantile of that similarity for the measured compounds of the "
               "cross-validation test folds: the validation metrics describe queries at or above it",
        "threshold_by_error": result["validation"].get("error_by_similarity", {}).get("threshold_by_error"),
        "threshold_by_error_rule": result["validation"].get("error_by_similarity", {}).get("rule")}


def versions() -> dict:
    return {"screenkit": __version__, "rdkit": rdBase.rdkitVersion,
            "scikit-learn": __import__("sklearn").__version__, "numpy": np.__version__,
            "skops": __import__("skops").__version__, "python": platform.python_version()}


def jsonable(params: dict) -> dict:
    return json.loads(json.dumps(params, default=lambda v: repr(v)))


def intended_use(target: dict, task: str, label: dict) -> str:
    what = "probability of activity" if task == "classification" else "pActivity with a conformal interval"
    return (
        f"Prioritising compounds for experimental testing against {target.get('gene') or target.get('name')} "
        f"in leukodystrophy research, by {what}. OECD QSAR principles: (1) defined endpoint: {label['rule']}; "
        "(2) unambiguous algorithm: featurizer, estimator and every setting in this card, reproducible from the "
        "seed and the dataset hash; (3) applicability domain: Tanimoto similarity to the measured training "
        "compounds with the threshold below; (4) validation: cross-validation on held-out similarity "
        "clusters with spread, beside a similarity-search baseline, y-randomisation, calibration and conformal "
        "coverage below; (5) mechanistic interpretation: "
        f"{target.get('rationale') or 'not given for this user-supplied assay'}. The label is potency, not "
        f"direction: the desired modality is '{target.get('modality') or 'unspecified'}', which binding data cannot "
        "confirm. Not for predictions far outside the applicability domain, nor as a substitute for assays."
    )


def target_section(target) -> dict:
    return {"chembl_id": target.chembl_id, "gene": target.gene, "name": target.name, "uniprot": target.uniprot,
            "family": target.family, "category": target.category, "modality": target.modality,
            "rationale": target.rationale, "reference": target.reference}


def own_target_section(name: str, data: str | Path) -> dict:
    """The target section of a model of a user's own measurements (no ChEMBL target behind it)."""
    return {"chembl_id": None, "gene": name, "name": f"user assay {Path(data).name}", "uniprot": None,
            "family": None, "category": None, "modality": "unspecified", "rationale": None,
            "reference": str(data)}


def label_section(task: str, activity_type: str, threshold: float, why: str) -> dict:
    if task == "classification":
        return {"rule": f"active if p{activity_type} >= {threshold}", "threshold": threshold, "why": why}
    return {"rule": f"regression of p{activity_type}; p_active = P(p{activity_type} >= {threshold}) from the "
                    "conformal predictive distribution", "threshold": threshold, "why": why}
