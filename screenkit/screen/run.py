"""The main job end to end: score a library with a model bundle and write it ranked.

Memory stays flat as the library grows: the main process only splits the file into
text records, workers score chunks, and finished chunks go straight to a crash-safe
external sort (:mod:`screenkit.screen.runstore`) in ``OUT.work/``. The ranked output is a
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
import stat
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..chem.properties import PROPERTY_COLUMNS
from ..config import Profile, bundled_path, load_profile
from ..errors import InputFileError, OutputFileError, ScreenkitError, UsageError, check_count
from ..hashing import file_sha256
from ..model.bundle import bundle_digest, load_bundle
from .library import RankedRowFormat, detect_format, iter_records, write_ranked
from .parallel import map_chunks
from .rank import RANK_COLUMNS, ParetoFront, objective_columns, rank_key, score_rows
from .runstore import RunStore, encode_rows
from .score import ScoreOptions, StepFailed, domain_threshold, error_row, prediction_columns, score_records

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
    unmodelled: list[str] = field(default_factory=list)  # default-panel genes no model covers
    base_rate: float = 0.0  # library active share that p_active is corrected to

    @property
    def molecules_per_second(self) -> float:
        scored_now = self.n_records - self.n_resumed
        return scored_now / self.seconds if self.seconds else 0.0


def screen_library(library: str | Path, output: str | Path, *, models_dir: str | Path | None = None,
                   fmt: str | None = None, smiles_col: str | None = None, id_col: str | None = None,
                   id_field: str | None = None, n_jobs: int = 1, chunk_size: int = 1000,
                   run_size: int = 10_000, backend: str = "loky", scheduler: str | None = None,
                   top: int | None = None, resume: bool = False, profile: Profile | str | None = None,
                   pareto: bool = False, progress: bool | None = None, command: str = "",
                   base_rate: float | None = None) -> ScreenSummary:
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
    base_rate : float, optional
        Library active share that ``<model>_p_active`` is corrected to (default: the profile's).

    Returns
    -------
    ScreenSummary

    Raises
    ------
    UsageError
        A bad option value, or an output that would overwrite the library or cannot be written.
    InputFileError
        A missing, binary or empty library.
    ModelBundleError
        A model folder that is missing, tampered with or damaged.
    OutputFileError
        An output the system refused to store (full disk, ...); the work folder is kept for ``resume``.
    """
    started = time.perf_counter()
    library, output = Path(library), Path(output)
    models_dir = Path(models_dir) if models_dir else bundled_path("models")
    check_output(library, output)
    out_suffix = output.name.lower().removesuffix(".gz").rsplit(".", 1)[-1]
    if out_suffix not in ("csv", "sdf"):
        raise UsageError(f"output {output} must end in .csv or .sdf (optionally .gz)")
    check_count("--n-jobs", n_jobs, allow_negative=True)
    check_count("--chunk-size", chunk_size)
    check_count("--run-size", run_size)
    if top is not None:
        check_count("--top", top)
    if backend not in ("loky", "dask"):
        raise UsageError(f"unknown backend {backend!r}; use loky (this machine) or dask (a cluster)")
    fmt = detect_format(library, fmt)  # a bad format fails before any work starts
    profile = (profile if isinstance(profile, Profile) else load_profile(profile)).with_base_rate(base_rate)
    spooled = _spool_if_not_a_file(library, output)
    try:
        return _screen(library if spooled is None else spooled, output, started, models_dir=models_dir,
                       fmt=fmt, smiles_col=smiles_col, id_col=id_col, id_field=id_field, n_jobs=n_jobs,
                       chunk_size=chunk_size, run_size=run_size, backend=backend, scheduler=scheduler, top=top,
                       resume=resume, profile=profile, pareto=pareto, progress=progress, command=command,
                       shown_library=library, out_suffix=out_suffix)
    finally:
        if spooled is not None:
            spooled.unlink(missing_ok=True)


def companion_paths(output: Path) -> list[Path]:
    """The files a run writes beside ``output`` (and the output itself)."""
    return [output] + [output.with_name(output.name + suffix)
                       for suffix in (".status.csv", ".meta.json", ".work", ".partial")]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(library: Path, output: Path) -> None:
    """Refuse outputs that would overwrite the input or cannot be written, before any scoring.

    Raises
    ------
    UsageError
        ``output`` (or one of its companion files) is the library, a folder, or in a
        folder that is missing or not writable.
    """
    resolved = library.resolve()
    for path in companion_paths(output):
        if path.resolve() == resolved or _same_file(path, library) or resolved.is_relative_to(path.resolve()):
            raise UsageError(f"output {output} would overwrite the input library {library} "
                             f"(as {path.name}); choose another -o")
    if output.is_dir():
        raise UsageError(f"output {output} is a folder; give a file name such as {output / 'ranked.csv'}")
    parent = output.parent
    if not parent.exists():
        raise UsageError(f"output folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise UsageError(f"output folder {parent} is not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=f".{output.name}.", suffix=".probe"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write in the output folder {parent} ({exc.strerror}); "
                         "choose a writable -o") from None


