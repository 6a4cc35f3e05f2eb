"""Pull the raw activity records of panel targets from one source, after checking each target."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .. import __version__
from ..config import Target
from ..errors import UsageError
from .api import ApiSettings, ApiSource, Checkpoint
from .records import ActivityQuery, check_target, raw_frame

__all__ = ["API_SOURCES", "RawPull", "open_source", "fetch_records"]

log = logging.getLogger(__name__)

#: The ``open_source`` spec of each web API client: screenkit's own (retries every request,
#: checkpoints pages, resumes) and the official ``chembl_webresource_client``.
API_SOURCES = {"screenkit": "api", "chembl-webresource-client": "api:chembl-webresource-client"}


@dataclass
class RawPull:
    """Raw records of a pull and what produced them (source, release, queries, targets, date)."""

    records: pd.DataFrame
    meta: dict = field(default_factory=dict)


def open_source(spec: str = "api", *, api: ApiSettings | None = None, checkpoint_dir: str | Path | None = None,
                resume: bool = False, progress: Callable | None = None):
    """Open a ChEMBL source: ``"api"`` (the web API) or a SQLAlchemy database URL.

    Parameters
    ----------
    spec : str
        ``"api"``, ``"api:chembl-webresource-client"`` (the web API through the official
        client, see :data:`API_SOURCES`), ``"sqlite:///path/chembl_35.db"``,
        ``"postgresql://user@host/chembl_35"``, ..., or the path of a ChEMBL website export
        (``TYK2_export.csv.gz``, see :mod:`screenkit.chembl.export`).
    api : ApiSettings, optional
        Web API settings (base URL, timeout, page size, retries).
    checkpoint_dir : path, optional
        ``"api"`` only: folder where pages are saved as they arrive.
    resume : bool
        Reuse the pages already in ``checkpoint_dir``; without it the folder is emptied first.
    progress : callable, optional
        Web API only: ``progress(resource, offset, n_records, total_count)`` after each page.

    Raises
    ------
    UsageError
        If ``spec`` is neither an API spec nor a database URL, or ``resume`` is asked of
        the official client, which keeps no checkpoint.
    """
    if spec == "api":
        checkpoint = None
        if checkpoint_dir is not None:
            checkpoint_dir = Path(checkpoint_dir)
            if checkpoint_dir.exists() and not resume:
                log.warning("removing the old checkpoint %s (pass --resume to continue it)", checkpoint_dir)
                shutil.rmtree(checkpoint_dir)
            elif resume and not checkpoint_dir.exists():
                log.warning("no checkpoint at %s; starting from the first page", checkpoint_dir)
            checkpoint = Checkpoint(checkpoint_dir)
        return ApiSource(api or ApiSettings(), checkpoint=checkpoint, progress=progress)
    if spec == API_SOURCES["chembl-webresource-client"]:
        if resume:
            raise UsageError("--resume needs page checkpoints, which chembl_webresource_client cannot keep; "
                             "use the default --api-client screenkit for resumable pulls")
        from .webresource import WebresourceSource

        return WebresourceSource(api or ApiSettings(), progress=progress)
    if "://" not in spec and (spec.lower().endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")) or Path(spec).is_file()):
        from .export import ExportSource

        if resume:
            log.info("--resume has no effect on a web export source")
        return ExportSource(spec)
    if "://" not in spec:
        raise UsageError(f"--source {spec!r} is not 'api' or a database URL; use e.g. sqlite:///chembl_35.db "
                         "or postgresql://user@host/chembl_35")
    from .sql import SqlSource

    if resume:
        log.info("--resume has no effect on a database source")
    return SqlSource(spec)


def fetch_records(targets: Sequence[Target], source, *, tax_id: int = 9606,
                  target_type: str = "SINGLE PROTEIN") -> RawPull:
    """Check every target against the source, then pull its records.

    All targets are checked before any activity is pulled, so a wrong panel entry fails
    in seconds, not after an hour of paging.

    Raises
    ------
    UsageError
        If a target has no ChEMBL ID, does not exist in the source, or is not the
        panel's human single protein (see :func:`~screenkit.chembl.records.check_target`).
    FetchError
        If the source cannot be reached or keeps failing.
    """
    if not targets:
        raise UsageError("no targets to fetch; pass --targets CHEMBL_IDS or a --panel with chembl_id entries")
    missing = [t.gene for t in targets if not t.chembl_id]
    if missing:
        raise UsageError(f"target(s) {', '.join(missing)} have no chembl_id in the panel; add one or leave them out")
    release = source.release()
    infos = {}
    for target in targets:
        info = source.target_info(target.chembl_id)
        check_target(info, target, repr(source), tax_id=tax_id, target_type=target_type)
        infos[target.chembl_id] = info
    records, queries = [], {}
    in_export = getattr(source, "records", None)
    if in_export is not None:  # a web export may hold targets nobody asked for: say so
        asked = {t.chembl_id for t in targets}
        others = in_export[~in_export["target_chembl_id"].isin(asked)]
        if len(others):
            log.warning("%r: %d records of other targets (%s) are not part of this pull", source, len(others),
                        ", ".join(sorted(set(others["target_chembl_id"].dropna()))))
    for target in targets:
        if target.chembl_id is None:  # refused above with every such target named
            raise UsageError(f"target {target.gene} has no chembl_id in the panel")
        query = ActivityQuery(target.chembl_id, tuple(target.activity_types))
        log.info("pulling %s (%s) %s from %r", target.chembl_id, target.gene, "/".join(query.activity_types), source)
        pulled = source.activities(query, infos[target.chembl_id])
        log.info("%s: %d records", target.chembl_id, len(pulled))
        records.extend(pulled)
        queries[target.chembl_id] = source.query_description(query)
    meta = {
        "source": {"kind": source.kind, "location": source.location, "release": release},
        "fetched": datetime.now(UTC).isoformat(timespec="seconds"),
        "screenkit_version": __version__,
        "targets": [{"chembl_id": t.chembl_id, "gene": t.gene, "uniprot": t.uniprot,
                     "activity_types": list(t.activity_types), "source_record": infos[t.chembl_id].as_dict()}
                    for t in targets],
        "queries": queries,
    }
    return RawPull(raw_frame(records), meta)
