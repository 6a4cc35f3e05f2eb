"""Everything the review report shows, assembled from a ranked file, its metadata and the models.

This module only reads: the ranked CSV (the first ``top`` rows in full, and the numeric
columns of every row for the distributions), ``RANKED.meta.json`` and the model bundle's
measured training compounds (for the evidence neighbours and the chemical-space map).
It never changes or re-sorts the ranking.
"""

from __future__ import annotations

import json
import logging
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputFileError, ModelBundleError, UsageError
from ..hashing import file_sha256

__all__ = ["ReportData", "Neighbour", "Alert", "assemble", "read_ranked", "read_meta", "nearest_neighbours",
           "find_alerts", "source_identifiers", "PROPERTY_COLUMNS"]

log = logging.getLogger(__name__)

#: Property columns the ranking may add, in display order: (column, header, decimals, tooltip).
#: Columns that are absent from the ranked file are simply not shown.
PROPERTY_COLUMNS = [
    ("cns_mpo", "CNS MPO", 2, "CNS multiparameter optimisation score, 0-6 (Wager et al. 2010); >= 4 is desirable"),
    ("cns_rules", "CNS rules", 0, "number of CNS property rules met"),
    ("mw", "MW", 1, "molecular weight (Da)"),
    ("clogp", "cLogP", 2, "calculated logP (Crippen)"),
    ("clogd", "cLogD", 2, "calculated logD at pH 7.4"),
    ("tpsa", "TPSA", 1, "topological polar surface area (Å²)"),
    ("hbd", "HBD", 0, "hydrogen-bond donors"),
    ("hba", "HBA", 0, "hydrogen-bond acceptors"),
    ("rotb", "RotB", 0, "rotatable bonds"),
    ("arom_rings", "Ar rings", 0, "aromatic rings"),
    ("pka_basic", "pKa (b)", 2, "most basic pKa (estimated)"),
    ("qed", "QED", 2, "quantitative estimate of drug-likeness, 0-1"),
    ("sps", "SPS", 1, "spatial score (molecular complexity)"),
    ("lipinski_violations", "Ro5 viol.", 0, "Lipinski rule-of-five violations"),
    ("veber_ok", "Veber", None, "Veber rules (rotatable bonds <= 10, TPSA <= 140) met"),
    ("n_alerts", "# alerts", 0, "number of structural alerts"),
]
#: Numeric columns drawn as distributions when present (column, axis label).
DISTRIBUTION_COLUMNS = [("overall_score", "overall score"), ("cns_mpo", "CNS MPO"), ("mw", "MW (Da)"),
                        ("clogp", "cLogP"), ("tpsa", "TPSA (Å²)"), ("qed", "QED"), ("sps", "spatial score")]
_CORE = ["rank", "input_position", "id", "smiles", "overall_score", "best_model", "status", "reason",
         "rank_reason", "alerts"]
_DEFAULT_ALERT_CATALOGS = ("PAINS", "BRENK", "NIH")


@dataclass(frozen=True)
class Neighbour:
    """One measured training compound near a ranked compound."""

    similarity: float
    pactivity: float
    smiles: str
    inchikey: str
    identifiers: dict[str, str]
    svg_key: str


@dataclass(frozen=True)
class Alert:
    """One structural-alert match: ``CATALOG:name`` and the atoms it covers."""

    label: str
    atoms: tuple[int, ...]


@dataclass
class ModelSummary:
    """What the report says about one model (from the run metadata and/or its card)."""

    name: str
    gene: str = ""
    target: str = ""
    activity_type: str = ""
    label: str = ""
    threshold: float = math.nan  # pActivity at or above which a compound counts as active
    ad_threshold: float = math.nan
    roc_auc: float = math.nan
    n_measured: int | None = None
    outputs: list[str] = field(default_factory=list)  # columns <name>_<output> present besides p_active, ad
    has_evidence: bool = False


