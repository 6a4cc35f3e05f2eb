"""The main job end to end: score a library with a model bundle and write it ranked.

Memory stays flat as the library grows: the main process only splits the file into
text records, workers score chunks, and finished chunks go straight to a crash-safe
external sort (:mod:`screenkit.runstore`) in ``OUT.work/``. The ranked output is a
streaming merge of sorted runs; ``--resume`` continues a killed run from its last
completed chunk and produces byte-identical output.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import platform
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import __version__
from .bundle import bundle_digest, load_bundle
from .config import Profile, bundled_path, load_profile
from .errors import UsageError
from .library import RankedRowFormat, detect_format, iter_records, write_ranked
from .parallel import map_chunks
from .properties import PROPERTY_COLUMNS
from .rank import RANK_COLUMNS, ParetoFront, objective_columns, rank_key, score_rows
from .runstore import RunStore, encode_rows
from .score import ScoreOptions, prediction_columns, score_records
from .hashing import file_sha256

__all__ = ["ScreenSummary", "screen_library"]

log = logging.getLogger(__name__)
BASE_COLUMNS = ["rank", "input_position", "id", "smiles"]
STATUS_COLUMNS = ["status", "reason"]
# What a work folder's lines hold; a folder written in another format is never resumed.
# 2: key [unscored, -score, position, objective values] and the row's output text.
STORE_FORMAT = 2


@dataclass
class ScreenSummary:
    """What a run did: counts per status, output files and timing."""

    library: str
    output: str
    metadata: str
    status_file: str
    models: list[str]
    n_records: int = 0
    n_ok: int = 0
    n_warning: int = 0
    n_error: int = 0
    n_written: int = 0
    n_resumed: int = 0
    seconds: float = 0.0
    columns: list[str] = field(default_factory=list)

    @property
    def molecules_per_second(self) -> float:
        scored_now = self.n_records - self.n_resumed
        return scored_now / self.seconds if self.seconds else 0.0


def screen_library(library: str | Path, output: str | Path, *, models_dir: str | Path | None = None,
                   fmt: str | None = None, smiles_col: str | None = None, id_col: str | None = None,
                   id_field: str | None = None, n_jobs: int = 1, chunk_size: int = 1000,
                   run_size: int = 10_000, backend: str = "loky", scheduler: str | None = None,
                   top: int | None = None, resume: bool = False, profile: Profile | str | None = None,
                   pareto: bool = False, progress: bool | None = None, command: str = "") -> ScreenSummary:
    """Score every record of ``library`` with every model and write the ranked result.

    Parameters
    ----------
    library : path
        SDF, SMILES or CSV/TSV file, optionally gzipped.
    output : path
        ``.csv`` (or ``.csv.gz``) for a table, ``.sdf`` (or ``.sdf.gz``) for structures with the input's
        data items plus the new columns. Beside it: ``OUT.status.csv`` (every record's status, in input
        order) and ``OUT.meta.json`` (provenance).
    models_dir : path, optional
        Model folder; default the bundled models.
    n_jobs : int
        Worker processes (joblib); ``-1`` uses every core.
    chunk_size : int
        Records per task sent to a worker (and per checkpoint).
    run_size : int
        Rows held in memory before a sorted run is written to disk.
    backend : {"loky", "dask"}
        Where chunks run: local processes, or a Dask cluster at ``scheduler``.
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``) for ``backend="dask"``.
    top : int, optional
        Write only the best ``top`` rows to ``output`` (the status file still lists every record).
    resume : bool
        Continue an interrupted run from ``OUT.work/``.
    profile : Profile or str, optional
        Ranking profile or its file/bundled name; default the bundled ``leukodystrophy`` profile.
    pareto : bool
        Write only the non-dominated compounds over the profile's objectives (still in score order).
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
    if top is not None and top < 1:
        raise UsageError(f"--top must be a positive number of rows, not {top}")
    if backend not in ("loky", "dask"):
        raise UsageError(f"unknown backend {backend!r}; use loky (this machine) or dask (a cluster)")
    profile = profile if isinstance(profile, Profile) else load_profile(profile)
    fmt = detect_format(library, fmt)  # a bad format fails before any work starts
    records = iter_records(library, fmt, smiles_col=smiles_col, id_col=id_col)
    digest = bundle_digest(models_dir)
    models = load_bundle(models_dir, with_estimators=False)  # workers load the forests
    options = ScoreOptions(str(models_dir.resolve()), digest, id_field=id_field, keep_molblock=out_suffix == "sdf",
                           properties=profile.properties, alert_families=tuple(profile.alert_factors),
                           qed=profile.qed is not None)
    objectives = objective_columns(profile, models)
    columns = (BASE_COLUMNS + RANK_COLUMNS + objectives + prediction_columns(models)
               + (PROPERTY_COLUMNS if profile.properties else []) + STATUS_COLUMNS)
    summary = ScreenSummary(str(library), str(output), str(output) + ".meta.json", str(output) + ".status.csv",
                            [m.name for m in models], columns=columns)
    library_sha256 = file_sha256(library) if library.exists() else ""
    signature = {"store_format": STORE_FORMAT, "library_sha256": library_sha256, "models": digest, "format": fmt,
                 "smiles_col": smiles_col,
                 "id_col": id_col, "id_field": id_field, "output_format": out_suffix,
                 "profile_sha256": file_sha256(Path(profile.source))}
    client = _dask_client(scheduler) if backend == "dask" else None
    store = RunStore(output.with_name(output.name + ".work"), signature, run_size)
    done = store.start(resume)
    summary.n_resumed = done
    if done:
        log.info("resuming: %d records already scored", done)

    from tqdm import tqdm

    bar = tqdm(unit=" mol", disable=None if progress is None else not progress, file=sys.stderr,
               desc="scoring", mininterval=0.5, initial=done)
    if client is not None and n_jobs == 1:
        n_jobs = -1  # on a cluster, default to every worker it has
    try:
        for chunk, entries in map_chunks(_score_and_rank, itertools.islice(records, done, None),
                                         chunk_size=chunk_size, n_jobs=n_jobs, backend=backend,
                                         args=(options, models, profile, columns, out_suffix, objectives)):
            store.add(entries)
            bar.update(len(chunk))
    except BaseException:
        if store.records_done == 0:
            store.remove()  # nothing to resume (empty or unreadable file, bad column, early interrupt)
        raise
    finally:
        bar.close()
        if client is not None:
            client.close()
    if store.records_done == 0:
        store.remove()
        raise UsageError(f"{library} contains no records; is it the right file?")
    partial = output.with_name(output.name + ".partial")
    ranked = store.ranked()  # (key, (text before the rank, text after)) in rank order
    if pareto:
        front = ParetoFront(objectives)
        for (unscored, negative_score, position, values), _ in ranked:
            front.add_point(math.nan if unscored else -negative_score, values, position)
        keep = front.positions()
        ranked = (pair for pair in store.ranked() if pair[0][2] in keep)
    parts = (text for _, text in itertools.islice(ranked, top))
    summary.n_written = write_ranked(parts, partial, RankedRowFormat(columns, out_suffix))
    os.replace(partial, output)  # never leave a half-written output under the final name
    shutil.copyfile(store.status_file(), summary.status_file)
    summary.n_records = store.records_done
    for status, count in store.counts.items():
        setattr(summary, f"n_{status}", count)
    store.remove()
    summary.seconds = time.perf_counter() - started
    _write_metadata(summary, library, signature, models, profile, pareto, command)
    log.info("scored %d records (%d ok, %d warning, %d error) in %.1f s", summary.n_records, summary.n_ok,
             summary.n_warning, summary.n_error, summary.seconds)
    return summary


