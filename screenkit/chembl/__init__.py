"""ChEMBL sources: activity records from the web API or a release database.

Both back ends yield the same raw records (:data:`RAW_COLUMNS`); this package reads
text and numbers only, and leaves chemistry and filtering to :mod:`screenkit.curate`.
"""

from .api import DEFAULT_API_URL, ApiSettings, ApiSource, Checkpoint
from .fetch import API_SOURCES, RawPull, fetch_records, open_source
from .records import RAW_COLUMNS, ActivityQuery, TargetInfo, check_target, read_raw, write_raw

__all__ = ["DEFAULT_API_URL", "API_SOURCES", "ApiSettings", "ApiSource", "Checkpoint", "RawPull", "fetch_records",
           "open_source", "RAW_COLUMNS", "ActivityQuery", "TargetInfo", "check_target", "read_raw", "write_raw",
           "SqlSource", "WebresourceSource"]


def __getattr__(name):
    if name == "SqlSource":  # imports SQLAlchemy: only on use
        from .sql import SqlSource

        return SqlSource
    if name == "WebresourceSource":
        from .webresource import WebresourceSource

        return WebresourceSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
