"""The scoring engine: raw text records in, per-model predictions out, chunk by chunk.

Workers receive plain text records and a model folder path; they parse, standardise,
featurize and run every model themselves, so no RDKit object or fitted forest crosses
a process boundary per chunk. Every record yields exactly one row, in input order.

What the per-model columns mean (activity models; a property model such as BBB_B3DB keeps
its own calibrated probability, since BBB+ is no rare event of a library):

* ``<model>_p_active``: probability that the compound is active at the model's threshold *in a
  library where a share ``base_rate`` is active*: the model's calibrated probability (Platt on
  the honest split's out-of-fold predictions where the card says it helped; otherwise the
  card's held-out reliability table, :func:`~screenkit.screen.probability.reliability_map`)
  moved from the training mix's active rate to ``base_rate`` by Bayes' rule
  (:func:`~screenkit.model.estimators.prior_correct`; :mod:`screenkit.screen.probability`).
  Training mixes are 9-44 % active, so without this a 0.5 means something else for every model.
* ``<model>_enrichment``: the same evidence as an odds ratio over a random library compound
  (1 = no evidence either way; independent of ``base_rate``); ranking reads it.
* ``<model>_ad``: Tanimoto similarity to the nearest measured training compound;
  ``<model>_in_domain``: 1 when it reaches the card's error-defined threshold
  (:meth:`~screenkit.model.card.ModelCard.domain_threshold`), else 0.
* ``measured`` / ``measured_ids``: for a compound whose standardised parent (InChIKey) is in a
  model's training set, its measured value(s) and the source IDs behind them
  (:mod:`screenkit.screen.measured`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from rdkit import Chem

from ..chem.featurize import ConcatFeaturizer
from ..chem.properties import compute_properties
from ..chem.similarity import AD_SPACE, SimilarityIndex
from ..chem.standardize import ERROR, OK, mol_from_text, muted_rdkit_log, one_line_message, standardize_mol
from ..model.bundle import ModelDescription, TargetModel, bundle_digest, load_bundle
from ..profile import DEFAULT_BASE_RATE
from . import measured, probability
from .measured import KNOWN_COLUMNS, add_measured, known_index
from .probability import at_base_rate
from .records import RawRecord
from .sdf import sd_properties
from .writers import sd_title

__all__ = ["ScoreOptions", "score_records", "prediction_columns", "cached_models", "error_row", "is_activity_model"]


@dataclass(frozen=True)
class ScoreOptions:
    """What a worker needs besides the records; small and picklable."""

    models_dir: str
    models_digest: str
    id_field: str | None = None  # SD property to use as the compound ID instead of the title
    keep_molblock: bool = False  # carry a molblock per row (for SDF output)
    properties: bool = True  # CNS, drug-likeness and alert columns (see screenkit.chem.properties)
    alert_families: tuple[str, ...] = ("PAINS_A", "PAINS_B", "Brenk")
    qed: bool = True
    base_rate: float = DEFAULT_BASE_RATE  # library active share that p_active is corrected to

    @classmethod
    def for_profile(cls, models_dir: str | Path, digest: str, profile, **options) -> ScoreOptions:
        """The options a ranking profile needs: its property columns, alert families, QED and base rate."""
        return cls(str(Path(models_dir).resolve()), digest, properties=profile.properties,
                   alert_families=tuple(profile.alert_factors), qed=profile.qed is not None,
                   base_rate=profile.base_rate, **options)


def is_activity_model(model) -> bool:
    """A model of activity on a target (not a property such as BBB permeation)."""
    return model.card.is_activity_model


# One loaded bundle per worker process, keyed by the manifest's sha256 so that a
# retrained bundle is reloaded. Loading 9 forests takes ~1 s; doing it per chunk would
# dominate the run.
_MODEL_CACHE: dict[tuple[str, str], tuple[list[TargetModel], SimilarityIndex]] = {}


def cached_models(models_dir: str | Path, digest: str | None = None) -> tuple[list[TargetModel], SimilarityIndex]:
    """The verified models of a folder and an index of their training sets, once per process."""
    models_dir = str(Path(models_dir).resolve())
    digest = digest or bundle_digest(models_dir)
    key = (models_dir, digest)
    if key not in _MODEL_CACHE:
        _MODEL_CACHE.clear()
        measured.clear_caches()  # a reloaded bundle re-checks its datasets too
        probability.clear_caches()
        models = load_bundle(models_dir)
        index = SimilarityIndex([m.train_fingerprints for m in models])
        # The index's bit-major copy holds the same 0/1 values: the models share it (48 MB less per worker).
        if all(index.reference(k).dtype == m.train_fingerprints.dtype for k, m in enumerate(models)):
            models = [replace(m, train_fingerprints=index.reference(k)) for k, m in enumerate(models)]
        _MODEL_CACHE[key] = models, index
    return _MODEL_CACHE[key]


def prediction_columns(models: Sequence[ModelDescription]) -> list[str]:
    """Per-model output columns (probability, enrichment, domain), then the measured-compound columns."""
    columns = []
    for model in models:
        columns += [f"{model.name}_{output}" for output in model.outputs]
        if is_activity_model(model) and "p_active" in model.outputs:
            columns.append(f"{model.name}_enrichment")
        columns += [f"{model.name}_ad", f"{model.name}_in_domain"]
    return columns + KNOWN_COLUMNS


# RDKit's 2D layout grows faster than the square of the size: 0.9 s at 400 atoms, 70 s at
# 2,500 (a 300-residue peptide); a larger molecule gets a molblock without coordinates.
_MAX_LAID_OUT_ATOMS = 250


def _parse(record: RawRecord, options: ScoreOptions) -> tuple[dict, Chem.Mol | None]:
    row: dict[str, Any] = {"input_position": record.position, "id": record.name, "smiles": "", "status": OK,
                           "reason": ""}
    if record.kind == "damaged":  # the reader could not read this part of the file
        row.update(status=ERROR, reason=record.text)
        return row, None
    notes = []
    props = list(record.props)
    if record.kind == "molblock" and (options.id_field or options.keep_molblock):
        props = sd_properties(record.text)  # only when needed: it costs as much as fingerprinting
    if options.id_field:
        found = dict(props).get(options.id_field, "")
        row["id"] = found
        if not found:
            notes.append(f"no SD property {options.id_field!r} for the ID")
    elif not row["id"]:
        notes.append("record has no title/ID")
    if options.keep_molblock:
        row["input_properties"] = props
    mol, problem = mol_from_text(record.text, record.kind)
    if mol is None:
        row.update(status=ERROR, reason="; ".join([problem] + notes))
        return row, None
    result = standardize_mol(mol)
    notes = ([result.reason] if result.reason else []) + notes
    row.update(smiles=result.smiles, status=result.status, reason="; ".join(notes))
    if result.mol is None:
        return row, None
    if options.keep_molblock:
        if record.kind == "molblock":
            # data items are written back from input_properties, after the molblock
            head, sep, _ = record.text.partition("M  END")
            row["molblock"] = head + sep + "\n"
        else:
            with muted_rdkit_log():
                if result.mol.GetNumAtoms() <= _MAX_LAID_OUT_ATOMS:
                    Chem.rdDepictor.Compute2DCoords(result.mol)
                else:  # zero coordinates: without a conformer MolToMolBlock would lay it out itself
                    result.mol.AddConformer(Chem.Conformer(result.mol.GetNumAtoms()), assignId=True)
                    row["reason"] = "; ".join(filter(None, [row["reason"], "no 2D coordinates in the SDF output "
                                                            f"(over {_MAX_LAID_OUT_ATOMS} atoms)"]))
                row["molblock"] = Chem.MolToMolBlock(result.mol)
        row["molblock"] = _retitle(row["molblock"], row["id"])
    return row, result.mol


def _features(featurizer, mols: list, done: dict[str, np.ndarray]) -> np.ndarray:
    """A featurizer's matrix for a chunk, each featurizer computed once per chunk whichever models share it.

    A concatenation is assembled from its parts, as :class:`ConcatFeaturizer` does, so a part
    that another model also uses (the domain's Morgan bits, the BBB model's descriptors) is
    computed once.
    """
    if isinstance(featurizer, ConcatFeaturizer):
        parts = featurizer._featurizers()
        dtype = featurizer.dtype
        return np.hstack([_features(part, mols, done).astype(dtype, copy=False) for part in parts])
    key = json.dumps({k: v for k, v in featurizer.get_params().items() if k != "n_jobs"}
                     | {"class": type(featurizer).__name__}, sort_keys=True)
    if key not in done:
        done[key] = featurizer.transform(mols)
    return done[key]


def _retitle(molblock: str, title: str) -> str:
    _, sep, rest = molblock.partition("\n")
    return sd_title(title) + sep + rest


class StepFailed(Exception):
    """A per-molecule step failed; ``reason`` is the one-line text for the record's row."""

    def __init__(self, step: str, exc: BaseException):
        self.reason = f"{step} failed: {type(exc).__name__}: {one_line_message(exc)}"
        super().__init__(self.reason)


