import numpy as np
import pandas as pd

from screenkit.config import bundled_path
from screenkit.split import murcko_scaffold, scaffold_groups, scaffold_kfold


def test_no_scaffold_is_shared_between_train_and_test():
    table = pd.read_csv(bundled_path("data/chembl_bundled.csv"), usecols=["gene", "smiles"])
    smiles = table[table["gene"] == "GSK3B"]["smiles"].tolist()
    groups = scaffold_groups(smiles)
    scaffolds = np.array([murcko_scaffold(s) for s in smiles])
    seen_test = []
    for train_idx, test_idx in scaffold_kfold(groups, n_splits=5, seed=1):
        named_train = set(scaffolds[train_idx]) - {""}
        named_test = set(scaffolds[test_idx]) - {""}
        assert not named_train & named_test
        assert not set(groups[train_idx]) & set(groups[test_idx])
        seen_test.extend(test_idx)
    assert sorted(seen_test) == list(range(len(smiles)))


def test_acyclic_molecules_are_their_own_groups():
    assert murcko_scaffold("CCCCN") == ""
    groups = scaffold_groups(["CCCCN", "CCCCO", "c1ccccc1C", "c1ccccc1CC"])
    assert groups[0] != groups[1] and groups[2] == groups[3]


def _gsk3b(n=300):
    table = pd.read_csv(bundled_path("data/chembl_bundled.csv"), usecols=["gene", "smiles"])
    return table[table["gene"] == "GSK3B"]["smiles"].head(n).tolist()


def test_no_butina_cluster_is_shared_between_train_and_test():
    from screenkit.featurize import MorganFingerprint
    from screenkit.split import butina_clusters, make_folds

    smiles = _gsk3b()
    fps = MorganFingerprint().transform(smiles)
    clusters = butina_clusters(fps, cutoff=0.6)
    folds, text = make_folds("butina", smiles=smiles, fingerprints=fps, n_splits=4, seed=0, butina_cutoff=0.6)
    assert "Butina" in text and len(folds) == 4
    for train_idx, test_idx in folds:
        assert not set(clusters[train_idx]) & set(clusters[test_idx])
    # every molecule is within the cutoff of its cluster's first-picked centroid
    from screenkit.estimators import minmax_kernel

    sim = minmax_kernel(fps, fps)
    for c in np.unique(clusters)[:20]:
        members = np.flatnonzero(clusters == c)
        assert (sim[np.ix_(members, members)].max(axis=0) >= 0.4).all()


def test_temporal_folds_train_on_the_past():
    from screenkit.split import make_folds

    years = [str(2000 + i % 12) for i in range(120)]
    folds, _ = make_folds("temporal", smiles=["C"] * 120, years=years, n_splits=3)
    y = np.array(years, dtype=int)
    assert len(folds) == 3
    for train_idx, test_idx in folds:
        assert y[train_idx].max() < y[test_idx].min()


def test_unknown_or_impossible_split_is_a_usage_error():
    import pytest

    from screenkit.errors import UsageError
    from screenkit.split import make_folds

    with pytest.raises(UsageError, match="unknown split 'stratified'"):
        make_folds("stratified", smiles=["C"])
    with pytest.raises(UsageError, match="document_year"):
        make_folds("temporal", smiles=["C"] * 10, years=[""] * 10)
