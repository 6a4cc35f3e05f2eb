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
import math
import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

from ..chem.properties import PROPERTY_COLUMNS
from ..config import Profile, bundled_path, load_profile
from ..errors import InputFileError, OutputFileError, UsageError, check_count
from ..hashing import file_sha256
from ..model.bundle import bundle_digest, load_bundle
from .ids import choose_ids
from .metadata import ScreenSummary, unmodelled_targets, write_metadata
from .options import check_output, keep_spec, output_suffix
from .output import copy_synced, output_columns, parquet_values, text_parts
from .parallel import map_chunks
from .rank import RANK_COLUMNS, ParetoFronts, objective_columns
from .readers import count_records, iter_records
from .records import detect_format
from .runstore import RunStore, id_problems
from .score import ScoreOptions, prediction_columns
from .tables import pyarrow_module
from .worker import score_and_rank
from .writers import RankedRowFormat, write_ranked, write_ranked_parquet

__all__ = ["screen_library"]

log = logging.getLogger(__name__)
BASE_COLUMNS = ["rank", "input_position", "id", "smiles"]
STATUS_COLUMNS = ["status", "reason"]
# What a work folder's lines hold; a folder written in another format is never resumed.
# 3: key [unscored, -score, position, objective values] and [the row's output text (before, after the
# rank) or, for Parquet, its values; the kept input columns].
STORE_FORMAT = 3