def error_row(record: RawRecord, reason: str, base: dict | None = None) -> dict:
    """An unscored row: only the record's identity, status ``error`` and the reason."""
    row = {"input_position": record.position, "id": record.name, "smiles": "", "status": ERROR, "reason": reason}
    if base is not None:
        for key in ("id", "smiles", "molblock", "input_properties"):
            if key in base:
                row[key] = base[key]
        if base.get("reason"):
            row["reason"] = f"{reason}; {base['reason']}"
    return row


def _property_step(exc: BaseException) -> str:
    """Which property failed, from the innermost screenkit.chem.properties frame (e.g. ``CalcTPSA``)."""
    import re
    import traceback

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith("properties.py")]
    if frames:
        calls = re.findall(r"([A-Za-z_]\w*)\(", frames[-1].line or "")
        return f"properties ({calls[-1] if calls else frames[-1].name})"
    return "properties"


def _predict(mols: list, models: list[TargetModel], index: SimilarityIndex,
             base_rate: float = DEFAULT_BASE_RATE) -> list[tuple[str, np.ndarray]]:
    """The per-chunk steps (fingerprint matrices, each model, the applicability domain).

    Returns ``(column, values)`` pairs with one value per molecule; raises
    :class:`StepFailed` naming the step when any of them fails.
    """
    # The applicability domain always lives in one space (Morgan radius 2, 2048 bits: the
    # training_set fingerprints of every bundle), whatever features a model uses.
    features: dict[str, np.ndarray] = {}
    try:
        ad_bits = _features(AD_SPACE.featurizer(), mols, features)
    except Exception as exc:
        raise StepFailed("featurize (morgan, applicability domain)", exc) from None
    try:
        ad = index.max_similarity(ad_bits)
    except Exception as exc:
        raise StepFailed("applicability domain", exc) from None
    columns = []
    for m, model in enumerate(models):
        spec = model.card.featurizer
        try:
            X = _features(model.featurizer, mols, features)
        except Exception as exc:
            raise StepFailed(f"featurize ({spec['name']})", exc) from None
        try:
            predictions = model.predict(X, difficulty=1.0 - ad[:, m])  # intervals widen with distance
            values = [(f"{model.name}_{output}", np.asarray(predictions[output], dtype=float))
                      for output in model.outputs]
        except Exception as exc:
            raise StepFailed(f"model {model.name}", exc) from None
        if any(len(v) != len(mols) or not np.isfinite(v).all() for _, v in values):
            raise StepFailed(f"model {model.name}", ValueError("prediction is not a finite number"))
        if is_activity_model(model) and "p_active" in model.outputs:
            values = at_base_rate(model, values, base_rate)
        threshold, _ = model.card.domain_threshold()
        columns += values + [(f"{model.name}_ad", ad[:, m]),
                             (f"{model.name}_in_domain", (ad[:, m] >= threshold).astype(float))]
    return columns


