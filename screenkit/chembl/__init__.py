"""ChEMBL sources: activity records from the web API, a release database or a website export.

All back ends yield the same raw records (:data:`RAW_COLUMNS`); this package reads
text and numbers only (including the modality an action type or assay description
states), and leaves chemistry and filtering to :mod:`screenkit.curation.curate`.
"""

from .api import DEFAULT_API_URL, ApiSettings, ApiSource, Checkpoint
from .export import ExportSource, read_web_export
from .fetch import API_SOURCES, RawPull, fetch_records, open_source
from .modality import MODALITIES, record_modality
from .records import RAW_COLUMNS, ActivityQuery, TargetInfo, check_target, read_raw, write_raw

__all__ = ["DEFAULT_API_URL", "API_SOURCES", "ApiSettings", "ApiSource", "Checkpoint", "RawPull", "fetch_records",
           "open_source", "RAW_COLUMNS", "ActivityQuery", "TargetInfo", "check_target", "read_raw", "write_raw",
           "SqlSource", "WebresourceSource", "ExportSource", "read_web_export", "MODALITIES", "record_modality"]


def __getattr__(name):
    if name == "SqlSource":  # imports SQLAlchemy: only on use
        from .sql import SqlSource

        return SqlSource
    if name == "WebresourceSource":
        from .webresource import WebresourceSource

        return WebresourceSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