@dataclass
class ReportData:
    """All values the HTML is rendered from (plain Python, JSON-able except numpy arrays)."""

    title: str
    ranked_path: str
    n_rows_total: int
    rows: list[dict]
    columns: list[str]
    models: list[ModelSummary]
    properties: list[tuple[str, str, int | None, str]]
    extra_columns: list[str]
    meta: dict | None
    meta_path: str
    models_dir: str
    warnings: list[str]
    distributions: dict[str, tuple[np.ndarray, np.ndarray]]  # column -> (all values, top-N values)
    space: dict  # chemical-space map: {"groups": [(label, xy array, titles)], "explained": [..]}
    molecule_svgs: dict[str, str]  # "#<row>" for ranked compounds, "<model>:<training row>" for neighbours
    neighbours: dict[int, dict[str, list[Neighbour]]]  # row index -> model -> neighbours
    alerts: dict[int, list[Alert]]
    evidence_rows: int = 500  # rows whose neighbours are drawn (the rest list them without pictures)


def read_meta(path: str | Path, *, required: bool) -> dict | None:
    """The run metadata written by ``screenkit score`` (``RANKED.meta.json``).

    Returns None when the file is absent and not ``required``.

    Raises
    ------
    InputFileError
        When a required file is missing, or the file is not a JSON object.
    """
    path = Path(path)
    if not path.is_file():
        if required:
            raise InputFileError(f"metadata file {path} does not exist; pass the RANKED.csv.meta.json that "
                                 "`screenkit score` wrote, or omit --meta")
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"metadata file {path} is not valid JSON ({exc}); pass the .meta.json file "
                             "`screenkit score` wrote") from None
    if not isinstance(meta, dict):
        raise InputFileError(f"metadata file {path} is not a JSON object; pass the .meta.json file "
                             "`screenkit score` wrote")
    return meta