def _spool_if_not_a_file(library: Path, output: Path) -> Path | None:
    """Copy a pipe or terminal input (``/dev/stdin``, ``<(zcat x.gz)``) to a temporary file.

    Reading a library needs a file it can open twice (format sniffing, hashing for
    ``--resume``), which a pipe is not. The copy lives beside the output and is removed
    when the run ends.
    """
    try:
        mode = library.stat().st_mode
    except OSError:
        return None  # missing: the reader says so
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    handle, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".input")
    try:
        with open(library, "rb") as source, os.fdopen(handle, "wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _screen(library: Path, output: Path, started: float, *, models_dir: Path, fmt: str, smiles_col, id_col,
            id_field, n_jobs: int, chunk_size: int, run_size: int, backend: str, scheduler, top, resume: bool,
            profile: Profile, pareto: bool, progress, command: str, shown_library: Path,
            out_suffix: str) -> ScreenSummary:
    records = iter_records(library, fmt, smiles_col=smiles_col, id_col=id_col)
    digest = bundle_digest(models_dir)
    models = load_bundle(models_dir, with_estimators=False)  # workers load the forests
    options = ScoreOptions.for_profile(models_dir, digest, profile, id_field=id_field,
                                       keep_molblock=out_suffix == "sdf")
    objectives = objective_columns(profile, models)
    columns = (BASE_COLUMNS + RANK_COLUMNS + objectives + prediction_columns(models)
               + (PROPERTY_COLUMNS if profile.properties else []) + STATUS_COLUMNS)
    summary = ScreenSummary(str(shown_library), str(output), str(output) + ".meta.json", str(output) + ".status.csv",
                            [m.name for m in models], columns=columns)
    summary.unmodelled = [t["gene"] for t in unmodelled_targets(models)]
    summary.base_rate = profile.base_rate
    library_sha256 = file_sha256(library) if library.exists() else ""
    signature = {"store_format": STORE_FORMAT, "library_sha256": library_sha256, "models": digest, "format": fmt,
                 "smiles_col": smiles_col,
                 "id_col": id_col, "id_field": id_field, "output_format": out_suffix,
                 "profile_sha256": file_sha256(Path(profile.source)), "base_rate": profile.base_rate}
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
    except BaseException as exc:
        if store.records_done == 0:
            store.remove()  # nothing to resume (empty or unreadable file, bad column, early interrupt)
        elif isinstance(exc, OSError) and exc.filename and Path(exc.filename).parent == store.workdir:
            raise _write_failed(exc, store.workdir) from None
        raise
    finally:
        bar.close()
        if client is not None:
            client.close()
    if store.records_done == 0:
        store.remove()
        raise InputFileError(f"{shown_library} contains no records; is it the right file?")
    # Every output is written under a temporary name and renamed into place only when
    # complete, the ranked file last: a crash or a full disk never leaves a truncated
    # file under a final name, and the work folder stays for --resume until then.
    partial = output.with_name(output.name + ".partial")
    status_partial = Path(summary.status_file + ".partial")
    meta_partial = Path(summary.metadata + ".partial")
    try:
        ranked = store.ranked()  # (key, (text before the rank, text after)) in rank order
        if pareto:
            front = ParetoFront(objectives)
            for (unscored, negative_score, position, values), _ in ranked:
                front.add_point(math.nan if unscored else -negative_score, values, position)
            keep = front.positions()
            ranked = (pair for pair in store.ranked() if pair[0][2] in keep)
        parts = (text for _, text in itertools.islice(ranked, top))
        summary.n_written = write_ranked(parts, partial, RankedRowFormat(columns, out_suffix))
        _copy_synced(store.status_file(), status_partial)
        summary.n_records = store.records_done
        for status, count in store.counts.items():
            setattr(summary, f"n_{status}", count)
        summary.seconds = time.perf_counter() - started
        _write_metadata(summary, meta_partial, library, signature, models, profile, pareto, command)
        os.replace(status_partial, summary.status_file)
        os.replace(meta_partial, summary.metadata)
        os.replace(partial, output)
    except BaseException as exc:
        for path in (partial, status_partial, meta_partial):
            path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _write_failed(exc, store.workdir) from None
        raise
    store.remove()
    log.info("scored %d records (%d ok, %d warning, %d error) in %.1f s", summary.n_records, summary.n_ok,
             summary.n_warning, summary.n_error, summary.seconds)
    return summary


