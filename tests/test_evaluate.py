import json

import pandas as pd
import pytest

from screenkit.cli import main
from screenkit.config import bundled_path
from screenkit.errors import UsageError
from screenkit.model.evaluate import evaluate_models


@pytest.fixture(scope="module")
def external_jak1(tmp_path_factory, small_dataset):
    """JAK1 Ki rows that the small models never saw, plus two training rows and a broken one."""
    table = pd.read_csv(bundled_path("data/chembl_bundled.csv"), keep_default_na=False)
    jak1 = table[table["gene"] == "JAK1"]
    seen = set(pd.read_csv(small_dataset)["inchikey"])
    unseen = jak1[~jak1["inchikey"].isin(seen)].head(80)
    rows = pd.concat([unseen, jak1[jak1["inchikey"].isin(seen)].head(2)])
    path = tmp_path_factory.mktemp("external") / "jak1_test.csv"
    out = pd.DataFrame({"SMILES": list(rows["smiles"]) + ["C1CC"], "pKi": list(rows["pactivity"]) + [8.0]})
    out.to_csv(path, index=False)
    return path


def test_evaluate_reports_metrics_on_new_compounds_only(small_models, external_jak1):
    result = evaluate_models(small_models, external_jak1, smiles_col="SMILES", value_col="pKi", names=["JAK1_Ki"])[0]
    assert result["n_in_training_excluded"] == 2 and result["n_rows_excluded"] == 1
    assert result["n_evaluated"] == 80
    assert 0 <= result["in_domain_fraction"] <= 1
    assert {"roc_auc", "pr_auc", "mcc", "bedroc_20", "brier"} <= set(result["metrics"])
    assert 0 <= result["conformal_coverage"] <= 1 and result["conformal_confidence"] == 0.8


def test_evaluate_needs_a_model_name_when_the_folder_has_several(small_models, external_jak1):
    with pytest.raises(UsageError, match="--model NAME"):
        evaluate_models(small_models, external_jak1, smiles_col="SMILES", value_col="pKi")


def test_evaluate_cli_writes_json(small_models, external_jak1, tmp_path, capsys):
    out = tmp_path / "eval.json"
    code = main(["evaluate", "--models", str(small_models), "--data", str(external_jak1), "--smiles-col", "SMILES",
                 "--value-col", "pKi", "--model", "JAK1_Ki", "-o", str(out)])
    assert code == 0
    assert "JAK1_Ki: 80 test compounds" in capsys.readouterr().out
    assert json.loads(out.read_text())[0]["model"] == "JAK1_Ki"


def test_train_cli_on_own_data_then_score_with_those_models(external_jak1, tmp_path, capsys):
    models = tmp_path / "own"
    code = main(["train", "--data", str(external_jak1), "--smiles-col", "SMILES", "--value-col", "pKi",
                 "--task", "regression", "--estimator", "svm_tanimoto", "--threshold", "8", "--name", "my_jak1",
                 "--n-folds", "3", "--min-compounds", "20", "-o", str(models)])
    assert code == 0 and "my_jak1: 82 measured" in capsys.readouterr().out
    lib = tmp_path / "lib.smi"
    lib.write_text("CCO ethanol\nc1ccccc1O phenol\n")
    assert main(["score", str(lib), "-o", str(tmp_path / "ranked.csv"), "--models", str(models)]) == 0
    header = (tmp_path / "ranked.csv").read_text().splitlines()[0].split(",")
    assert {"my_jak1_pactivity", "my_jak1_pactivity_lower", "my_jak1_pactivity_upper", "my_jak1_p_active",
            "my_jak1_ad"} <= set(header)


@pytest.mark.parametrize("argv_tail, code, message", [
    (["--data", "missing.csv", "--value-col", "v", "--smiles-col", "s"], 3, "does not exist"),
    (["--data", "own.csv", "--value-col", "pki", "--smiles-col", "SMILES"], 2, "has no column 'pki'"),
    (["--data", "own.csv", "--value-col", "v", "--smiles-col", "SMILES", "--estimator-params", "{C: 1}"], 2,
     "is not JSON"),
    (["--data", "own.csv", "--value-col", "v", "--smiles-col", "SMILES", "--featurizer", "descriptors",
      "--estimator", "svm_tanimoto"], 2, "needs fingerprint features"),
])
def test_train_caller_mistakes_exit_nonzero_with_one_line(tmp_path, argv_tail, code, message, capsys):
    rows = "\n".join(f"{'C' * (i % 7 + 1)}c1ccccc1{'O' * (i % 3)},{5 + i % 4}" for i in range(60))
    (tmp_path / "own.csv").write_text("SMILES,v\n" + rows + "\n")
    argv = ["train", *[str(tmp_path / a) if a.endswith(".csv") else a for a in argv_tail], "-o",
            str(tmp_path / "m"), "--min-compounds", "5"]
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_tiny_test_set_is_flagged_with_the_chance_of_its_roc_auc(small_models, small_dataset, tmp_path, capsys):
    table = pd.read_csv(bundled_path("data/chembl_bundled.csv"), keep_default_na=False)
    seen = set(pd.read_csv(small_dataset)["inchikey"])
    jak1 = table[(table["gene"] == "JAK1") & (table["activity_type"] == "Ki") & ~table["inchikey"].isin(seen)]
    pair = pd.concat([jak1[jak1["pactivity"].astype(float) >= 8.5].head(1), jak1[jak1["pactivity"].astype(float) < 6].head(1)])
    path = tmp_path / "two.csv"
    pd.DataFrame({"SMILES": pair["smiles"], "pKi": pair["pactivity"]}).to_csv(path, index=False)
    result = evaluate_models(small_models, path, smiles_col="SMILES", value_col="pKi", names=["JAK1_Ki"])[0]
    assert result["n_evaluated"] == 2
    note = result["small_sample"]
    assert (note["n_active"], note["n_inactive"]) == (1, 1)
    # one pair: a random ranking is right half the time, so AUC 1.0 has chance 0.5 and AUC 0.0 has chance 1
    assert note["p_random_at_least_this_roc_auc"] == (0.5 if result["metrics"]["roc_auc"] == 1.0 else 1.0)
    assert main(["evaluate", "--models", str(small_models), "--data", str(path), "--smiles-col", "SMILES",
                 "--value-col", "pKi", "--model", "JAK1_Ki"]) == 0
    assert "warning: small sample: 1 active and 1 inactive" in capsys.readouterr().out


def test_a_test_set_of_real_size_has_no_small_sample_warning(small_models, external_jak1):
    result = evaluate_models(small_models, external_jak1, smiles_col="SMILES", value_col="pKi", names=["JAK1_Ki"])[0]
    counts = result["n_active"], result["n_evaluated"] - result["n_active"]
    assert ("small_sample" in result) == (min(counts) < 10)
