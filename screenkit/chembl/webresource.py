"""Activity records from the ChEMBL web API through the official ``chembl_webresource_client``.

For users who want the EBI's own client on the wire (``--api-client chembl-webresource-client``).
:class:`WebresourceSource` is :class:`~screenkit.chembl.api.ApiSource` with its transport
swapped: the same queries (filters, ``only`` fields, ``order_by``), the same assay lookups and
the same :func:`~screenkit.chembl.records.normalize_record`, so both clients give the same
records. What it gives up is what the module docstring of :mod:`screenkit.chembl.api` lists:
the client does not retry its list pages (POSTs), hides page boundaries (so no checkpoint
and no ``--resume``) and reports a truncated page as bad JSON. Here every such failure ends
the pull with one :class:`~screenkit.errors.FetchError` naming the target and the URL.

The client is configured through ``Settings.Instance()``, a process-wide singleton that each
query object reads when it is built. This source sets it only while it builds and runs a
query and puts the previous values back afterwards, so it neither leaks its server, timeout
or page size into other users of the client nor lets them change its own. It builds its
queries from ``chembl_webresource_client.query_set`` rather than importing ``new_client``,
whose import downloads the server's spore description; the client is imported only on use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import requests

from ..errors import FetchError
from .api import ApiSettings, ApiSource
from .records import ActivityQuery, TargetInfo

__all__ = ["WebresourceSource"]

log = logging.getLogger(__name__)


class WebresourceSource(ApiSource):
    """Read targets and activity records from a ChEMBL web API server with ``chembl_webresource_client``.

    Parameters
    ----------
    settings : ApiSettings, optional
        Base URL, timeout, page size (the client's ``MAX_LIMIT``), retries and backoff
        (its ``TOTAL_RETRIES`` and ``BACKOFF_FACTOR``, which apply to GET requests only).
    progress : callable, optional
        Called as ``progress(resource, 0, n_records, n_records)`` once a query's records
        are all in: the client does not expose its pages.

    Examples
    --------
    >>> source = WebresourceSource(ApiSettings(base_url="http://127.0.0.1:8000/chembl/api/data"))
    >>> source
    ChEMBL web API at http://127.0.0.1:8000/chembl/api/data (chembl_webresource_client)
    >>> source.close()
    """

    kind = "api:chembl-webresource-client"

    def __init__(self, settings: ApiSettings | None = None, progress: Callable | None = None):
        super().__init__(settings, checkpoint=None, progress=progress)

    def __repr__(self):
        return f"{super().__repr__()} (chembl_webresource_client)"

    # -- the client's settings and errors --------------------------------------------------------
    @contextmanager
    def _client_settings(self):
        """Point the client's process-wide settings at this source while a query is built and run."""
        from chembl_webresource_client.settings import Settings

        s = self.settings
        wanted = {"NEW_CLIENT_URL": self.location, "CACHING": False,  # no sqlite cache in the home directory
                  "NEW_CLIENT_TIMEOUT": s.timeout, "MAX_LIMIT": s.page_size,
                  "TOTAL_RETRIES": s.retries, "BACKOFF_FACTOR": s.backoff}
        instance = Settings.Instance()
        previous = {name: getattr(instance, name) for name in wanted}
        for name, value in wanted.items():
            setattr(instance, name, value)
        try:
            yield
        finally:
            for name, value in previous.items():
                setattr(instance, name, value)

    @contextmanager
    def _client_errors(self, what: str, url: str):
        """Turn the client's HTTP errors, transport errors and bad pages into one FetchError."""
        from chembl_webresource_client.http_errors import BaseHttpException

        try:
            yield
        except BaseHttpException as exc:
            raise FetchError(f"chembl_webresource_client: {what} failed at {exc.url}: "
                             f"{str(exc.content)[:200]!r}") from exc
        except requests.Timeout as exc:
            raise FetchError(f"chembl_webresource_client: {what} got no answer within {self.settings.timeout:g} s "
                             f"at {_request_url(exc, url)}") from exc
        except requests.RequestException as exc:  # includes RetryError after the client's GET retries
            raise FetchError(f"chembl_webresource_client: {what} failed at {_request_url(exc, url)} "
                             f"({type(exc).__name__}: {exc})") from exc
        except (ValueError, KeyError, TypeError) as exc:  # a truncated or malformed page
            raise FetchError(f"chembl_webresource_client: {what} got an unreadable answer from {url} "
                             f"({type(exc).__name__}: {exc})") from exc

    # -- transport (replaces ApiSource's requests calls) ----------------------------------------
    def _get(self, path: str, params: dict | None = None, validate: Callable | None = None):
        """``status.json`` with the client's session; a target by a filtered list query.

        A target is looked up as ``target.json?target_chembl_id=...`` because the client's
        session retries HTTP 404 like a server error, so a missing ID would read as a failure.
        """
        if path.startswith("target/"):
            chembl_id = path.removeprefix("target/").removesuffix(".json")
            targets = next(self._pages("target", "targets", {"target_chembl_id": chembl_id}))
            return targets[0] if targets else None
        from chembl_webresource_client.http_errors import handle_http_error
        from chembl_webresource_client.query import Query

        url = f"{self.location}/{path}"
        with self._client_settings(), self._client_errors(f"GET {path}", url):
            with Query()._get_session() as session:  # the session the client builds: its retries and headers
                response = session.get(url, params=params, timeout=self.settings.timeout)
            handle_http_error(response)
            return response.json()

    def _pages(self, resource: str, collection: str, params: dict) -> Iterator[list[dict]]:
        """Yield all records of a collection query as one list (the client hides its pages)."""
        from chembl_webresource_client.query_set import Model, QuerySet

        url = f"{self.location}/{resource}.json"
        shown = ", ".join(f"{k}={v}" for k, v in params.items() if k not in ("only", "order_by"))
        with self._client_settings(), self._client_errors(f"{resource} query {shown}", url):
            query = QuerySet(model=Model(resource, collection, formats=("json",)))
            for key, value in params.items():
                if key == "only":
                    query = query.only(value)  # one comma list, as ApiSource sends it
                elif key == "order_by":
                    query = query.order_by(value)
                elif key.endswith("__in"):
                    # a list is sent as is; a string would be URL-quoted, commas included
                    query = query.filter(**{key: value.split(",")})
                else:
                    query = query.filter(**{key: value})
            records = list(query)
        if self.progress:
            self.progress(resource, 0, len(records), len(records))
        yield records

    # -- source interface: ApiSource's, with the target named in errors -------------------------
    def target_info(self, chembl_id: str) -> TargetInfo | None:
        try:
            return super().target_info(chembl_id)
        except FetchError as exc:
            raise FetchError(f"target {chembl_id}: {exc}") from exc.__cause__

    def activities(self, query: ActivityQuery, target: TargetInfo) -> list[dict]:
        try:
            return super().activities(query, target)
        except FetchError as exc:
            raise FetchError(f"target {query.target_chembl_id}: {exc}") from exc.__cause__

    def query_description(self, query: ActivityQuery) -> dict:
        """ApiSource's queries; the client sends each list query as a POST of the same parameters."""
        return {**super().query_description(query),
                "target": f"GET {self.location}/target.json?target_chembl_id={query.target_chembl_id}",
                "client": "chembl_webresource_client: list queries are POSTs of these parameters with "
                          "X-HTTP-Method-Override: GET"}


def _request_url(exc: requests.RequestException, fallback: str) -> str:
    request = getattr(exc, "request", None)
    return getattr(request, "url", None) or fallback
