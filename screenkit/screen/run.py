"""The main job end to end: score a library with a model bundle and write it ranked.

Memory stays flat as the library grows: the main process only splits the file into
text records, workers score chunks, and finished chunks go straight to a crash-safe
external sort (:mod:`screenkit.screen.runstore`) in ``OUT.work/``. The ranked output is a
streaming merge of sorted runs; ``--resume`` continues a killed run from its last
completed chunk and produces byte-identical output.
"""

from __future__ import annotations

import csv
import io
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
from ..model.card import ModelCard
from .library import (
    RankedRowFormat,
    choose_ids,
    count_records,
    detect_format,
    iter_records,
    pyarrow_module,
    sd_properties,
    sd_title,
    write_ranked,
    write_ranked_parquet,
)
from .parallel import map_chunks
from .rank import RANK_COLUMNS, ParetoFronts, objective_columns, rank_key, score_rows
from .runstore import RunStore, encode_rows, id_problems
from .score import ScoreOptions, StepFailed, error_row, prediction_columns, score_records

# The first chunks are small and double up to --chunk-size, so the first scored records (and
# the progress bar's rate) appear after ~50 records' work rather than a whole chunk's (1,000
# records: 5 s of one core with the default profile).
FIRST_CHUNK = 50

__all__ = ["ScreenSummary", "screen_library"]

log = logging.getLogger(__name__)
BASE_COLUMNS = ["rank", "input_position", "id", "smiles"]
STATUS_COLUMNS = ["status", "reason"]
# What a work folder's lines hold; a folder written in another format is never resumed.
# 3: key [unscored, -score, position, objective values] and [the row's output text (before, after the
# rank) or, for Parquet, its values; the kept input columns].
STORE_FORMAT = 3


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
    id_source: str = ""  # where IDs came from ("IDs from column 'catalog_id' (guessed)")
    id_problems: dict = field(default_factory=dict)  # blank and duplicated IDs (see runstore.id_problems)
    base_rate: float = 0.0  # library active share that p_active is corrected to

    @property
    def molecules_per_second(self) -> float:
        scored_now = self.n_records - self.n_resumed
        return scored_now / self.seconds if self.seconds else 0.0


OUTPUT_FORMATS = ("csv", "sdf", "parquet")


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
    out_suffix = _output_format(output, output_format, to_stdout)
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
    keep = _keep_spec(keep_columns)
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


def _output_format(output: Path, requested: str | None, to_stdout: bool) -> str:
    if requested is not None and requested not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format {requested!r}; use csv, sdf or parquet")
    if to_stdout:
        return requested or "csv"
    name = output.name.lower()
    suffix = name.removesuffix(".gz").rsplit(".", 1)[-1]
    if suffix not in OUTPUT_FORMATS or (suffix == "parquet" and name.endswith(".gz")):
        raise UsageError(f"output {output} must end in .csv or .sdf (optionally .gz), or .parquet")
    if requested is not None and requested != suffix:
        raise UsageError(f"output {output} is named .{suffix} but --output-format is {requested}; "
                         "drop one or make them agree")
    return suffix


