"""Everything the review report shows, assembled from a ranked file, its metadata and the models.

The jobs live in their own modules: :mod:`.reading` (ranked CSV, metadata, marks),
:mod:`.evidence` (training neighbours, alerts, measured compounds), :mod:`.space` (series and
the chemical-space map) and :mod:`.models` (card figures, panel coverage). This module runs them
in order. It never changes or re-sorts the ranking.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelBundleError, UsageError
from .evidence import (
    Alert,
    Measured,
    Neighbour,
    alert_catalog,
    canonical_smiles,
    evidence_neighbours,
    find_alerts,
    fingerprints,
    measured_matches,
    parse_smiles,
    source_identifiers,
    training_record,
)
from .models import ModelSummary, model_names, model_summaries, unmodelled_targets
from .reading import PROPERTY_COLUMNS, RankedTable, read_marks, read_meta, read_ranked
from .space import Series, chemical_space, group_series, murcko_scaffold

__all__ = ["NO_MODEL_SUPPORT", "ReportData", "assemble"]

log = logging.getLogger(__name__)

#: Rows whose activity desirability (``d_activity``) is below this were ranked on properties
#: alone: no model gave them an in-domain probability worth the name. The page flags them.
NO_MODEL_SUPPORT = 0.25
#: Rows above which the page warns that it gets slow (measured: see the README's report section).
LARGE_PAGE = 200_000
_CORE = ["rank", "input_position", "id", "smiles", "overall_score", "best_model", "status", "reason",
         "rank_reason", "alerts"]
_DEFAULT_ALERT_CATALOGS = ("PAINS", "BRENK", "NIH")


@dataclass
class ReportData:
    """All values the HTML is rendered from."""

    title: str
    ranked_path: str
    table: RankedTable
    models: list[ModelSummary]
    properties: list[tuple[str, str, int | None, str, str]]  # (column, header, decimals, tooltip, group)
    extra_columns: list[str]
    meta: dict | None
    meta_path: str
    models_dir: str
    warnings: list[str]
    space: dict
    neighbours: dict[int, dict[str, list[Neighbour]]]  # row -> model -> neighbours (first evidence_rows rows)
    alerts: dict[int, list[Alert]]
    measured: dict[int, list[Measured]]
    series: list[Series]
    scaffolds: list[str]
    training: dict[str, tuple[float, str, str, dict[str, str]]]  # key -> (pActivity, SMILES, InChIKey, IDs)
    unmodelled: list[tuple[str, str, str]]
    marks: dict[str, tuple[str, str]] = field(default_factory=dict)
    evidence_rows: int = 2000
    fallback_svgs: dict[int, str] = field(default_factory=dict)  # server-drawn, used when WebAssembly fails

    @property
    def n_rows_total(self) -> int:
        return self.table.n_rows_total

    @property
    def run_key(self) -> str:
        """What the page's stored marks are keyed by: the input library's sha256, else the ranked path."""
        library = (self.meta or {}).get("library", {})
        return str(library.get("sha256") if isinstance(library, dict) and library.get("sha256") else self.ranked_path)


def _load_models(models_dir: Path, names: list[str], meta: dict | None, warnings: list[str]) -> dict:
    from ..model.bundle import bundle_digest, load_bundle

    try:
        digest = bundle_digest(models_dir)
        available = {m.name for m in load_bundle(models_dir, with_estimators=False)}
        wanted = [n for n in names if n in available]
        bundle = {m.name: m for m in load_bundle(models_dir, wanted, training_sets_only=True)} if wanted else {}
        missing = [n for n in names if n not in available]
        if missing:
            warnings.append(f"Models {', '.join(missing)} are not in {models_dir}: no training-set evidence for them.")
        ranked_digest = (meta or {}).get("models", {}).get("manifest_sha256")
        if ranked_digest and ranked_digest != digest:
            warnings.append(f"The models in {models_dir} are not the ones that scored this file (manifest sha256 "
                            f"{digest[:12]} vs {str(ranked_digest)[:12]} in the metadata): evidence neighbours may "
                            "not be what the predictions rest on. Pass the scoring run's --models folder.")
        return bundle
    except ModelBundleError as exc:  # the report still works without evidence
        warnings.append(f"Model folder {models_dir} could not be used ({exc}); evidence neighbours are not shown.")
        return {}


def _chemistry_chunk(rows: list[tuple[int, str, str | None, bool, bool]], listed_alerts: bool) -> list[tuple]:
    """Per-row chemistry of one chunk (runs in a worker): canonical SMILES, scaffold, alert atoms, fallback SVG.

    ``rows`` holds ``(row, SMILES, alerts text or None, find alerts?, draw?)``; workers get text, not molecules.
    """
    from rdkit import RDLogger

    from .draw import molecule_svg

    catalog = None
    out = []
    RDLogger.DisableLog("rdApp.*")  # unparsable SMILES in a hand-edited file are shown as such, not logged
    try:
        for i, smiles, alerts_text, find, draw in rows:
            mol = parse_smiles(smiles)
            found: list[Alert] = []
            listed = [a for a in (alerts_text or "").split(";") if a.strip()]
            if mol is not None and (listed or find):
                if catalog is None:
                    catalog = alert_catalog(("ALL",)) if listed_alerts else alert_catalog(_DEFAULT_ALERT_CATALOGS)
                found = find_alerts(mol, catalog, listed) if listed_alerts else find_alerts(mol, catalog)
            svg = molecule_svg(mol, 180, 135, highlight=[a for x in found for a in x.atoms]) \
                if draw and mol is not None else None
            out.append((i, canonical_smiles(mol), murcko_scaffold(mol), found, svg, listed_alerts and bool(listed) or find))
    finally:
        RDLogger.EnableLog("rdApp.*")
    return out


def _structures(table: RankedTable, fp_rows: int, fallback_rows: int, n_jobs: int = 1):
    """One pass over the rows' structures (in parallel for ``n_jobs`` > 1), then the evidence rows' fingerprints."""
    from ..screen.parallel import map_chunks

    listed_alerts = "alerts" in table.columns
    texts = table.text["alerts"] if listed_alerts else [None] * len(table)
    # with an alerts column only the rows that list alerts need the catalog; without one, the evidence rows
    rows = ((i, smiles, texts[i], not listed_alerts and i < fp_rows, i < fallback_rows)
            for i, smiles in enumerate(table.text["smiles"]))
    canonical, scaffolds, alerts, svgs = [], [], {}, {}
    for _, results in map_chunks(_chemistry_chunk, rows, chunk_size=5000, n_jobs=n_jobs, args=(listed_alerts,)):
        for i, smiles, scaffold, found, svg, looked in results:
            canonical.append(smiles)
            scaffolds.append(scaffold)
            if looked and smiles:
                alerts[i] = found
            if svg is not None:
                svgs[i] = svg
    return canonical, scaffolds, alerts, svgs, fingerprints(_parse_quietly(table.text["smiles"][:fp_rows]))


def _parse_quietly(smiles: list[str]) -> list:
    """Molecules of ``smiles`` (None where unparsable), with RDKit's complaints muted."""
    from rdkit import RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        return [parse_smiles(s) for s in smiles]
    finally:
        RDLogger.EnableLog("rdApp.*")


