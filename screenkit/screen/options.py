"""What a screening run is asked to do: output format, kept input columns, and outputs that are safe to write."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import UsageError

__all__ = ["OUTPUT_FORMATS", "check_output", "companion_paths", "keep_spec", "output_suffix"]

OUTPUT_FORMATS = ("csv", "sdf", "parquet")


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