def read_ranked(path: str | Path, top: int, *, sample_size: int = 1000, seed: int = 0):
    """Read a ranked CSV: the first ``top`` rows, numeric columns of all rows, a sample of the rest.

    Parameters
    ----------
    path : path
        CSV written by ``screenkit score`` (optionally gzipped).
    top : int
        Rows kept in full, in file order (the ranking is not changed).
    sample_size : int
        Rows after the first ``top`` kept (reservoir sample, fixed seed) for the chemical-space map.

    Returns
    -------
    rows : list of dict
        The first ``top`` rows, every value as text.
    columns : list of str
    numeric : dict of str to numpy.ndarray
        Every row's value of each column in :data:`DISTRIBUTION_COLUMNS` and each ``<model>_p_active``.
    sample : list of str
        SMILES of the sampled rows beyond ``top``.
    n_rows : int
        Number of data rows in the file.

    Raises
    ------
    InputFileError
        For a missing, empty or non-CSV file, or one without ``smiles`` and ``id`` columns.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"ranked file {path} does not exist; write one with `screenkit score LIBRARY -o {path}`")
    if path.stat().st_size == 0:
        raise InputFileError(f"ranked file {path} is empty; write it with `screenkit score LIBRARY -o {path}`")
    if path.name.lower().removesuffix(".gz").endswith(".sdf"):
        raise UsageError(f"{path} is an SDF; the report reads the CSV from `screenkit score ... -o ranked.csv`")
    try:
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=50_000)
        rows: list[dict] = []
        columns: list[str] | None = None
        numeric_parts: dict[str, list[np.ndarray]] = {}
        sample: list[str] = []
        rng = random.Random(seed)
        n_rows = beyond = 0
        for chunk in reader:
            if columns is None:
                columns = [str(c) for c in chunk.columns]
                missing = [c for c in ("id", "smiles") if c not in columns]
                if missing:
                    raise InputFileError(f"{path} has no {' or '.join(repr(m) for m in missing)} column (it has: "
                                         f"{', '.join(columns[:8])}...); pass the CSV `screenkit score` wrote")
            for column in [c for c, _ in DISTRIBUTION_COLUMNS] + [c for c in columns if c.endswith("_p_active")]:
                if column in chunk.columns:
                    numeric_parts.setdefault(column, []).append(
                        pd.to_numeric(chunk[column], errors="coerce").to_numpy(float))
            need = max(0, top - len(rows))
            if need:
                rows.extend(chunk.iloc[:need].to_dict("records"))
            for smiles in chunk["smiles"].iloc[need:]:  # reservoir sample of the rows beyond top
                beyond += 1
                if len(sample) < sample_size:
                    sample.append(smiles)
                else:
                    j = rng.randrange(beyond)
                    if j < sample_size:
                        sample[j] = smiles
            n_rows += len(chunk)
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise InputFileError(f"cannot read {path} as CSV ({exc}); pass the CSV `screenkit score` wrote") from None
    if columns is None or n_rows == 0:
        raise InputFileError(f"ranked file {path} has no rows; is it the output of `screenkit score`?")
    numeric = {c: np.concatenate(parts) for c, parts in numeric_parts.items()}
    return rows, columns, numeric, [s for s in sample if s], n_rows


def _model_names(columns: list[str], meta: dict | None) -> list[str]:
    # a model writes <name>_p_active and <name>_ad; other outputs may also end in _p_active
    # (e.g. <name>_conformal_p_active), so the _ad column anchors the name
    names = [c[: -len("_ad")] for c in columns if c.endswith("_ad") and f"{c[: -len('_ad')]}_p_active" in columns]
    order = [c.get("name") for c in (meta or {}).get("models", {}).get("cards", []) if isinstance(c, dict)]
    return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), names.index(n)))


def _model_summaries(names: list[str], columns: list[str], meta: dict | None, bundle: dict) -> list[ModelSummary]:
    cards = {c.get("name"): c for c in (meta or {}).get("models", {}).get("cards", []) if isinstance(c, dict)}
    out = []
    for name in names:
        s = ModelSummary(name)
        card = bundle[name].card if name in bundle else {}
        m = cards.get(name, {})
        target = card.get("target", {}) if isinstance(card.get("target"), dict) else {}
        s.gene = str(m.get("gene") or target.get("gene") or "")
        s.target = str(m.get("target") or target.get("chembl_id") or "")
        s.activity_type = str(m.get("activity_type") or card.get("activity_type") or "")
        s.label = str(m.get("label") or card.get("label", {}).get("rule", ""))
        s.threshold = _float(card.get("label", {}).get("threshold"))
        s.ad_threshold = _float(m.get("ad_threshold", card.get("applicability_domain", {}).get("threshold")))
        roc = m.get("roc_auc_scaffold_cv")
        if roc is None:
            roc = card.get("validation", {}).get("metrics", {}).get("roc_auc", {}).get("mean")
        s.roc_auc = _float(roc)
        n = card.get("data", {}).get("n_measured")
        s.n_measured = int(n) if isinstance(n, (int, float)) else None
        prefix = f"{name}_"
        s.outputs = [c[len(prefix):] for c in columns
                     if c.startswith(prefix) and c[len(prefix):] not in ("p_active", "ad")
                     and not any(c.startswith(f"{o}_") and o != name and len(o) > len(name) for o in names)]
        s.has_evidence = name in bundle
        out.append(s)
    return out


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def nearest_neighbours(query: np.ndarray, reference: np.ndarray, k: int = 3,
                       block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most Tanimoto-similar reference rows for each query row.

    Parameters
    ----------
    query, reference : numpy.ndarray
        0/1 fingerprint matrices with the same number of columns.
    k : int
        Neighbours per query (fewer when ``reference`` has fewer rows).

    Returns
    -------
    indices : numpy.ndarray of int, shape (n_query, k)
        Reference row numbers, most similar first (ties: lower row number first).
    similarities : numpy.ndarray of float, shape (n_query, k)

    Examples
    --------
    >>> ref = np.array([[1, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 0]], dtype=np.uint8)
    >>> idx, sim = nearest_neighbours(np.array([[1, 1, 0, 0]], dtype=np.uint8), ref, k=2)
    >>> idx.tolist(), sim.round(3).tolist()
    ([[0, 2]], [[1.0, 0.667]])
    """
    from scipy import sparse

    k = min(k, len(reference))
    n = len(query)
    if k == 0 or n == 0:
        return np.zeros((n, k), dtype=int), np.zeros((n, k))
    q = sparse.csr_matrix(query, dtype=np.float32)
    q_counts = np.asarray(q.sum(axis=1)).ravel()
    best_idx = np.zeros((n, 0), dtype=int)
    best_sim = np.zeros((n, 0))
    for start in range(0, len(reference), block):
        ref = np.asarray(reference[start:start + block], dtype=np.float32)
        common = np.asarray(q @ ref.T)
        union = q_counts[:, None] + ref.sum(axis=1)[None, :] - common
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = np.where(union > 0, common / union, 0.0)
        idx = np.broadcast_to(np.arange(start, start + len(ref)), sim.shape)
        all_sim = np.hstack([best_sim, sim])
        all_idx = np.hstack([best_idx, idx])
        order = _top_k(all_sim, all_idx, k)
        best_sim = np.take_along_axis(all_sim, order, axis=1)
        best_idx = np.take_along_axis(all_idx, order, axis=1)
    return best_idx, best_sim


