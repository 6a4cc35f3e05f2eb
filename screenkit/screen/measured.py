"""Training compounds in the library: the measured value(s) and source IDs of a scored compound whose
standardised parent (InChIKey) is in a model's training set (the ``measured`` / ``measured_ids`` columns)."""

from __future__ import annotations

import functools
from pathlib import Path

from rdkit import Chem

from ..config import bundled_path
from ..model.bundle import TargetModel
from ..model.card import ModelCard

__all__ = ["KNOWN_COLUMNS", "add_measured", "clear_caches", "known_index"]

KNOWN_COLUMNS = ["measured", "measured_ids"]

# One index per worker process, keyed by the model folder and its manifest sha256 (as the loaded bundle is)
_KNOWN_CACHE: dict[tuple[str, str], list[dict[str, tuple[float, str]]]] = {}


def clear_caches() -> None:
    """Forget the indexes of a bundle that was reloaded (its datasets are re-checked too)."""
    _KNOWN_CACHE.clear()
    _file_sha256.cache_clear()
    _dataset_index.cache_clear()


def _source_ids(card: ModelCard) -> dict[str, str]:
    """InChIKey -> ChEMBL molecule IDs of the model's rows in its training dataset, where we have it.

    The bundle keeps only structures and values; the IDs come from the dataset the card names,
    if a bundled copy with the card's sha256 is found (a changed file could give wrong IDs).
    """
    name, sha = str(card.dataset_name or ""), card.data.get("dataset_sha256")
    if not name or not sha:
        return {}
    for candidate in (bundled_path(f"data/{name}"), bundled_path(f"data/{Path(name).stem.split('_')[0]}/{name}")):
        if candidate.is_file() and _file_sha256(str(candidate)) == sha:
            break
    else:
        return {}
    return {key: ", ".join(m.molecule_chembl_ids)
            for key, measurements in _dataset_index(str(candidate), sha).items() for m in measurements
            if m.target_chembl_id == card.target_chembl_id and m.activity_type == card.activity_type
            and m.molecule_chembl_ids}


# Ten bundled models name the same dataset file: hash and index it once per worker, not per model
# (that was 5 s of every worker's start).
@functools.lru_cache(maxsize=8)
def _file_sha256(path: str) -> str:
    from ..hashing import file_sha256

    return file_sha256(Path(path))


@functools.lru_cache(maxsize=4)
def _dataset_index(path: str, sha: str):
    """``known_compounds`` of a dataset file whose sha256 was checked (the sha is part of the key)."""
    from ..curation.dataset import known_compounds, read_dataset

    return known_compounds(read_dataset(path))


def known_index(models: list[TargetModel], key: tuple[str, str]) -> list[dict[str, tuple[float, str]]]:
    """Per model: training InChIKey -> (measured pActivity or label, source IDs or source text)."""
    if key not in _KNOWN_CACHE:
        out = []
        for model in models:
            ids = _source_ids(model.card) if model.card.is_activity_model else {}
            source = str(model.card.dataset_name or "training set")
            out.append({str(k): (float(v), ids.get(str(k), f"no IDs in {source}"))
                        for k, v in zip(model.train_inchikey, model.train_pactivity)})
        _KNOWN_CACHE[key] = out
    return _KNOWN_CACHE[key]


def _measured_text(model: TargetModel, value: float) -> str:
    if not model.card.is_activity_model:
        return f"{model.name} label {value:g}"
    threshold = model.card.label.get("threshold")
    verdict = "" if threshold is None else (" active" if value >= float(threshold) else " inactive")
    return f"{model.name} p{model.card.activity_type} {value:.2f}{verdict}"


def add_measured(row: dict, mol, models: list[TargetModel], known: list[dict]) -> None:
    """Fill ``measured``/``measured_ids`` when the parent's InChIKey is in a model's training set.

    An InChIKey costs ~2 ms, more than every model together, so it is computed only for a
    molecule whose fingerprint equals a training compound's (``_ad`` = 1): the same compound
    always has the same fingerprint.
    """
    row["measured"], row["measured_ids"] = "", ""
    if not any(row.get(f"{model.name}_ad", 0.0) >= 1.0 - 1e-9 for model in models):
        return
    try:
        inchikey = Chem.MolToInchiKey(mol)
    except Exception:  # an InChI failure only loses the lookup, never the row
        inchikey = ""
    values, ids = [], []
    for model, index in zip(models, known):
        hit = index.get(inchikey) if inchikey else None
        if hit is not None:
            values.append(_measured_text(model, hit[0]))
            ids.append(f"{model.name}: {hit[1]}")
    row["measured"], row["measured_ids"] = "; ".join(values), "; ".join(ids)
