"""A tiny ChEMBL release (real table and column names) and a local web API server built from it.

The database holds the edge cases curation must handle: a salt next to its parent,
replicates that agree and replicates that disagree, a data-validity comment, a potential
duplicate, censored values ('>' only, '>' next to an exact value, '<' against '>'), a
low-confidence assay, a mutant assay, an ADME assay, wrong units, a zero value, a '~'
relation, an exact value without pChEMBL, a compound without structure, an inorganic
salt, two activity types for one target, a type the panel does not ask for, and targets
that are non-human or not single proteins. Non-human/complex IDs and accessions are
made up for the fixture. Assays carry ChEMBL-style descriptions (displacement, agonist-
and antagonist-mode) and two activities an ``action_type`` (AGONIST, ANTAGONIST), with
ChEMBL's ``action_type`` lookup table; :func:`modality_records` adds OPRK1 EC50 records
from agonist-mode, antagonist-mode and unlabelled assays.

The server answers the web API's endpoints (status, target detail, activity, assay and
target collections with Django-style filters, ``only``, ``order_by``, ``limit``/``offset`` and
``page_meta``) with the API's JSON conventions: measurement values as strings,
``potential_duplicate`` as a boolean, ``action_type`` as a nested object
(``{"action_type", "description", "parent_type"}`` or null), ``assay_description`` on
each activity. It can be told to fail: HTTP 500, hang past the
client's timeout, cut the body short, or drop records from a page.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlparse

from screenkit.config import Target

RELEASE = "ChEMBL_99_fixture"

DDL = [
    """CREATE TABLE chembl_release (chembl_release_id INTEGER PRIMARY KEY, chembl_release VARCHAR(20),
       creation_date VARCHAR(20))""",
    """CREATE TABLE target_dictionary (tid INTEGER PRIMARY KEY, chembl_id VARCHAR(20), pref_name VARCHAR(200),
       target_type VARCHAR(30), tax_id INTEGER, organism VARCHAR(150))""",
    """CREATE TABLE component_sequences (component_id INTEGER PRIMARY KEY, accession VARCHAR(25),
       organism VARCHAR(150))""",
    "CREATE TABLE target_components (targcomp_id INTEGER PRIMARY KEY, tid INTEGER, component_id INTEGER)",
    """CREATE TABLE variant_sequences (variant_id INTEGER PRIMARY KEY, mutation VARCHAR(2000),
       accession VARCHAR(25))""",
    """CREATE TABLE assays (assay_id INTEGER PRIMARY KEY, chembl_id VARCHAR(20), doc_id INTEGER, tid INTEGER,
       assay_type VARCHAR(1), confidence_score INTEGER, relationship_type VARCHAR(1), variant_id INTEGER,
       src_id INTEGER, description VARCHAR(4000))""",
    """CREATE TABLE action_type (action_type VARCHAR(50) PRIMARY KEY, description VARCHAR(200),
       parent_type VARCHAR(50))""",
    """CREATE TABLE molecule_dictionary (molregno INTEGER PRIMARY KEY, chembl_id VARCHAR(20), pref_name VARCHAR(255),
       molecule_type VARCHAR(30))""",
    """CREATE TABLE molecule_hierarchy (molregno INTEGER PRIMARY KEY, parent_molregno INTEGER,
       active_molregno INTEGER)""",
    """CREATE TABLE compound_structures (molregno INTEGER PRIMARY KEY, canonical_smiles VARCHAR(4000),
       standard_inchi_key VARCHAR(27))""",
    """CREATE TABLE docs (doc_id INTEGER PRIMARY KEY, chembl_id VARCHAR(20), year INTEGER, journal VARCHAR(50),
       src_id INTEGER)""",
    """CREATE TABLE activities (activity_id INTEGER PRIMARY KEY, assay_id INTEGER, doc_id INTEGER,
       record_id INTEGER, molregno INTEGER, standard_type VARCHAR(250), standard_relation VARCHAR(50),
       standard_value NUMERIC, standard_units VARCHAR(100), pchembl_value NUMERIC(4, 2),
       data_validity_comment VARCHAR(30), potential_duplicate SMALLINT, activity_comment VARCHAR(4000),
       src_id INTEGER, action_type VARCHAR(50))""",
]
TABLES = ["chembl_release", "target_dictionary", "component_sequences", "target_components", "variant_sequences",
          "action_type", "assays", "molecule_dictionary", "molecule_hierarchy", "compound_structures", "docs",
          "activities"]

# (tid, chembl_id, pref_name, target_type, tax_id, organism, accession)
TARGETS = [
    (1, "CHEMBL237", "Kappa opioid receptor", "SINGLE PROTEIN", 9606, "Homo sapiens", "P41145"),
    (2, "CHEMBL216", "Muscarinic acetylcholine receptor M1", "SINGLE PROTEIN", 9606, "Homo sapiens", "P11229"),
    (3, "CHEMBL3952", "Kappa opioid receptor", "SINGLE PROTEIN", 10141, "Cavia porcellus", "Q9FIX01"),
    (4, "CHEMBL9999901", "Opioid receptor complex (fixture)", "PROTEIN COMPLEX", 9606, "Homo sapiens", "P41145"),
]
# (doc_id, chembl_id, year)
DOCS = [(1, "CHEMBL1100001", 2010), (2, "CHEMBL1100002", 2012), (3, "CHEMBL1100003", None),
        (4, "CHEMBL1100004", 2015)]
# (assay_id, chembl_id, doc_id, tid, assay_type, confidence, relationship, variant_id)
ASSAYS = [
    (1, "CHEMBL800001", 1, 1, "B", 9, "D", None),
    (2, "CHEMBL800002", 2, 1, "F", 8, "H", None),
    (3, "CHEMBL800003", 1, 1, "B", 4, "D", None),   # low confidence
    (4, "CHEMBL800004", 4, 1, "B", 9, "D", 1),      # mutant
    (5, "CHEMBL800005", 4, 1, "A", 9, "D", None),   # ADME assay
    (6, "CHEMBL800006", 3, 2, "B", 9, "D", None),
    (7, "CHEMBL800007", 4, 2, "B", 9, "D", None),
    (8, "CHEMBL800008", 4, 3, "B", 9, "D", None),   # guinea-pig target
    (9, "CHEMBL800009", 4, 4, "B", 7, "D", None),   # protein complex
]
# ChEMBL's action_type lookup (the rows the fixture uses), and assay descriptions in ChEMBL's wording
ACTION_TYPES = [("AGONIST", "Binds to a receptor and activates it", "POSITIVE MODULATOR"),
                ("ANTAGONIST", "Binds to a receptor and blocks its activation", "NEGATIVE MODULATOR")]
ASSAY_DESCRIPTIONS = {
    1: "Displacement of [3H]diprenorphine from human kappa opioid receptor expressed in CHO cells",
    2: "Agonist activity at human kappa opioid receptor expressed in CHO cells assessed as stimulation of "
       "[35S]GTPgammaS binding",
    6: "Displacement of [3H]NMS from human muscarinic acetylcholine receptor M1 expressed in CHO cells",
    7: "Antagonist activity at human muscarinic M1 receptor assessed as inhibition of carbachol-induced calcium "
       "mobilization",
}
# activity_id -> action_type (ChEMBL sets it on some records only)
ACTIONS = {1023: "AGONIST", 2006: "ANTAGONIST"}
U50488 = "CN([C@@H]1CCCC[C@H]1N1CCCC1)C(=O)Cc1ccc(Cl)c(Cl)c1"
CLEMASTINE = "CN1CCC[C@@H]1CCO[C@](C)(c1ccccc1)c1ccc(Cl)cc1"
# (molregno, chembl_id, smiles, parent_molregno)
MOLECULES = [
    (1, "CHEMBL7001", U50488, 1),
    (2, "CHEMBL7002", U50488 + ".Cl", 1),                         # HCl salt of 1
    (3, "CHEMBL7003", "CCN(CC)C(=O)c1ccc(C(=C2CCNCC2)c2ccccc2)cc1", 3),
    (4, "CHEMBL7004", "CN1[C@H]2CC[C@@H]1CC(OC(=O)C(CO)c1ccccc1)C2", 4),
    (5, "CHEMBL7005", "CN1CCN(CC(=O)N2c3ccccc3C(=O)Nc3cccnc32)CC1", 5),
    (6, "CHEMBL7006", "CN1C2CC(OC(=O)C(CO)c3ccccc3)CC1C1OC12", 6),
    (7, "CHEMBL7007", "OC(=O)c1ccccc1O", 7),
    (8, "CHEMBL7008", "CN1C2CCC1CC(OC(c1ccccc1)c1ccccc1)C2", 8),
    (9, "CHEMBL7009", CLEMASTINE, 9),
    (10, "CHEMBL7010", CLEMASTINE + ".O=C(O)/C=C/C(=O)O", 9),      # fumarate salt of 9
    (11, "CHEMBL7011", None, 11),                                  # no structure (e.g. a biologic)
    (12, "CHEMBL7012", "[Na+].[Cl-]", 12),                         # inorganic
] + [(100 + k, f"CHEMBL71{k:02d}", "C" * k + "Oc1ccc(CCN2CCCC2)cc1", 100 + k) for k in range(1, 21)]

# (activity_id, assay_id, molregno, type, relation, value, units, pchembl, validity, dup)
ACTIVITIES = [
    (1001, 1, 1, "Ki", "=", 10, "nM", 8.0, None, 0),
    (1002, 1, 1, "Ki", "=", 12, "nM", 7.92, None, 0),
    (1003, 1, 2, "Ki", "=", 8, "nM", 8.1, None, 0),                 # salt, merges with 1
    (1004, 1, 3, "Ki", "=", 100, "nM", 7.0, None, 0),
    (1005, 1, 3, "Ki", "=", 2000, "nM", 5.7, None, 0),              # disagreeing replicate
    (1006, 1, 4, "Ki", ">", 10000, "nM", None, None, 0),            # censored only
    (1007, 1, 5, "Ki", ">", 10000, "nM", None, None, 0),            # superseded by 1008
    (1008, 1, 5, "Ki", "=", 500, "nM", 6.3, None, 0),
    (1009, 1, 6, "Ki", "<", 1, "nM", None, None, 0),                # censored, stronger than 9
    (1010, 1, 7, "Ki", "<", 10, "nM", None, None, 0),               # conflicting censored pair
    (1011, 1, 7, "Ki", ">", 10000, "nM", None, None, 0),
    (1012, 1, 8, "Ki", "=", 50, "nM", 7.3, "Outside typical range", 0),
    (1013, 1, 8, "Ki", "=", 60, "nM", 7.22, None, 1),               # potential duplicate
    (1014, 3, 9, "Ki", "=", 5, "nM", 8.3, None, 0),                 # low confidence
    (1015, 4, 9, "Ki", "=", 7, "nM", 8.15, None, 0),                # mutant
    (1016, 5, 9, "Ki", "=", 20000, "nM", 4.7, None, 0),             # ADME assay
    (1017, 1, 10, "Ki", "=", 3, "ug.mL-1", None, None, 0),          # units
    (1018, 1, 9, "Ki", "=", 0, "nM", None, None, 0),                # zero value
    (1019, 1, 9, "Ki", "~", 100, "nM", None, None, 0),              # approximate
    (1020, 1, 9, "Ki", "=", 100, "nM", None, None, 0),              # exact without pChEMBL
    (1021, 1, 11, "Ki", "=", 30, "nM", 7.52, None, 0),              # no structure
    (1022, 1, 12, "Ki", "=", 40, "nM", 7.4, None, 0),               # inorganic
    (1023, 2, 1, "EC50", "=", 20, "nM", 7.7, None, 0),              # second activity type
    (1024, 2, 2, "EC50", "=", 25, "nM", 7.6, None, 0),
    (1025, 1, 1, "IC50", "=", 15, "nM", 7.82, None, 0),             # type not asked for
    (2001, 6, 4, "Ki", "=", 0.5, "nM", 9.3, None, 0),
    (2002, 6, 5, "Ki", "=", 15, "nM", 7.82, None, 0),
    (2003, 6, 6, "Ki", "=", 1, "nM", 9.0, None, 0),
    (2004, 6, 8, "Ki", "=", 2, "nM", 8.7, None, 0),
    (2005, 6, 9, "IC50", "=", 100, "nM", 7.0, None, 0),
    (2006, 7, 10, "IC50", "=", 120, "nM", 6.92, None, 0),           # fumarate, merges with 2005
    (2007, 7, 9, "IC50", "=", 95, "nM", 7.02, None, 0),
    (3001, 8, 1, "Ki", "=", 10, "nM", 8.0, None, 0),
    (4001, 9, 1, "Ki", "=", 10, "nM", 8.0, None, 0),
] + [(1100 + k, 1, 100 + k, "Ki", "=", round(10 ** (9 - (5 + 0.2 * k)), 4), "nM", round(5 + 0.2 * k, 2),
      None, 0) for k in range(1, 21)]

N_PULLED = {"CHEMBL237": 44, "CHEMBL216": 7}  # records of the panel's types in the fixture


def fixture_targets() -> dict[str, Target]:
    """Panel entries for the fixture's targets (the real IDs and accessions for OPRK1 and CHRM1)."""
    def target(gene, chembl_id, uniprot, types):
        return Target(gene=gene, name=gene, family="GPCR", category="remyelination", modality="agonist",
                      activity_types=types, active_threshold=7.0, default_panel=True, verified_id=True,
                      rationale="fixture", reference="fixture", chembl_id=chembl_id, uniprot=uniprot)

    return {
        "OPRK1": target("OPRK1", "CHEMBL237", "P41145", ("EC50", "Ki")),
        "CHRM1": target("CHRM1", "CHEMBL216", "P11229", ("Ki", "IC50")),
        "guinea_pig": target("OPRK1_gp", "CHEMBL3952", "P41145", ("Ki",)),
        "complex": target("OPRK1_cx", "CHEMBL9999901", "P41145", ("Ki",)),
        "wrong_uniprot": target("CHRM3", "CHEMBL216", "P20309", ("Ki",)),
        "missing": target("NOPE", "CHEMBL000000", "P00000", ("Ki",)),
    }


