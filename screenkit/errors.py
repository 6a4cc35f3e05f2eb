"""The one exception hierarchy for caller mistakes.

Chemistry problems (an unparsable record, a salt, an empty molecule) are *data*: they
become rows with ``status``/``reason`` and never raise. The classes here are for
mistakes the caller can fix (a missing file, an unknown column, a tampered model),
and each message names the bad value and the fix.
"""

from __future__ import annotations

__all__ = [
    "ScreenkitError",
    "UsageError",
    "InputFileError",
    "ModelBundleError",
    "OutputFileError",
    "FetchError",
    "check_count",
]


class ScreenkitError(Exception):
    """Base class of every error screenkit raises on purpose.

    ``exit_code`` is what the command line returns for it: 2 for usage and
    configuration mistakes, 3 for problems with the data a command was given.
    """

    exit_code = 2


class UsageError(ScreenkitError):
    """A bad option or configuration value (unknown column, bad format name, ...)."""

    exit_code = 2


class InputFileError(ScreenkitError):
    """An input file that is missing, empty, binary or not the format it claims."""

    exit_code = 3


class OutputFileError(ScreenkitError):
    """An output that cannot be written (full disk, file system turned read-only, ...)."""

    exit_code = 3


class ModelBundleError(ScreenkitError):
    """A model directory that is missing, incomplete, tampered with or of unknown types."""

    exit_code = 3


class FetchError(ScreenkitError):
    """A data source (ChEMBL web API or database) that cannot be reached or answers wrongly."""

    exit_code = 3


def check_count(option: str, value, *, allow_negative: bool = False, minimum: int = 1) -> None:
    """Refuse a count option that is not a whole number of at least ``minimum``.

    With ``allow_negative`` (``n_jobs``), negative numbers count back from every core and
    only 0 is refused.

    Examples
    --------
    >>> check_count("--n-jobs", -1, allow_negative=True)
    >>> check_count("--chunk-size", 0)
    Traceback (most recent call last):
    ...
    screenkit.errors.UsageError: --chunk-size must be a whole number of at least 1, not 0
    """
    whole = isinstance(value, int) and not isinstance(value, bool)
    if allow_negative:
        if not whole or value == 0:
            raise UsageError(f"{option} must be a whole number other than 0 (-1 = every core), not {value!r}")
    elif not whole or value < minimum:
        raise UsageError(f"{option} must be a whole number of at least {minimum}, not {value!r}")
