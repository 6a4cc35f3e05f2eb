"""Activity records from the ChEMBL web API, with retries and a page-level checkpoint.

Why not ``chembl_webresource_client``: its list pages are POSTs (``X-HTTP-Method-Override:
GET``), which urllib3's ``Retry`` does not retry by default, so a single HTTP 500 ends a
long pull; a truncated page surfaces as a bare ``JSONDecodeError``; it has no timeout by
default; its settings are a process-wide singleton; importing ``new_client`` downloads the
server's spore description; and it hides page boundaries, which a resumable checkpoint
needs. This module speaks the same REST protocol (``{base}/{resource}.json`` with Django
style filters, ``limit``/``offset`` paging, ``page_meta``) with plain ``requests``:

* every request has a deadline: ``timeout`` bounds the whole request (connect, headers
  and body), not each socket read, so a server that trickles bytes cannot stall a pull;
* timeouts, connection errors, HTTP 429/5xx, unparsable JSON and pages shorter than
  ``page_meta`` promises are retried with exponential backoff; a ``Retry-After`` header
  (seconds or an HTTP date, on 429 or 503) sets the wait when it asks for longer, and a
  server that asks for more than ``max_backoff`` ends the pull with a ``--resume`` hint;
* each page is saved to a checkpoint folder as soon as it arrives, so a pull that died
  (``--resume``) fetches only the pages it lacks;
* a server that never answers gives one clear :class:`~screenkit.errors.FetchError`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlencode, urlparse

import requests

from ..errors import FetchError, UsageError
from .records import ActivityQuery, TargetInfo, normalize_record

__all__ = ["DEFAULT_API_URL", "ApiSettings", "ApiSource", "Checkpoint"]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://www.ebi.ac.uk/chembl/api/data"
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_ACTIVITY_FIELDS = (
    "activity_id", "assay_chembl_id", "assay_type", "assay_variant_mutation", "document_chembl_id",
    "document_year", "molecule_chembl_id", "parent_molecule_chembl_id", "canonical_smiles", "standard_type",
    "standard_relation", "standard_value", "standard_units", "pchembl_value", "data_validity_comment",
    "potential_duplicate", "target_chembl_id", "target_organism", "target_tax_id", "action_type",
    "assay_description",
)
_ASSAY_FIELDS = ("assay_chembl_id", "assay_type", "confidence_score", "description")


@dataclass(frozen=True)
class ApiSettings:
    """How to talk to the web API.

    ``backoff`` is the first wait after a failed request in seconds; each further retry
    doubles it, up to ``max_backoff``. ``retries`` counts retries after the first try.
    """

    base_url: str = DEFAULT_API_URL
    timeout: float = 60.0
    page_size: int = 1000
    retries: int = 4
    backoff: float = 2.0
    max_backoff: float = 60.0
    batch_size: int = 50  # IDs per `__in` lookup; keeps URLs well under 4000 characters

    def __post_init__(self):
        parsed = urlparse(self.base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise UsageError(f"API URL {self.base_url!r} is not an http(s) URL; pass e.g. --api-url {DEFAULT_API_URL}")
        if not 1 <= self.page_size <= 1000:
            raise UsageError(f"page size {self.page_size} is outside 1..1000 (the API's maximum)")
        if self.timeout <= 0 or self.retries < 0 or self.backoff < 0:
            raise UsageError("timeout must be > 0, retries and backoff >= 0")


class _Transient(Exception):
    """A failure worth retrying (timeout, connection, 5xx, truncated page).

    ``retry_after`` is the wait in seconds the server asked for, if it sent ``Retry-After``.
    """

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or unreadable.

    Examples
    --------
    >>> retry_after_seconds("7"), retry_after_seconds(None), retry_after_seconds("soon")
    (7.0, None, None)
    >>> now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    >>> retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now)
    30.0
    """
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class Checkpoint:
    """Pages already fetched, one JSON file each, under ``directory``.

    A page is keyed by its resource, its filters and its offset, so a resumed pull
    reuses exactly the pages of the same query. Files are written atomically.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _path(self, resource: str, params: dict, offset: int) -> Path:
        digest = hashlib.sha256(json.dumps([resource, sorted(params.items())]).encode()).hexdigest()[:16]
        return self.directory / f"{resource}-{digest}" / f"{offset:09d}.json"

    def load(self, resource: str, params: dict, offset: int) -> dict | None:
        path = self._path(resource, params, offset)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError:  # a page file cut by a crash: fetch it again
            log.warning("checkpoint page %s is unreadable; fetching it again", path)
            return None

    def save(self, resource: str, params: dict, offset: int, page: dict) -> None:
        path = self._path(resource, params, offset)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(page), encoding="utf-8")
        os.replace(tmp, path)

    def check_release(self, release: str) -> None:
        """Remember the release; refuse to mix pages of two releases."""
        marker = self.directory / "release.json"
        if marker.is_file():
            stored = json.loads(marker.read_text(encoding="utf-8"))["release"]
            if stored != release:
                raise FetchError(f"checkpoint {self.directory} holds pages of {stored}, but the server now has "
                                 f"{release}; delete {self.directory} or fetch without --resume")
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"release": release}), encoding="utf-8")


class ApiSource:
    """Read targets and activity records from a ChEMBL web API server.

    Parameters
    ----------
    settings : ApiSettings, optional
        Base URL, timeout, page size, retries.
    checkpoint : Checkpoint, optional
        Where pages are saved as they arrive and looked up before fetching.
    progress : callable, optional
        Called as ``progress(resource, offset, n_records, total_count)`` after each page
        (fetched or read from the checkpoint).
    session : requests.Session, optional
        Transport to use (default: a new session).
    """

    kind = "api"

    def __init__(self, settings: ApiSettings | None = None, checkpoint: Checkpoint | None = None,
                 progress: Callable | None = None, session: requests.Session | None = None):
        self.settings = settings = settings or ApiSettings()
        self.checkpoint = checkpoint
        self.progress = progress
        self.session = session or requests.Session()
        self.session.headers.setdefault("Accept", "application/json")
        self.location = settings.base_url.rstrip("/")
        self._answered = False  # any HTTP answer so far: tells "unreachable" from "failing"
        self._release: str | None = None  # read once, on first use

    def __repr__(self):
        return f"ChEMBL web API at {self.location}"

    # -- transport ------------------------------------------------------------------------------
    def _get(self, path: str, params: dict | None = None, validate: Callable | None = None):
        """GET ``{base}/{path}`` as JSON, retrying transient failures; ``None`` for HTTP 404."""
        url = f"{self.location}/{path}"
        shown = url + ("?" + urlencode(params) if params else "")
        s = self.settings
        for attempt in range(s.retries + 1):
            try:
                return self._get_once(url, params, validate)
            except _Transient as exc:
                if attempt == s.retries:
                    if not self._answered:
                        raise FetchError(f"cannot reach the ChEMBL API at {self.location} ({exc}); check --api-url "
                                         "and the network") from None
                    raise FetchError(f"ChEMBL API failed {s.retries + 1} times for {shown} (last: {exc}); "
                                     "rerun with --resume to continue from the pages already saved") from None
                wait = min(s.max_backoff, s.backoff * 2 ** attempt)
                if exc.retry_after is not None:
                    if exc.retry_after > s.max_backoff:
                        raise FetchError(f"ChEMBL API asks to wait {exc.retry_after:g} s before retrying {shown} "
                                         f"({exc}, Retry-After), longer than the longest wait ({s.max_backoff:g} s); "
                                         "rerun later with --resume") from None
                    wait = max(wait, exc.retry_after)
                log.warning("ChEMBL API: %s for %s; retry %d/%d in %.1f s", exc, shown, attempt + 1, s.retries, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _get_once(self, url, params, validate):
        response, body = self._request_within_deadline(url, params)
        self._answered = True
        if response.status_code in _RETRY_STATUS:
            raise _Transient(f"HTTP {response.status_code}", retry_after_seconds(response.headers.get("Retry-After")))
        if response.status_code == 404:
            return None
        if not response.ok:
            raise FetchError(f"ChEMBL API answered HTTP {response.status_code} for {response.url}: "
                             f"{body[:200].decode('utf-8', 'replace')!r}")
        try:
            data = json.loads(body)
        except ValueError:
            raise _Transient("truncated or invalid JSON") from None
        if validate is not None:
            validate(data)
        return data

    def _request_within_deadline(self, url, params) -> tuple[requests.Response, bytes]:
        """Send one GET and read its whole body, or raise :class:`_Transient` once ``timeout`` has passed.

        ``requests``' own timeout bounds each socket operation, so a server that sends a byte
        now and then never times out. The request runs in a helper thread that the caller
        waits for at most ``timeout`` seconds; on expiry its socket is shut down, which ends
        the helper's blocked read.
        """
        timeout = self.settings.timeout
        box: dict = {}

        def run():
            try:
                response = self.session.get(url, params=params, timeout=timeout, stream=True)
                box["response"] = response
                box["body"] = response.content
            except Exception as exc:  # handed to the caller below
                box["error"] = exc

        worker = threading.Thread(target=run, name="screenkit-chembl-get", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            started = "response" in box  # headers came, the body did not finish
            _shut(box.get("response"))
            raise _Transient(f"no {'complete ' if started else ''}answer within {timeout:g} s")
        error = box.get("error")
        if isinstance(error, requests.Timeout):
            raise _Transient(f"no answer within {timeout:g} s")
        if isinstance(error, requests.RequestException):
            raise _Transient(f"{type(error).__name__}: {error}")
        if error is not None:
            raise error
        return box["response"], box["body"]

    def _pages(self, resource: str, collection: str, params: dict) -> Iterator[list[dict]]:
        """Yield the record lists of every page of a collection query, checkpointed."""
        offset = 0
        while True:
            page = self.checkpoint.load(resource, params, offset) if self.checkpoint else None
            if page is None:
                page = self._fetch_page(resource, collection, params, offset)
                if self.checkpoint:
                    self.checkpoint.save(resource, params, offset, page)
            records, total = page["records"], page["total_count"]
            if self.progress:
                self.progress(resource, offset, len(records), total)
            yield records
            offset += len(records)
            if not records or offset >= total:
                return

    def _fetch_page(self, resource: str, collection: str, params: dict, offset: int) -> dict:
        query = {**params, "limit": self.settings.page_size, "offset": offset}

        def validate(data):
            try:
                meta, records = data["page_meta"], data[collection]
                total, limit = int(meta["total_count"]), int(meta["limit"] or self.settings.page_size)
            except (KeyError, TypeError, ValueError):
                raise _Transient(f"page without page_meta/{collection}") from None
            expected = max(0, min(limit, total - offset))
            if len(records) != expected:
                raise _Transient(f"truncated page: {len(records)} of {expected} records at offset {offset}")

        data = self._get(f"{resource}.json", query, validate)
        if data is None:
            raise FetchError(f"ChEMBL API at {self.location} has no resource {resource!r} (HTTP 404); "
                             "check --api-url")
        return {"total_count": int(data["page_meta"]["total_count"]), "records": data[collection]}

    # -- source interface -----------------------------------------------------------------------
    def release(self) -> str:
        """The ChEMBL release the server reports (``chembl_db_version`` of ``status.json``)."""
        if self._release is None:
            status = self._get("status.json") or {}
            self._release = str(status.get("chembl_db_version") or "unknown")
            if self.checkpoint:
                self.checkpoint.check_release(self._release)
        return self._release

    def target_info(self, chembl_id: str) -> TargetInfo | None:
        """The target record, or ``None`` if the ID does not exist."""
        data = self._get(f"target/{chembl_id}.json")
        if data is None:
            return None
        tax_id = data.get("tax_id")
        return TargetInfo(
            chembl_id=data.get("target_chembl_id", chembl_id), pref_name=data.get("pref_name"),
            target_type=data.get("target_type"), organism=data.get("organism"),
            tax_id=int(tax_id) if tax_id not in (None, "") else None,
            accessions=tuple(c["accession"] for c in data.get("target_components") or () if c.get("accession")),
        )

    def query_description(self, query: ActivityQuery) -> dict:
        return {
            "activity": f"GET {self.location}/activity.json?" + urlencode(self._activity_params(query)),
            "assay": f"GET {self.location}/assay.json?assay_chembl_id__in=...&only=" + ",".join(_ASSAY_FIELDS),
            "target": f"GET {self.location}/target/{query.target_chembl_id}.json",
        }

    @staticmethod
    def _activity_params(query: ActivityQuery) -> dict:
        return {"target_chembl_id": query.target_chembl_id,
                "standard_type__in": ",".join(query.activity_types),
                "order_by": "activity_id", "only": ",".join(_ACTIVITY_FIELDS)}

    def activities(self, query: ActivityQuery, target: TargetInfo) -> list[dict]:
        """Raw records of one target and its activity types, with assay confidence scores."""
        records = [r for page in self._pages("activity", "activities", self._activity_params(query)) for r in page]
        assay_ids = sorted({str(r["assay_chembl_id"]) for r in records
                            if isinstance(r, dict) and r.get("assay_chembl_id")})
        assays = {}
        for i in range(0, len(assay_ids), self.settings.batch_size):
            batch = assay_ids[i:i + self.settings.batch_size]
            params = {"assay_chembl_id__in": ",".join(batch), "order_by": "assay_chembl_id",
                      "only": ",".join(_ASSAY_FIELDS)}
            for page in self._pages("assay", "assays", params):
                assays.update({a["assay_chembl_id"]: a for a in page if isinstance(a, dict) and "assay_chembl_id" in a})
        out = []
        for record in records:
            if not isinstance(record, dict):  # logged and excluded by curation (rule 'record')
                log.warning("ChEMBL API: skipping a malformed activity record of %s: %.80r", target.chembl_id, record)
                out.append(normalize_record(record))
                continue
            assay = assays.get(record.get("assay_chembl_id"), {})
            out.append(normalize_record({
                **record, "confidence_score": assay.get("confidence_score"),
                "assay_type": record.get("assay_type") or assay.get("assay_type"),
                "assay_description": record.get("assay_description") or assay.get("description"),
                "target_type": target.target_type}))
        return out

    def close(self) -> None:
        self.session.close()


def _shut(response: requests.Response | None) -> None:
    """Shut the socket under a streaming response down, so a read blocked on it returns.

    The socket sits on urllib3's connection for a keep-alive answer, and only on http.client's
    reader when the server closes after the answer (HTTP/1.0); without either, nothing is done.
    """
    raw = getattr(response, "raw", None)
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    if sock is None:
        reader = getattr(getattr(raw, "_fp", None), "fp", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    if sock is None:
        return
    try:
        import socket

        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
