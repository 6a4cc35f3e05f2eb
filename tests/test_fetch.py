"""screenkit fetch: SQLite and web API back ends, target checks, faults and resume (no network beyond 127.0.0.1)."""

from __future__ import annotations

import json
import os
import socket
import time

import pandas as pd
import pytest
from chembl_fixture import N_PULLED, RELEASE, FakeChemblApi, build_fixture, fixture_targets

from screenkit.chembl import RAW_COLUMNS, ApiSettings, fetch_records, open_source
from screenkit.cli import main
from screenkit.curation.curate import fetch_dataset, output_paths
from screenkit.errors import FetchError, InputFileError, UsageError

T = fixture_targets()
PANEL = [T["OPRK1"], T["CHRM1"]]


@pytest.fixture(scope="module")
def chembl_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("chembl") / "chembl_fixture.db"
    build_fixture(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="module")
def sqlite_url(chembl_db):
    return f"sqlite:///{chembl_db}"


@pytest.fixture()
def api(chembl_db):
    with FakeChemblApi(str(chembl_db), hang_seconds=1.0) as server:
        yield server


def fast(server, **kw) -> ApiSettings:
    """Small pages, short timeout, tiny backoff: a fault test takes well under a second."""
    return ApiSettings(**{"base_url": server.url, "timeout": 0.3, "page_size": 5, "retries": 3, "backoff": 0.01,
                          **kw})


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, sqlite_url):
    """The dataset curated from the SQLite source: what every API pull must reproduce."""
    out = tmp_path_factory.mktemp("baseline") / "panel.csv"
    fetch_dataset(PANEL, out, source=sqlite_url)
    return output_paths(out)


def same_outputs(paths, expected):
    for key in ("dataset", "log", "summary", "raw"):
        assert paths[key].read_bytes() == expected[key].read_bytes(), key


def activity_requests(server):
    return [r for r in server.requests if "/activity.json" in r]


# -- back ends -----------------------------------------------------------------------------------------------

def test_sqlite_source_yields_raw_records_of_the_panel_types(sqlite_url):
    source = open_source(sqlite_url)
    pull = fetch_records(PANEL, source)
    raw = pull.records
    assert list(raw.columns) == RAW_COLUMNS
    assert raw.groupby("target_chembl_id").size().to_dict() == N_PULLED
    assert "IC50" not in set(raw.loc[raw["target_chembl_id"] == "CHEMBL237", "standard_type"])
    salt = raw[raw["activity_id"] == 1003].iloc[0]
    assert (salt["molecule_chembl_id"], salt["parent_molecule_chembl_id"]) == ("CHEMBL7002", "CHEMBL7001")
    assert raw.loc[raw["activity_id"] == 1015, "assay_variant_mutation"].item() == "D138N"
    assert pull.meta["source"] == {"kind": "sql", "location": sqlite_url, "release": RELEASE}
    assert "FROM activities" in pull.meta["queries"]["CHEMBL237"]["sql"]


def test_api_and_sqlite_give_identical_raw_records_and_datasets(api, sqlite_url, baseline, tmp_path):
    source = open_source("api", api=fast(api))
    api_raw = fetch_records(PANEL, source).records
    sql_raw = fetch_records(PANEL, open_source(sqlite_url)).records
    pd.testing.assert_frame_equal(api_raw, sql_raw)

    out = tmp_path / "api.csv"
    result = fetch_dataset(PANEL, out, api=fast(api))
    same_outputs(result.paths, baseline)
    assert not result.paths["checkpoint"].exists()  # removed after success
    # small pages: 44 OPRK1 records in pages of 5 -> 9 activity pages, 7 CHRM1 records -> 2
    assert len(activity_requests(api)) == 2 * (9 + 2)  # twice: fetch_records above, then fetch_dataset
    provenance = json.loads(result.paths["provenance"].read_text())
    assert provenance["source"]["release"] == RELEASE and provenance["source"]["kind"] == "api"
    assert "standard_type__in=EC50%2CKi" in provenance["queries"]["CHEMBL237"]["activity"]


