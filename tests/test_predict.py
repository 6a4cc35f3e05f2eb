"""screenkit predict: the rows score writes, plus each model's nearest measured compound."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from screenkit.cli import main
from screenkit.model.bundle import load_bundle
from screenkit.screen.predict import predict_smiles


def test_rows_neighbours_and_errors(small_models):
    models = load_bundle(small_models, training_sets_only=True)
    measured = str(models[0].train_smiles[0])
    predictions = predict_smiles([measured, "C1CC", "Cl.CN(C)CCc1ccccc1"], models_dir=small_models)
    assert [p.row["status"] for p in predictions] == ["ok", "error", "warning"]
    assert "salt/solvent removed" in predictions[2].row["reason"]
    assert predictions[1].neighbours == [] and "C1CC" in predictions[1].row["reason"]
    known = {n.model: n for n in predictions[0].neighbours}[models[0].name]
    # the compound is in the training set: its neighbour is itself, with its measured value
    assert known.same_compound and known.similarity == 1.0
    assert known.pactivity == pytest.approx(float(models[0].train_pactivity[0]), abs=0.01)
    for prediction in (predictions[0], predictions[2]):
        for neighbour in prediction.neighbours:
            # the neighbour search and the applicability-domain column measure the same thing
            assert neighbour.similarity == pytest.approx(prediction.row[f"{neighbour.model}_ad"], abs=1e-3)


def test_cli_table_json_and_stdin(small_models, capsys, monkeypatch):
    assert main(["predict", "CN1CCCC1c1cccnc1", "--models", str(small_models)]) == 0
    table = capsys.readouterr().out
    assert "overall score" in table and "nearest measured compound" in table and "JAK1_Ki" in table
    monkeypatch.setattr("sys.stdin", io.StringIO("CCO ethanol\n\nc1ccccc1O phenol\n"))
    assert main(["predict", "-", "--json", "--models", str(small_models)]) == 0
    lines = capsys.readouterr().out.splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["row"]["id"] for o in objects] == ["ethanol", "phenol"]
    assert all(isinstance(o["row"]["overall_score"], float) for o in objects)
    assert np.isfinite([n["similarity"] for o in objects for n in o["neighbours"]]).all()


def test_empty_stdin_is_one_line_usage_error(small_models, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["predict", "-", "--models", str(small_models)]) == 2
    assert "no SMILES given" in capsys.readouterr().err


def test_a_property_models_neighbour_reads_as_a_label_not_a_potency():
    from screenkit.screen.predict import Neighbour

    bbb = Neighbour("BBB_B3DB", 1.0, "CCO", 1.0, True, is_property=True)
    assert bbb.measured() == "label 1"
    assert Neighbour("JAK1_Ki", 0.4, "CCO", 7.25, False).measured() == "pX 7.25"
