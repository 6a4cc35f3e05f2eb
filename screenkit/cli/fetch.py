"""``screenkit fetch``: pull ChEMBL records for panel targets and curate them into a dataset."""

from __future__ import annotations

import argparse
import logging
import sys

from ..chembl import API_SOURCES, DEFAULT_API_URL, ApiSettings
from ..cli import curate as curate_cli
from ..config import load_panel
from ..curation.curate import fetch_dataset
from ..errors import UsageError
from ..progress import StepLog

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
    p = sub.add_parser(
        "fetch", help="pull ChEMBL activities for panel targets and curate them into a dataset",
        description="Check each target against the source (exists, human single protein, UniProt accession as in "
                    "the panel), pull its activities of the panel's activity types from the ChEMBL web API, a "
                    "ChEMBL release database or a ChEMBL website export (all its records of the target; other types "
                    "are logged), and curate them (see 'screenkit curate --help'). Writes DATASET plus "
                    "DATASET.raw.csv, .log.csv, .summary.csv and .provenance.json beside it. A web API pull keeps "
                    "its pages in DATASET.checkpoint/ until it succeeds; --resume continues an interrupted pull.",
    )
    p.add_argument("-o", "--output", required=True, metavar="DATASET", help="dataset to write (.csv or .csv.gz)")
    p.add_argument("--targets", metavar="IDS", help="comma-separated ChEMBL IDs or genes of the panel "
                                                     "(default: every panel target with a ChEMBL ID)")
    p.add_argument("--panel", metavar="FILE", help="panel TOML file (default: the bundled data/panel.toml)")
    p.add_argument("--source", default="api", metavar="SOURCE",
                   help="'api' (the ChEMBL web API) or a database URL such as sqlite:///chembl_35.db or "
                        "postgresql://user@host/chembl_35 (default: %(default)s)")
    defaults = ApiSettings()
    p.add_argument("--api-url", default=DEFAULT_API_URL, metavar="URL", help="web API base URL (default: %(default)s)")
    p.add_argument("--api-client", choices=list(API_SOURCES), default="screenkit",
                   help="web API client: screenkit's own, which retries every request, saves each page and can "
                        "--resume, or the official chembl-webresource-client, which fails on the first error of "
                        "a list page and cannot resume (default: %(default)s)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted web API pull from its checkpoint")
    p.add_argument("--page-size", type=int, default=defaults.page_size, metavar="N",
                   help="records per web API page, at most 1000 (default: %(default)s)")
    p.add_argument("--timeout", type=float, default=defaults.timeout, metavar="S",
                   help="seconds a whole web API request may take: connection, headers and body (default: "
                        "%(default)s)")
    p.add_argument("--retries", type=int, default=defaults.retries, metavar="N",
                   help="retries of a failed web API request, with doubling waits (default: %(default)s)")
    p.add_argument("--backoff", type=float, default=defaults.backoff, metavar="S",
                   help="first wait before a retry (default: %(default)s)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a line per target and page on stderr, with ChEMBL's record totals (default: on a terminal, "
                        "or with -v)")
    curate_cli.add_rule_options(p)
    p.set_defaults(run=run)


def run(args) -> int:
    panel = load_panel(args.panel)
    if args.targets:
        targets = [panel.get(key.strip()) for key in args.targets.split(",") if key.strip()]
    elif args.panel:
        targets = [t for t in panel.targets if t.chembl_id]
        skipped = [t.gene for t in panel.targets if not t.chembl_id]
        if skipped:
            log.warning("skipping panel targets without a ChEMBL ID: %s", ", ".join(skipped))
    else:
        raise UsageError("say what to fetch: --targets CHEMBL237,CHEMBL216 or --panel PANEL.toml")
    source = args.source
    if args.api_client != "screenkit":
        if source != "api":
            raise UsageError(f"--api-client {args.api_client} applies to the web API; drop it or use --source api")
        source = API_SOURCES[args.api_client]
    api = ApiSettings(base_url=args.api_url, timeout=args.timeout, page_size=args.page_size,
                      retries=args.retries, backoff=args.backoff)

    show = args.progress if args.progress is not None else (sys.stderr.isatty() or getattr(args, "verbose", False))
    progress = PageProgress(targets, StepLog(enabled=show), args.page_size)
    result = fetch_dataset(targets, args.output, source=source, api=api, resume=args.resume,
                           config=curate_cli.config_from_args(args), progress=progress)
    curate_cli.report(result)
    return 0


class PageProgress:
    """``progress(resource, offset, n_records, total)`` of the web API, as a line per page and target.

    Targets are pulled in order, each starting with its first activity page (offset 0), then
    its assay pages; so the count of first activity pages says which target a page belongs to.
    """

    def __init__(self, targets, steps: StepLog, page_size: int):
        self.targets, self.steps, self.page_size, self.index = list(targets), steps, max(1, page_size), -1

    def __call__(self, resource: str, offset: int, n_records: int, total: int) -> None:
        if resource == "activity" and offset == 0:
            self.index += 1
        target = self.targets[self.index] if 0 <= self.index < len(self.targets) else None
        who = f"{target.gene} {target.chembl_id} ({self.index + 1}/{len(self.targets)})" if target else "ChEMBL"
        if not n_records:
            self.steps.note(f"{who}: {resource}: no records")
        elif offset == 0 and n_records == total:
            self.steps.note(f"{who}: {resource}: all {total} records")
        else:
            page, pages = offset // self.page_size + 1, -(-total // self.page_size)
            self.steps.note(f"{who}: {resource} page {page}/{pages}, records {offset + 1}-{offset + n_records} "
                            f"of {total}")