def assemble(ranked: str | Path, *, models_dir: str | Path | None = None, top: int | None = None,
             meta_path: str | Path | None = None, title: str | None = None, dataset: str | Path | None = None,
             marks: str | Path | None = None, n_neighbours: int = 3, evidence_rows: int = 2000,
             fallback_rows: int = 60, n_jobs: int = 1) -> ReportData:
    """Collect everything the report shows (see :func:`screenkit.report.write_report`).

    ``evidence_rows`` bounds the work for long files: the training neighbours of the first
    ``evidence_rows`` rows are embedded (and those rows are mapped in chemical space).
    ``fallback_rows`` structures are drawn here, for browsers that cannot run WebAssembly.
    ``n_jobs`` processes share the per-row chemistry (parsing, scaffolds, alert atoms).
    """
    from ..config import bundled_path

    if top is not None and top < 1:
        raise UsageError(f"--top must be a positive number of rows, not {top}")
    ranked = Path(ranked)
    table = read_ranked(ranked, top)
    meta_required = meta_path is not None
    meta_path = Path(meta_path) if meta_path is not None else ranked.with_name(ranked.name + ".meta.json")
    meta = read_meta(meta_path, required=meta_required)
    warnings = _page_warnings(table, meta, meta_path)
    review_marks = _review_marks(marks, table, warnings) if marks is not None else {}

    models_dir = Path(models_dir) if models_dir else bundled_path("models")
    names = model_names(table.columns, meta)
    bundle = _load_models(models_dir, names, meta, warnings)
    models = model_summaries(names, table.columns, meta, bundle)
    properties, extra_columns = _columns(table, models)

    fp_rows = min(len(table), evidence_rows)
    canonical, scaffolds, alerts, svgs, fps = _structures(table, fp_rows, fallback_rows, n_jobs)
    sources = source_identifiers(bundle, dataset) if bundle else {}
    neighbours = evidence_neighbours(fps, bundle, sources, k=n_neighbours, warnings=warnings)
    measured = measured_matches(canonical, table.text.get("inchikey"), bundle)
    training = _training_records(neighbours, measured, bundle, sources)
    series = group_series(scaffolds, table.numbers.get("overall_score", np.full(len(table), np.nan)))
    space = _space(table, fps, fp_rows, bundle)
    return ReportData(
        title=title or f"screenkit review: {ranked.name}", ranked_path=str(ranked), table=table, models=models,
        properties=properties, extra_columns=extra_columns, meta=meta, meta_path=str(meta_path),
        models_dir=str(models_dir), warnings=warnings, space=space, neighbours=neighbours, alerts=alerts,
        measured=measured, series=series, scaffolds=scaffolds, training=training,
        unmodelled=unmodelled_targets(models), marks=review_marks, evidence_rows=fp_rows, fallback_svgs=svgs)


