"""The scoring engine: raw text records in, per-model predictions out, chunk by chunk.

Workers receive plain text records and a model folder path; they parse, standardise,
featurize and run every model themselves, so no RDKit object or fitted forest crosses
a process boundary per chunk. Every record yields exactly one row, in input order.

What the per-model columns mean (activity models; a property model such as BBB_B3DB keeps
its own calibrated probability, since BBB+ is no rare event of a library):

* ``<model>_p_active``: probability that the compound is active at the model's threshold *in a
  library where a share ``base_rate`` is active*: the model's calibrated probability (Platt on
  the honest split's out-of-fold predictions where the card says it helped; otherwise the
  card's held-out reliability table, :func:`reliability_map`) moved from the training mix's
  active rate to ``base_rate`` by Bayes' rule
  (:func:`~screenkit.model.estimators.prior_correct`). Training mixes are 9-44 % active, so
  without this a 0.5 means something else for every model.
* ``<model>_enrichment``: the same evidence as an odds ratio over a random library compound
  (1 = no evidence either way; independent of ``base_rate``); ranking reads it.
* ``<model>_ad``: Tanimoto similarity to the nearest measured training compound;
  ``<model>_in_domain``: 1 when it reaches the card's error-defined threshold
  (:meth:`~screenkit.model.card.ModelCard.domain_threshold`), else 0.
* ``measured`` / ``measured_ids``: for a compound whose standardised parent (InChIKey) is in a
  model's training set, its measured value(s) and the source IDs behind them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rdkit import Chem

from ..chem.properties import compute_properties
from ..chem.similarity import AD_SPACE, SimilarityIndex
from ..chem.standardize import ERROR, OK, mol_from_text, muted_rdkit_log, one_line_message, standardize_mol
from ..config import DEFAULT_BASE_RATE, bundled_path
from ..model.bundle import ModelDescription, TargetModel, bundle_digest, load_bundle
from ..model.card import ModelCard
from ..model.estimators import prior_correct
from .library import RawRecord, sd_properties, sd_title

__all__ = ["ScoreOptions", "score_records", "prediction_columns", "cached_models", "error_row",
           "training_active_rate", "KNOWN_COLUMNS", "is_activity_model", "reliability_map"]

KNOWN_COLUMNS = ["measured", "measured_ids"]


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


def training_active_rate(model: TargetModel) -> float | None:
    """Active share of the mix the model's probabilities were calibrated on (None if unknown).

    Classifiers record it (``ConformalModel.training_rate``, the same figure as the card's
    ``calibration.prior_correction.training_active_rate``); for a regression model it is the
    share of measured training values at or above the label threshold.
    """
    rate = getattr(model.estimator, "training_rate", None)
    if rate is None:
        rate = model.card.training_active_rate
    if rate is None and model.card.task == "regression" and len(model.train_pactivity):
        rate = float(np.mean(model.train_pactivity >= model.card.label_threshold))
    return None if rate is None or not 0 < rate < 1 else float(rate)


# One loaded bundle per worker process, keyed by the manifest's sha256 so that a
# retrained bundle is reloaded. Loading 9 forests takes ~1 s; doing it per chunk would
# dominate the run.
_MODEL_CACHE: dict[tuple[str, str], tuple[list[TargetModel], SimilarityIndex]] = {}
_KNOWN_CACHE: dict[tuple[str, str], list[dict[str, tuple[float, str]]]] = {}


def cached_models(models_dir: str | Path, digest: str | None = None) -> tuple[list[TargetModel], SimilarityIndex]:
    """The verified models of a folder and an index of their training sets, once per process."""
    models_dir = str(Path(models_dir).resolve())
    digest = digest or bundle_digest(models_dir)
    key = (models_dir, digest)
    if key not in _MODEL_CACHE:
        _MODEL_CACHE.clear()
        _KNOWN_CACHE.clear()
        _file_sha256.cache_clear()  # a reloaded bundle re-checks its datasets too
        _dataset_index.cache_clear()
        _RELIABILITY_MAPS.clear()
        models = load_bundle(models_dir)
        _MODEL_CACHE[key] = models, SimilarityIndex([m.train_fingerprints for m in models])
    return _MODEL_CACHE[key]


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


def _known_index(models: list[TargetModel], key: tuple[str, str]) -> list[dict[str, tuple[float, str]]]:
    """Per model: training InChIKey -> (measured pActivity or label, source IDs or source text)."""
    if key not in _KNOWN_CACHE:
        out = []
        for model in models:
            ids = _source_ids(model.card) if is_activity_model(model) else {}
            source = str(model.card.dataset_name or "training set")
            out.append({str(k): (float(v), ids.get(str(k), f"no IDs in {source}"))
                        for k, v in zip(model.train_inchikey, model.train_pactivity)})
        _KNOWN_CACHE[key] = out
    return _KNOWN_CACHE[key]


def prediction_columns(models: Sequence[ModelDescription]) -> list[str]:
    """Per-model output columns (probability, enrichment, domain), then the measured-compound columns."""
    columns = []
    for model in models:
        columns += [f"{model.name}_{output}" for output in model.outputs]
        if is_activity_model(model) and "p_active" in model.outputs:
            columns.append(f"{model.name}_enrichment")
        columns += [f"{model.name}_ad", f"{model.name}_in_domain"]
    return columns + KNOWN_COLUMNS


def _measured_text(model: TargetModel, value: float) -> str:
    if not is_activity_model(model):
        return f"{model.name} label {value:g}"
    threshold = model.card.label.get("threshold")
    verdict = "" if threshold is None else (" active" if value >= float(threshold) else " inactive")
    return f"{model.name} p{model.card.activity_type} {value:.2f}{verdict}"


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


def _spec_key(spec: dict) -> str:
    return json.dumps(spec, sort_keys=True)


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
    ad_space = AD_SPACE.featurizer()
    ad_key = _spec_key(ad_space.get_params() | {"name": "morgan"})
    try:
        features: dict[str, np.ndarray] = {ad_key: ad_space.transform(mols)}
    except Exception as exc:
        raise StepFailed("featurize (morgan, applicability domain)", exc) from None
    try:
        ad = index.max_similarity(features[ad_key])
    except Exception as exc:
        raise StepFailed("applicability domain", exc) from None
    columns = []
    for m, model in enumerate(models):
        spec = model.card.featurizer
        key = _spec_key(spec["params"] | {"name": spec["name"]})
        if key not in features:
            try:
                features[key] = model.featurizer.transform(mols)
            except Exception as exc:
                raise StepFailed(f"featurize ({spec['name']})", exc) from None
        try:
            predictions = model.predict(features[key])
            values = [(f"{model.name}_{output}", np.asarray(predictions[output], dtype=float))
                      for output in model.outputs]
        except Exception as exc:
            raise StepFailed(f"model {model.name}", exc) from None
        if any(len(v) != len(mols) or not np.isfinite(v).all() for _, v in values):
            raise StepFailed(f"model {model.name}", ValueError("prediction is not a finite number"))
        if is_activity_model(model) and "p_active" in model.outputs:
            values = _at_base_rate(model, values, base_rate)
        threshold, _ = model.card.domain_threshold()
        columns += values + [(f"{model.name}_ad", ad[:, m]),
                             (f"{model.name}_in_domain", (ad[:, m] >= threshold).astype(float))]
    return columns


_RELIABILITY_MAPS: dict[int, Callable[[np.ndarray], np.ndarray] | None] = {}


def reliability_map(card: ModelCard) -> Callable[[np.ndarray], np.ndarray] | None:
    """A monotone map from a model's uncalibrated score to the active share observed on held-out folds.

    For models whose card says Platt scaling was *not* applied (it did not lower the held-out
    Brier score), ``p_active`` is the estimator's own score, e.g. a forest's vote share, and
    the card's held-out reliability table shows how far that is from a probability (JAK1_Ki:
    scores 0.1-0.2 were 89 % active). The map is centred isotonic regression on that table
    (Oron & Flournoy 2017): pool-adjacent-violators over the bins (mean score -> observed
    share, weighted by bin size), each pooled block placed at its weighted mean score, and
    straight lines between blocks and out to ``(0, 0.5/n)`` and ``(1, 1 - 0.5/n)``. It is
    strictly increasing, so the model's own order of compounds is kept (plain isotonic
    regression would tie every JAK1 score above 0.17). ``None`` when Platt was applied or
    the card has no table.

    Examples
    --------
    >>> card = ModelCard("X", validation={"calibration": {"applied": False, "reliability": {"uncalibrated": [
    ...     {"mean_predicted": 0.05, "observed": 0.01, "n": 100}, {"mean_predicted": 0.2, "observed": 0.9, "n": 50},
    ...     {"mean_predicted": 0.5, "observed": 0.8, "n": 50}]}}})
    >>> reliability_map(card)(np.array([0.05, 0.2, 0.35, 0.5])).round(3).tolist()
    [0.01, 0.43, 0.85, 0.884]
    """
    calibration = card.calibration
    if calibration.get("applied") is not False:
        return None
    bins = (calibration.get("reliability") or {}).get("uncalibrated") or []
    if len(bins) < 2:
        return None
    from sklearn.isotonic import IsotonicRegression

    x = np.array([b["mean_predicted"] for b in bins], float)
    y = np.array([b["observed"] for b in bins], float)
    n = np.array([b["n"] for b in bins], float)
    order = np.argsort(x)
    x, y, n = x[order], y[order], n[order]
    pooled = IsotonicRegression().fit(x, y, sample_weight=n).predict(x)
    margin = 0.5 / n.sum()
    centres, values = [], []
    for value in np.unique(pooled):  # one point per pooled block, at its weighted mean score
        block = pooled == value
        centres.append(float(np.average(x[block], weights=n[block])))
        values.append(float(np.clip(value, 2 * margin, 1 - 2 * margin)))  # room for the end knots
    knots_x = np.array([0.0] + centres + [1.0])
    knots_y = np.array([margin] + values + [1 - margin])
    return lambda p: np.interp(np.asarray(p, float), knots_x, knots_y)


def _at_base_rate(model: TargetModel, values: list[tuple[str, np.ndarray]],
                  base_rate: float) -> list[tuple[str, np.ndarray]]:
    """Replace the calibrated (training-mix) p_active by the library one and add the enrichment."""
    rate = training_active_rate(model)
    if id(model) not in _RELIABILITY_MAPS:
        _RELIABILITY_MAPS[id(model)] = reliability_map(model.card)
    calibrate = _RELIABILITY_MAPS[id(model)]
    out = []
    for column, v in values:
        if column != f"{model.name}_p_active":
            out.append((column, v))
            continue
        if rate is None:  # nothing to correct from: no evidence scale either (enrichment NaN)
            out += [(column, v), (f"{model.name}_enrichment", np.full(len(v), np.nan))]
            continue
        p = np.clip(v if calibrate is None else calibrate(v), 1e-6, 1 - 1e-6)  # 0 or 1: no infinite evidence
        out += [(column, prior_correct(p, rate, base_rate)),
                (f"{model.name}_enrichment", (p / (1 - p)) / (rate / (1 - rate)))]
    return out


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
    rows, mols = [], []
    with muted_rdkit_log():  # RDKit's C++ messages become reasons, never terminal noise
        # Per-record steps: a try block costs nothing on Python 3.11 until it catches.
        for record in records:
            try:
                row, mol = _parse(record, options)
            except Exception as exc:  # one strange record must never stop a million-molecule run
                row, mol = error_row(record, StepFailed("parse/standardise", exc).reason), None
            rows.append(row)
            mols.append(mol)
        if options.properties:  # a loop of its own, as before the guards: interleaving measured 3-8 % slower
            for i, mol in enumerate(mols):
                if mol is None:
                    continue
                try:
                    rows[i].update(compute_properties(mol, options.alert_families, options.qed))
                except Exception as exc:
                    reason = StepFailed(_property_step(exc), exc).reason
                    rows[i], mols[i] = error_row(records[i], reason, rows[i]), None
        scored = [i for i, mol in enumerate(mols) if mol is not None]
        if not scored:
            return rows
        # Per-chunk steps: on a failure, find the molecules that fail alone, make them
        # error rows, and redo the chunk without them (so the others are unchanged).
        try:
            columns = _predict([mols[i] for i in scored], models, index, options.base_rate)
        except Exception:
            kept = []
            for i in scored:
                try:
                    _predict([mols[i]], models, index, options.base_rate)
                    kept.append(i)
                except StepFailed as exc:
                    rows[i] = error_row(records[i], exc.reason, rows[i])
                except Exception as exc:
                    rows[i] = error_row(records[i], StepFailed("scoring", exc).reason, rows[i])
            scored = kept
            columns = _predict([mols[i] for i in scored], models, index, options.base_rate) if scored else []
    for column, values in columns:
        for j, i in enumerate(scored):
            rows[i][column] = float(values[j])
    known = _known_index(models, (options.models_dir, options.models_digest))
    with muted_rdkit_log():
        for i in scored:
            _add_measured(rows[i], mols[i], models, known)
    return rows


def _add_measured(row: dict, mol, models: list[TargetModel], known: list[dict]) -> None:
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