def _keep_spec(keep_columns) -> tuple[str, ...] | None:
    """``None`` keeps every input column; a tuple keeps those named (empty: none)."""
    if isinstance(keep_columns, str):
        if keep_columns.strip().lower() == "all":
            return None
        if keep_columns.strip().lower() == "none":
            return ()
        keep_columns = [name.strip() for name in keep_columns.split(",") if name.strip()]
    return tuple(keep_columns)


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
                _score_and_rank, itertools.islice(records, done, None), chunk_size=chunk_size, n_jobs=n_jobs,
                backend=backend, args=(options, models, profile, columns, out_suffix, objectives, keep),
                first_chunk=FIRST_CHUNK):
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
        out_columns = _output_columns(columns, store.input_columns if out_suffix != "sdf" else [], pareto)
        target = sink if sink is not None else partial
        if out_suffix == "parquet":
            values = _parquet_values(rows, store.input_columns, pareto_ranks)
            summary.n_written = write_ranked_parquet(values, target, out_columns,
                                                     batch_rows=min(run_size, 10_000))
        else:
            parts = _text_parts(rows, store.input_columns, pareto_ranks, out_suffix)
            summary.n_written = write_ranked(parts, target, RankedRowFormat(out_columns, out_suffix))
        summary.columns = out_columns
        if status_partial is not None:
            _copy_synced(store.status_file(), status_partial)
        summary.n_records = store.records_done
        for status, count in store.counts.items():
            setattr(summary, f"n_{status}", count)
        summary.seconds = time.perf_counter() - started
        if meta_partial is not None:
            _write_metadata(summary, meta_partial, library, signature, models, profile, pareto, command,
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


def _output_columns(columns: list[str], input_columns: list[str], pareto: bool) -> list[str]:
    """The header: rank, pareto_rank (with --pareto), screenkit's columns, then the kept input columns."""
    out = columns[:1] + (["pareto_rank"] if pareto else []) + columns[1:]
    taken = set(out)
    for name in input_columns:
        name = sd_title(name)
        while name in taken:
            name = "input_" + name  # an input column named like one of ours (smiles, id, mw, ...)
        taken.add(name)
        out.append(name)
    return out


def _text_parts(rows, input_columns: list[str], pareto_ranks: dict | None, out_format: str):
    """``(before, after)`` text per ranked row for :func:`write_ranked`, with the front number and the
    kept input columns added (the workers formatted everything else)."""
    if input_columns:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
    for (_, _, position, _), (before, after, props) in rows:
        if pareto_ranks is not None:
            front = pareto_ranks[position]
            after = (f",{front}" if out_format == "csv" else f"\n\n>  <pareto_rank>\n{front}") + after
        if out_format == "csv" and input_columns:
            values = dict(props)
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([_cell(values.get(name)) for name in input_columns])
            after = after[:-1] + "," + buffer.getvalue()
        yield before, after


def _parquet_values(rows, input_columns: list[str], pareto_ranks: dict | None):
    for (_, _, position, _), (values, props) in rows:
        if pareto_ranks is not None:
            values = [pareto_ranks[position], *values]
        if input_columns:
            found = dict(props)
            values = [*values, *(found.get(name) for name in input_columns)]
        yield values


def _cell(value) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


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


def _score_and_rank(records, options: ScoreOptions, models, profile: Profile, columns: list[str], out_format: str,
                    objectives: list[str], keep=None) -> tuple[list[tuple[str, str, str]], list[str]]:
    """One chunk, in a worker: score, rank, and encode the rows for the run store.

    Each row is stored under its rank key plus its objective values (for ``--pareto``;
    the position before them makes the key unique, so they never change the order), with
    its output already formatted (CSV/SDF text; for Parquet the values in column order)
    and the kept input columns: the main process only inserts the rank number.
    Ranking and output formatting run per chunk; if either fails, the chunk is redone
    row by row and only the failing rows become ``error`` rows naming the step.
    Returns the entries and the input column names seen in this chunk (first-seen order).
    """
    row_format = RankedRowFormat(columns, out_format if out_format != "parquet" else "csv")
    # input columns of each record, taken from the record itself so error rows keep theirs too
    inputs: dict[int, list[tuple[str, str]]] = {}
    names: dict[str, None] = {}  # kept column names in first-seen order
    if out_format != "sdf" and keep != ():
        for record in records:
            props = sd_properties(record.text) if record.kind == "molblock" else record.props
            if keep is not None:
                props = [(name, value) for name, value in props if name in keep]
            props = [(name, _plain(value)) for name, value in props]
            inputs[record.position] = props
            names.update((name, None) for name, _ in props)

    def key(row):
        return [*rank_key(row), [row.get(o) for o in objectives]]

    def value(row):
        props: list[tuple[str, str]] = inputs.get(row["input_position"], [])
        if out_format == "parquet":
            return [[_plain(row.get(name)) for name in columns[1:]], props]
        if keep is not None and row.get("input_properties"):  # SDF output: its data items
            row["input_properties"] = [(k, v) for k, v in row["input_properties"] if k in keep]
        return [*row_format.parts(row), props]

    try:
        rows = score_records(records, options)
    except ScreenkitError:
        raise  # a caller's mistake (a damaged model folder): stop the run with its one-line message
    except Exception:  # a failure outside every per-record guard: isolate it record by record
        rows = [_score_alone(record, options) for record in records]
    try:
        return encode_rows(score_rows(rows, models, profile), key=key, value=value), list(names)
    except Exception:
        pass
    entries = []
    for record, row in zip(records, rows):
        try:
            row = score_rows([row], models, profile)[0]
        except Exception as exc:
            row = score_rows([error_row(record, StepFailed("ranking", exc).reason, row)], models, profile)[0]
        try:
            entries += encode_rows([row], key=key, value=value)
        except Exception as exc:  # keep only what surely formats: the position and the reason
            bare = error_row(record._replace(name=""), StepFailed("output formatting", exc).reason)
            inputs.pop(record.position, None)
            entries += encode_rows(score_rows([bare], models, profile), key=key, value=value)
    return entries, list(names)


def _plain(value):
    """A value JSON can store: numpy scalars become Python numbers, anything unusual its text."""
    if value is None or isinstance(value, str | int | float):
        return value
    item = getattr(value, "item", None)
    if item is not None:
        try:
            value = item()
            if isinstance(value, str | int | float):
                return value
        except (TypeError, ValueError):
            pass
    return str(value)


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


def _card_summary(card: ModelCard) -> dict:
    """What a ranked output's metadata records of each model's card."""
    return {"name": card.name, "target": card.target_chembl_id, "gene": card.gene, "activity_type": card.activity_type,
            "label": card.label_rule, "ad_threshold": card.domain_threshold()[0],
            "training_active_rate": card.training_active_rate, "role": card.role or "activity",
            "sar_roc_auc_cluster_cv": card.headline_roc_auc, "beats_similarity_search": card.model_beats_baseline}


def unmodelled_targets(models) -> list[dict]:
    """Default-panel targets that no model of the bundle covers, and how to get one."""
    from ..config import load_panel

    covered = {m.card.target_chembl_id for m in models}
    return [{"gene": t.gene, "chembl_id": t.chembl_id,
             "how": f"screenkit fetch --targets {t.chembl_id or t.gene} -o pull.csv && "
                    "screenkit train pull.csv -o my_models (then --models my_models)"}
            for t in load_panel().uncovered_default_targets(covered)]


def _copy_synced(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())


def _write_metadata(summary: ScreenSummary, path: Path, library: Path, signature: dict, models,
                    profile: Profile, pareto: bool, command: str, *, fronts: int = 1, config: dict | None = None,
                    models_dir: Path | None = None) -> None:
    import rdkit
    import sklearn

    meta = {
        "screenkit_version": __version__,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "library": {"path": summary.library, "sha256": signature["library_sha256"],
                    "size_bytes": library.stat().st_size},
        "models": {"manifest_sha256": signature["models"],
                   "cards": [_card_summary(m.card) for m in models],
                   "unmodelled_default_targets": unmodelled_targets(models)},
        "profile": {"name": profile.name, "description": profile.description, "source": profile.source,
                    "sha256": signature["profile_sha256"], "objectives": objective_columns(profile, models),
                    "pareto_only": pareto, "pareto_fronts": fronts if pareto else None},
        "probabilities": {"base_rate": profile.base_rate, "enrichment_full": profile.enrichment_full,
                          "p_active": "probability of activity at the model's threshold in a library with this "
                                      "share of actives: the calibrated probability corrected from the training "
                                      "mix's active rate (cards: calibration.prior_correction)",
                          "enrichment": "odds of activity over a random library compound's (1 = no evidence)",
                          "in_domain": "similarity to the nearest measured training compound >= the card's "
                                       "error-defined threshold (applicability_domain.threshold_by_error)"},
        "ids": {"source": summary.id_source, **summary.id_problems},
        "output": {"path": summary.output, "columns": summary.columns, "rows": summary.n_written,
                   "keep_columns": "all" if signature["keep_columns"] is None else list(signature["keep_columns"])},
        # every effective option, with the sha256 of the files they name: `screenkit score --config
        # THIS_FILE` runs the same again
        "config": {"command": "score", "options": config or {},
                   "sha256": {"library": signature["library_sha256"], "models": signature["models"],
                              "profile": signature["profile_sha256"]}},
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
