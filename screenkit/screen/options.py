"""What a screening run is asked to do: :class:`ScreenConfig`, checked before any work, and outputs
that are safe to write."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ReadOnlyDict, frozen_mappings
from ..errors import UsageError, check_count
from ..profile import Profile

__all__ = ["OUTPUT_FORMATS", "ScreenConfig", "check_options", "check_output", "companion_paths", "keep_spec",
           "output_suffix"]

OUTPUT_FORMATS = ("csv", "sdf", "parquet")


@dataclass(frozen=True)
class ScreenConfig:
    """Every option of a screening run, frozen; written whole into ``OUT.meta.json`` (``screen_config``).

    Attributes
    ----------
    models_dir : str, optional
        Model folder; default the bundled models.
    fmt : {"sdf", "smiles", "csv", "tsv", "parquet"}, optional
        Library format when the file name does not say it.
    smiles_col, id_col, id_field : str, optional
        Table columns with the SMILES and the ID, or the SD data item with the ID (guessed when omitted).
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
        Write only the best ``top`` rows to the output (the status file still lists every record).
    resume : bool
        Continue an interrupted run from ``OUT.work/``.
    profile : Profile or str, optional
        Ranking profile or its file/bundled name; default the bundled ``leukodystrophy`` profile.
        The metadata records the resolved profile whole.
    base_rate : float, optional
        Library active share that ``<model>_p_active`` is corrected to (default: the profile's).
    pareto : bool
        Write only the compounds of the first ``fronts`` non-dominated fronts over the profile's
        objectives (still in score order), with their front in a ``pareto_rank`` column.
    fronts : int
        How many fronts ``pareto`` keeps (1: only the compounds nothing beats on every objective).
    progress : bool, optional
        Show a progress bar (records done of the total, rate, ETA); default only when stderr is a terminal.
    output_format : {"csv", "sdf", "parquet"}, optional
        The format for output ``"-"`` (default csv); with a file the name decides, and a different
        value here is a usage error.
    keep_columns : "all", "none" or tuple of str
        Input columns (CSV/Parquet) and SD data items carried into CSV/Parquet output, after
        screenkit's columns; a name screenkit uses itself gets an ``input_`` prefix.
    status_file, metadata : str, optional
        With output ``"-"``: where every record's status and the provenance go (with a file output
        they are ``OUT.status.csv`` and ``OUT.meta.json``).
    command : str
        The command line, recorded in the metadata.
    cli_options : mapping
        The resolved options of a command-line run, recorded in the metadata (``config.options``).

    Examples
    --------
    >>> ScreenConfig(n_jobs=2, keep_columns=["price"]).keep_columns
    ('price',)
    """

    models_dir: str | None = None
    fmt: str | None = None
    smiles_col: str | None = None
    id_col: str | None = None
    id_field: str | None = None
    n_jobs: int = 1
    chunk_size: int = 1000
    run_size: int = 10_000
    backend: str = "loky"
    scheduler: str | None = None
    top: int | None = None
    resume: bool = False
    profile: Profile | str | None = None
    base_rate: float | None = None
    pareto: bool = False
    fronts: int = 1
    progress: bool | None = None
    output_format: str | None = None
    keep_columns: str | tuple[str, ...] = "all"
    status_file: str | None = None
    metadata: str | None = None
    command: str = ""
    cli_options: Mapping = field(default_factory=ReadOnlyDict)

    def __post_init__(self):
        # paths as text and lists as tuples: the config is frozen and goes into JSON whole
        for name in ("models_dir", "status_file", "metadata"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                object.__setattr__(self, name, str(value))
        if not isinstance(self.keep_columns, str):
            object.__setattr__(self, "keep_columns", tuple(self.keep_columns))
        object.__setattr__(self, "cli_options", self.cli_options or {})
        frozen_mappings(self, "cli_options")


def check_options(config: ScreenConfig, library: Path, output: Path, to_stdout: bool) -> str:
    """Refuse bad option values and unsafe outputs before any work; return the output format.

    Raises
    ------
    UsageError
        Overwriting the input (checked first), a bad output name or format, options that need
        another output, or a count, size or backend that cannot work.
    """
    if not to_stdout and config.status_file is None and config.metadata is None:
        check_output(library, output)  # overwriting the input is the first thing to refuse
    out_suffix = output_suffix(output, config.output_format, to_stdout)
    if to_stdout:
        if config.resume:
            raise UsageError("--resume needs a file output: with -o - the work folder is temporary and "
                             "removed when the run ends")
        for companion in (config.status_file, config.metadata):
            if companion is not None:
                check_output(library, Path(companion))
    else:
        if config.status_file is not None or config.metadata is not None:
            raise UsageError("--status-file and --metadata go with -o -; with -o FILE they are "
                             "FILE.status.csv and FILE.meta.json")
    check_count("--n-jobs", config.n_jobs, allow_negative=True)
    check_count("--chunk-size", config.chunk_size)
    check_count("--run-size", config.run_size)
    check_count("--fronts", config.fronts)
    if config.top is not None:
        check_count("--top", config.top)
    if config.backend not in ("loky", "dask"):
        raise UsageError(f"unknown backend {config.backend!r}; use loky (this machine) or dask (a cluster)")
    return out_suffix


def output_suffix(output: Path, requested: str | None, to_stdout: bool) -> str:
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


def keep_spec(keep_columns) -> tuple[str, ...] | None:
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
