import numpy as np
import pandas as pd
import pytest

from screenkit.config import bundled_path
from screenkit.model.split import murcko_scaffold, scaffold_groups, scaffold_kfold


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
    from screenkit.chem.featurize import MorganFingerprint
    from screenkit.model.split import butina_clusters, make_folds

    smiles = _gsk3b()
    fps = MorganFingerprint().transform(smiles)
    folds, text = make_folds("cluster", smiles=smiles, fingerprints=fps, n_splits=4, seed=0)
    cutoff = float(text.split("cut-off ")[1].split(":")[0])
    clusters = butina_clusters(fps, cutoff=cutoff)
    assert "Butina" in text and len(folds) == 4
    for train_idx, test_idx in folds:
        assert not set(clusters[train_idx]) & set(clusters[test_idx])
    # every molecule is within the cutoff of its cluster's first-picked centroid
    from screenkit.chem.similarity import minmax_kernel

    sim = minmax_kernel(fps, fps)
    for c in np.unique(clusters)[:20]:
        members = np.flatnonzero(clusters == c)
        assert (sim[np.ix_(members, members)].max(axis=0) >= 0.4).all()


def test_temporal_folds_train_on_the_past():
    from screenkit.model.split import make_folds

    years = [str(2000 + i % 12) for i in range(120)]
    folds, _ = make_folds("temporal", smiles=["C"] * 120, years=years, n_splits=3)
    y = np.array(years, dtype=int)
    assert len(folds) == 3
    for train_idx, test_idx in folds:
        assert y[train_idx].max() < y[test_idx].min()


def test_unknown_or_impossible_split_is_a_usage_error():
    import pytest

    from screenkit.errors import UsageError
    from screenkit.model.split import make_folds

    with pytest.raises(UsageError, match="unknown split 'stratified'"):
        make_folds("stratified", smiles=["C"])
    with pytest.raises(UsageError, match="document_year"):
        make_folds("temporal", smiles=["C"] * 10, years=[""] * 10)
    with pytest.raises(UsageError, match="only 1 Bemis-Murcko scaffold groups for 3 folds"):
        make_folds("scaffold", smiles=["c1ccccc1C", "c1ccccc1CC", "c1ccccc1O"], n_splits=3)


def test_cluster_split_widens_its_cutoff_until_the_median_is_low_enough():
    from screenkit.chem.featurize import MorganFingerprint
    from screenkit.model.split import CLUSTER_CUTOFFS, cluster_folds, nearest_train_similarity

    smiles = _gsk3b()
    fps = MorganFingerprint().transform(smiles)
    strict = cluster_folds(fps, n_splits=5, max_median_similarity=0.3)
    loose = cluster_folds(fps, n_splits=5, max_median_similarity=0.9)
    assert loose[2] == CLUSTER_CUTOFFS[0] and strict[2] > loose[2]
    for folds, _, _, median in (strict, loose):
        assert median == pytest.approx(float(np.median(nearest_train_similarity(fps, folds))))


def test_split_difficulty_figures():
    from screenkit.model.split import split_difficulty

    d = split_difficulty(np.array([0.1, 0.3, 0.5, 0.7, 0.85, 0.95]))
    assert d["median"] == 0.6 and d["share_ge_0_8"] == pytest.approx(2 / 6, abs=1e-4) and d["n"] == 6
    assert d["q1"] < d["median"] < d["q3"]
