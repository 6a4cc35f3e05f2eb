"""Evidence behind each ranked compound: measured training neighbours, alerts with their atoms, and
whether the compound itself was measured (it is in a model's training set).

Everything here reads the model bundle's training sets (``*.train.npz``) and, for ChEMBL IDs, the
training dataset; nothing is re-predicted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..chem.alertscreen import ALERT_FAMILIES
from ..chem.properties import alert_matches
from ..chem.similarity import AD_SPACE, nearest_neighbours
from ..errors import InputFileError, UsageError
from ..hashing import file_sha256

__all__ = [
    "Alert",
    "Measured",
    "Neighbour",
    "alert_catalog",
    "canonical_smiles",
    "evidence_neighbours",
    "find_alerts",
    "fingerprints",
    "measured_matches",
    "parse_smiles",
    "source_identifiers",
]

@dataclass(frozen=True)
class Neighbour:
    """One measured training compound near a ranked compound."""

    similarity: float
    pactivity: float
    smiles: str
    inchikey: str
    identifiers: dict[str, str]
    key: str  # "<model>:<training row>", the same key for every ranked row that has this neighbour


@dataclass(frozen=True)
class Alert:
    """One structural-alert match: ``CATALOG:name`` and the atoms it covers."""

    label: str
    atoms: tuple[int, ...]


def alert_catalog(families: tuple[str, ...]) -> tuple[str, ...]:
    """The alert families (:data:`~screenkit.chem.alertscreen.ALERT_FAMILIES`) behind catalogue names.

    Names are case-insensitive; ``PAINS`` means PAINS_A, PAINS_B and PAINS_C, and ``ALL`` every family
    a ranking can write (RDKit's own "ALL" catalogue adds ZINC, ChEMBL and other filter sets that no
    screenkit ranking names, so it would highlight alerts the table never lists). The catalogues
    themselves are built once per process by :func:`screenkit.chem.alertscreen.alert_catalog`, the
    same ones the ranking's ``alerts`` column comes from.

    Examples
    --------
    >>> alert_catalog(("pains", "BRENK"))
    ('PAINS_A', 'PAINS_B', 'PAINS_C', 'Brenk')
    """
    by_name: dict[str, tuple[str, ...]] = {family.lower(): (family,) for family in ALERT_FAMILIES}
    by_name["pains"] = tuple(f for f in ALERT_FAMILIES if f.startswith("PAINS"))
    by_name["all"] = ALERT_FAMILIES
    out: list[str] = []
    for name in families:
        if name.lower() not in by_name:
            raise UsageError(f"unknown alert catalogue {name!r}; use PAINS, ALL or one of {', '.join(ALERT_FAMILIES)}")
        out += [f for f in by_name[name.lower()] if f not in out]
    return tuple(out)


def _family(catalog: str) -> str:
    """Catalog name for matching: case-insensitive, PAINS families A-C as one (``PAINS_A`` -> ``pains``)."""
    catalog = catalog.strip().lower()
    return "pains" if catalog.startswith("pains") else catalog


def find_alerts(mol, catalog, wanted: list[str] | None = None) -> list[Alert]:
    """Structural-alert matches of one molecule, with the atoms each one covers.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
    catalog : tuple of str
        Alert families, from :func:`alert_catalog`.
    wanted : list of str, optional
        ``CATALOG:name`` labels from the ranked file's ``alerts`` column; when given, only
        matches with these catalog and names are returned (so the drawing highlights what the
        table says).

    Returns
    -------
    list of Alert
        Labels are ``<RDKit FilterSet>:<description>``, e.g. ``PAINS_A:ene_rhod_A(235)``.

    Examples
    --------
    >>> from rdkit import Chem
    >>> catalog = alert_catalog(("PAINS", "BRENK"))
    >>> [a.label for a in find_alerts(Chem.MolFromSmiles("O=C1C(=Cc2ccccc2)SC(=S)N1"), catalog)][:2]
    ['PAINS_A:ene_rhod_A(235)', 'Brenk:Michael_acceptor_1']
    """
    keys = None
    if wanted is not None:
        keys = set()
        for label in wanted:
            family, _, name = label.strip().rpartition(":") if ":" in label else ("", "", label.strip())
            keys.add((_family(family), name.strip().lower()))
    out, seen = [], set()
    for family, description, atoms in alert_matches(mol, catalog, with_atoms=True):
        label = f"{family}:{description}"
        if keys is not None and (_family(family), description.lower()) not in keys \
                and ("", description.lower()) not in keys:
            continue
        if label in seen:
            continue
        seen.add(label)
        out.append(Alert(label, tuple(atoms)))
    return out


def parse_smiles(smiles: str):
    """A molecule from the ranked file's SMILES (CXSMILES extensions such as atom labels ignored)."""
    from rdkit import Chem

    if not smiles:
        return None
    params = Chem.SmilesParserParams()
    params.allowCXSMILES = False
    params.strictCXSMILES = False
    return Chem.MolFromSmiles(smiles.split()[0], params)