def test_api_page_size_does_not_change_the_result(api, baseline, tmp_path):
    result = fetch_dataset(PANEL, tmp_path / "big.csv", api=fast(api, page_size=1000))
    same_outputs(result.paths, baseline)
    assert len(activity_requests(api)) == 2


# -- target checks -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("key, message", [
    ("guinea_pig", "CHEMBL3952 (OPRK1_gp) is from 'Cavia porcellus' (tax_id 10141)"),
    ("complex", "CHEMBL9999901 (OPRK1_cx) is a 'PROTEIN COMPLEX'"),
    ("wrong_uniprot", "CHEMBL216 (CHRM3) has UniProt P11229"),
    ("missing", "CHEMBL000000 (NOPE) does not exist"),
])
@pytest.mark.parametrize("kind", ["sql", "api"])
def test_target_mismatch_is_an_error_naming_the_target(kind, key, message, api, sqlite_url, tmp_path):
    source = sqlite_url if kind == "sql" else "api"
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fetch_dataset([T["OPRK1"], T[key]], tmp_path / "x.csv", source=source, api=fast(api))
    assert not activity_requests(api)  # checked before any activity is pulled
    assert not (tmp_path / "x.csv").exists()


# -- faults ----------------------------------------------------------------------------------------------------

def test_http_500s_are_retried_until_the_server_recovers(api, baseline, tmp_path):
    api.faults = [("offset=10", "500"), ("offset=10", "500"), ("/assay.json", "500")]
    result = fetch_dataset(PANEL, tmp_path / "p.csv", api=fast(api))
    same_outputs(result.paths, baseline)
    assert not api.faults
    assert sum("offset=10&" in r or r.endswith("offset=10") for r in activity_requests(api)) >= 3


def test_a_hanging_server_times_out_and_is_retried(api, baseline, tmp_path):
    api.faults = [("offset=15", "hang")]
    start = time.perf_counter()
    result = fetch_dataset(PANEL, tmp_path / "p.csv", api=fast(api))
    assert time.perf_counter() - start < 5
    same_outputs(result.paths, baseline)
    assert not api.faults


@pytest.mark.parametrize("fault", ["truncate", "short"])
def test_a_truncated_page_is_fetched_again(fault, api, baseline, tmp_path):
    api.faults = [("offset=20", fault), ("/status.json", fault if fault == "truncate" else "500")]
    result = fetch_dataset(PANEL, tmp_path / "p.csv", api=fast(api))
    same_outputs(result.paths, baseline)
    assert not api.faults


def test_interrupted_pull_resumes_from_the_checkpoint(api, baseline, tmp_path):
    out = tmp_path / "p.csv"
    pages = []

    def die_after_four_pages(resource, offset, n, total):
        pages.append((resource, offset))
        if len(pages) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch_dataset(PANEL, out, api=fast(api), progress=die_after_four_pages)
    checkpoint = output_paths(out)["checkpoint"]
    assert len(list(checkpoint.rglob("*.json"))) == 1 + 4  # release marker + four pages
    assert not out.exists()
    before = len(activity_requests(api))
    assert before == 4

    result = fetch_dataset(PANEL, out, api=fast(api), resume=True)
    same_outputs(result.paths, baseline)
    assert len(activity_requests(api)) - before == 11 - 4  # only the missing activity pages


def test_persistent_failure_stops_with_a_resume_hint_then_resume_completes(api, baseline, tmp_path):
    out = tmp_path / "p.csv"
    api.faults = [("offset=25", "500")] * 10
    with pytest.raises(FetchError, match="failed 4 times .*offset=25.*--resume"):
        fetch_dataset(PANEL, out, api=fast(api))
    api.faults = []
    before = len(activity_requests(api))
    result = fetch_dataset(PANEL, out, api=fast(api), resume=True)
    same_outputs(result.paths, baseline)
    assert len(activity_requests(api)) - before == 11 - 5  # pages at offsets 0-20 came from the checkpoint


def test_without_resume_an_old_checkpoint_is_discarded(api, baseline, tmp_path):
    out = tmp_path / "p.csv"
    stale = output_paths(out)["checkpoint"] / "activity-0000000000000000" / "000000000.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    result = fetch_dataset(PANEL, out, api=fast(api))
    same_outputs(result.paths, baseline)