def score_records(records: list[RawRecord], options: ScoreOptions) -> list[dict]:
    """Score one chunk of records with every model of ``options.models_dir``.

    Returns one dict per record, in the same order, with ``status`` ``ok``/``warning``
    when scored and ``error`` (plus a ``reason``) when not. A failure in any step for
    one molecule (parsing, standardisation, properties, featurizing, a model, the
    applicability domain) makes only that record an ``error`` row whose reason names
    the step; the other records get exactly the values they get without it.

    Examples
    --------
    >>> from screenkit.config import bundled_path
    >>> from screenkit.model.bundle import bundle_digest
    >>> d = bundled_path("models")
    >>> opts = ScoreOptions(str(d), bundle_digest(d))
    >>> rows = score_records([RawRecord(1, "smiles", "CCO", "ethanol"),
    ...                       RawRecord(2, "smiles", "C1CC", "broken")], opts)
    >>> [(r["id"], r["status"]) for r in rows]
    [('ethanol', 'ok'), ('broken', 'error')]
    """
    models, index = cached_models(options.models_dir, options.models_digest)
    with muted_rdkit_log():  # RDKit's C++ messages become reasons, never terminal noise
        rows, mols = _parse_records(records, options)
        if options.properties:  # a loop of its own, as before the guards: interleaving measured 3-8 % slower
            _add_properties(rows, mols, records, options)
        scored = [i for i, mol in enumerate(mols) if mol is not None]
        if not scored:
            return rows
        columns, scored = _predict_chunk(mols, scored, rows, records, models, index, options.base_rate)
    for column, values in columns:
        for j, i in enumerate(scored):
            rows[i][column] = float(values[j])
    known = known_index(models, (options.models_dir, options.models_digest))
    with muted_rdkit_log():
        for i in scored:
            add_measured(rows[i], mols[i], models, known)
    return rows


