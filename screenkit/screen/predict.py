"""Predictions for a handful of molecules, with the evidence behind each: ``screenkit predict``.

Scoring a library writes one ranked row per compound; a chemist asking about one
structure wants more: each model's prediction with its applicability domain, the
nearest measured training compound (its SMILES and measured value), whether the
compound itself was measured, and the CNS and alert columns. The rows are the very
rows ``screenkit score`` writes (same standardisation, models and ranking profile).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..chem.similarity import AD_SPACE, SimilarityIndex
from ..config import bundled_path
from ..model.bundle import bundle_digest
from ..profile import load_profile
from .rank import score_rows
from .records import RawRecord
from .score import ScoreOptions, cached_models, score_records

__all__ = ["Neighbour", "Prediction", "predict_smiles"]


@dataclass(frozen=True)
class Neighbour:
    """The most similar measured training compound of one model."""

    model: str
    similarity: float
    smiles: str
    pactivity: float  # for a property model (e.g. BBB_B3DB) its measured label, 1 or 0
    same_compound: bool  # the query's standardised parent is this training compound
    is_property: bool = False

    def measured(self) -> str:
        """The neighbour's measured value as a chemist reads it."""
        return f"label {self.pactivity:g}" if self.is_property else f"pX {self.pactivity:.2f}"


@dataclass(frozen=True)
class Prediction:
    """One input molecule: its ranked row (as ``screenkit score`` writes it) and neighbours per model."""

    input: str
    row: dict
    neighbours: list[Neighbour] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"input": self.input, "row": {k: _plain(v) for k, v in self.row.items()},
                "neighbours": [{k: _plain(v) for k, v in n.__dict__.items()} for n in self.neighbours]}


def _plain(value):
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def predict_smiles(smiles: list[str], *, models_dir: str | Path | None = None,
                   profile: str | Path | None = None, names: list[str] | None = None) -> list[Prediction]:
    """Score SMILES with every model of a bundle and find each model's nearest measured compound.

    Parameters
    ----------
    smiles : list of str
        Structures; an unreadable one gives a row with ``status`` ``error`` and its reason.
    models_dir : path, optional
        Model folder (default: the bundled models).
    profile : str or path, optional
        Ranking profile (default: the bundled leukodystrophy profile).
    names : list of str, optional
        IDs for the rows (default ``mol1``, ``mol2``, ...).

    Examples
    --------
    >>> [p.row["status"] for p in predict_smiles(["CN1CCCC1c1cccnc1", "C1CC"])]
    ['ok', 'error']
    """
    directory = Path(models_dir) if models_dir is not None else bundled_path("models")
    digest = bundle_digest(directory)
    names = names or [f"mol{i}" for i in range(1, len(smiles) + 1)]
    records = [RawRecord(i, "smiles", text, name) for i, (text, name) in enumerate(zip(smiles, names), start=1)]
    prof = load_profile(profile)
    models, index = cached_models(directory, digest)
    rows = score_rows(score_records(records, ScoreOptions.for_profile(directory, digest, prof)), models, prof)
    return [Prediction(text, row, _neighbours(row, models, index)) for text, row in zip(smiles, rows)]


def _neighbours(row: dict, models, index: SimilarityIndex) -> list[Neighbour]:
    if row.get("status") == "error" or not row.get("smiles"):
        return []
    from rdkit import Chem

    mol = Chem.MolFromSmiles(row["smiles"])
    if mol is None:
        return []
    query = AD_SPACE.fingerprints([mol])
    inchikey = Chem.MolToInchiKey(mol)
    out = []
    for k, model in enumerate(models):
        if not len(model.train_fingerprints):
            continue
        nearest, similarity = index.nearest(query, k)
        best = int(nearest[0])
        out.append(Neighbour(model.name, round(float(similarity[0]), 3), str(model.train_smiles[best]),
                             round(float(model.train_pactivity[best]), 2),
                             bool(str(model.train_inchikey[best]) == inchikey),
                             not model.card.is_activity_model))
    return out
