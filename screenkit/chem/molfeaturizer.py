"""The featurizer base classes: parsing, failure reporting and ordered parallel chunks.

:class:`MolFeaturizer` is what every featurizer in :mod:`screenkit.chem.featurize` shares;
:class:`GeneratorFingerprint` adds RDKit's ``rdFingerprintGenerator`` bits or counts.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import UsageError

__all__ = ["FeaturizationError", "MolFeaturizer", "GeneratorFingerprint"]

_CHUNK = 256  # molecules per parallel task


class FeaturizationError(UsageError):
    """Some molecules could not be featurized; ``rows`` lists their indices (0-based)."""

    def __init__(self, rows: list[int], examples: list[str]):
        self.rows = list(rows)
        shown = ", ".join(f"row {i} ({e})" for i, e in zip(rows[:5], examples[:5]))
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        super().__init__(f"{len(rows)} molecule(s) cannot be featurized: {shown}{more}; standardise them first "
                         "(screenkit.standardize_smiles) and drop or fix the rows it reports")


def _as_mols(X) -> list:
    """Molecules from molecules or SMILES; raises naming every bad row."""
    mols, bad, examples = [], [], []
    for i, item in enumerate(X):
        mol = Chem.MolFromSmiles(item) if isinstance(item, str) else item
        if mol is None or not isinstance(mol, Chem.Mol):
            bad.append(i)
            examples.append(f"{item!r} is not a valid molecule")
        mols.append(mol)
    if bad:
        raise FeaturizationError(bad, examples)
    return mols


class MolFeaturizer(TransformerMixin, BaseEstimator):
    """Shared machinery: parsing, failure reporting, ordered parallel chunks."""

    dtype: type = np.uint8
    nonnegative: bool = True  # usable with a Tanimoto/MinMax kernel

    def fit(self, X=None, y=None):
        """Nothing to learn; present for the scikit-learn contract."""
        self.n_features_in_ = 1
        return self

    def __sklearn_is_fitted__(self):
        return True

    @property
    def n_features(self) -> int:
        raise NotImplementedError

    def get_feature_names_out(self, input_features=None):
        return np.array([f"{self._prefix()}_{i}" for i in range(self.n_features)], dtype=object)

    def _prefix(self) -> str:
        return type(self).__name__.lower()

    def _transform_mols(self, mols: list) -> np.ndarray:
        raise NotImplementedError

    def transform(self, X) -> np.ndarray:
        """Featurize each molecule (or SMILES) of ``X``; one row per input, in order."""
        mols = _as_mols(X)
        n_jobs = getattr(self, "n_jobs", 1) or 1
        if n_jobs == 1 or len(mols) <= _CHUNK:
            return self._transform_mols(mols)
        from joblib import Parallel, delayed

        chunks = [[m.ToBinary() for m in mols[s:s + _CHUNK]] for s in range(0, len(mols), _CHUNK)]
        parts = Parallel(n_jobs=n_jobs)(delayed(_transform_binary)(self, chunk) for chunk in chunks)
        return np.vstack(parts)


def _transform_binary(featurizer: MolFeaturizer, chunk: list[bytes]) -> np.ndarray:
    return featurizer._transform_mols([Chem.Mol(b) for b in chunk])


class GeneratorFingerprint(MolFeaturizer):
    """A fingerprint from an RDKit ``rdFingerprintGenerator``; bits or counts (capped at 255)."""

    def _generator(self):
        raise NotImplementedError

    @property
    def n_features(self) -> int:
        return self.fp_size

    def _transform_mols(self, mols):
        generator = self._generator()  # generators are not picklable: one per call
        out = np.zeros((len(mols), self.fp_size), dtype=np.uint8)
        counts = getattr(self, "counts", False)
        for i, mol in enumerate(mols):
            if counts:
                out[i] = np.minimum(generator.GetCountFingerprintAsNumPy(mol), 255)
            else:
                out[i] = generator.GetFingerprintAsNumPy(mol)
        return out
