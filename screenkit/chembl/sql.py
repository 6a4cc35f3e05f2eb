"""Activity records from a ChEMBL release database (SQLite file, PostgreSQL, any SQLAlchemy URL).

The query is the reference query of the ChEMBL research note (section 4.4): one row per
activity of the target with the wanted ``standard_type`` values, under the web API's field
names, so both back ends give the same raw records. No curation filter is applied in SQL:
curation sees every record and logs why it drops one.

``activities.action_type`` exists from ChEMBL 26 on; on an older release the query is run
again with ``NULL`` in its place (a warning says so), so modality then comes from the assay
description alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import FetchError, InputFileError, UsageError
from .records import ActivityQuery, TargetInfo, normalize_record

__all__ = ["SqlSource", "ACTIVITY_SQL", "TARGET_SQL"]

log = logging.getLogger(__name__)

ACTIVITY_SQL = """
SELECT act.activity_id,
       td.chembl_id             AS target_chembl_id,
       td.target_type           AS target_type,
       td.organism              AS target_organism,
       td.tax_id                AS target_tax_id,
       a.chembl_id              AS assay_chembl_id,
       a.assay_type,
       a.confidence_score,
       CASE WHEN a.variant_id IS NULL THEN NULL
            ELSE COALESCE(vs.mutation, 'variant ' || CAST(a.variant_id AS VARCHAR(20))) END
                                AS assay_variant_mutation,
       d.chembl_id              AS document_chembl_id,
       d.year                   AS document_year,
       md.chembl_id             AS molecule_chembl_id,
       pmd.chembl_id            AS parent_molecule_chembl_id,
       cs.canonical_smiles      AS canonical_smiles,
       act.standard_type, act.standard_relation, act.standard_value, act.standard_units,
       act.pchembl_value, act.data_validity_comment, act.potential_duplicate,
       act.action_type, a.description AS assay_description
FROM activities act
JOIN assays a               ON a.assay_id   = act.assay_id
JOIN target_dictionary td   ON td.tid       = a.tid
JOIN molecule_dictionary md ON md.molregno  = act.molregno
LEFT JOIN molecule_hierarchy mh   ON mh.molregno  = act.molregno
LEFT JOIN molecule_dictionary pmd ON pmd.molregno = COALESCE(mh.parent_molregno, act.molregno)
LEFT JOIN compound_structures cs  ON cs.molregno  = act.molregno
LEFT JOIN docs d                  ON d.doc_id     = act.doc_id
LEFT JOIN variant_sequences vs    ON vs.variant_id = a.variant_id
WHERE td.chembl_id = :target_chembl_id
  AND act.standard_type IN :activity_types
ORDER BY act.activity_id
"""

TARGET_SQL = """
SELECT td.chembl_id, td.pref_name, td.target_type, td.organism, td.tax_id, cseq.accession
FROM target_dictionary td
LEFT JOIN target_components tc    ON tc.tid = td.tid
LEFT JOIN component_sequences cseq ON cseq.component_id = tc.component_id
WHERE td.chembl_id = :chembl_id
ORDER BY cseq.accession
"""

_RELEASE_SQL = "SELECT chembl_release FROM chembl_release ORDER BY chembl_release_id DESC"


def _mask(url) -> str:
    return url.render_as_string(hide_password=True)


class SqlSource:
    """Read targets and activity records from a ChEMBL database through SQLAlchemy.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL, e.g. ``sqlite:///chembl_35/chembl_35_sqlite/chembl_35.db`` or
        ``postgresql://user:pw@host/chembl_35`` (needs ``psycopg`` or ``psycopg2``).
    """

    kind = "sql"

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        try:
            parsed = make_url(url)
        except ArgumentError:
            raise UsageError(f"--source {url!r} is not 'api' or a database URL such as sqlite:///chembl_35.db") from None
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database
            if not path or path == ":memory:" or not Path(path).is_file():
                # SQLAlchemy would silently create an empty database
                raise InputFileError(f"ChEMBL database file {path!r} does not exist; give the path of the release's "
                                     "chembl_NN.db as --source sqlite:///PATH")
        if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg") if _has("psycopg") else parsed
        self.location = _mask(parsed)
        try:
            self.engine = create_engine(parsed)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise UsageError(f"no database driver for {self.location} ({exc}); install psycopg[binary] for "
                             "PostgreSQL") from None
        self._release: str | None = None  # read once, on first use
        self._schema: dict | None = None

    def __repr__(self):
        return f"ChEMBL database {self.location}"

    def _run(self, sql: str, **params):
        from sqlalchemy import bindparam, text
        from sqlalchemy.exc import SQLAlchemyError

        statement = text(sql)
        if "activity_types" in params:
            statement = statement.bindparams(bindparam("activity_types", expanding=True))
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as exc:
            raise FetchError(f"cannot connect to {self.location}: {_first_line(exc)}; check the URL, the server "
                             "and the credentials") from None
        try:
            with connection:
                return [dict(row._mapping) for row in connection.execute(statement, params)]
        except SQLAlchemyError as exc:
            raise FetchError(f"query on {self.location} failed: {_first_line(exc)}; is this a ChEMBL release "
                             "database?") from None

    def release(self) -> str:
        """The release name from the ``chembl_release`` table (``"unknown"`` without that table)."""
        if self._release is None:
            rows = []
            if "chembl_release" in self._columns():
                rows = self._run(_RELEASE_SQL)
            else:
                log.warning("%s has no chembl_release table; release recorded as 'unknown'", self.location)
            self._release = str(rows[0]["chembl_release"]) if rows else "unknown"
        return self._release

    def target_info(self, chembl_id: str) -> TargetInfo | None:
        rows = self._run(TARGET_SQL, chembl_id=chembl_id)
        if not rows:
            return None
        first = rows[0]
        return TargetInfo(chembl_id=first["chembl_id"], pref_name=first["pref_name"], target_type=first["target_type"],
                          organism=first["organism"],
                          tax_id=int(first["tax_id"]) if first["tax_id"] is not None else None,
                          accessions=tuple(r["accession"] for r in rows if r["accession"]))

    def query_description(self, query: ActivityQuery) -> dict:
        return {"sql": ACTIVITY_SQL.strip(),
                "params": {"target_chembl_id": query.target_chembl_id, "activity_types": list(query.activity_types)}}

    def activities(self, query: ActivityQuery, target: TargetInfo) -> list[dict]:
        params = {"target_chembl_id": query.target_chembl_id, "activity_types": list(query.activity_types)}
        sql = ACTIVITY_SQL
        if "action_type" not in self._columns().get("activities", ()):
            log.warning("%s has no activities.action_type (ChEMBL < 26); modality comes from assay descriptions only",
                        self.location)
            sql = sql.replace("act.action_type,", "NULL AS action_type,")
        return [normalize_record(r) for r in self._run(sql, **params)]

    def _columns(self) -> dict[str, tuple[str, ...]]:
        """Column names of the tables the queries read, by table (read once from the schema)."""
        if self._schema is None:
            from sqlalchemy import inspect
            from sqlalchemy.exc import SQLAlchemyError

            try:
                inspector = inspect(self.engine)
                tables = set(inspector.get_table_names())
                self._schema = {t: tuple(c["name"].lower() for c in inspector.get_columns(t))
                                for t in ("activities", "chembl_release") if t in tables}
            except SQLAlchemyError as exc:
                raise FetchError(f"cannot connect to {self.location} (reading its schema): {_first_line(exc)}; "
                                 "check the URL, the server and the credentials") from None
        return self._schema

    def close(self) -> None:
        self.engine.dispose()


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300]