def test_resume_refuses_a_checkpoint_of_another_release(api, tmp_path):
    out = tmp_path / "p.csv"
    api.faults = [("offset=5", "500")] * 10
    with pytest.raises(FetchError):
        fetch_dataset(PANEL, out, api=fast(api, retries=0))
    api.faults, api.release = [], "ChEMBL_100"
    with pytest.raises(FetchError, match="holds pages of ChEMBL_99_fixture, but the server now has ChEMBL_100"):
        fetch_dataset(PANEL, out, api=fast(api), resume=True)


def test_unreachable_server_is_one_clear_error(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = ApiSettings(base_url=f"http://127.0.0.1:{port}/chembl/api/data", timeout=0.3, retries=1, backoff=0.01)
    with pytest.raises(FetchError, match=f"cannot reach the ChEMBL API at http://127.0.0.1:{port}/chembl/api/data"):
        fetch_dataset(PANEL, tmp_path / "p.csv", api=settings)


def test_server_that_always_hangs_is_reported_as_unreachable(api, tmp_path):
    api.faults = [("/status.json", "hang")] * 3
    with pytest.raises(FetchError, match="no answer within 0.3 s"):
        fetch_dataset(PANEL, tmp_path / "p.csv", api=fast(api, retries=1))


# -- caller mistakes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, error, message", [
    ("sqlite:////nonexistent/chembl_35.db", InputFileError, "does not exist"),
    ("chembl_35.db", UsageError, "is not 'api' or a database URL"),
    ("nosuchdb://x/y", UsageError, "no database driver|not 'api' or a database URL"),
])
def test_bad_source_is_a_caller_error(source, error, message, tmp_path):
    with pytest.raises(error, match=message):
        fetch_dataset(PANEL, tmp_path / "p.csv", source=source)


def test_database_without_chembl_tables_is_a_fetch_error(tmp_path):
    import sqlite3

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).execute("CREATE TABLE t (x INTEGER)").connection.close()
    with pytest.raises(FetchError, match="is this a ChEMBL release database"):
        fetch_dataset(PANEL, tmp_path / "p.csv", source=f"sqlite:///{empty}")


@pytest.mark.parametrize("kwargs, message", [
    ({"base_url": "ftp://example.org"}, "not an http"), ({"page_size": 5000}, "outside 1..1000"),
])
def test_bad_api_settings(kwargs, message):
    with pytest.raises(UsageError, match=message):
        ApiSettings(**kwargs)


# -- the official client (--api-client chembl-webresource-client) -----------------------------------------------

WEBRESOURCE = "api:chembl-webresource-client"


@pytest.fixture()
def client_settings():
    """The official client's process-wide Settings, put back as they were after the test."""
    from chembl_webresource_client.settings import Settings

    settings = Settings.Instance()
    names = ("NEW_CLIENT_URL", "CACHING", "MAX_LIMIT", "NEW_CLIENT_TIMEOUT", "TOTAL_RETRIES", "BACKOFF_FACTOR")
    saved = {name: getattr(settings, name) for name in names}
    yield saved
    for name, value in saved.items():
        setattr(settings, name, value)


def test_official_client_gives_the_same_records_and_dataset(api, baseline, client_settings, tmp_path):
    from chembl_webresource_client.settings import Settings

    ours = fetch_records(PANEL, open_source("api", api=fast(api))).records
    before = len(activity_requests(api))
    theirs = fetch_records(PANEL, open_source(WEBRESOURCE, api=fast(api))).records
    pd.testing.assert_frame_equal(theirs, ours)
    assert len(activity_requests(api)) - before == 9 + 2  # the page size reached the client (MAX_LIMIT 5)

    result = fetch_dataset(PANEL, tmp_path / "wr.csv", source=WEBRESOURCE, api=fast(api))
    same_outputs(result.paths, baseline)
    assert result.provenance["source"]["kind"] == WEBRESOURCE
    assert not any("/spore" in r for r in api.requests)  # queries built without new_client's spore download
    settings = Settings.Instance()
    assert {name: getattr(settings, name) for name in client_settings} == client_settings  # left as found