def _score_and_rank(records, options: ScoreOptions, models, profile: Profile, columns: list[str], out_format: str,
                    objectives: list[str]) -> list[tuple[str, str, str]]:
    """One chunk, in a worker: score, rank, and encode the rows for the run store.

    Each row is stored under its rank key plus its objective values (for ``--pareto``;
    the position before them makes the key unique, so they never change the order), with
    its output text already formatted: the main process only inserts the rank number.
    Ranking and output formatting run per chunk; if either fails, the chunk is redone
    row by row and only the failing rows become ``error`` rows naming the step.
    """
    row_format = RankedRowFormat(columns, out_format)

    def key(row):
        return [*rank_key(row), [row.get(o) for o in objectives]]

    try:
        rows = score_records(records, options)
    except ScreenkitError:
        raise  # a caller's mistake (a damaged model folder): stop the run with its one-line message
    except Exception:  # a failure outside every per-record guard: isolate it record by record
        rows = [_score_alone(record, options) for record in records]
    try:
        return encode_rows(score_rows(rows, models, profile), key=key, value=row_format.parts)
    except Exception:
        pass
    entries = []
    for record, row in zip(records, rows):
        try:
            row = score_rows([row], models, profile)[0]
        except Exception as exc:
            row = score_rows([error_row(record, StepFailed("ranking", exc).reason, row)], models, profile)[0]
        try:
            entries += encode_rows([row], key=key, value=row_format.parts)
        except Exception as exc:  # keep only what surely formats: the position and the reason
            bare = error_row(record._replace(name=""), StepFailed("output formatting", exc).reason)
            entries += encode_rows(score_rows([bare], models, profile), key=key, value=row_format.parts)
    return entries


def _score_alone(record, options: ScoreOptions) -> dict:
    try:
        return score_records([record], options)[0]
    except ScreenkitError:
        raise
    except Exception as exc:
        return error_row(record, StepFailed("scoring", exc).reason)


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


def _write_failed(exc: OSError, workdir: Path) -> OutputFileError:
    return OutputFileError(f"could not write {exc.filename or 'an output file'}: {exc.strerror or exc}; every record "
                           f"scored so far is kept in {workdir}: fix that, then rerun with --resume")


def _cv_roc_auc(card: dict):
    """The cross-validated SAR ROC-AUC of a classifier's card (None for regression models)."""
    metric = ((card.get("validation") or {}).get("metrics") or {}).get("roc_auc") or {}
    return metric.get("mean") if isinstance(metric, dict) else None


def unmodelled_targets(models) -> list[dict]:
    """Default-panel targets that no model of the bundle covers, and how to get one."""
    from ..config import load_panel

    covered = {(m.card.get("target") or {}).get("chembl_id") for m in models}
    return [{"gene": t.gene, "chembl_id": t.chembl_id,
             "how": f"screenkit fetch --targets {t.chembl_id or t.gene} -o pull.csv && "
                    "screenkit train pull.csv -o my_models (then --models my_models)"}
            for t in load_panel().uncovered_default_targets(covered)]


def _copy_synced(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())


def _write_metadata(summary: ScreenSummary, path: Path, library: Path, signature: dict, models,
                    profile: Profile, pareto: bool, command: str) -> None:
    import rdkit
    import sklearn

    meta = {
        "screenkit_version": __version__,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "library": {"path": summary.library, "sha256": signature["library_sha256"],
                    "size_bytes": library.stat().st_size},
        "models": {"manifest_sha256": signature["models"],
                   "cards": [{"name": m.name, "target": m.card["target"]["chembl_id"],
                              "gene": m.card["target"]["gene"], "activity_type": m.card.get("activity_type"),
                              "label": (m.card.get("label") or {}).get("rule"),
                              "ad_threshold": domain_threshold(m.card)[0],
                              "training_active_rate": ((m.card.get("validation") or {}).get("calibration") or {})
                              .get("prior_correction", {}).get("training_active_rate")
                              if isinstance((m.card.get("validation") or {}).get("calibration"), dict) else None,
                              "role": m.card.get("role", "activity"),
                              "sar_roc_auc_cluster_cv": _cv_roc_auc(m.card),
                              "beats_similarity_search": ((m.card.get("validation") or {}).get("baseline")
                                                          or {}).get("model_beats_baseline")}
                             for m in models],
                   "unmodelled_default_targets": unmodelled_targets(models)},
        "profile": {"name": profile.name, "description": profile.description, "source": profile.source,
                    "sha256": signature["profile_sha256"], "objectives": objective_columns(profile, models),
                    "pareto_only": pareto},
        "probabilities": {"base_rate": profile.base_rate, "enrichment_full": profile.enrichment_full,
                          "p_active": "probability of activity at the model's threshold in a library with this "
                                      "share of actives: the calibrated probability corrected from the training "
                                      "mix's active rate (cards: calibration.prior_correction)",
                          "enrichment": "odds of activity over a random library compound's (1 = no evidence)",
                          "in_domain": "similarity to the nearest measured training compound >= the card's "
                                       "error-defined threshold (applicability_domain.threshold_by_error)"},
        "overall_score": "weighted geometric mean of the profile's objective desirabilities (see screenkit.screen.rank)",
        "counts": {k: v for k, v in asdict(summary).items() if k.startswith("n_")},
        "seconds": round(summary.seconds, 2),
        "versions": {"python": platform.python_version(), "rdkit": rdkit.__version__,
                     "scikit-learn": sklearn.__version__},
    }
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(meta, indent=2) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
