import csv
import json

import pytest
from conftest import broken_sdf_records
from rdkit import Chem

from screenkit.screen.run import screen_library


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_record_is_accounted_for_in_rank_order(broken_sdf, small_models, tmp_path):
    out = tmp_path / "ranked.csv"
    summary = screen_library(broken_sdf, out, models_dir=small_models, chunk_size=3)
    rows = read_csv(out)
    expected = [status for status, _ in broken_sdf_records()]
    assert len(rows) == len(expected) == summary.n_records
    by_position = {int(r["input_position"]): r for r in rows}
    assert [by_position[i]["status"] for i in range(1, len(expected) + 1)] == expected
    assert summary.n_error == expected.count("error")
    # rank order: scored rows by descending overall score, then the errors
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    scores = [float(r["overall_score"]) for r in rows if r["status"] != "error"]
    assert scores == sorted(scores, reverse=True)
    assert all(r["status"] == "error" for r in rows[len(scores):])
    for row in rows:
        if row["status"] == "error":
            assert row["reason"] and row["JAK1_Ki_p_active"] == ""
        else:
            assert 0 <= float(row["JAK1_Ki_p_active"]) <= 1 and 0 <= float(row["JAK1_Ki_ad"]) <= 1
            assert row["best_model"] in {"JAK1_Ki", "GSK3B_Ki"} or (
                row["best_model"] == "" and max(float(row["JAK1_Ki_enrichment"]), float(row["GSK3B_Ki_enrichment"])) <= 1)
            assert row["rank_reason"] and 0 <= float(row["cns_mpo"]) <= 6
    assert by_position[3]["smiles"] == "CC(C)Cc1ccc(C(C)C(=O)O)cc1"  # sodium salt -> parent acid
    assert "salt/solvent removed" in by_position[3]["reason"]
    assert "no title" in by_position[5]["reason"]
    assert "could not parse" in by_position[2]["reason"]
    assert "empty molecule" in by_position[4]["reason"]
    meta = json.loads((tmp_path / "ranked.csv.meta.json").read_text())
    assert meta["counts"]["n_records"] == 8 and len(meta["library"]["sha256"]) == 64


def test_one_and_two_workers_and_any_chunk_size_give_identical_output(broken_sdf, small_models, tmp_path):
    one = tmp_path / "one.csv"
    two = tmp_path / "two.csv"
    screen_library(broken_sdf, one, models_dir=small_models, n_jobs=1, chunk_size=8)
    screen_library(broken_sdf, two, models_dir=small_models, n_jobs=2, chunk_size=2)
    assert one.read_bytes() == two.read_bytes()


def test_spilled_runs_merge_to_the_same_output(tmp_path, small_models):
    from screenkit.config import bundled_path

    library = tmp_path / "lib.smi"
    import pandas as pd

    pool = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz")).head(120)
    library.write_text("".join(f"{s} Z{i}\n" for i, s in enumerate(pool["smiles"])) + "not_a_smiles bad\n")
    in_memory, spilled = tmp_path / "a.csv", tmp_path / "b.csv"
    screen_library(library, in_memory, models_dir=small_models, chunk_size=16)
    screen_library(library, spilled, models_dir=small_models, chunk_size=16, run_size=25)
    assert in_memory.read_bytes() == spilled.read_bytes()
    assert len(read_csv(spilled)) == 121


def test_sdf_output_keeps_input_properties_and_adds_scores(broken_sdf, small_models, tmp_path):
    out = tmp_path / "ranked.sdf"
    screen_library(broken_sdf, out, models_dir=small_models)
    supplier = Chem.SDMolSupplier(str(out), sanitize=False)
    mols = list(supplier)
    assert len(mols) == 8
    by_position = {int(m.GetProp("input_position")): m for m in mols}
    assert by_position[1].GetProp("vendor_id") == "V-001"
    assert by_position[1].GetProp("_Name") == "aspirin"
    assert by_position[8].GetProp("note") == "<img src=x onerror=alert(1)>"
    assert by_position[2].GetProp("status") == "error"
    assert float(by_position[1].GetProp("JAK1_Ki_p_active")) >= 0


def test_sdf_output_never_drops_an_item_and_reads_back_whole(small_models, tmp_path):
    library = tmp_path / "lib.csv"
    library.write_text('id,smiles,mw,status,note\n"two\nlines",CCO,46,bought,"a\n\n$$$$ b"\n'
                       'plain,c1ccccc1CN,107,ok,x\n')
    out = tmp_path / "ranked.sdf"
    screen_library(library, out, models_dir=small_models)
    mols = list(Chem.SDMolSupplier(str(out), sanitize=False))
    assert len(mols) == 2 and all(m is not None for m in mols)
    by_position = {int(m.GetProp("input_position")): m for m in mols}
    first = by_position[1]
    assert first.GetProp("_Name") == "two lines"
    assert first.GetProp("input_mw") == "46" and first.GetProp("input_status") == "bought"
    assert first.GetProp("status") in ("ok", "warning") and float(first.GetProp("mw")) == pytest.approx(46.07)
    assert first.GetProp("note") == "a\n $$$$ b"
    sdf_library = tmp_path / "lib.sdf"
    sdf_library.write_text(out.read_text())  # the ranked SDF is itself a library: every record comes back
    again = tmp_path / "again.csv"
    assert screen_library(sdf_library, again, models_dir=small_models).n_records == 2