def _parse_records(records: list[RawRecord], options: ScoreOptions) -> tuple[list[dict], list]:
    """One row and one standardised molecule (``None`` when not scored) per record."""
    rows, mols = [], []
    # Per-record steps: a try block costs nothing on Python 3.11 until it catches.
    for record in records:
        try:
            row, mol = _parse(record, options)
        except Exception as exc:  # one strange record must never stop a million-molecule run
            row, mol = error_row(record, StepFailed("parse/standardise", exc).reason), None
        rows.append(row)
        mols.append(mol)
    return rows, mols


def _add_properties(rows: list[dict], mols: list, records: list[RawRecord], options: ScoreOptions) -> None:
    """The property columns of every parsed molecule; one whose properties fail becomes an error row."""
    for i, mol in enumerate(mols):
        if mol is None:
            continue
        try:
            rows[i].update(compute_properties(mol, options.alert_families, options.qed))
        except Exception as exc:
            reason = StepFailed(_property_step(exc), exc).reason
            rows[i], mols[i] = error_row(records[i], reason, rows[i]), None


def _predict_chunk(mols: list, scored: list[int], rows: list[dict], records: list[RawRecord],
                   models: list[TargetModel], index: SimilarityIndex,
                   base_rate: float) -> tuple[list[tuple[str, np.ndarray]], list[int]]:
    """The per-chunk steps for the ``scored`` molecules, and the indices they still cover.

    On a failure, the molecules that fail alone become error rows and the chunk is redone
    without them, so the others get the values they get without them.
    """
    try:
        return _predict([mols[i] for i in scored], models, index, base_rate), scored
    except Exception:
        pass
    kept = []
    for i in scored:
        try:
            _predict([mols[i]], models, index, base_rate)
            kept.append(i)
        except StepFailed as exc:
            rows[i] = error_row(records[i], exc.reason, rows[i])
        except Exception as exc:
            rows[i] = error_row(records[i], StepFailed("scoring", exc).reason, rows[i])
    return (_predict([mols[i] for i in kept], models, index, base_rate) if kept else []), kept
