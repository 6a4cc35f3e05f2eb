"""screenkit curate: rules, censored values, aggregation, nothing vanishes, train consumes the output."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from chembl_fixture import MODALITY_SMILES, RELEASE, U50488, build_fixture, fixture_targets, modality_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screenkit.chem.standardize import standardize_smiles
from screenkit.chembl import fetch_records, open_source, read_raw, write_raw
from screenkit.chembl.export import read_web_export
from screenkit.chembl.modality import MODALITIES
from screenkit.chembl.records import raw_frame
from screenkit.cli import main
from screenkit.curation.curate import curate_file, fetch_dataset, output_paths
from screenkit.curation.dataset import DATASET_COLUMNS, Issue, known_compounds, read_dataset, select_modality
from screenkit.curation.records import RULES, CurationConfig, curate_records
from screenkit.errors import UsageError

T = fixture_targets()
PANEL = [T["OPRK1"], T["CHRM1"]]
GENES = {t.chembl_id: t.gene for t in PANEL}


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("chembl") / "chembl_fixture.db"
    return build_fixture(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def raw(sqlite_url):
    return fetch_records(PANEL, open_source(sqlite_url)).records


@pytest.fixture(scope="module")
def curated(raw):
    return curate_records(raw, genes=GENES, source=RELEASE)


@pytest.fixture(scope="module")
def fetched(tmp_path_factory, sqlite_url):
    return fetch_dataset(PANEL, tmp_path_factory.mktemp("fetched") / "panel.csv", source=sqlite_url)


def ids_in(dataset: pd.DataFrame) -> list[int]:
    return [int(a) for ids in dataset["activity_ids"] for a in ids.split(";")]


def row(dataset, target, activity_type, activity_id):
    hit = dataset[(dataset["target_chembl_id"] == target) & (dataset["activity_type"] == activity_type)
                  & dataset["activity_ids"].str.split(";").map(lambda ids: str(activity_id) in ids)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_every_raw_record_is_in_the_dataset_or_the_log(raw, curated):
    dataset, log, summary = curated
    kept, excluded = ids_in(dataset), log["activity_id"].tolist()
    assert len(kept) == len(set(kept)) and not set(kept) & set(excluded)
    assert sorted(kept + excluded) == sorted(raw["activity_id"])
    assert (summary["records_in"] == summary["records_kept"] + summary["records_excluded"]).all()
    rule_columns = [f"excluded_{r}" for r in RULES]
    assert (summary[rule_columns].sum(axis=1) == summary["records_excluded"]).all()
    assert summary["records_in"].sum() == len(raw)


def test_each_edge_case_is_excluded_by_its_rule(curated):
    log = curated[1].set_index("activity_id")
    expected = {
        1007: "censored_superseded", 1010: "censored_conflict", 1011: "censored_conflict",
        1012: "data_validity_comment", 1013: "potential_duplicate", 1014: "confidence_score", 1015: "mutant",
        1016: "assay_type", 1017: "units", 1018: "value", 1019: "relation", 1020: "pchembl_missing",
        1021: "structure", 1022: "structure",
    }
    assert log["rule"].to_dict() == expected
    assert log.loc[1012, "detail"] == "Outside typical range"
    assert log.loc[1015, "detail"] == "variant D138N"
    assert "no carbon atom" in log.loc[1022, "detail"]
    assert log.loc[1007, "detail"].endswith("1008")


def test_salts_and_replicates_are_aggregated_to_the_parent(curated):
    dataset = curated[0]
    assert list(dataset.columns) == DATASET_COLUMNS
    u50488 = row(dataset, "CHEMBL237", "Ki", 1003)
    assert u50488["activity_ids"] == "1001;1002;1003"
    assert (u50488["n_measurements"], u50488["pactivity"], u50488["pactivity_spread"]) == (3, 8.0, 0.18)
    assert u50488["molecule_chembl_ids"] == "CHEMBL7001"  # parent of the HCl salt
    assert u50488["smiles"] == "CN(C(=O)Cc1ccc(Cl)c(Cl)c1)[C@@H]1CCCC[C@H]1N1CCCC1"
    assert "salt/solvent removed: Cl" in u50488["curation_note"]
    assert u50488["relation"] == "=" and u50488["gene"] == "OPRK1" and u50488["source"] == RELEASE
    # the same compound's EC50 values are a separate row
    ec50 = row(dataset, "CHEMBL237", "EC50", 1023)
    assert (ec50["n_measurements"], ec50["pactivity"], ec50["document_year"]) == (2, 7.65, "2012")
    # fumarate salt and free base of clemastine, two documents (one without a year)
    clem = row(dataset, "CHEMBL216", "IC50", 2006)
    assert clem["activity_ids"] == "2005;2006;2007" and clem["pactivity"] == 7.0
    assert clem["document_chembl_ids"] == "CHEMBL1100003;CHEMBL1100004" and clem["document_year"] == "2015"
    assert clem["assay_chembl_ids"] == "CHEMBL800006;CHEMBL800007"


def test_disagreeing_replicates_are_flagged_not_dropped(curated):
    flagged = row(curated[0], "CHEMBL237", "Ki", 1004)
    assert flagged["pactivity_spread"] == 1.3 and flagged["pactivity"] == 6.35
    assert "replicates disagree: spread 1.30 > 1" in flagged["curation_note"]
    assert flagged["curation_issues"].split(";") == ["replicate_spread"]
    assert curated[2].set_index("target_chembl_id").loc["CHEMBL237", "flagged_spread"] == 1


def test_row_findings_are_issue_codes_and_the_note_is_their_text(raw, curated):
    dataset = curated[0]
    salt = row(dataset, "CHEMBL237", "Ki", 1003)
    assert salt["curation_issues"] == "structure_standardised"
    censored = row(dataset, "CHEMBL237", "Ki", 1006)
    assert censored["curation_issues"] == "censored" and censored["curation_note"].startswith("censored (<)")
    # the summary counts flagged rows by code: a note that merely mentions the words does not count
    edited = dataset.copy()
    edited.loc[edited["curation_issues"] == "", "curation_note"] = "replicates disagree (copied prose)"
    from screenkit.curation.records import _summary

    summary = _summary(raw, edited, curated[1], CurationConfig(), GENES, [])
    assert summary.set_index("target_chembl_id").loc["CHEMBL237", "flagged_spread"] == 1
    issue = Issue("censored", "info", "x")
    with pytest.raises(UsageError, match="severity"):
        Issue("censored", "fatal", "x")
    assert Issue.from_json(issue.to_json()) == issue


def test_censored_values_are_bounds_on_the_pactivity_scale(curated):
    dataset = curated[0]
    weak = row(dataset, "CHEMBL237", "Ki", 1006)  # Ki > 10000 nM
    assert (weak["relation"], weak["pactivity"]) == ("<", 5.0)
    strong = row(dataset, "CHEMBL237", "Ki", 1009)  # Ki < 1 nM
    assert (strong["relation"], strong["pactivity"]) == (">", 9.0)
    exact = row(dataset, "CHEMBL237", "Ki", 1008)  # the exact value wins over 1007 (> 10000 nM)
    assert (exact["relation"], exact["pactivity"], exact["activity_ids"]) == ("=", 6.3, "1008")


def test_censored_rows_are_used_by_training_only_when_they_decide_the_label(curated):
    from screenkit.model.problem import labels

    rows, dropped = labels(curated[0][curated[0]["relation"] != "="], threshold=7.0)
    assert rows["activity_ids"].tolist() == ["1009", "1006"] or sorted(rows["activity_ids"]) == ["1006", "1009"]
    assert dropped == 0
    rows, dropped = labels(curated[0][curated[0]["relation"] != "="], threshold=4.0)
    assert rows["activity_ids"].tolist() == ["1009"] and dropped == 1  # '< 5' says nothing at threshold 4


def test_summary_reports_targets_with_too_little_data(curated, raw):
    summary = curated[2].set_index("target_chembl_id")
    assert summary.loc["CHEMBL237", "records_in"] == 44 and summary.loc["CHEMBL216", "records_in"] == 7
    assert summary.loc["CHEMBL237", "rows_per_type"] == "EC50:1;Ki:25"
    assert summary.loc["CHEMBL237", "too_little_data"] == "EC50 (1);Ki (25)"
    lenient = curate_records(raw, CurationConfig(min_compounds=20), genes=GENES)[2].set_index("target_chembl_id")
    assert lenient.loc["CHEMBL237", "too_little_data"] == "EC50 (1)"


@pytest.mark.parametrize("config, changes", [
    (CurationConfig(drop_discordant=True), {1004: "replicate_spread", 1005: "replicate_spread"}),
    (CurationConfig(keep_censored=False), {1006: "relation", 1007: "relation", 1009: "relation", 1010: "relation",
                                           1011: "relation"}),
    (CurationConfig(allowed_validity_comments=("Outside typical range",)), {1012: None}),
    (CurationConfig(drop_mutants=False, drop_potential_duplicates=False), {1013: None, 1015: None}),
    (CurationConfig(min_confidence_score=9), {1023: "confidence_score", 1024: "confidence_score"}),
    (CurationConfig(assay_types=("B", "F", "A")), {1016: None}),
])
def test_rules_are_configurable(raw, curated, config, changes):
    dataset, log, summary = curate_records(raw, config, genes=GENES)
    rules = log.set_index("activity_id")["rule"].to_dict()
    default = curated[1].set_index("activity_id")["rule"].to_dict()
    for activity_id, rule in changes.items():
        assert rules.get(activity_id) == rule
    assert sorted(ids_in(dataset) + log["activity_id"].tolist()) == sorted(raw["activity_id"])
    assert {k: v for k, v in rules.items() if k not in changes} == \
        {k: v for k, v in default.items() if k not in changes and k not in _side_effects(changes)}


def _side_effects(changes):
    # dropping censored values leaves 1007's exact partner alone: 1007 is no longer 'superseded'
    return {1007, 1010, 1011} if 1006 in changes else set()


@pytest.mark.parametrize("kwargs", [{"min_confidence_score": 10}, {"max_replicate_spread": -1},
                                    {"min_compounds": -1}])
def test_bad_curation_config(kwargs):
    with pytest.raises(UsageError):
        CurationConfig(**kwargs)


# -- files and command line -----------------------------------------------------------------------------------

def test_fetch_writes_dataset_log_summary_and_provenance(fetched):
    p = fetched.paths
    dataset = read_dataset(p["dataset"])
    assert list(dataset.columns) == DATASET_COLUMNS and len(dataset) == len(fetched.dataset)
    provenance = json.loads(p["provenance"].read_text())
    assert provenance["source"]["release"] == RELEASE and provenance["source"]["kind"] == "sql"
    assert provenance["curation"]["config"]["min_confidence_score"] == 8
    assert provenance["counts"]["records_in"] == 51
    assert [t["chembl_id"] for t in provenance["targets"]] == ["CHEMBL237", "CHEMBL216"]
    assert provenance["targets"][0]["source_record"]["accessions"] == ["P41145"]
    assert "act.standard_type IN" in provenance["queries"]["CHEMBL216"]["sql"]
    log = pd.read_csv(p["log"])
    assert list(log.columns) == ["activity_id", "target_chembl_id", "activity_type", "molecule_chembl_id", "rule",
                                 "detail"]


def test_curate_cli_reproduces_the_fetched_dataset(fetched, tmp_path, capsys):
    out = tmp_path / "again.csv.gz"
    assert main(["curate", str(fetched.paths["raw"]), "-o", str(out)]) == 0
    assert "CHEMBL237 OPRK1" in capsys.readouterr().out
    again = output_paths(out)
    pd.testing.assert_frame_equal(pd.read_csv(out, dtype=str), pd.read_csv(fetched.paths["dataset"], dtype=str))
    for key in ("log", "summary"):
        assert again[key].read_bytes() == fetched.paths[key].read_bytes()
    provenance = json.loads(again["provenance"].read_text())
    assert provenance["source"]["release"] == RELEASE  # carried over from panel.raw.json


def test_curate_cli_options_and_errors(fetched, tmp_path, capsys):
    out = tmp_path / "strict.csv"
    assert main(["curate", str(fetched.paths["raw"]), "-o", str(out), "--min-confidence", "9",
                 "--drop-censored", "--drop-discordant"]) == 0
    log = pd.read_csv(output_paths(out)["log"])
    assert {"confidence_score", "relation", "replicate_spread"} <= set(log["rule"])
    assert main(["curate", str(tmp_path / "missing.csv"), "-o", str(out)]) == 3
    assert "does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("activity_id,smiles\n1,CCO\n")
    assert main(["curate", str(bad), "-o", str(out)]) == 3
    assert "lacks the column(s)" in capsys.readouterr().err
    assert main(["curate", str(fetched.paths["raw"]), "-o", str(out), "--min-confidence", "12"]) == 2


def test_raw_file_round_trip_is_exact(raw, tmp_path):
    path = tmp_path / "raw.csv"
    write_raw(raw, path)
    pd.testing.assert_frame_equal(read_raw(path), raw)


def test_raw_file_without_fetch_metadata_uses_the_panel_for_genes(raw, tmp_path, panel):
    path = tmp_path / "mine.csv"
    write_raw(raw, path)
    result = curate_file(path, tmp_path / "mine_dataset.csv", panel=panel)
    assert set(result.dataset["gene"]) == {"OPRK1", "CHRM1"}
    assert result.provenance["source"]["kind"] == "file" and set(result.dataset["source"]) == {"ChEMBL unknown"}


def test_train_consumes_the_fetched_dataset_unchanged(fetched, tmp_path, panel, small_pool):
    from screenkit.model.train import train_models
    from screenkit.model.trainconfig import TrainConfig

    models = train_models(fetched.paths["dataset"], tmp_path / "models", panel, targets=["CHEMBL237"],
                          pool=small_pool, config=TrainConfig(n_estimators=10, n_folds=3, min_compounds=20,
                                                              min_per_class=5))
    assert [m.name for m in models] == ["OPRK1_Ki"]
    assert models[0].card.data["n_measured"] == 25  # every Ki row: both censored rows decide the label at 7


# -- invariant on arbitrary records ----------------------------------------------------------------------------

_SMILES = ["CCO", "CCN.Cl", "c1ccccc1O", "[Na+].[Cl-]", "not a smiles", None]
_record = st.fixed_dictionaries({
    "target_chembl_id": st.sampled_from(["CHEMBL1", "CHEMBL2"]),
    "target_type": st.sampled_from(["SINGLE PROTEIN", "PROTEIN COMPLEX", None]),
    "target_tax_id": st.sampled_from([9606, 10090, None]),
    "assay_type": st.sampled_from(["B", "F", "A", None]),
    "confidence_score": st.sampled_from([9, 8, 4, None]),
    "assay_variant_mutation": st.sampled_from([None, None, "V600E"]),
    "data_validity_comment": st.sampled_from([None, None, "Outside typical range"]),
    "potential_duplicate": st.sampled_from([0, 0, 1, None]),
    "canonical_smiles": st.sampled_from(_SMILES),
    "standard_type": st.sampled_from(["Ki", "IC50"]),
    "standard_relation": st.sampled_from(["=", "=", "<", ">", ">=", "~", None]),
    "standard_value": st.one_of(st.none(), st.floats(min_value=-1, max_value=1e6, allow_nan=False)),
    "standard_units": st.sampled_from(["nM", "nM", "%", None]),
    "pchembl_value": st.one_of(st.none(), st.floats(min_value=2, max_value=11, allow_nan=False)),
    "document_year": st.sampled_from([None, 1999, 2020]),
    "action_type": st.sampled_from([None, None, "AGONIST", "ANTAGONIST", "SOMETHING NEW",
                                    {"action_type": "INHIBITOR"}]),
    "assay_description": st.sampled_from([None, "Agonist activity at X", "Inhibition of CHEMBL1", "Enzyme Assay: x"]),
    "activity_id": st.sampled_from(["ok", "ok", "ok", None, "n/a"]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_record, max_size=25))
def test_nothing_vanishes_for_any_records(records):
    # activity IDs may be missing or unreadable (a bad API record): such a record is logged without an ID
    ids = [i + 1 if r["activity_id"] == "ok" else r["activity_id"] for i, r in enumerate(records)]
    raw = raw_frame([dict(r, activity_id=a) for r, a in zip(records, ids)])
    dataset, log, summary = curate_records(raw, CurationConfig(modalities=()), genes={"CHEMBL1": "CHEMBL1"})
    kept = ids_in(dataset)
    assert len(kept) + len(log) == len(records)
    assert sorted(kept + log["activity_id"].dropna().astype(int).tolist()) == \
        [a for a in ids if isinstance(a, int)]
    assert (log.loc[log["activity_id"].isna(), "rule"] == "record").all()
    assert set(log["rule"]) <= set(RULES)
    assert dataset["modality"].map(lambda m: set(m.split(";")) <= set(MODALITIES)).all()
    assert dataset["pactivity"].map(math.isfinite).all()
    assert set(dataset["relation"]) <= {"=", "<", ">"}
    if len(summary):
        assert (summary["records_in"] == summary["records_kept"] + summary["records_excluded"]).all()


# -- modality -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def modality_raw():
    return raw_frame(modality_records())


def by_compound(dataset: pd.DataFrame) -> dict[str, pd.Series]:
    names = {standardize_smiles(smiles).smiles: name for name, smiles in MODALITY_SMILES.items()}
    return {names[r["smiles"]]: r for _, r in dataset.iterrows()}


def test_modality_comes_from_action_type_then_the_assay_description(modality_raw):
    dataset = curate_records(modality_raw, genes=GENES)[0]
    modality = {name: r["modality"] for name, r in by_compound(dataset).items()}
    assert modality == {"U50488": "agonist", "salvinorin A": "agonist", "naloxone": "antagonist",
                        "naltrexone": "antagonist", "buprenorphine": "agonist;antagonist", "U69593": "unknown"}
    assert "modality_mixed" in by_compound(dataset)["buprenorphine"]["curation_issues"]


def test_select_modality_keeps_agonist_mode_rows_and_logs_the_rest(modality_raw):
    dataset = curate_records(modality_raw, genes=GENES)[0]
    kept, excluded = select_modality(dataset, "agonist")
    assert set(by_compound(kept)) == {"U50488", "salvinorin A"}
    names = by_compound(dataset.loc[dataset.index.difference(kept.index)])
    assert len(excluded) == len(names) == 4 and len(kept) + len(excluded) == len(dataset)
    codes = dict(zip(excluded["activity_ids"], excluded["code"]))
    assert codes == {"5004": "modality_other", "5005": "modality_other", "5006;5007": "modality_mixed",
                     "5008": "modality_unknown"}
    assert set(excluded["severity"]) == {"error"} and excluded["message"].str.len().min() > 10
    kept, excluded = select_modality(dataset, "agonist", keep_unknown=True)
    assert set(by_compound(kept)) == {"U50488", "salvinorin A", "U69593"}
    kept, _ = select_modality(dataset, ["antagonist", "inverse_agonist"])
    assert set(by_compound(kept)) == {"naloxone", "naltrexone"}
    with pytest.raises(UsageError):
        select_modality(dataset, [])


def test_modality_rule_filters_records_before_they_are_aggregated(modality_raw):
    dataset, log, _ = curate_records(modality_raw, CurationConfig(modalities=("agonist",)), genes=GENES)
    assert log.set_index("activity_id")["rule"].to_dict() == {5004: "modality", 5005: "modality", 5007: "modality",
                                                              5008: "modality"}  # unknown is not agonist
    assert log.set_index("activity_id").loc[5007, "detail"] == "modality antagonist (kept: agonist)"
    bup = by_compound(dataset)["buprenorphine"]  # only its partial-agonist record is left
    assert (bup["activity_ids"], bup["pactivity"], bup["modality"]) == ("5006", 8.9, "agonist")
    assert set(by_compound(dataset)) == {"U50488", "salvinorin A", "buprenorphine"}
    assert sorted(ids_in(dataset) + log["activity_id"].tolist()) == sorted(modality_raw["activity_id"])
    with pytest.raises(UsageError, match="unknown modality"):
        CurationConfig(modalities=("agnoist",))


def test_fixture_release_modality_from_sql(curated):
    dataset = curated[0]
    assert row(dataset, "CHEMBL237", "EC50", 1023)["modality"] == "agonist"  # AGONIST + agonist-mode description
    assert row(dataset, "CHEMBL237", "Ki", 1001)["modality"] == "binding"  # "Displacement of [3H]diprenorphine"
    clem = row(dataset, "CHEMBL216", "IC50", 2006)  # displacement assay + antagonist-mode assay
    assert clem["modality"] == "antagonist;binding" and "modality_mixed" in clem["curation_issues"]
    assert row(dataset, "CHEMBL237", "Ki", 1101)["modality"] == "binding"


def test_cli_modality_option(fetched, tmp_path):
    out = tmp_path / "agonist.csv"
    assert main(["curate", str(fetched.paths["raw"]), "-o", str(out), "--modality", "agonist"]) == 0
    data = read_dataset(out)
    assert set(data["modality"]) == {"agonist"} and data["activity_ids"].tolist() == ["1023;1024"]
    assert main(["curate", str(fetched.paths["raw"]), "-o", str(out), "--modality", "agnoist"]) == 2


# -- known compounds ------------------------------------------------------------------------------------------

def test_known_compounds_finds_a_salt_form_by_its_parent(fetched):
    dataset = read_dataset(fetched.paths["dataset"])
    known = known_compounds(dataset)
    parent = standardize_smiles(U50488 + ".Cl")  # a library may hold the HCl salt
    from rdkit import Chem

    measured = known[Chem.MolToInchiKey(parent.mol)]
    assert [(m.target_chembl_id, m.activity_type) for m in measured] == [("CHEMBL237", "EC50"), ("CHEMBL237", "Ki")]
    ki = measured[1]
    assert (ki.pactivity, ki.n_measurements, ki.molecule_chembl_ids) == (8.0, 3, ("CHEMBL7001",))
    assert ki.assay_chembl_ids == ("CHEMBL800001",) and ki.document_chembl_ids == ("CHEMBL1100001",)
    assert ki.describe() == "OPRK1 pKi 8.00 (n=3; CHEMBL7001)"
    assert measured[0].modality == "agonist" and measured[0].document_year == "2012"
    by_smiles = known_compounds(dataset, key="smiles")
    assert by_smiles[parent.smiles] == measured
    assert len(known) == dataset["inchikey"].nunique()
    assert "CHEMBL9" not in known  # unknown keys are simply absent
    with pytest.raises(TypeError):
        known["x"] = ()  # read-only


def test_known_compounds_of_bundled_data_have_no_chembl_ids(panel):
    from screenkit.config import bundled_path

    dataset = read_dataset(bundled_path("data/chembl_bundled.csv"))
    first = dataset.iloc[0]
    measured = known_compounds(dataset)[first["inchikey"]]
    assert any(m.pactivity == pytest.approx(first["pactivity"]) for m in measured)
    assert all(m.molecule_chembl_ids == () and m.modality == "unknown" for m in measured)


# -- the ChEMBL website export --------------------------------------------------------------------------------

SLICE = Path(__file__).with_name("tyk2_export_slice.csv")  # 35 records of the TYK2 export in ../shared/data
TYK2_TYPES = {"CHEMBL3553": ("IC50", "Ki", "Kd")}


def test_web_export_is_read_as_raw_records():
    raw = read_web_export(SLICE)
    assert len(raw) == 35 and raw["activity_id"].tolist() == list(range(1, 36))
    assert set(raw["standard_relation"].dropna()) == {"=", ">", "<"}  # quotes of "'='" removed
    assert set(raw["confidence_score"]) == {8} and set(raw["target_tax_id"]) == {9606}
    assert raw["parent_molecule_chembl_id"].isna().all()
    first = raw.iloc[0]
    assert (first["molecule_chembl_id"], first["standard_value"], first["assay_chembl_id"],
            first["document_chembl_id"], first["document_year"]) == (
        "CHEMBL3947422", 1000.0, "CHEMBL3887759", "CHEMBL3886441", 2015)
    assert first["assay_description"].startswith("Enzyme Assay: JAK1, JAK2, JAK3 and Tyk2")
    assert raw.loc[raw["activity_id"] == 26, "action_type"].item() == "DEGRADER"
    pd.testing.assert_frame_equal(read_raw(SLICE), raw)  # read_raw recognises the export


def test_web_export_tsv_download_and_gzip_give_the_same_records(tmp_path):
    import gzip

    table = pd.read_csv(SLICE, sep=";", dtype=str, keep_default_na=False)
    tsv = tmp_path / "export.tsv"
    table.to_csv(tsv, sep="\t", index=False)
    packed = tmp_path / "export.csv.gz"
    packed.write_bytes(gzip.compress(SLICE.read_bytes()))
    expected = read_web_export(SLICE)
    for path in (tsv, packed):
        pd.testing.assert_frame_equal(read_raw(path), expected)


def test_web_export_is_curated_by_the_same_rules():
    raw = read_web_export(SLICE)
    dataset, log, summary = curate_records(raw, genes={"CHEMBL3553": "TYK2"}, activity_types=TYK2_TYPES)
    assert sorted(ids_in(dataset) + log["activity_id"].tolist()) == list(range(1, 36))
    rules = log.set_index("activity_id")["rule"].to_dict()
    assert rules == {2: "activity_type", 6: "activity_type", 9: "activity_type", 17: "activity_type",
                     18: "activity_type", 21: "activity_type", 26: "activity_type", 27: "activity_type",
                     22: "potential_duplicate", 25: "potential_duplicate", 29: "potential_duplicate",
                     30: "potential_duplicate", 33: "potential_duplicate", 23: "data_validity_comment",
                     24: "data_validity_comment", 28: "assay_type", 31: "structure"}
    assert log.set_index("activity_id").loc[2, "detail"] == "standard type Inhibition (target asks for IC50/Ki/Kd)"
    censored = row(dataset, "CHEMBL3553", "IC50", 1)  # IC50 '>' 1000 nM
    assert (censored["relation"], censored["pactivity"]) == ("<", 6.0)
    replicates = row(dataset, "CHEMBL3553", "IC50", 32)
    assert replicates["activity_ids"] == "32;34;35" and replicates["pactivity"] == 6.82
    assert replicates["molecule_chembl_ids"] == "CHEMBL1287853" and replicates["document_year"] == "2010"
    assert row(dataset, "CHEMBL3553", "IC50", 3)["modality"] == "inhibitor"
    assert row(dataset, "CHEMBL3553", "Kd", 12)["modality"] == "binding"
    # without the panel's types the % rows fall to the units rule: still logged, never kept
    plain = curate_records(raw)[1].set_index("activity_id")["rule"]
    assert plain[2] == "units" and plain[21] == "units"


def test_curate_cli_on_a_web_export(tmp_path, capsys):
    out = tmp_path / "tyk2.csv"
    assert main(["curate", str(SLICE), "-o", str(out)]) == 0  # the bundled panel has TYK2
    capsys.readouterr()
    paths = output_paths(out)
    provenance = json.loads(paths["provenance"].read_text())
    assert provenance["source"]["kind"] == "web-export"
    assert "no activity ID" in provenance["web_export"]["activity_id"]
    assert provenance["curation"]["activity_types"]["CHEMBL3553"] == ["IC50", "Ki", "Kd"]
    data = read_dataset(out)
    assert set(data["source"]) == {"ChEMBL web export (release not stated)"} and set(data["gene"]) == {"TYK2"}
    strict = tmp_path / "strict.csv"
    assert main(["curate", str(SLICE), "-o", str(strict), "--min-confidence", "9"]) == 0
    capsys.readouterr()
    assert len(read_dataset(strict)) == 0  # the implied confidence is 8: the strict rule keeps nothing
    assert "confidence_score" in set(pd.read_csv(output_paths(strict)["log"])["rule"])
    broken = tmp_path / "broken.csv"
    broken.write_text('"Molecule ChEMBL ID";"Standard Type"\n"CHEMBL1";"IC50"\n')
    assert main(["curate", str(broken), "-o", str(tmp_path / "b.csv")]) == 3
    assert "lacks the column(s) Smiles" in capsys.readouterr().err


def test_shipped_tyk2_dataset_keeps_chembl_ids_and_years():
    from screenkit.config import bundled_path

    data = read_dataset(bundled_path("data/tyk2/tyk2_chembl.csv"))
    assert len(data) > 3000 and set(data["target_chembl_id"]) == {"CHEMBL3553"}
    assert set(data["activity_type"]) == {"IC50", "Ki", "Kd"}
    assert data["molecule_chembl_ids"].str.match(r"CHEMBL\d+").all()
    assert data["assay_chembl_ids"].str.match(r"CHEMBL\d+").all()
    assert data["document_chembl_ids"].str.match(r"CHEMBL\d+").all()
    years = pd.to_numeric(data["document_year"].replace("", None).dropna())
    assert years.min() >= 2002 and years.max() <= 2024 and len(years) > 2000
    assert data["inchikey"].duplicated().sum() < len(data) // 10  # one row per compound and type
    log = pd.read_csv(bundled_path("data/tyk2/tyk2_chembl.log.csv"))
    n_ids = sum(len(ids.split(";")) for ids in data["activity_ids"])
    assert n_ids + len(log) == 5593


def test_own_measurements_carry_issue_codes(tmp_path):
    from screenkit.curation.measurements import EXCLUDED_COLUMNS, read_measurements

    path = tmp_path / "mine.csv"
    path.write_text("smiles,ic50,rel\nCCO,100,=\nnot a smiles,5,=\nCCN,abc,=\nCCC,10,~\n")
    measured = read_measurements(path, smiles_col="smiles", value_col="ic50", units="nM", relation_col="rel")
    excluded = measured.excluded
    assert list(excluded.columns) == EXCLUDED_COLUMNS
    assert excluded[["row", "code"]].values.tolist() == [[2, "structure"], [3, "value"], [4, "relation"]]
    assert set(excluded["severity"]) == {"error"} and len(measured.table) == 1


_export_row = st.fixed_dictionaries({
    "Molecule ChEMBL ID": st.sampled_from(["CHEMBL1", "CHEMBL2", ""]),
    "Smiles": st.sampled_from(["CCO", "c1ccccc1O", "CCN.Cl", "", "not a smiles", "[Na+].[Cl-]"]),
    "Standard Type": st.sampled_from(["IC50", "Ki", "Inhibition", "% Control", ""]),
    "Standard Relation": st.sampled_from(["'='", "'>'", "'<'", "'~'", "", "="]),
    "Standard Value": st.one_of(st.sampled_from(["", "n/a", "0", "-3", "1e3", "None"]),
                                st.floats(min_value=1e-3, max_value=1e6).map(str)),
    "Standard Units": st.sampled_from(["nM", "nM", "%", "uM", ""]),
    "pChEMBL Value": st.sampled_from(["", "7.5", "6.0", "x"]),
    "Potential Duplicate": st.sampled_from(["0", "1", "", "True"]),
    "Action Type": st.sampled_from(["", "INHIBITOR", "AGONIST", "SOMETHING"]),
    "Document Year": st.sampled_from(["", "2015", "20x5"]),
    "Target ChEMBL ID": st.sampled_from(["CHEMBL3553", "CHEMBL3553", ""]),
    "Target Type": st.sampled_from(["SINGLE PROTEIN", "PROTEIN COMPLEX", ""]),
    "Target Organism": st.sampled_from(["Homo sapiens", "Mus musculus", ""]),
    "Assay Type": st.sampled_from(["B", "F", "A", ""]),
})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(_export_row, min_size=1, max_size=20))
def test_every_web_export_record_is_kept_or_logged(tmp_path, rows):
    import csv

    path = tmp_path / "export.csv"
    pd.DataFrame(rows).to_csv(path, sep=";", index=False, quoting=csv.QUOTE_ALL)
    raw = read_raw(path)
    assert raw["activity_id"].tolist() == list(range(1, len(rows) + 1))
    dataset, log, _ = curate_records(raw, genes={"CHEMBL3553": "TYK2"}, activity_types=TYK2_TYPES)
    assert sorted(ids_in(dataset) + log["activity_id"].tolist()) == list(range(1, len(rows) + 1))
    bad = raw["record_error"].notna()
    assert set(log.loc[log["activity_id"].isin(raw.loc[bad, "activity_id"]), "rule"]) <= {"record"}