def _top_k(sim: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """Column order of the k best per row: highest similarity, then lowest index."""
    order = np.empty((len(sim), k), dtype=int)
    for i in range(len(sim)):
        order[i] = np.lexsort((idx[i], -sim[i]))[:k]
    return order


def _alert_catalog(families: tuple[str, ...]):
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    params = FilterCatalogParams()
    for family in families:
        params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, family))
    return FilterCatalog(params)


def _family(catalog: str) -> str:
    """Catalog name for matching: case-insensitive, PAINS families A-C as one (``PAINS_A`` -> ``pains``)."""
    catalog = catalog.strip().lower()
    return "pains" if catalog.startswith("pains") else catalog


def find_alerts(mol, catalog, wanted: list[str] | None = None) -> list[Alert]:
    """Structural-alert matches of one molecule, with the atoms each one covers.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
    catalog : rdkit.Chem.FilterCatalog.FilterCatalog
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
    >>> catalog = _alert_catalog(("PAINS", "BRENK"))
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
    for entry in catalog.GetMatches(mol):
        description = entry.GetDescription()
        filter_set = entry.GetProp("FilterSet") if "FilterSet" in entry.GetPropList() else ""
        label = f"{filter_set}:{description}" if filter_set else description
        if keys is not None and (_family(filter_set), description.lower()) not in keys \
                and ("", description.lower()) not in keys:
            continue
        if label in seen:
            continue
        seen.add(label)
        atoms = sorted({pair[1] for match in entry.GetFilterMatches(mol) for pair in match.atomPairs})
        out.append(Alert(label, tuple(atoms)))
    return out


def _mol(smiles: str):
    """A molecule from the ranked file's SMILES (CXSMILES extensions such as atom labels ignored)."""
    from rdkit import Chem

    if not smiles:
        return None
    params = Chem.SmilesParserParams()
    params.allowCXSMILES = False
    params.strictCXSMILES = False
    return Chem.MolFromSmiles(smiles.split()[0], params)


def _fingerprints(mols: list) -> np.ndarray:
    from ..featurize import MorganFingerprint

    fp = MorganFingerprint(radius=2, fp_size=2048)
    out = np.zeros((len(mols), 2048), dtype=np.uint8)
    ok = [i for i, m in enumerate(mols) if m is not None]
    if ok:
        out[ok] = fp.transform([mols[i] for i in ok])
    return out


_SOURCE_COLUMNS = (("molecule_chembl_ids", "ChEMBL molecule"), ("activity_ids", "ChEMBL activity"),
                   ("source", "source"))


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
            data = model.card.get("data", {}) if isinstance(model.card.get("data"), dict) else {}
            name, digest = data.get("dataset"), data.get("dataset_sha256")
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