def test_official_client_http_500_is_a_fetch_error_naming_target_and_url(api, client_settings, tmp_path):
    api.faults = [("offset=10", "500")] * 10
    with pytest.raises(FetchError, match=f"target CHEMBL237: .* failed at {api.url}/activity.json"):
        fetch_dataset(PANEL, tmp_path / "p.csv", source=WEBRESOURCE, api=fast(api))
    assert not (tmp_path / "p.csv").exists()


def test_official_client_refuses_resume(api, client_settings, tmp_path):
    with pytest.raises(UsageError, match="use the default --api-client screenkit for resumable pulls"):
        fetch_dataset(PANEL, tmp_path / "p.csv", source=WEBRESOURCE, api=fast(api), resume=True)
    assert not api.requests


# -- command line -----------------------------------------------------------------------------------------------

def test_cli_fetch_from_sqlite_and_api(sqlite_url, api, baseline, tmp_path, capsys):
    out = tmp_path / "cli.csv"
    assert main(["fetch", "--targets", "CHEMBL237,CHRM1", "--source", sqlite_url, "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert "CHEMBL237 OPRK1" in printed.out and "excluded by rule:" in printed.out
    assert "too little data for a model" in printed.err
    same_outputs(output_paths(out), baseline)

    out = tmp_path / "cli_api.csv"
    assert main(["fetch", "--targets", "CHEMBL237,CHEMBL216", "--api-url", api.url, "--page-size", "7",
                 "--timeout", "2", "--backoff", "0.01", "-o", str(out)]) == 0
    same_outputs(output_paths(out), baseline)


def test_cli_fetch_with_the_official_client(api, sqlite_url, baseline, client_settings, tmp_path, capsys):
    out = tmp_path / "cli_wr.csv"
    common = ["fetch", "--targets", "CHEMBL237,CHEMBL216", "--api-client", "chembl-webresource-client", "-o", str(out)]
    assert main(common + ["--api-url", api.url, "--page-size", "7", "--timeout", "2", "--backoff", "0.01"]) == 0
    same_outputs(output_paths(out), baseline)
    assert main(common + ["--api-url", api.url, "--resume"]) == 2
    assert "--api-client screenkit" in capsys.readouterr().err
    assert main(common + ["--source", sqlite_url]) == 2
    assert "applies to the web API" in capsys.readouterr().err


def test_cli_fetch_errors_return_codes(sqlite_url, tmp_path, capsys):
    assert main(["fetch", "-o", str(tmp_path / "x.csv"), "--source", sqlite_url]) == 2
    assert "--targets" in capsys.readouterr().err
    assert main(["fetch", "--targets", "NOTATARGET", "--source", sqlite_url, "-o", str(tmp_path / "x.csv")]) == 2
    assert main(["fetch", "--targets", "CHEMBL237", "--source", "sqlite:////nope.db", "-o",
                 str(tmp_path / "x.csv")]) == 3
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["fetch", "--targets", "CHEMBL237", "--api-url", f"http://127.0.0.1:{port}/api", "--retries", "0",
                 "-o", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 3 and "cannot reach the ChEMBL API" in err and "Traceback" not in err
    assert main(["fetch", "--targets", "CHEMBL237", "--source", sqlite_url, "-o", str(tmp_path / "x.txt")]) == 2


# -- PostgreSQL -------------------------------------------------------------------------------------------------

POSTGRES_URL_VAR = "SCREENKIT_TEST_POSTGRES_URL"


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_VAR)
    if not url:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{POSTGRES_URL_VAR} is not set in CI; .ci/run must start PostgreSQL with .ci/postgres.sh "
                        f"and export the URL it prints as {POSTGRES_URL_VAR}")
        pytest.skip(f"set {POSTGRES_URL_VAR} (e.g. from 'bash .ci/postgres.sh') to test a PostgreSQL ChEMBL")
    return url


def test_postgresql_database_gives_the_same_curated_dataset(baseline, sqlite_url, tmp_path):
    url = postgres_url()
    build_fixture(url)
    pg_raw = fetch_records(PANEL, open_source(url)).records
    pd.testing.assert_frame_equal(pg_raw, fetch_records(PANEL, open_source(sqlite_url)).records)
    result = fetch_dataset(PANEL, tmp_path / "pg.csv", source=url)
    same_outputs(result.paths, baseline)
    assert result.provenance["source"]["release"] == RELEASE
    assert ":***@" in result.provenance["source"]["location"]  # the password is not written down


def test_postgresql_unreachable_is_a_fetch_error(tmp_path):
    url = postgres_url()
    from sqlalchemy.engine import make_url

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    bad = make_url(url).set(port=port, host="127.0.0.1").render_as_string(hide_password=False)
    with pytest.raises(FetchError, match="cannot connect to postgresql"):
        fetch_dataset(PANEL, tmp_path / "p.csv", source=bad)


def test_fake_api_speaks_the_official_clients_protocol(api, sqlite_url):
    """chembl_webresource_client (spore download, POST with X-HTTP-Method-Override) reads the same records."""
    import importlib
    import sys

    from chembl_webresource_client.settings import Settings

    settings = Settings.Instance()
    saved = {k: getattr(settings, k) for k in ("NEW_CLIENT_URL", "CACHING", "MAX_LIMIT", "NEW_CLIENT_TIMEOUT")}
    settings.NEW_CLIENT_URL, settings.CACHING, settings.MAX_LIMIT, settings.NEW_CLIENT_TIMEOUT = api.url, False, 7, 2
    try:
        sys.modules.pop("chembl_webresource_client.new_client", None)
        new_client = importlib.import_module("chembl_webresource_client.new_client").new_client
        records = list(new_client.activity.filter(target_chembl_id="CHEMBL237", standard_type__in=["EC50", "Ki"])
                       .order_by("activity_id"))
    finally:
        for key, value in saved.items():
            setattr(settings, key, value)
        sys.modules.pop("chembl_webresource_client.new_client", None)
    assert any(r.startswith("/chembl/api/data/spore") for r in api.requests)
    ours = fetch_records([T["OPRK1"]], open_source(sqlite_url)).records
    assert [int(r["activity_id"]) for r in records] == ours["activity_id"].tolist()
    assert {r["standard_value"] for r in records if r["activity_id"] == 1006} == {"10000.0"}


# -- action type, Retry-After, deadline, bad records (issues 10 and 13) ----------------------------------------

def test_api_serves_action_type_nested_like_chembl_and_both_sources_keep_it(api, sqlite_url):
    import requests

    page = requests.get(f"{api.url}/activity.json", params={"activity_id": "1023"}, timeout=2).json()
    assert page["activities"][0]["action_type"] == {
        "action_type": "AGONIST", "description": "Binds to a receptor and activates it",
        "parent_type": "POSITIVE MODULATOR"}
    for source in (open_source("api", api=fast(api)), open_source(sqlite_url)):
        raw = fetch_records(PANEL, source).records.set_index("activity_id")
        assert raw.loc[1023, "action_type"] == "AGONIST" and raw.loc[2006, "action_type"] == "ANTAGONIST"
        assert pd.isna(raw.loc[1001, "action_type"])
        assert raw.loc[1023, "assay_description"].startswith("Agonist activity at human kappa opioid receptor")
        assert raw.loc[2001, "assay_description"].startswith("Displacement of [3H]NMS")


def test_retry_after_on_429_sets_the_wait(api, baseline, tmp_path):
    api.faults = [("offset=10", "429:1")]
    result = fetch_dataset(PANEL, tmp_path / "p.csv", api=fast(api))  # backoff alone would wait 0.01 s
    same_outputs(result.paths, baseline)
    hits = [t for r, t in zip(api.requests, api.times) if "/activity.json" in r and "offset=10&" in r + "&"]
    assert len(hits) == 2 and hits[1] - hits[0] >= 0.95


def test_retry_after_longer_than_the_longest_wait_stops_with_a_resume_hint(api, tmp_path):
    api.faults = [("offset=10", "429:120")]
    start = time.perf_counter()
    with pytest.raises(FetchError, match="asks to wait 120 s .*HTTP 429.*--resume"):
        fetch_dataset(PANEL, tmp_path / "p.csv", api=fast(api, max_backoff=30))
    assert time.perf_counter() - start < 5


def test_timeout_bounds_the_whole_request_not_each_read(api, baseline, tmp_path):
    # the trickled page arrives in 40 pieces 0.1 s apart: every read is quicker than the 0.3 s timeout,
    # the whole answer takes 4 s. A per-read timeout would wait for it; the request deadline retries.
    api.hang_seconds = 1.0
    api.faults = [("offset=15", "trickle")]
    start = time.perf_counter()
    result = fetch_dataset(PANEL, tmp_path / "p.csv", api=fast(api))
    assert time.perf_counter() - start < 3
    same_outputs(result.paths, baseline)
    assert sum("offset=15&" in r + "&" for r in activity_requests(api)) == 2
    import threading

    from chembl_fixture import wait_for

    # the abandoned request's socket was shut down: its helper thread ends instead of reading for 4 s
    assert wait_for(lambda: not any(t.name == "screenkit-chembl-get" for t in threading.enumerate()), timeout=1.0)


def test_a_bad_record_in_a_pull_is_logged_and_excluded_not_fatal(api, tmp_path):
    api.faults = [("offset=5", "bad_value")]  # page 2 of OPRK1: a value 'n/a' and a record that is a string
    result = fetch_dataset(PANEL, tmp_path / "p.csv", api=fast(api))
    log = result.log
    bad = log[log["rule"] == "record"]
    assert len(bad) == 2
    assert bad["detail"].str.contains("standard_value 'n/a' is not a number").sum() == 1
    assert bad["detail"].str.contains("record is a str, not an object").sum() == 1
    assert bad["activity_id"].isna().sum() == 1  # the string record has no ID, and is still accounted for
    raw = pd.read_csv(result.paths["raw"])
    assert len(raw) == sum(N_PULLED.values())
    n_kept = sum(len(ids.split(";")) for ids in result.dataset["activity_ids"])
    assert n_kept + len(log) == len(raw)


def test_sql_release_without_action_type_column_still_fetches(tmp_path, caplog):
    import sqlite3

    path = tmp_path / "old_release.db"
    build_fixture(f"sqlite:///{path}")
    with sqlite3.connect(path) as con:
        con.execute("ALTER TABLE activities DROP COLUMN action_type")
    raw = fetch_records(PANEL, open_source(f"sqlite:///{path}")).records
    assert len(raw) == sum(N_PULLED.values()) and raw["action_type"].isna().all()
    assert raw["assay_description"].notna().any()
    assert "no activities.action_type" in caplog.text


def test_fetch_from_a_web_export(tmp_path, capsys):
    from pathlib import Path

    from screenkit.chembl.export import read_web_export

    export = Path(__file__).with_name("tyk2_export_slice.csv")
    out = tmp_path / "tyk2.csv"
    assert main(["fetch", "--targets", "TYK2", "--source", str(export), "-o", str(out)]) == 0
    capsys.readouterr()
    paths = output_paths(out)
    provenance = json.loads(paths["provenance"].read_text())
    assert provenance["source"] == {"kind": "web-export", "location": str(export), "release": "unknown"}
    assert provenance["targets"][0]["source_record"]["accessions"] is None  # the export has no UniProt accession
    raw = pd.read_csv(paths["raw"])
    assert len(raw) == 35 and raw["activity_id"].tolist() == read_web_export(export)["activity_id"].tolist()
    log = pd.read_csv(paths["log"])
    n_kept = sum(len(str(ids).split(";")) for ids in pd.read_csv(out, dtype=str)["activity_ids"])
    assert n_kept + len(log) == 35 and (log["rule"] == "activity_type").sum() == 8
    # a panel target that is not in the export is a clear error, before anything is written
    assert main(["fetch", "--targets", "JAK1", "--source", str(export), "-o", str(tmp_path / "j.csv")]) == 2
    assert "CHEMBL2835 (JAK1) does not exist in ChEMBL web export" in capsys.readouterr().err
