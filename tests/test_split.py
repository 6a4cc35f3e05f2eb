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