def fingerprints(mols: list) -> np.ndarray:
    out = np.zeros((len(mols), AD_SPACE.fp_size), dtype=np.uint8)
    ok = [i for i, m in enumerate(mols) if m is not None]
    if ok:
        out[ok] = AD_SPACE.fingerprints([mols[i] for i in ok])
    return out


_SOURCE_COLUMNS = (("molecule_chembl_ids", "ChEMBL molecule"), ("activity_ids", "ChEMBL activity"),
                   ("assay_chembl_ids", "ChEMBL assay"), ("document_chembl_ids", "ChEMBL document"),
                   ("n_measurements", "measurements"), ("source", "source"))


def source_identifiers(bundle: dict, dataset: str | Path | None = None) -> dict[tuple[str, str, str], dict[str, str]]:
    """Source IDs of the measured training compounds, from the dataset the models were trained on.

    Model bundles keep InChIKeys but not ChEMBL IDs; the training dataset (``screenkit fetch`` /
    ``curate`` output) has ``molecule_chembl_ids``, ``activity_ids`` and ``source``. Used: the
    ``dataset`` given, or else the bundled dataset a model card names when its sha256 matches the
    card's ``dataset_sha256`` (so IDs always belong to the data the model saw).

    Returns
    -------
    dict
        ``(target ChEMBL ID, activity type, InChIKey) -> {label: text}``; empty when no dataset is found.
    """
    import pandas as pd

    from ..config import bundled_path

    paths = []
    if dataset is not None:
        dataset = Path(dataset)
        if not dataset.is_file():
            raise InputFileError(f"dataset {dataset} does not exist; pass the CSV the models were trained on "
                                 "(screenkit fetch/curate output) or omit --dataset")
        paths.append(dataset)
    else:
        for model in bundle.values():
            name, digest = model.card.dataset_name, model.card.data.get("dataset_sha256")
            if not name or not digest:
                continue
            candidate = bundled_path(f"data/{Path(str(name)).name}")
            if candidate.is_file() and candidate not in paths and file_sha256(candidate) == digest:
                paths.append(candidate)
    out: dict[tuple[str, str, str], dict[str, str]] = {}
    for path in paths:
        try:
            header = pd.read_csv(path, nrows=0).columns
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise InputFileError(f"cannot read dataset {path} as CSV ({exc})") from None
        wanted = [c for c, _ in _SOURCE_COLUMNS if c in header]
        key_columns = ["target_chembl_id", "activity_type", "inchikey"]
        if not wanted or any(c not in header for c in key_columns):
            continue
        table = pd.read_csv(path, usecols=key_columns + wanted, dtype=str, keep_default_na=False)
        labels = dict(_SOURCE_COLUMNS)
        for record in table.itertuples(index=False):
            values = record._asdict()
            ids = {}
            for column in wanted:
                text = values[column].strip()
                if text:
                    parts = [p for p in text.replace(",", ";").split(";") if p.strip()]
                    ids[labels[column]] = "; ".join(parts[:3]) + (f" (+{len(parts) - 3} more)" if len(parts) > 3 else "")
            if ids:
                out[(values["target_chembl_id"], values["activity_type"], values["inchikey"])] = ids
    return out


