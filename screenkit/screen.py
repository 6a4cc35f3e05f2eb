"""The main job end to end: score a library with a model bundle and write it ranked.

Memory stays flat as the library grows: scored rows are buffered up to ``run_size``,
sorted and spilled to a temporary file; the final output is a streaming k-way merge
of those sorted runs. Only one buffer of rows is ever held in memory.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from . import __version__
from .bundle import bundle_digest, load_bundle
from .config import bundled_path
from .errors import UsageError
from .library import detect_format, iter_records, write_csv, write_sdf
from .parallel import map_chunks
from .rank import RANK_COLUMNS, add_overall_score, rank_key
from .score import ScoreOptions, prediction_columns, score_records

__all__ = ["ScreenSummary", "screen_library"]

log = logging.getLogger(__name__)
BASE_COLUMNS = ["rank", "input_position", "id", "smiles"]
STATUS_COLUMNS = ["status", "reason"]


@dataclass
class ScreenSummary:
    """What a run did: counts per status, output files and timing."""

    library: str
    output: str
    metadata: str
    models: list[str]
    n_records: int = 0
    n_ok: int = 0
    n_warning: int = 0
    n_error: int = 0
    seconds: float = 0.0
    columns: list[str] = field(default_factory=list)

    @property
    def molecules_per_second(self) -> float:
        return self.n_records / self.seconds if self.seconds else 0.0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _spill(rows: list[dict], directory: Path, index: int) -> Path:
    path = directory / f"run{index:05d}.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row))
            fh.write("\n")
    return path


def _read_run(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            row["input_properties"] = [tuple(p) for p in row.get("input_properties", ())]
            yield row


def _numbered(rows: Iterator[dict]) -> Iterator[dict]:
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        yield row


def screen_library(library: str | Path, output: str | Path, *, models_dir: str | Path | None = None,
                   fmt: str | None = None, smiles_col: str | None = None, id_col: str | None = None,
                   id_field: str | None = None, n_jobs: int = 1, chunk_size: int = 500,
                   run_size: int = 50_000, backend: str = "loky", progress: bool | None = None,
                   command: str = "") -> ScreenSummary:
    """Score every record of ``library`` with every model and write the ranked result.

    Parameters
    ----------
    library : path
        SDF, SMILES or CSV/TSV file, optionally gzipped.
    output : path
        ``.csv`` (or ``.csv.gz``) for a table, ``.sdf`` (or ``.sdf.gz``) for structures with the input's
        data items plus the new columns. A ``<output>.meta.json`` with provenance is written beside it.
    models_dir : path, optional
        Model folder; default the bundled models.
    n_jobs : int
        Worker processes (joblib); ``-1`` uses every core.
    chunk_size : int
        Records per task sent to a worker.
    run_size : int
        Rows buffered in memory before a sorted run is spilled to disk.
    progress : bool, optional
        Show a progress bar; default only when stderr is a terminal.

    Returns
    -------
    ScreenSummary
    """
    started = time.perf_counter()
    library, output = Path(library), Path(output)
    models_dir = Path(models_dir) if models_dir else bundled_path("models")
    out_suffix = output.name.lower().removesuffix(".gz").rsplit(".", 1)[-1]
    if out_suffix not in ("csv", "sdf"):
        raise UsageError(f"output {output} must end in .csv or .sdf (optionally .gz)")
    if not output.parent.exists():
        raise UsageError(f"output folder {output.parent} does not exist; create it first")
    detect_format(library, fmt)  # a bad format fails before any work starts
    digest = bundle_digest(models_dir)
    models = load_bundle(models_dir, with_estimators=False)  # workers load the forests
    options = ScoreOptions(str(models_dir.resolve()), digest, id_field=id_field, keep_molblock=out_suffix == "sdf")
    columns = BASE_COLUMNS + RANK_COLUMNS + prediction_columns(models) + STATUS_COLUMNS
    summary = ScreenSummary(str(library), str(output), str(output) + ".meta.json", [m.name for m in models],
                            columns=columns)

    from tqdm import tqdm

    bar = tqdm(unit=" mol", disable=None if progress is None else not progress, file=sys.stderr,
               desc="scoring", mininterval=0.5)
    records = iter_records(library, fmt, smiles_col=smiles_col, id_col=id_col)
    with tempfile.TemporaryDirectory(prefix="screenkit-runs-", dir=output.parent) as spill_dir:
        buffer: list[dict] = []
        runs: list[Path] = []
        for chunk, rows in map_chunks(score_records, records, chunk_size=chunk_size, n_jobs=n_jobs,
                                      backend=backend, args=(options,)):
            add_overall_score(rows, models)
            for row in rows:
                summary.n_records += 1
                setattr(summary, f"n_{row['status']}", getattr(summary, f"n_{row['status']}") + 1)
            buffer.extend(rows)
            bar.update(len(chunk))
            if len(buffer) >= run_size:
                buffer.sort(key=rank_key)
                runs.append(_spill(buffer, Path(spill_dir), len(runs)))
                buffer = []
        bar.close()
        buffer.sort(key=rank_key)
        if runs:
            runs.append(_spill(buffer, Path(spill_dir), len(runs)))
            buffer = []
            ranked = heapq.merge(*(_read_run(p) for p in runs), key=rank_key)
        else:
            ranked = iter(buffer)
        writer = write_sdf if out_suffix == "sdf" else write_csv
        partial = output.with_name(output.name + ".partial")
        writer(_numbered(ranked), partial, columns)
        os.replace(partial, output)  # never leave a half-written output under the final name
    summary.seconds = time.perf_counter() - started
    _write_metadata(summary, library, models, digest, command)
    log.info("scored %d records (%d ok, %d warning, %d error) in %.1f s", summary.n_records, summary.n_ok,
             summary.n_warning, summary.n_error, summary.seconds)
    return summary


def _write_metadata(summary: ScreenSummary, library: Path, models, digest: str, command: str) -> None:
    import rdkit
    import sklearn

    meta = {
        "screenkit_version": __version__,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "library": {"path": str(library), "sha256": _sha256(library), "size_bytes": library.stat().st_size},
        "models": {"manifest_sha256": digest,
                   "cards": [{"name": m.name, "target": m.card["target"]["chembl_id"],
                              "gene": m.card["target"]["gene"], "activity_type": m.card["activity_type"],
                              "label": m.card["label"]["rule"], "ad_threshold": m.ad_threshold,
                              "roc_auc_scaffold_cv": m.card["validation"]["metrics"]["roc_auc"]["mean"]}
                             for m in models]},
        "overall_score": "max over models of p_active * min(1, ad / ad_threshold)",
        "counts": {k: v for k, v in asdict(summary).items() if k.startswith("n_")},
        "seconds": round(summary.seconds, 2),
        "versions": {"python": platform.python_version(), "rdkit": rdkit.__version__,
                     "scikit-learn": sklearn.__version__},
    }
    Path(summary.metadata).write_text(json.dumps(meta, indent=2) + "\n")