def _score_and_rank(records, options: ScoreOptions, models, profile: Profile, columns: list[str], out_format: str,
                    objectives: list[str]) -> list[tuple[str, str, str]]:
    """One chunk, in a worker: score, rank, and encode the rows for the run store.

    Each row is stored under its rank key plus its objective values (for ``--pareto``;
    the position before them makes the key unique, so they never change the order), with
    its output text already formatted: the main process only inserts the rank number.
    """
    row_format = RankedRowFormat(columns, out_format)
    return encode_rows(score_rows(score_records(records, options), models, profile),
                       key=lambda row: [*rank_key(row), [row.get(o) for o in objectives]],
                       value=row_format.parts)


def _dask_client(scheduler: str | None):
    """Connect to a Dask scheduler; joblib's ``dask`` backend then sends chunks to its workers."""
    if not scheduler:
        raise UsageError("--backend dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--backend dask needs the 'distributed' package: pip install 'screenkit[dask]'") from None
    try:
        return Client(scheduler, timeout="15s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _write_metadata(summary: ScreenSummary, library: Path, signature: dict, models,
                    profile: Profile, pareto: bool, command: str) -> None:
    import rdkit
    import sklearn

    meta = {
        "screenkit_version": __version__,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "library": {"path": str(library), "sha256": signature["library_sha256"],
                    "size_bytes": library.stat().st_size},
        "models": {"manifest_sha256": signature["models"],
                   "cards": [{"name": m.name, "target": m.card["target"]["chembl_id"],
                              "gene": m.card["target"]["gene"], "activity_type": m.card["activity_type"],
                              "label": m.card["label"]["rule"], "ad_threshold": m.ad_threshold,
                              "roc_auc_scaffold_cv": m.card["validation"]["metrics"]["roc_auc"]["mean"]}
                             for m in models]},
        "profile": {"name": profile.name, "description": profile.description, "source": profile.source,
                    "sha256": signature["profile_sha256"], "objectives": objective_columns(profile, models),
                    "pareto_only": pareto},
        "overall_score": "weighted geometric mean of the profile's objective desirabilities (see screenkit.rank)",
        "counts": {k: v for k, v in asdict(summary).items() if k.startswith("n_")},
        "seconds": round(summary.seconds, 2),
        "versions": {"python": platform.python_version(), "rdkit": rdkit.__version__,
                     "scikit-learn": sklearn.__version__},
    }
    Path(summary.metadata).write_text(json.dumps(meta, indent=2) + "\n")