def _page_warnings(table: RankedTable, meta: dict | None, meta_path: Path) -> list[str]:
    """Warnings about the page itself: too many rows for a browser, no run metadata."""
    warnings: list[str] = []
    if len(table) > LARGE_PAGE:
        warnings.append(f"This page holds {len(table):,} rows; above about {LARGE_PAGE:,} the first structure search "
                        "and the page itself get slow in a browser. Use --top N for a lighter page.")
    if meta is None:
        warnings.append(f"No run metadata ({meta_path.name}) was found: provenance is not shown.")
    return warnings


def _review_marks(marks: str | Path, table: RankedTable, warnings: list[str]) -> dict[str, tuple[str, str]]:
    """Marks and comments from an exported marks CSV; its problems and IDs not on the page become warnings."""
    review_marks, problems = read_marks(marks)
    known = set(table.text["id"])
    unknown = [rid for rid in review_marks if rid not in known]
    warnings += problems[:20]
    if unknown:
        warnings.append(f"{len(unknown)} marked IDs from {Path(marks).name} are not in this report "
                        f"(e.g. {', '.join(unknown[:3])}); their marks are kept in the export.")
    return review_marks


def _columns(table: RankedTable, models: list[ModelSummary]) -> tuple[list[tuple[str, str, int | None, str, str]],
                                                                      list[str]]:
    """The property columns shown (desirability terms of the profile first, then known properties) and the
    columns nothing else shows."""
    consumed = set(_CORE) | {f"{m.name}_{o}" for m in models for o in ["p_active", "ad"] + m.outputs}
    # desirability terms of the ranking profile (d_<objective>, 0-1) first, then known properties
    properties: list[tuple[str, str, int | None, str, str]] = [
        (c, "d " + c[2:].replace("_", " "), 2, f"desirability of objective '{c[2:]}' (0-1)", "score terms")
        for c in table.columns if c.startswith("d_")]
    properties += [p for p in PROPERTY_COLUMNS if p[0] in table.columns]
    consumed |= {p[0] for p in properties}
    return properties, [c for c in table.columns if c not in consumed]


def _training_records(neighbours: dict, measured: dict, bundle: dict,
                      sources: dict) -> dict[str, tuple[float, str, str, dict[str, str]]]:
    """The training compounds the page cites (as neighbours or as the measured compound itself), by key."""
    keys = {n.key for found in neighbours.values() for ns in found.values() for n in ns}
    keys |= {m.key for ms in measured.values() for m in ms}
    return {key: training_record(bundle[key.rsplit(":", 1)[0]], int(key.rsplit(":", 1)[1]), sources)
            for key in sorted(keys)}


def _space(table: RankedTable, fps: np.ndarray, fp_rows: int, bundle: dict) -> dict:
    """The chemical-space map of the evidence rows that have a structure, beside a sample of the rest."""
    ok = [i for i in range(fp_rows) if fps[i].any()]
    titles = [f"#{table.numbers['rank'][i]:.0f} {table.text['id'][i]}" if "rank" in table.numbers
              else table.text["id"][i] for i in ok]
    sample = fingerprints([m for m in _parse_quietly(table.sample) if m is not None])
    return chemical_space(fps[ok], titles, sample, bundle)
