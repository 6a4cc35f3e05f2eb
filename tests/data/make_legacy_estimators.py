"""Write tests/data/legacy_estimators/: screenkit's own estimators as fitted and saved by screenkit
before the scikit-learn contract work (commit f5a3079), and their outputs on fixed molecules.

Run once, with that screenkit, from the repository root: ``python tests/data/make_legacy_estimators.py``.
tests/test_estimators_contract.py checks that these files still load (class paths and attribute
layout of that time) and that today's estimators, fitted on the same rows, predict the same numbers.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from screenkit.chem.featurize import MorganFingerprint
from screenkit.model import arrayfile
from screenkit.model import estimators as E
from screenkit.model.bundle import TRUSTED_TYPES

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "legacy_estimators"


def rows():
    """120 NR3C1 Ki rows of the bundled ChEMBL set (first 90 train, last 30 query)."""
    table = pd.read_csv(ROOT / "data" / "chembl_bundled.csv")
    table = table[(table["gene"] == "NR3C1") & (table["activity_type"] == "Ki")].head(120)
    X = MorganFingerprint(radius=2, fp_size=2048).transform(table["smiles"].tolist())
    return X, table["pactivity"].to_numpy(float)


def main():
    X, pact = rows()
    y = (pact >= 7.0).astype(int)
    train, query = slice(0, 90), slice(90, 120)
    fitted = {
        "knn_classification": E.TanimotoKNN(n_neighbors=5, task="classification").fit(X[train], y[train]),
        "knn_regression": E.TanimotoKNN(n_neighbors=5, task="regression").fit(X[train], pact[train]),
        "svc": E.TanimotoSVC(C=1.0).fit(X[train], y[train]),
        "svr": E.TanimotoSVR(C=5.0, epsilon=0.1).fit(X[train], pact[train]),
    }
    OUT.mkdir(exist_ok=True)
    expected = {}
    for name, est in fitted.items():
        arrayfile.dump(est, OUT / f"{name}.model.npz", TRUSTED_TYPES)
        expected[f"{name}.predict"] = np.asarray(est.predict(X[query]), dtype=float)
        if hasattr(est, "predict_proba") and name != "knn_regression":
            expected[f"{name}.proba"] = est.predict_proba(X[query])[:, 1]
    np.savez_compressed(OUT / "expected_outputs.npz", **expected)


if __name__ == "__main__":
    main()