def fixture_rows() -> dict[str, list[tuple]]:
    return {
        "chembl_release": [(1, RELEASE, "2099-01-01")],
        "target_dictionary": [t[:6] for t in TARGETS],
        "component_sequences": [(t[0], t[6], t[5]) for t in TARGETS],
        "target_components": [(t[0], t[0], t[0]) for t in TARGETS],
        "variant_sequences": [(1, "D138N", "P41145")],
        "action_type": list(ACTION_TYPES),
        "assays": [(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], 1, ASSAY_DESCRIPTIONS.get(a[0])) for a in ASSAYS],
        "molecule_dictionary": [(m[0], m[1], None, "Small molecule") for m in MOLECULES],
        "molecule_hierarchy": [(m[0], m[3], m[3]) for m in MOLECULES],
        "compound_structures": [(m[0], m[2], None) for m in MOLECULES if m[2] is not None],
        "docs": [(d[0], d[1], d[2], "J. Fixture", 1) for d in DOCS],
        "activities": [(a[0], a[1], ASSAYS[a[1] - 1][2], a[0], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9],
                        None, 1, ACTIONS.get(a[0])) for a in ACTIVITIES],
    }


def build_fixture(url: str) -> str:
    """Create (or re-create) the fixture tables in the database at a SQLAlchemy URL; return the URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        for table in reversed(TABLES):
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        for statement in DDL:
            connection.execute(text(statement))
        for table, rows in fixture_rows().items():
            width = len(rows[0])
            names = ", ".join(f":c{i}" for i in range(width))
            connection.execute(text(f"INSERT INTO {table} VALUES ({names})"),
                               [{f"c{i}": v for i, v in enumerate(row)} for row in rows])
    engine.dispose()
    return url


# -- the web API -------------------------------------------------------------------------------------------

def _api_records(db_path: str) -> dict[str, list[dict]]:
    """Activity, assay and target records as the web API would return them (its field names, strings)."""
    import sqlite3

    con = sqlite3.connect(db_path)
    con.row_factory = sqlite3.Row
    activities = [dict(r) for r in con.execute("""
        SELECT act.activity_id, a.chembl_id AS assay_chembl_id, a.assay_type, vs.mutation AS assay_variant_mutation,
               d.chembl_id AS document_chembl_id, d.year AS document_year, md.chembl_id AS molecule_chembl_id,
               pmd.chembl_id AS parent_molecule_chembl_id, cs.canonical_smiles, act.standard_type,
               act.standard_relation, act.standard_value, act.standard_units, act.pchembl_value,
               act.data_validity_comment, act.potential_duplicate, td.chembl_id AS target_chembl_id,
               td.organism AS target_organism, td.tax_id AS target_tax_id, md.pref_name AS molecule_pref_name,
               a.description AS assay_description, act.action_type, at.description AS action_description,
               at.parent_type AS action_parent_type
        FROM activities act JOIN assays a ON a.assay_id = act.assay_id
        LEFT JOIN action_type at ON at.action_type = act.action_type
        JOIN target_dictionary td ON td.tid = a.tid JOIN molecule_dictionary md ON md.molregno = act.molregno
        LEFT JOIN molecule_hierarchy mh ON mh.molregno = act.molregno
        LEFT JOIN molecule_dictionary pmd ON pmd.molregno = mh.parent_molregno
        LEFT JOIN compound_structures cs ON cs.molregno = act.molregno
        LEFT JOIN docs d ON d.doc_id = act.doc_id
        LEFT JOIN variant_sequences vs ON vs.variant_id = a.variant_id""")]
    for r in activities:
        r["activity_id"] = int(r["activity_id"])
        for key in ("standard_value", "pchembl_value"):
            r[key] = None if r[key] is None else str(float(r[key]))
        r["target_tax_id"] = str(r["target_tax_id"])
        r["potential_duplicate"] = bool(r["potential_duplicate"])
        r["ligand_efficiency"] = None
        # the API nests the action type: {"action_type": ..., "description": ..., "parent_type": ...} or null
        description, parent = r.pop("action_description"), r.pop("action_parent_type")
        r["action_type"] = None if r["action_type"] is None else {
            "action_type": r["action_type"], "description": description, "parent_type": parent}
    assays = [dict(r) for r in con.execute("""
        SELECT a.chembl_id AS assay_chembl_id, a.assay_type, a.confidence_score, a.relationship_type,
               a.description, td.chembl_id AS target_chembl_id
        FROM assays a JOIN target_dictionary td ON td.tid = a.tid""")]
    targets = {}
    for r in con.execute("""SELECT td.chembl_id, td.pref_name, td.target_type, td.organism, td.tax_id, cs.accession
                            FROM target_dictionary td JOIN target_components tc ON tc.tid = td.tid
                            JOIN component_sequences cs ON cs.component_id = tc.component_id"""):
        targets[r["chembl_id"]] = {
            "target_chembl_id": r["chembl_id"], "pref_name": r["pref_name"], "target_type": r["target_type"],
            "organism": r["organism"], "tax_id": r["tax_id"], "species_group_flag": False,
            "target_components": [{"accession": r["accession"], "component_id": 1, "component_type": "PROTEIN",
                                   "relationship": "SINGLE PROTEIN", "target_component_synonyms": []}]}
    con.close()
    return {"activity": activities, "assay": assays, "target": targets}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up on a hanging answer closes the socket: expected here


def _matches(record: dict, filters: list[tuple[str, str]]) -> bool:
    for key, value in filters:
        if key.endswith("__in"):
            if str(record.get(key[:-4])) not in value.split(","):
                return False
        elif str(record.get(key)) != value:
            return False
    return True


class FakeChemblApi:
    """A ChEMBL web API on 127.0.0.1 serving the fixture; ``faults`` injects failures.

    ``faults`` is a list of ``(path_part, action)``; the first entry whose ``path_part``
    occurs in a request's path and query is removed and applied: ``"500"``, ``"hang"``
    (sleep ``hang_seconds`` before answering), ``"truncate"`` (half the body), ``"short"``
    (drop the last record of the page), ``"429:N"`` (HTTP 429 with ``Retry-After: N``),
    ``"trickle"`` (send the body a few bytes every ``hang_seconds / 10``, so each read is
    quick but the whole answer is slow) or ``"bad_value"`` (the page's first activity gets
    ``standard_value "n/a"`` and its second is replaced by a JSON string). ``requests``
    lists the answered paths, ``times`` when each request arrived.
    """

    prefix = "/chembl/api/data"

    def __init__(self, db_path: str, release: str = RELEASE, hang_seconds: float = 1.0):
        self.data = _api_records(db_path)
        self.release = release
        self.hang_seconds = hang_seconds
        self.faults: list[tuple[str, str]] = []
        self.requests: list[str] = []
        self.times: list[float] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                api._handle(self)

            def do_POST(self):  # chembl_webresource_client: POST + X-HTTP-Method-Override: GET, JSON pairs
                length = int(self.headers.get("Content-Length") or 0)
                pairs = json.loads(self.rfile.read(length) or b"[]")
                query = urlencode([(k, ",".join(map(str, v)) if isinstance(v, list) else v) for k, v in pairs])
                self.path = self.path + ("&" if "?" in self.path else "?") + query
                api._handle(self)

            def log_message(self, *args):
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.prefix}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def _take_fault(self, target: str) -> str | None:
        with self.lock:
            for i, (part, action) in enumerate(self.faults):
                if part in target:
                    del self.faults[i]
                    return action
        return None

    def _send(self, handler, status: int, payload, fault: str | None = None, headers: dict | None = None):
        body = json.dumps(payload).encode()
        if fault == "truncate":
            body = body[: len(body) // 2]
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if fault == "trickle":
            step = max(1, len(body) // 40)
            for i in range(0, len(body), step):
                if self.stopping.wait(self.hang_seconds / 10):
                    return
                try:
                    handler.wfile.write(body[i:i + step])
                    handler.wfile.flush()
                except OSError:  # the client gave up
                    return
            return
        handler.wfile.write(body)

    def _handle(self, handler):
        parsed = urlparse(handler.path)
        path = parsed.path[len(self.prefix):] if parsed.path.startswith(self.prefix) else None
        fault = self._take_fault(handler.path)
        with self.lock:
            self.requests.append(handler.path)
            self.times.append(time.monotonic())
        if fault and fault.startswith("429:"):
            return self._send(handler, 429, {"error_message": "Too many requests (injected)"},
                              headers={"Retry-After": fault.split(":", 1)[1]})
        if fault == "500":
            return self._send(handler, 500, {"error_message": "Internal server error (injected)"})
        if fault == "hang":
            self.stopping.wait(self.hang_seconds)
        if path is None:
            return self._send(handler, 404, {"error_message": "not found"})
        if path == "/spore":
            methods = {f"GET_{name}_dispatch_detail": {"resource_name": name, "collection_name": collection,
                                                       "formats": ["json"], "default_format": "application/json"}
                       for name, collection in (("activity", "activities"), ("assay", "assays"),
                                                ("target", "targets"))}
            return self._send(handler, 200, {"methods": methods, "base_url": self.url + "/"}, fault)
        if path == "/status.json":
            return self._send(handler, 200, {"chembl_db_version": self.release, "chembl_release_date": "2099-01-01",
                                             "status": "UP"}, fault)
        if path.startswith("/target/") and path.endswith(".json"):
            record = self.data["target"].get(path[len("/target/"):-len(".json")])
            if record is None:
                return self._send(handler, 404, {"error_message": "No target matching the query"})
            return self._send(handler, 200, record, fault)
        resource = path.strip("/").removesuffix(".json")
        if resource not in ("activity", "assay", "target"):
            return self._send(handler, 404, {"error_message": f"no resource {resource}"})
        params = parse_qsl(parsed.query, keep_blank_values=True)
        control = {"limit", "offset", "only", "order_by", "format"}
        filters = [(k, v) for k, v in params if k not in control]
        options = dict(params)
        limit = min(int(options.get("limit", 20)), 1000)
        offset = int(options.get("offset", 0))
        records = self.data[resource].values() if resource == "target" else self.data[resource]
        rows = [r for r in records if _matches(r, filters)]
        if "order_by" in options:
            key = options["order_by"]
            rows.sort(key=lambda r: r[key.lstrip("-")], reverse=key.startswith("-"))
        page = rows[offset: offset + limit]
        if "only" in options:
            fields = options["only"].split(",")
            page = [{f: r.get(f) for f in fields} for r in page]
        if fault == "short" and page:
            page = page[:-1]
        if fault == "bad_value" and resource == "activity" and len(page) >= 2:
            page = [dict(page[0], standard_value="n/a"), "not a record"] + page[2:]
        nxt = None
        if offset + limit < len(rows):
            query = "&".join(f"{k}={v}" for k, v in params if k not in ("limit", "offset"))
            nxt = f"{self.prefix}/{resource}.json?limit={limit}&offset={offset + limit}&{query}"
        collection = {"activity": "activities", "assay": "assays", "target": "targets"}[resource]
        self._send(handler, 200, {"page_meta": {"limit": limit, "offset": offset, "next": nxt,
                                                "previous": None, "total_count": len(rows)},
                                  collection: page}, fault)


def wait_for(predicate, timeout: float = 5.0):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False


# -- agonist- and antagonist-mode records (modality) --------------------------------------------------------

# real compounds, real kinds of ChEMBL assay descriptions; IDs and values made up for the fixture
MODALITY_SMILES = {
    "U50488": U50488,
    "salvinorin A": "CC(=O)O[C@H]1C[C@@H]([C@]2(CC[C@H]3C(=O)O[C@@H](C[C@@]3([C@H]2C1=O)C)c4ccoc4)C)C(=O)OC",
    "naloxone": "C=CCN1CC[C@]23c4c5ccc(O)c4O[C@H]2C(=O)CC[C@@]3(O)[C@H]1C5",
    "naltrexone": "O=C1CC[C@@]2(O)[C@H]3Cc4ccc(O)c5c4[C@@]2(CCN3CC2CC2)[C@H]1O5",
    "buprenorphine": "CO[C@]12CC[C@@]3(C[C@@H]1[C@](C)(O)C(C)(C)C)[C@H]1Cc4ccc(O)c5O[C@@H]2[C@]3(CCN1CC1CC1)c45",
    "U69593": "CN([C@H]1CC[C@@]2(CCCO2)C[C@@H]1N1CCCC1)C(=O)Cc1ccccc1",
}
AGONIST_ASSAY = ("CHEMBL900001", "Agonist activity at human kappa opioid receptor expressed in CHO cells assessed as "
                 "stimulation of [35S]GTPgammaS binding")
ANTAGONIST_ASSAY = ("CHEMBL900002", "Antagonist activity at human kappa opioid receptor expressed in CHO cells "
                    "assessed as inhibition of U50488-induced [35S]GTPgammaS binding")
PATENT_ASSAY = ("CHEMBL900003", "Functional Assay: compounds were tested in a kappa opioid receptor cell line")
# (activity_id, compound, assay, action_type, pEC50)
MODALITY_ACTIVITIES = [
    (5001, "U50488", AGONIST_ASSAY, "AGONIST", 8.1),
    (5002, "U50488", AGONIST_ASSAY, None, 7.9),
    (5003, "salvinorin A", AGONIST_ASSAY, None, 8.6),            # agonist from the description alone
    (5004, "naloxone", ANTAGONIST_ASSAY, "ANTAGONIST", 7.8),     # antagonist-mode EC50: not agonism
    (5005, "naltrexone", ANTAGONIST_ASSAY, None, 8.3),
    (5006, "buprenorphine", AGONIST_ASSAY, "PARTIAL AGONIST", 8.9),
    (5007, "buprenorphine", ANTAGONIST_ASSAY, None, 9.2),
    (5008, "U69593", PATENT_ASSAY, None, 8.4),                   # no modality information
]


def modality_records() -> list[dict]:
    """OPRK1 EC50 raw records from agonist-mode, antagonist-mode and unlabelled assays."""
    out = []
    for activity_id, name, (assay_id, description), action, pec50 in MODALITY_ACTIVITIES:
        out.append(dict(activity_id=activity_id, target_chembl_id="CHEMBL237", target_type="SINGLE PROTEIN",
                        target_organism="Homo sapiens", target_tax_id=9606, assay_chembl_id=assay_id, assay_type="F",
                        confidence_score=9, document_chembl_id="CHEMBL1200001", document_year=2016,
                        molecule_chembl_id=f"CHEMBL6{activity_id}", canonical_smiles=MODALITY_SMILES[name],
                        standard_type="EC50", standard_relation="=", standard_value=round(10 ** (9 - pec50), 3),
                        standard_units="nM", pchembl_value=pec50, potential_duplicate=0, action_type=action,
                        assay_description=description))
    return out
