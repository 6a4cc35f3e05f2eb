"""The sections of a freshly trained model's card that the training run writes itself:
versions, the target and label sections, the estimator's parameters as JSON, the intended use."""

from __future__ import annotations

import json
import platform

import numpy as np
from rdkit import rdBase

from .. import __version__

__all__ = ["versions", "jsonable", "intended_use", "target_section", "label_section"]


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


def label_section(task: str, activity_type: str, threshold: float, why: str) -> dict:
    if task == "classification":
        return {"rule": f"active if p{activity_type} >= {threshold}", "threshold": threshold, "why": why}
    return {"rule": f"regression of p{activity_type}; p_active = P(p{activity_type} >= {threshold}) from the "
                    "conformal predictive distribution", "threshold": threshold, "why": why}
