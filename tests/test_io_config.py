"""Run config files: --config TOML or a run's metadata, flags win, unknown keys refused, --write-config."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from screenkit.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_config_file_gives_the_same_run_as_flags_and_flags_win(broken_sdf, small_models, tmp_path):
    flags = tmp_path / "flags.csv"
    assert main(["score", str(broken_sdf), "-o", str(flags), "--models", str(small_models), "--top", "4",
                 "--chunk-size", "3", "--profile", "activity"]) == 0
    (tmp_path / "run.toml").write_text(
        f'[score]\nlibrary = "{broken_sdf.name}"\noutput = "from_file.csv"\nmodels = "{small_models}"\n'
        'top = 2\nchunk-size = 3\nprofile = "activity"\n')
    # the relative paths are read from the file's folder; --top on the command line beats the file's 2
    assert main(["score", "--config", str(tmp_path / "run.toml"), "--top", "4"]) == 0
    assert (tmp_path / "from_file.csv").read_bytes() == flags.read_bytes()
    meta = json.loads((tmp_path / "from_file.csv.meta.json").read_text())
    options = meta["config"]["options"]
    assert options["top"] == 4 and options["chunk-size"] == 3 and options["n-jobs"] == 1
    assert options["library"] == str(broken_sdf.resolve()) and options["keep-columns"] == "all"
    assert meta["config"]["sha256"]["library"] == meta["library"]["sha256"]


def test_the_metadata_repeats_the_run_and_write_config_round_trips(broken_sdf, small_models, tmp_path):
    first = tmp_path / "first.csv"
    assert main(["score", str(broken_sdf), "-o", str(first), "--models", str(small_models), "--pareto",
                 "--fronts", "2", "--write-config", str(tmp_path / "saved.toml")]) == 0
    # the metadata's config section, with another output: the same ranked file
    assert main(["score", "--config", str(tmp_path / "first.csv.meta.json"), "-o", str(tmp_path / "again.csv")]) == 0
    assert (tmp_path / "again.csv").read_bytes() == first.read_bytes()
    saved = (tmp_path / "saved.toml").read_text()
    assert "fronts = 2" in saved and "pareto = true" in saved and "# sha256 of library:" in saved
    assert main(["score", "--config", str(tmp_path / "saved.toml"), "-o", str(tmp_path / "third.csv")]) == 0
    assert (tmp_path / "third.csv").read_bytes() == first.read_bytes()


@pytest.mark.parametrize("command, text, message", [
    ("score", 'library = "x.sdf"\noutput = "o.csv"\nn-job = 2\n', "unknown option 'n-job'; valid ones are: "),
    ("score", 'library = "x.sdf"\noutput = "o.csv"\nn-jobs = "many"\n', "n-jobs = 'many' is not a valid int"),
    ("score", 'library = "x.sdf"\noutput = "o.csv"\nbackend = "spark"\n', "choose one of: loky, dask"),
    ("score", 'library = "x.sdf"\noutput = "o.csv"\npareto = "yes"\n', "must be true or false"),
    ("score", 'library = [1\n', "not valid TOML"),
    ("train", 'output = "m"\nestimator = "rf"\nn-trees = 5\n', "unknown option 'n-trees'"),
])
def test_bad_config_is_a_one_line_usage_error(tmp_path, command, text, message):
    (tmp_path / "run.toml").write_text(text)
    result = subprocess.run([sys.executable, "-m", "screenkit", command, "--config", str(tmp_path / "run.toml")],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    if "valid ones" in message:
        assert "n-jobs" in result.stderr and "keep-columns" in result.stderr


def test_train_config_overrides_and_records_its_options(tmp_path, small_dataset, small_pool):
    (tmp_path / "train.toml").write_text(
        f'[train]\ndataset = "{small_dataset}"\npool = "{small_pool}"\noutput = "models"\nn-estimators = 10\n'
        'n-folds = 3\nmin-compounds = 20\ny-randomisation = 0\ntargets = "JAK1"\n')
    assert main(["train", "--config", str(tmp_path / "train.toml"), "--n-estimators", "12"]) == 0
    recorded = json.loads((tmp_path / "models" / "run_config.json").read_text())["config"]
    assert recorded["command"] == "train" and recorded["options"]["n-estimators"] == 12
    assert recorded["options"]["n-folds"] == 3 and recorded["options"]["output"] == str(tmp_path / "models")
    assert len(recorded["sha256"]["dataset"]) == 64
    card = json.loads(next((tmp_path / "models").glob("*.card.json")).read_text())
    assert '"n_estimators": 12' in json.dumps(card["estimator"])  # the command line's value, not the file's 10