def test_csv_input_and_id_column(small_models, tmp_path):
    library = tmp_path / "lib.csv"
    library.write_text("catalog,SMILES\nC-1,CCOc1ccc(CN2CCCC2)cc1\nC-2,\nC-3,c1ccccc1\n")
    out = tmp_path / "out.csv"
    screen_library(library, out, models_dir=small_models, id_col="catalog")
    rows = {r["id"]: r for r in read_csv(out)}
    assert set(rows) == {"C-1", "C-2", "C-3"}
    assert rows["C-2"]["status"] == "error" and rows["C-2"]["reason"] == "empty record"


def test_pareto_writes_only_non_dominated_compounds(broken_sdf, small_models, tmp_path):
    everything, front = tmp_path / "all.csv", tmp_path / "front.csv"
    screen_library(broken_sdf, everything, models_dir=small_models)
    screen_library(broken_sdf, front, models_dir=small_models, pareto=True)
    rows = [r for r in read_csv(everything) if r["status"] != "error" and float(r["overall_score"]) > 0]
    objectives = ["d_activity", "d_cns", "d_qed", "d_alerts"]

    def dominated(r):
        return any(all(float(o[k]) >= float(r[k]) for k in objectives)
                   and any(float(o[k]) > float(r[k]) for k in objectives) for o in rows)

    expected = {r["input_position"] for r in rows if not dominated(r)}
    written = read_csv(front)
    assert {r["input_position"] for r in written} == expected
    assert [int(r["rank"]) for r in written] == list(range(1, len(written) + 1))


def test_activity_profile_skips_properties(broken_sdf, small_models, tmp_path):
    out = tmp_path / "activity.csv"
    screen_library(broken_sdf, out, models_dir=small_models, profile="activity")
    header = out.read_text().splitlines()[0].split(",")
    assert "cns_mpo" not in header and "d_cns" not in header and "rank_reason" in header


def test_sdf_output_of_a_very_large_molecule_skips_the_layout_and_says_so(small_models, tmp_path):
    library = tmp_path / "big.smi"
    library.write_text("C" * 300 + " long_chain\nCCO small\n")
    out = tmp_path / "ranked.sdf"
    screen_library(library, out, models_dir=small_models)
    mols = {m.GetProp("_Name"): m for m in Chem.SDMolSupplier(str(out))}
    assert "no 2D coordinates" in mols["long_chain"].GetProp("reason")
    assert mols["long_chain"].GetNumAtoms() == 300
    assert mols["small"].GetConformer().GetAtomPosition(1).x != 0 or mols["small"].GetConformer().GetAtomPosition(1).y != 0


def test_the_screen_config_is_frozen_and_written_whole_into_the_metadata(broken_sdf, small_models, tmp_path):
    from dataclasses import FrozenInstanceError, asdict, fields

    from screenkit.profile import load_profile
    from screenkit.screen.options import ScreenConfig

    config = ScreenConfig(models_dir=small_models, chunk_size=3, profile="activity", base_rate=0.02,
                          keep_columns=["price"], cli_options={"n-jobs": 1})
    with pytest.raises(FrozenInstanceError):
        config.chunk_size = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.cli_options["n-jobs"] = 2  # type: ignore[index]
    assert config.models_dir == str(small_models) and config.keep_columns == ("price",)
    out = tmp_path / "ranked.csv"
    screen_library(broken_sdf, out, config)
    recorded = json.loads((tmp_path / "ranked.csv.meta.json").read_text())["screen_config"]
    assert set(recorded) == {f.name for f in fields(ScreenConfig)}
    assert recorded["chunk_size"] == 3 and recorded["keep_columns"] == ["price"] and recorded["base_rate"] == 0.02
    # the profile as it ranked: resolved whole, with the base rate applied
    expected = json.loads(json.dumps(asdict(load_profile("activity").with_base_rate(0.02))))
    assert recorded["profile"] == expected and recorded["cli_options"] == {"n-jobs": 1}
    # keywords build the same config; the output does not depend on how it was given
    again = tmp_path / "again.csv"
    screen_library(broken_sdf, again, models_dir=small_models, chunk_size=3, profile="activity", base_rate=0.02,
                   keep_columns=["price"])
    assert again.read_bytes() == out.read_bytes()


def test_metadata_is_strict_json_when_the_profile_has_no_limit(broken_sdf, small_models, tmp_path):
    """A [cns] section without tpsa_max/hbd_max leaves inf in the profile; meta.json must not say Infinity."""
    from screenkit.config import bundled_path

    text = bundled_path("data/profiles/leukodystrophy.toml").read_text()
    profile = tmp_path / "nolimit.toml"
    profile.write_text("\n".join(line for line in text.splitlines()
                                 if not line.startswith(("tpsa_max", "hbd_max"))) + "\n")
    out = tmp_path / "ranked.csv"
    screen_library(broken_sdf, out, models_dir=small_models, profile=str(profile))

    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    meta = json.loads((tmp_path / "ranked.csv.meta.json").read_text(), parse_constant=refuse)
    assert meta["screen_config"]["profile"]["cns"]["tpsa_max"] == "inf"
