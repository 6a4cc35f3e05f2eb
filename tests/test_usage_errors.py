"""Caller mistakes in featurizer, estimator and split parameters: exit 2, one line naming the
value and the fix, no traceback (through the real command line)."""

import subprocess
import sys

import pytest

# One chemical series (every compound a substituted benzene): one Bemis-Murcko scaffold, few clusters.
SUBSTITUENTS = ["C", "CC", "CCC", "O", "N", "Cl", "F", "OC", "C(C)C", "CO", "CN", "C(C)=O", "Br", "I", "C#N",
                "C(F)(F)F", "OCC", "NC", "N(C)C", "C(=O)O", "C(=O)N", "SC", "CCO", "CCN"]
SERIES = [f"c1ccccc1{r}" for r in SUBSTITUENTS]


def _train(tmp_path, *options):
    data = tmp_path / "series.csv"
    data.write_text("smiles,pactivity\n" + "".join(f"{s},{5 + (i % 2) * 3}\n" for i, s in enumerate(SERIES)))
    argv = [sys.executable, "-m", "screenkit", "train", "--data", str(data), "--smiles-col", "smiles",
            "--value-col", "pactivity", "--threshold", "6.5", "--name", "series", "-o", str(tmp_path / "out"),
            "--putative-inactive-ratio", "0", "--y-randomisation", "0", "--min-compounds", "5", *options]
    return subprocess.run(argv, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("options, message", [
    (["--fp-size", "0"], "--fp-size must be a whole number of at least 1, not 0"),
    (["--featurizer-params", '{"fp_size": 0}'], "fp_size must be a whole number of at least 1, not 0"),
    (["--featurizer", "rdkit", "--featurizer-params", '{"max_path": 0}'], "max_path must be a whole number"),
    (["--featurizer-params", '{"counts": "yes"}'], "counts must be true or false, not 'yes'"),
    (["--estimator", "svm_tanimoto", "--estimator-params", '{"C": -1}'],
     "TanimotoSVC parameter C must be a number greater than 0.0, not -1"),
    (["--estimator", "knn", "--estimator-params", '{"n_neighbors": 0}'],
     "n_neighbors must be a whole number of at least 1, not 0"),
    (["--estimator-params", '{"max_depth": -3}'], "'max_depth' parameter of RandomForestClassifier"),
    (["--split", "scaffold", "--n-folds", "3"], "only 1 Bemis-Murcko scaffold groups for 3 folds; lower --n-folds"),
    (["--split", "cluster", "--n-folds", "20"], "only 16 Butina cluster(s) at cut-off 0.6 for 20 folds"),
])
def test_bad_parameters_exit_2_with_one_line(tmp_path, options, message):
    result = _train(tmp_path, *options)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_cluster_split_keeps_the_widest_cut_off_that_still_gives_every_fold():
    """Wider cut-offs merge this series into 6, 3, then 1 cluster(s): 5 folds stop at 0.65, never fewer folds."""
    import numpy as np

    from screenkit.chem.similarity import AD_SPACE
    from screenkit.model.split import butina_clusters, cluster_folds

    X = AD_SPACE.fingerprints(SERIES)
    assert [len(np.unique(butina_clusters(X, c))) for c in (0.6, 0.65, 0.7)] == [16, 6, 3]
    folds, clusters, cutoff, _ = cluster_folds(X, n_splits=5, max_median_similarity=0.0)
    assert cutoff == 0.65 and len(folds) == 5 and len(np.unique(clusters)) == 6