_IDENTIFIER_ATTRIBUTES = (("train_chembl_id", "ChEMBL ID"), ("train_molecule_chembl_id", "ChEMBL ID"),
                          ("train_activity_ids", "ChEMBL activity IDs"), ("train_ids", "ID"))


def _source_key(model) -> tuple[str, str]:
    return str(model.card.target_chembl_id or ""), str(model.card.activity_type)


def training_record(model, j: int, sources: dict) -> tuple[float, str, str, dict[str, str]]:
    """``(pActivity, SMILES, InChIKey, {label: ID})`` of training row ``j`` of a model."""
    inchikey = str(model.train_inchikey[j])
    ids = {label: str(getattr(model, attr)[j]) for attr, label in _IDENTIFIER_ATTRIBUTES
           if getattr(model, attr, None) is not None}
    ids.update(sources.get(_source_key(model) + (inchikey,), {}))
    return float(model.train_pactivity[j]), str(model.train_smiles[j]), inchikey, ids


def evidence_neighbours(fps: np.ndarray, bundle: dict, sources: dict, *, k: int = 3,
                        warnings: list[str] | None = None) -> dict[int, dict[str, list[Neighbour]]]:
    """The ``k`` nearest measured training compounds of every model for each fingerprint row.

    Rows whose fingerprint is all zero (no structure) get no neighbours.
    """
    out: dict[int, dict[str, list[Neighbour]]] = {i: {} for i in range(len(fps))}
    has_bits = fps.any(axis=1)
    for name, model in bundle.items():
        if model.train_fingerprints.shape[1] != fps.shape[1]:
            if warnings is not None:
                warnings.append(f"{name}: training fingerprints are not in the evidence space ({AD_SPACE.label}); no evidence shown.")
            continue
        idx, sim = nearest_neighbours(fps, model.train_fingerprints, k=k)
        for i in np.flatnonzero(has_bits):
            found = []
            for j, s in zip(idx[i], sim[i]):
                pactivity, smiles, inchikey, ids = training_record(model, int(j), sources)
                found.append(Neighbour(float(s), pactivity, smiles, inchikey, ids, f"{name}:{int(j)}"))
            out[int(i)][name] = found
    return out


def canonical_smiles(mol) -> str:
    """RDKit canonical isomeric SMILES (the key by which ranked and training compounds are matched)."""
    from rdkit import Chem

    return Chem.MolToSmiles(mol) if mol is not None else ""


@dataclass(frozen=True)
class Measured:
    """A ranked compound that is itself in a model's training set (measured, not predicted)."""

    model: str
    pactivity: float
    key: str  # training record key, as in :class:`Neighbour`


def measured_matches(canonical: list[str], inchikeys: list[str] | None, bundle: dict) -> dict[int, list[Measured]]:
    """Ranked rows found in a model's measured training compounds, by canonical SMILES or InChIKey.

    Parameters
    ----------
    canonical : list of str
        RDKit canonical SMILES of the ranked rows ("" for rows without a structure).
    inchikeys : list of str, optional
        InChIKeys of the ranked rows, when known (matched as a second key).
    bundle : dict
        Model name -> model with training sets (``load_bundle(..., training_sets_only=True)``).
    """
    from rdkit import RDLogger

    out: dict[int, list[Measured]] = {}
    RDLogger.DisableLog("rdApp.*")
    try:
        for name, model in bundle.items():
            by_smiles: dict[str, int] = {}
            for j, smiles in enumerate(model.train_smiles):
                key = canonical_smiles(parse_smiles(str(smiles)))
                if key:
                    by_smiles.setdefault(key, j)
            by_key = {str(k): j for j, k in enumerate(model.train_inchikey) if str(k)}
            for i, smiles in enumerate(canonical):
                match = by_smiles.get(smiles) if smiles else None
                if match is None and inchikeys is not None and inchikeys[i]:
                    match = by_key.get(inchikeys[i])
                if match is not None:
                    out.setdefault(i, []).append(Measured(name, float(model.train_pactivity[match]),
                                                          f"{name}:{match}"))
    finally:
        RDLogger.EnableLog("rdApp.*")
    return out