def _chemical_space(top_fps: np.ndarray, top_titles: list[str], sample_fps: np.ndarray, bundle: dict,
                    per_model: int = 400, seed: int = 0) -> dict:
    """2D PCA map of the ranked compounds, a sample of the rest and each model's training set."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(seed)
    groups = []
    for name, model in bundle.items():
        fps = model.train_fingerprints
        if fps.shape[1] != 2048 or len(fps) == 0:
            continue
        pick = np.sort(rng.choice(len(fps), size=min(per_model, len(fps)), replace=False))
        titles = [f"{name} training: p{model.card.get('activity_type', '')} {model.train_pactivity[i]:.2f}"
                  for i in pick]
        groups.append((f"{name} training set", fps[pick], titles))
    if len(sample_fps):
        groups.append(("rest of the ranked file (sample)", sample_fps, ["ranked (not in the top N)"] * len(sample_fps)))
    groups.append(("top N ranked", top_fps, top_titles))
    matrix = np.vstack([g[1] for g in groups]).astype(np.float32)
    if len(matrix) < 3:
        return {"groups": [], "explained": []}
    pca = PCA(n_components=2, random_state=seed)
    xy = pca.fit_transform(matrix)
    out, start = [], 0
    for label, fps, titles in groups:
        out.append((label, xy[start:start + len(fps)], titles))
        start += len(fps)
    return {"groups": out, "explained": [float(v) for v in pca.explained_variance_ratio_]}


def assemble(ranked: str | Path, *, models_dir: str | Path | None = None, top: int = 300,
             meta_path: str | Path | None = None, title: str | None = None, dataset: str | Path | None = None,
             n_neighbours: int = 3, evidence_rows: int = 500,
             structure_size: tuple[int, int] = (190, 150), neighbour_size: tuple[int, int] = (130, 100)) -> ReportData:
    """Collect everything the report shows (see :func:`screenkit.report.write_report`).

    ``evidence_rows`` bounds the file size for long tables: the training neighbours of the first
    ``evidence_rows`` rows are drawn; later rows list theirs (similarity, pActivity, IDs) without
    pictures.
    """
    from ..bundle import bundle_digest, load_bundle
    from ..config import bundled_path
    from .draw import molecule_svg

    if top < 1:
        raise UsageError(f"--top must be a positive number of rows, not {top}")
    ranked = Path(ranked)
    rows, columns, numeric, sample_smiles, n_rows = read_ranked(ranked, top)
    meta_required = meta_path is not None
    meta_path = Path(meta_path) if meta_path is not None else ranked.with_name(ranked.name + ".meta.json")
    meta = read_meta(meta_path, required=meta_required)
    warnings: list[str] = []
    if meta is None:
        warnings.append(f"No run metadata ({meta_path.name}) was found: provenance is not shown.")

    models_dir = Path(models_dir) if models_dir else bundled_path("models")
    names = _model_names(columns, meta)
    bundle = {}
    try:
        digest = bundle_digest(models_dir)
        available = {m.name for m in load_bundle(models_dir, with_estimators=False)}
        wanted = [n for n in names if n in available]
        if wanted:
            bundle = {m.name: m for m in load_bundle(models_dir, wanted, training_sets_only=True)}
        missing = [n for n in names if n not in available]
        if missing:
            warnings.append(f"Models {', '.join(missing)} are not in {models_dir}: no training-set evidence for them.")
        ranked_digest = (meta or {}).get("models", {}).get("manifest_sha256")
        if ranked_digest and ranked_digest != digest:
            warnings.append(f"The models in {models_dir} are not the ones that scored this file (manifest sha256 "
                            f"{digest[:12]} vs {str(ranked_digest)[:12]} in the metadata): evidence neighbours may "
                            "not be what the predictions rest on. Pass the scoring run's --models folder.")
    except ModelBundleError as exc:  # the report still works without evidence
        warnings.append(f"Model folder {models_dir} could not be used ({exc}); evidence neighbours are not shown.")
    models = _model_summaries(names, columns, meta, bundle)

    consumed = set(_CORE) | {f"{m.name}_{o}" for m in models for o in ["p_active", "ad"] + m.outputs}
    # desirability terms of the ranking profile (d_<objective>, 0-1) first, then known properties
    properties = [(c, "d " + c[2:].replace("_", " "), 2, f"desirability of objective '{c[2:]}' (0-1)")
                  for c in columns if c.startswith("d_")]
    properties += [p for p in PROPERTY_COLUMNS if p[0] in columns]
    consumed |= {p[0] for p in properties}
    extra_columns = [c for c in columns if c not in consumed]

    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")  # unparsable SMILES in a hand-edited file are shown as such, not logged
    try:
        mols = [_mol(r.get("smiles", "")) for r in rows]
        catalog_all = _alert_catalog(("ALL",)) if "alerts" in columns else None
        catalog = _alert_catalog(_DEFAULT_ALERT_CATALOGS)
        alerts: dict[int, list[Alert]] = {}
        svgs: dict[str, str] = {}
        for i, (row, mol) in enumerate(zip(rows, mols)):
            if mol is None:
                continue
            if catalog_all is not None:
                listed = [a for a in row.get("alerts", "").split(";") if a.strip()]
                alerts[i] = find_alerts(mol, catalog_all, listed) if listed else []
            else:
                alerts[i] = find_alerts(mol, catalog)
            svgs[f"#{i}"] = molecule_svg(mol, *structure_size,
                                         highlight=[a for alert in alerts[i] for a in alert.atoms])
        top_fps = _fingerprints(mols)
        sources = source_identifiers(bundle, dataset) if bundle else {}
        neighbours: dict[int, dict[str, list[Neighbour]]] = {i: {} for i in range(len(rows))}
        for name, model in bundle.items():
            if model.train_fingerprints.shape[1] != top_fps.shape[1]:
                warnings.append(f"{name}: training fingerprints are not Morgan 2048 bits; no evidence shown.")
                continue
            idx, sim = nearest_neighbours(top_fps, model.train_fingerprints, k=n_neighbours)
            identifiers = [(label, getattr(model, attr)) for attr, label in _IDENTIFIER_ATTRIBUTES
                           if getattr(model, attr, None) is not None]
            target = model.card.get("target", {})
            source_key = (str(target.get("chembl_id", "")) if isinstance(target, dict) else "",
                          str(model.card.get("activity_type", "")))
            for i, mol in enumerate(mols):
                if mol is None:
                    continue
                found = []
                for j, s in zip(idx[i], sim[i]):
                    key = f"{name}:{int(j)}"
                    if key not in svgs and i < evidence_rows:
                        train_mol = _mol(str(model.train_smiles[j]))
                        svgs[key] = molecule_svg(train_mol, *neighbour_size) if train_mol is not None else ""
                    inchikey = str(model.train_inchikey[j])
                    ids = {label: str(values[j]) for label, values in identifiers}
                    ids.update(sources.get(source_key + (inchikey,), {}))
                    found.append(Neighbour(float(s), float(model.train_pactivity[j]), str(model.train_smiles[j]),
                                           inchikey, ids, key))
                neighbours[i][name] = found
        sample_mols = [m for m in (_mol(s) for s in sample_smiles) if m is not None]
        titles = [f"#{r.get('rank', i + 1)} {r.get('id', '')}" for i, r in enumerate(rows)]
        ok = [i for i, m in enumerate(mols) if m is not None]
        space = _chemical_space(top_fps[ok], [titles[i] for i in ok], _fingerprints(sample_mols), bundle)
    finally:
        RDLogger.EnableLog("rdApp.*")

    top_numeric = {c: v[:len(rows)] for c, v in numeric.items()}
    distributions = {c: (numeric[c], top_numeric[c]) for c in numeric}
    return ReportData(
        title=title or f"screenkit review: {ranked.name}", ranked_path=str(ranked), n_rows_total=n_rows, rows=rows,
        columns=columns, models=models, properties=properties, extra_columns=extra_columns, meta=meta,
        meta_path=str(meta_path), models_dir=str(models_dir), warnings=warnings, distributions=distributions,
        space=space, molecule_svgs=svgs, neighbours=neighbours, alerts=alerts, evidence_rows=evidence_rows)