def screen_library(library: str | Path, output: str | Path, *, models_dir: str | Path | None = None,
                   fmt: str | None = None, smiles_col: str | None = None, id_col: str | None = None,
                   id_field: str | None = None, n_jobs: int = 1, chunk_size: int = 1000,
                   run_size: int = 10_000, backend: str = "loky", scheduler: str | None = None,
                   top: int | None = None, resume: bool = False, profile: Profile | str | None = None,
                   pareto: bool = False, fronts: int = 1, progress: bool | None = None, command: str = "",
                   output_format: str | None = None, keep_columns: str | list[str] = "all",
                   status_file: str | Path | None = None, metadata: str | Path | None = None,
                   config: dict | None = None, stdout=None, base_rate: float | None = None) -> ScreenSummary:
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
        Write only the compounds of the first ``fronts`` non-dominated fronts over the profile's
        objectives (still in score order), with their front in a ``pareto_rank`` column.
    fronts : int
        How many fronts ``pareto`` keeps (1: only the compounds nothing beats on every objective).
    progress : bool, optional
        Show a progress bar (records done of the total, rate, ETA); default only when stderr is a terminal.
    output_format : {"csv", "sdf", "parquet"}, optional
        The format for ``output="-"`` (default csv); with a file the name decides, and a different
        value here is a usage error.
    keep_columns : "all", "none" or list of str
        Input columns (CSV/Parquet) and SD data items carried into CSV/Parquet output, after
        screenkit's columns; a name screenkit uses itself gets an ``input_`` prefix.
    config : dict, optional
        The resolved options of the command line run, recorded in the metadata (``config.options``).
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
    to_stdout = str(output) == "-"
    library, output = Path(library), Path(output)
    models_dir = Path(models_dir) if models_dir else bundled_path("models")
    if not to_stdout and status_file is None and metadata is None:
        check_output(library, output)  # overwriting the input is the first thing to refuse
    out_suffix = output_suffix(output, output_format, to_stdout)
    if to_stdout:
        if resume:
            raise UsageError("--resume needs a file output: with -o - the work folder is temporary and "
                             "removed when the run ends")
        for companion in (status_file, metadata):
            if companion is not None:
                check_output(library, Path(companion))
    else:
        if status_file is not None or metadata is not None:
            raise UsageError("--status-file and --metadata go with -o -; with -o FILE they are "
                             "FILE.status.csv and FILE.meta.json")
    check_count("--n-jobs", n_jobs, allow_negative=True)
    check_count("--chunk-size", chunk_size)
    check_count("--run-size", run_size)
    check_count("--fronts", fronts)
    if top is not None:
        check_count("--top", top)
    if backend not in ("loky", "dask"):
        raise UsageError(f"unknown backend {backend!r}; use loky (this machine) or dask (a cluster)")
    keep = keep_spec(keep_columns)
    fmt = detect_format(library, fmt)  # a bad format fails before any work starts
    if fmt == "parquet" or out_suffix == "parquet":
        pyarrow_module()  # a one-line error naming the extra, before any work
    profile = (profile if isinstance(profile, Profile) else load_profile(profile)).with_base_rate(base_rate)
    scratch = Path(tempfile.mkdtemp(prefix="screenkit-")) if to_stdout else None
    try:
        spooled = _spool_if_not_a_file(library, scratch / "ranked" if scratch else output)
        try:
            work_output = scratch / f"ranked.{out_suffix}" if scratch else output
            return _screen(library if spooled is None else spooled, work_output, started, models_dir=models_dir,
                           fmt=fmt, smiles_col=smiles_col, id_col=id_col, id_field=id_field, n_jobs=n_jobs,
                           chunk_size=chunk_size, run_size=run_size, backend=backend, scheduler=scheduler, top=top,
                           resume=resume, profile=profile, pareto=pareto, fronts=fronts, progress=progress,
                           command=command, shown_library=library, out_suffix=out_suffix, keep=keep,
                           sink=(stdout or sys.stdout.buffer) if to_stdout else None,
                           status_to=Path(status_file) if status_file else None,
                           meta_to=Path(metadata) if metadata else None, config=config)
        finally:
            if spooled is not None:
                spooled.unlink(missing_ok=True)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


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
            profile: Profile, pareto: bool, fronts: int, progress, command: str, shown_library: Path,
            out_suffix: str, keep, sink, status_to: Path | None, meta_to: Path | None,
            config: dict | None) -> ScreenSummary:
    ids = choose_ids(library, fmt, smiles_col=smiles_col, id_col=id_col, id_field=id_field)
    if keep and ids.input_columns and (missing := [name for name in keep if name not in ids.input_columns]):
        raise UsageError(f"--keep-columns: {shown_library} has no column {missing[0]!r}; its other columns are: "
                         f"{', '.join(ids.input_columns) or 'none'}")
    id_col, id_field = ids.id_col, ids.id_field
    opened: list = []  # the library's file on disk, for progress by compressed bytes
    records = iter_records(library, fmt, smiles_col=smiles_col, id_col=id_col, opened=opened.append)
    digest = bundle_digest(models_dir)
    models = load_bundle(models_dir, with_estimators=False)  # workers load the forests
    options = ScoreOptions.for_profile(models_dir, digest, profile, id_field=id_field,
                                       keep_molblock=out_suffix == "sdf")
    objectives = objective_columns(profile, models)
    columns = (BASE_COLUMNS + RANK_COLUMNS + objectives + prediction_columns(models)
               + (PROPERTY_COLUMNS if profile.properties else []) + STATUS_COLUMNS)
    shown_output = "-" if sink is not None else str(output)
    summary = ScreenSummary(str(shown_library), shown_output,
                            str(meta_to or "") if sink is not None else str(output) + ".meta.json",
                            str(status_to or "") if sink is not None else str(output) + ".status.csv",
                            [m.name for m in models], columns=columns)
    summary.id_source = ids.source
    summary.unmodelled = [t["gene"] for t in unmodelled_targets(models)]
    summary.base_rate = profile.base_rate
    library_sha256 = file_sha256(library) if library.exists() else ""
    signature = {"store_format": STORE_FORMAT, "library_sha256": library_sha256, "models": digest, "format": fmt,
                 "smiles_col": smiles_col,
                 "id_col": id_col, "id_field": id_field, "output_format": out_suffix,
                 "profile_sha256": file_sha256(Path(profile.source)), "keep_columns": keep,
                 "base_rate": profile.base_rate}
    client = _dask_client(scheduler) if backend == "dask" else None
    store = RunStore(output.with_name(output.name + ".work"), signature, run_size)
    done = store.start(resume)
    summary.n_resumed = done
    if done:
        log.info("resuming: %d records already scored", done)

    bar = _progress_bar(library, fmt, progress, done)
    if client is not None and n_jobs == 1:
        n_jobs = -1  # on a cluster, default to every worker it has
    try:
        for chunk, (entries, names) in map_chunks(
                score_and_rank, itertools.islice(records, done, None), chunk_size=chunk_size, n_jobs=n_jobs,
                backend=backend, args=(options, models, profile, columns, out_suffix, objectives, keep)):
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
    if store.records_done == 0:
        store.remove()
        raise InputFileError(f"{shown_library} contains no records; is it the right file?")
    summary.id_problems = id_problems(store.status_file())
    # Every output is written under a temporary name and renamed into place only when
    # complete, the ranked file last: a crash or a full disk never leaves a truncated
    # file under a final name, and the work folder stays for --resume until then.
    partial = output.with_name(output.name + ".partial")
    status_partial = Path(summary.status_file + ".partial") if summary.status_file else None
    meta_partial = Path(summary.metadata + ".partial") if summary.metadata else None
    try:
        ranked = store.ranked()  # (key, value) in rank order; value: the row's output text or values
        pareto_ranks = None
        if pareto:
            front = ParetoFronts(objectives, fronts)
            for (unscored, negative_score, position, values), _ in ranked:
                front.add_point(math.nan if unscored else -negative_score, values, position)
            pareto_ranks = front.ranks()
            ranked = (pair for pair in store.ranked() if pair[0][2] in pareto_ranks)
        rows = itertools.islice(ranked, top)
        out_columns = output_columns(columns, store.input_columns if out_suffix != "sdf" else [], pareto)
        target = sink if sink is not None else partial
        if out_suffix == "parquet":
            values = parquet_values(rows, store.input_columns, pareto_ranks)
            summary.n_written = write_ranked_parquet(values, target, out_columns,
                                                     batch_rows=min(run_size, 10_000))
        else:
            parts = text_parts(rows, store.input_columns, pareto_ranks, out_suffix)
            summary.n_written = write_ranked(parts, target, RankedRowFormat(out_columns, out_suffix))
        summary.columns = out_columns
        if status_partial is not None:
            copy_synced(store.status_file(), status_partial)
        summary.n_records = store.records_done
        for status, count in store.counts.items():
            setattr(summary, f"n_{status}", count)
        summary.seconds = time.perf_counter() - started
        if meta_partial is not None:
            write_metadata(summary, meta_partial, library, signature, models, profile, pareto, command,
                            fronts=fronts, config=config, models_dir=models_dir)
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
    store.remove()
    log.info("scored %d records (%d ok, %d warning, %d error) in %.1f s", summary.n_records, summary.n_ok,
             summary.n_warning, summary.n_error, summary.seconds)
    return summary


class _Progress:
    """The scoring bar: records done of a quick count, or compressed bytes read of a gzipped file."""

    def __init__(self, bar, by_bytes: bool):
        self.bar, self.by_bytes, self.records = bar, by_bytes, 0

    def advance(self, n: int, opened: list) -> None:
        self.records += n
        if self.bar.disable:
            return
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


def _progress_bar(library: Path, fmt: str, progress: bool | None, done: int) -> _Progress:
    from tqdm import tqdm

    shown = sys.stderr.isatty() if progress is None else progress
    total = by_bytes = None
    if shown:  # counting costs a read of the file: only when someone watches
        try:
            total = count_records(library, fmt)
            if total is None:
                by_bytes = library.stat().st_size
        except (OSError, UsageError, InputFileError):
            total = None
    if by_bytes:
        bar = tqdm(total=by_bytes, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr,
                   desc="scoring (compressed bytes read)", mininterval=0.5, disable=not shown)
    else:
        bar = tqdm(total=total, unit=" mol", file=sys.stderr, desc="scoring", mininterval=0.5,
                   initial=done, disable=not shown)
    return _Progress(bar, bool(by_bytes))


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


