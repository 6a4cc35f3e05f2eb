"""The main job end to end: score a library with a model bundle and write it ranked.

Memory stays flat as the library grows: the main process only splits the file into
text records, workers score chunks, and finished chunks go straight to a crash-safe
external sort (:mod:`screenkit.screen.runstore`) in ``OUT.work/``. The ranked output is a
streaming merge of sorted runs; ``--resume`` continues a killed run from its last
completed chunk and produces byte-identical output.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import stat
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from ..chem.properties import PROPERTY_COLUMNS
from ..config import bundled_path
from ..errors import InputFileError, OutputFileError, UsageError
from ..hashing import file_sha256
from ..model.bundle import bundle_digest, load_bundle
from ..profile import Profile, load_profile
from .ids import choose_ids
from .metadata import ScreenSummary, unmodelled_targets, write_metadata
from .options import ScreenConfig, check_options, keep_spec
from .output import copy_synced, write_ranked_output
from .parallel import map_chunks
from .rank import RANK_COLUMNS, objective_columns
from .readers import count_records, iter_records
from .records import detect_format
from .runstore import RunStore, id_problems
from .score import ScoreOptions, prediction_columns
from .tables import pyarrow_module
from .worker import score_and_rank

# The first chunks are small and double up to --chunk-size, so the first scored records (and
# the progress bar's rate) appear after ~50 records' work rather than a whole chunk's (1,000
# records: 5 s of one core with the default profile).
FIRST_CHUNK = 50

__all__ = ["screen_library"]

log = logging.getLogger(__name__)
# Reading a library whole (its hash, its record count) runs on threads beside the first chunks.
_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="screenkit-read")
BASE_COLUMNS = ["rank", "input_position", "id", "smiles"]
STATUS_COLUMNS = ["status", "reason"]
# What a work folder's lines hold; a folder written in another format is never resumed.
# 3: key [unscored, -score, position, objective values] and [the row's output text (before, after the
# rank) or, for Parquet, its values; the kept input columns].
STORE_FORMAT = 3


def screen_library(library: str | Path, output: str | Path, config: ScreenConfig | None = None, *, stdout=None,
                   **options) -> ScreenSummary:
    """Score every record of ``library`` with every model and write the ranked result.

    Parameters
    ----------
    library : path
        SDF, SMILES or CSV/TSV file, optionally gzipped, or a Parquet file.
    output : path or "-"
        ``.csv`` (or ``.csv.gz``) for a table, ``.sdf`` (or ``.sdf.gz``) for structures with the input's
        data items plus the new columns, ``.parquet`` for a typed table. Beside it: ``OUT.status.csv``
        (every record's status, in input order) and ``OUT.meta.json`` (provenance). ``"-"`` writes the
        ranked rows to standard output (``stdout``, default ``sys.stdout.buffer``) in ``output_format``
        (default csv), keeps the work folder in a temporary directory (no ``resume``) and writes the
        status and metadata files only where ``status_file`` and ``metadata`` say.
    config : ScreenConfig, optional
        Every option of the run (see :class:`~screenkit.screen.options.ScreenConfig`); default all defaults.
    **options
        :class:`~screenkit.screen.options.ScreenConfig` fields, for a call without building one
        (``screen_library("lib.sdf", "ranked.csv", n_jobs=2)``); they replace those of ``config``.

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
    config = ScreenConfig(**options) if config is None else replace(config, **options)
    to_stdout = str(output) == "-"
    library, output = Path(library), Path(output)
    job = _resolve(config, library, output, to_stdout, started)
    scratch = Path(tempfile.mkdtemp(prefix="screenkit-")) if to_stdout else None
    try:
        spooled = _spool_if_not_a_file(library, scratch / "ranked" if scratch else output)
        try:
            return _screen(replace(job, library=library if spooled is None else spooled,
                                   output=scratch / f"ranked.{job.out_suffix}" if scratch else output,
                                   sink=(stdout or sys.stdout.buffer) if to_stdout else None))
        finally:
            if spooled is not None:
                spooled.unlink(missing_ok=True)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _resolve(config: ScreenConfig, library: Path, output: Path, to_stdout: bool, started: float) -> _Job:
    """Check the options before any work, load the profile, and resolve the run (library and output as given,
    no standard output yet)."""
    models_dir = Path(config.models_dir) if config.models_dir else bundled_path("models")
    out_suffix = check_options(config, library, output, to_stdout)
    keep = keep_spec(config.keep_columns)
    fmt = detect_format(library, config.fmt)  # a bad format fails before any work starts
    if fmt == "parquet" or out_suffix == "parquet":
        pyarrow_module()  # a one-line error naming the extra, before any work
    profile = config.profile
    profile = (profile if isinstance(profile, Profile) else load_profile(profile)).with_base_rate(config.base_rate)
    resolved = replace(config, profile=profile, models_dir=str(models_dir))  # what the metadata records
    return _Job(resolved, profile, models_dir, library, library, output, fmt, out_suffix, keep, None, started)


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


@dataclass(frozen=True)
class _Job:
    """One run, resolved: what every step of :func:`_screen` reads."""

    config: ScreenConfig  # as resolved: its profile is the Profile below, its models_dir the folder used
    profile: Profile
    models_dir: Path
    library: Path  # the file read (a spooled copy of a pipe)
    shown_library: Path  # the library as the caller named it
    output: Path  # the file written (in a scratch folder for standard output)
    fmt: str
    out_suffix: str
    keep: tuple[str, ...] | None
    sink: BinaryIO | None  # standard output, or None for a file output
    started: float


@dataclass(frozen=True)
class _Plan:
    """What scoring a library needs besides its records: the models, the worker options and the columns."""

    models: list
    digest: str
    options: ScoreOptions
    objectives: list[str]
    columns: list[str]


def _screen(job: _Job) -> ScreenSummary:
    config = job.config
    ids = choose_ids(job.library, job.fmt, smiles_col=config.smiles_col, id_col=config.id_col,
                     id_field=config.id_field)
    if job.keep and ids.input_columns and (missing := [name for name in job.keep if name not in ids.input_columns]):
        raise UsageError(f"--keep-columns: {job.shown_library} has no column {missing[0]!r}; its other columns are: "
                         f"{', '.join(ids.input_columns) or 'none'}")
    opened: list = []  # the library's file on disk, for progress by compressed bytes
    records = iter_records(job.library, job.fmt, smiles_col=config.smiles_col, id_col=ids.id_col,
                           opened=opened.append)
    plan = _plan(job, ids.id_field)
    summary = _new_summary(job, plan)
    summary.id_source = ids.source
    # Hashing the library (gigabytes at a million records) runs beside the first chunks;
    # the store waits for it at its first commit, or now to check a run it resumes.
    hashing = _BACKGROUND.submit(_signature, job, plan, ids.id_col, ids.id_field)
    client = _dask_client(config.scheduler) if config.backend == "dask" else None
    store = RunStore(job.output.with_name(job.output.name + ".work"), hashing.result, config.run_size)
    done = store.start(config.resume)
    summary.n_resumed = done
    if done:
        log.info("resuming: %d records already scored", done)
    _score_into(store, itertools.islice(records, done, None), opened, job, plan, client, done)
    if store.records_done == 0:
        store.remove()
        raise InputFileError(f"{job.shown_library} contains no records; is it the right file?")
    summary.id_problems = id_problems(store.status_file())
    _write_outputs(job, plan, store, summary, store.signature)
    store.remove()
    log.info("scored %d records (%d ok, %d warning, %d error) in %.1f s", summary.n_records, summary.n_ok,
             summary.n_warning, summary.n_error, summary.seconds)
    return summary


def _plan(job: _Job, id_field: str | None) -> _Plan:
    """The bundle's models (cards and training sets: workers load the forests), worker options and columns."""
    digest = bundle_digest(job.models_dir)
    models = load_bundle(job.models_dir, with_estimators=False)
    options = ScoreOptions.for_profile(job.models_dir, digest, job.profile, id_field=id_field,
                                       keep_molblock=job.out_suffix == "sdf")
    objectives = objective_columns(job.profile, models)
    columns = (BASE_COLUMNS + RANK_COLUMNS + objectives + prediction_columns(models)
               + (PROPERTY_COLUMNS if job.profile.properties else []) + STATUS_COLUMNS)
    return _Plan(models, digest, options, objectives, columns)


def _new_summary(job: _Job, plan: _Plan) -> ScreenSummary:
    """The run's summary before scoring: where its files go, the models, the uncovered targets."""
    sink, output, config = job.sink, job.output, job.config
    summary = ScreenSummary(str(job.shown_library), "-" if sink is not None else str(output),
                            str(config.metadata or "") if sink is not None else str(output) + ".meta.json",
                            str(config.status_file or "") if sink is not None else str(output) + ".status.csv",
                            [m.name for m in plan.models], columns=plan.columns)
    summary.unmodelled = [t["gene"] for t in unmodelled_targets(plan.models)]
    summary.base_rate = job.profile.base_rate
    return summary


def _signature(job: _Job, plan: _Plan, id_col: str | None, id_field: str | None) -> dict:
    """What a work folder was made from; ``--resume`` continues only a folder with the same signature."""
    library_sha256 = file_sha256(job.library) if job.library.exists() else ""
    return {"store_format": STORE_FORMAT, "library_sha256": library_sha256, "models": plan.digest, "format": job.fmt,
            "smiles_col": job.config.smiles_col,
            "id_col": id_col, "id_field": id_field, "output_format": job.out_suffix,
            "profile_sha256": file_sha256(Path(job.profile.source)), "keep_columns": job.keep,
            "base_rate": job.profile.base_rate}


def _score_into(store: RunStore, records, opened: list, job: _Job, plan: _Plan, client, done: int) -> None:
    """Score the records in parallel chunks into the run store, with a progress bar."""
    config = job.config
    bar = _progress_bar(job.library, job.fmt, config.progress, done)
    n_jobs = -1 if client is not None and config.n_jobs == 1 else config.n_jobs  # a cluster: every worker it has
    try:
        for chunk, (entries, names) in map_chunks(
                score_and_rank, records, chunk_size=config.chunk_size, n_jobs=n_jobs, backend=config.backend,
                args=(plan.options, plan.models, job.profile, plan.columns, job.out_suffix, plan.objectives,
                      job.keep), first_chunk=FIRST_CHUNK):
            store.note_columns(names)
            store.add(entries)
            bar.advance(len(chunk), opened)
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


def _write_outputs(job: _Job, plan: _Plan, store: RunStore, summary: ScreenSummary, signature: dict) -> None:
    """The ranked output, the status file and the metadata, each renamed into place only when complete.

    The ranked file goes last: a crash or a full disk never leaves a truncated file under a
    final name, and the work folder stays for ``--resume`` until then.
    """
    config, output, sink = job.config, job.output, job.sink
    partial = output.with_name(output.name + ".partial")
    status_partial = Path(summary.status_file + ".partial") if summary.status_file else None
    meta_partial = Path(summary.metadata + ".partial") if summary.metadata else None
    try:
        summary.n_written, summary.columns = write_ranked_output(
            store, sink if sink is not None else partial, plan.columns, plan.objectives, job.out_suffix,
            pareto=config.pareto, fronts=config.fronts, top=config.top, run_size=config.run_size)
        if status_partial is not None:
            copy_synced(store.status_file(), status_partial)
        summary.n_records = store.records_done
        for status, count in store.counts.items():
            setattr(summary, f"n_{status}", count)
        summary.seconds = time.perf_counter() - job.started
        if meta_partial is not None:
            write_metadata(summary, meta_partial, job.library, signature, plan.models, job.profile, config)
        if status_partial is not None:
            os.replace(status_partial, summary.status_file)
        if meta_partial is not None:
            os.replace(meta_partial, summary.metadata)
        if sink is None:
            os.replace(partial, output)
    except BaseException as exc:
        for path in (partial, status_partial, meta_partial):
            if path is not None:
                path.unlink(missing_ok=True)
        if sink is not None:
            store.remove()  # standard output cannot be resumed
        if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
            raise _write_failed(exc, store.workdir) from None
        raise


class _Progress:
    """The scoring bar: records done of a count made beside the first chunks, or compressed bytes read of a
    gzipped file."""

    def __init__(self, bar, by_bytes: bool, total: Future | None = None):
        self.bar, self.by_bytes, self.records, self.total = bar, by_bytes, 0, total

    def advance(self, n: int, opened: list) -> None:
        self.records += n
        if self.bar.disable:
            return
        if self.total is not None and self.total.done():
            self.bar.total = self.total.result()  # None when the count failed: the bar counts on without a total
            self.total = None
        if self.by_bytes and opened:
            try:
                position = opened[0].tell()
            except (OSError, ValueError):
                return
            self.bar.set_postfix_str(f"{self.records} mol", refresh=False)
            self.bar.update(position - self.bar.n)
        else:
            self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


def _gzipped(library: Path) -> bool:
    try:
        with open(library, "rb") as fh:
            return fh.read(2) == b"\x1f\x8b"
    except OSError:
        return False


def _count(library: Path, fmt: str) -> int | None:
    try:
        return count_records(library, fmt)
    except (OSError, UsageError, InputFileError):
        return None


def _progress_bar(library: Path, fmt: str, progress: bool | None, done: int) -> _Progress:
    from tqdm import tqdm

    shown = sys.stderr.isatty() if progress is None else progress
    if shown and _gzipped(library):  # counting would decompress the whole file: show bytes read instead
        bar = tqdm(total=library.stat().st_size, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr,
                   desc="scoring (compressed bytes read)", mininterval=0.5)
        return _Progress(bar, True)
    bar = tqdm(total=None, unit=" mol", file=sys.stderr, desc="scoring", mininterval=0.5, initial=done,
               disable=not shown)
    # counting costs a read of the file: only when someone watches
    return _Progress(bar, False, _BACKGROUND.submit(_count, library, fmt) if shown else None)


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


