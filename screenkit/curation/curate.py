"""Curate files: a raw record file (``screenkit curate``) or a fresh ChEMBL pull (``screenkit fetch``)
into the screenkit dataset and its companions, losing nothing silently.

The rules, their order and the aggregation are in :mod:`screenkit.curation.records`; this
module reads the raw records and their fetch metadata, runs the rules, and writes the dataset,
the curation log (one line per excluded record), the per-target summary and the provenance.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .. import __version__
from ..chembl import ApiSettings, fetch_records, open_source, read_raw, write_raw
from ..chembl.export import IMPLIED_CONFIDENCE, is_web_export
from ..config import Panel, Target
from ..errors import InputFileError, UsageError
from ..hashing import file_sha256
from .records import RULES, CurationConfig, curate_records

__all__ = ["CurationResult", "curate_file", "fetch_dataset", "output_paths"]

log = logging.getLogger(__name__)


@dataclass
class CurationResult:
    """The curated dataset, the log of excluded records, the per-target summary and provenance."""

    dataset: pd.DataFrame
    log: pd.DataFrame
    summary: pd.DataFrame
    provenance: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)


def output_paths(output: str | Path) -> dict[str, Path]:
    """The dataset file and its companions: ``X.csv`` -> ``X.log.csv``, ``X.summary.csv``, ...

    Examples
    --------
    >>> sorted(output_paths("pull/panel.csv"))
    ['checkpoint', 'dataset', 'log', 'provenance', 'raw', 'raw_meta', 'summary']
    >>> output_paths("panel.csv.gz")["summary"].name
    'panel.summary.csv'
    """
    output = Path(output)
    name = output.name
    for suffix in (".csv.gz", ".csv"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            break
    else:
        raise UsageError(f"dataset name {output} must end in .csv or .csv.gz (e.g. -o panel.csv)")
    if not stem:
        raise UsageError(f"dataset name {output} has no stem; use e.g. -o panel.csv")
    at = output.parent
    return {"dataset": output, "log": at / f"{stem}.log.csv", "summary": at / f"{stem}.summary.csv",
            "provenance": at / f"{stem}.provenance.json", "raw": at / f"{stem}.raw.csv",
            "raw_meta": at / f"{stem}.raw.json", "checkpoint": at / f"{stem}.checkpoint"}


def _release_label(release: str) -> str:
    """One spelling per release: the API says ``ChEMBL_35``, the database table ``CHEMBL_35``.

    >>> _release_label("CHEMBL_35"), _release_label("ChEMBL_35"), _release_label("unknown")
    ('ChEMBL_35', 'ChEMBL_35', 'ChEMBL unknown')
    """
    match = re.fullmatch(r"chembl[_ ]?(\d+)", str(release).strip(), flags=re.IGNORECASE)
    if match:
        return f"ChEMBL_{match.group(1)}"
    return str(release) if str(release).lower().startswith("chembl") else f"ChEMBL {release}"


_EXPORT_NOTES = {
    "activity_id": "the web export has no activity ID: activity_id is the record's 1-based position in the export",
    "confidence_score": f"the web export has no confidence score: records of a SINGLE PROTEIN target get "
                        f"{IMPLIED_CONFIDENCE}, the lower bound of ChEMBL's definition (8 homologous, 9 direct), so "
                        "--min-confidence 9 excludes them all",
    "target_tax_id": "from Target Organism (Homo sapiens = 9606); other organisms are left empty",
    "molecule_chembl_ids": "the tested form's ID (the export has no parent molecule ID)",
}


def _finish(raw: pd.DataFrame, meta: dict | None, paths: dict, config: CurationConfig, genes: dict,
            raw_path: Path, activity_types: Mapping[str, Sequence[str]] | None = None) -> CurationResult:
    targets = [t["chembl_id"] for t in (meta or {}).get("targets", [])]
    kind = (meta or {}).get("source", {}).get("kind") or ("web-export" if is_web_export(raw_path) else "file")
    if kind == "web-export":
        source = "ChEMBL web export (release not stated)"
    else:
        source = _release_label((meta or {}).get("source", {}).get("release") or "unknown")
    dataset, log_table, summary = curate_records(raw, config, genes=genes, source=source, targets=targets,
                                                 activity_types=activity_types)
    paths["dataset"].parent.mkdir(parents=True, exist_ok=True)
    dataset.to_csv(paths["dataset"], index=False)
    log_table.to_csv(paths["log"], index=False)
    summary.to_csv(paths["summary"], index=False)
    thin = summary[summary["too_little_data"] != ""]
    for _, line in thin.iterrows():
        log.info("%s (%s): too little data for a model (< %d compounds): %s", line["target_chembl_id"],
                    line["gene"], config.min_compounds, line["too_little_data"])
    provenance = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "screenkit_version": __version__,
        "source": (meta or {}).get("source", {"kind": kind, "location": str(raw_path), "release": "unknown"}),
        "fetched": (meta or {}).get("fetched"),
        "targets": (meta or {}).get("targets", []),
        "queries": (meta or {}).get("queries", {}),
        **({"web_export": _EXPORT_NOTES} if kind == "web-export" else {}),
        "curation": {"rules": list(RULES), "config": asdict(config),
                     "activity_types": {t: list(v) for t, v in (activity_types or {}).items()},
                     "modality": "from action_type, else the assay description's opening phrase; "
                                 "see screenkit.chembl.modality",
                     "pactivity": "median of pchembl_value for exact values; 9 - log10(nM) for censored ones",
                     "relation": "on the pActivity scale: '<' = weaker than the value, '>' = stronger"},
        "files": {"raw": raw_path.name, "raw_sha256": file_sha256(raw_path), "dataset": paths["dataset"].name,
                  "log": paths["log"].name, "summary": paths["summary"].name},
        "counts": {"records_in": len(raw), "records_excluded": len(log_table), "dataset_rows": len(dataset),
                   "targets_with_too_little_data": thin["target_chembl_id"].tolist()},
        "licence": "ChEMBL data: CC BY-SA 3.0; cite the ChEMBL release and keep share-alike terms",
    }
    paths["provenance"].write_text(json.dumps(provenance, indent=2, default=str), encoding="utf-8")
    return CurationResult(dataset, log_table, summary, provenance, paths)


def curate_file(raw: str | Path, output: str | Path, *, panel: Panel | None = None,
                config: CurationConfig | None = None) -> CurationResult:
    """Curate a raw record file (``screenkit curate``) and write the dataset and its companions.

    The fetch metadata next to the raw file (``X.raw.json`` for ``X.raw.csv``), when present,
    supplies the source, release, queries and gene symbols; otherwise genes come from ``panel``.

    Raises
    ------
    InputFileError
        If the raw file is missing or is not a raw record table.
    """
    raw_path = Path(raw)
    config = config or CurationConfig()
    paths = output_paths(output)
    table = read_raw(raw_path)
    meta_path = raw_path.with_name(raw_path.name.removesuffix(".gz").removesuffix(".csv") + ".json")
    meta = None
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError:
            raise InputFileError(f"fetch metadata {meta_path} is not JSON; delete or fix it") from None
    genes = {t["chembl_id"]: t["gene"] for t in (meta or {}).get("targets", [])}
    types = {t["chembl_id"]: tuple(t["activity_types"]) for t in (meta or {}).get("targets", [])
             if t.get("activity_types")}
    if panel is not None:
        for target in panel.targets:
            if target.chembl_id:
                genes.setdefault(target.chembl_id, target.gene)
                types.setdefault(target.chembl_id, tuple(target.activity_types))
    return _finish(table, meta, paths, config, genes, raw_path, types)


def fetch_dataset(targets: Sequence[Target], output: str | Path, *, source: str = "api",
                  api: ApiSettings | None = None, resume: bool = False, config: CurationConfig | None = None,
                  progress: Callable | None = None) -> CurationResult:
    """Pull the targets' ChEMBL records, curate them and write the dataset (``screenkit fetch``).

    Writes ``X.csv`` (the dataset), ``X.raw.csv`` and ``X.raw.json`` (raw records and what
    produced them), ``X.log.csv`` (excluded records), ``X.summary.csv`` (per target) and
    ``X.provenance.json``. A web API pull saves its pages under ``X.checkpoint/`` while it
    runs; ``resume=True`` continues from them, and the folder is removed on success.

    Parameters
    ----------
    targets : sequence of Target
        Panel targets (their ``chembl_id``, ``uniprot`` and ``activity_types`` are used).
    output : path
        Dataset file, ``.csv`` or ``.csv.gz``.
    source : str
        ``"api"`` or a SQLAlchemy URL (``sqlite:///chembl_35.db``, ``postgresql://...``).
    api : ApiSettings, optional
        Web API base URL, timeout, page size, retries.
    resume : bool
        Continue an interrupted web API pull from its checkpoint.
    config : CurationConfig, optional
        Curation rules.
    progress : callable, optional
        Called after each web API page as ``progress(resource, offset, n_records, total_count)``.
    """
    config = config or CurationConfig()
    paths = output_paths(output)
    paths["dataset"].parent.mkdir(parents=True, exist_ok=True)
    chembl = open_source(source, api=api, checkpoint_dir=paths["checkpoint"], resume=resume, progress=progress)
    try:
        pull = fetch_records(targets, chembl, tax_id=config.organism_tax_id, target_type=config.target_type)
    finally:
        chembl.close()
    write_raw(pull.records, paths["raw"])
    paths["raw_meta"].write_text(json.dumps(pull.meta, indent=2, default=str), encoding="utf-8")
    result = _finish(pull.records, pull.meta, paths, config, {str(t.chembl_id): t.gene for t in targets},
                     paths["raw"], {str(t.chembl_id): tuple(t.activity_types) for t in targets})
    shutil.rmtree(paths["checkpoint"], ignore_errors=True)
    return result
