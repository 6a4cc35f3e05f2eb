"""Molecules to fingerprint matrices, as scikit-learn transformers.

Transformers take RDKit molecules or SMILES strings and return one row per input, in
input order; they never drop or reorder rows. A row that cannot be featurized raises
:class:`~screenkit.errors.UsageError` naming its index, because by the time a molecule
reaches featurization it has already passed standardisation.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from sklearn.base import BaseEstimator, TransformerMixin

from .errors import UsageError

__all__ = ["MorganFingerprint", "make_featurizer", "tanimoto_max", "SimilarityIndex"]


class MorganFingerprint(TransformerMixin, BaseEstimator):
    """Morgan (ECFP-like) fingerprint bits or counts.

    Parameters
    ----------
    radius : int, default 2
        Radius in bonds (2 gives ECFP4).
    fp_size : int, default 2048
        Number of bits (folded length).
    counts : bool, default False
        Count occurrences instead of setting bits.

    Examples
    --------
    >>> fp = MorganFingerprint(radius=2, fp_size=1024)
    >>> fp.transform(["CCO", "c1ccccc1"]).shape
    (2, 1024)
    """

    def __init__(self, radius: int = 2, fp_size: int = 2048, counts: bool = False):
        self.radius = radius
        self.fp_size = fp_size
        self.counts = counts

    def fit(self, X=None, y=None):
        """Nothing to learn; present for the scikit-learn contract."""
        self.n_features_in_ = 1
        return self

    def get_feature_names_out(self, input_features=None):
        prefix = "morgan_count" if self.counts else "morgan"
        return np.array([f"{prefix}{self.radius}_{i}" for i in range(self.fp_size)], dtype=object)

    def transform(self, X) -> np.ndarray:
        """Fingerprint each molecule (or SMILES) of ``X``; returns a ``uint8`` matrix."""
        # Generators are not picklable; building one per call keeps the transformer cloneable.
        generator = rdFingerprintGenerator.GetMorganGenerator(radius=self.radius, fpSize=self.fp_size)
        out = np.zeros((len(X), self.fp_size), dtype=np.uint8)
        for i, item in enumerate(X):
            mol = Chem.MolFromSmiles(item) if isinstance(item, str) else item
            if mol is None:
                raise UsageError(f"row {i} cannot be featurized: {item!r} is not a valid molecule")
            if self.counts:
                out[i] = np.minimum(generator.GetCountFingerprintAsNumPy(mol), 255)
            else:
                out[i] = generator.GetFingerprintAsNumPy(mol)
        return out


_FEATURIZERS = {"morgan": MorganFingerprint}


def make_featurizer(name: str, **params) -> MorganFingerprint:
    """Build a featurizer by name (``"morgan"``) with keyword parameters.

    Raises
    ------
    UsageError
        For an unknown name or parameter.
    """
    try:
        cls = _FEATURIZERS[name]
    except KeyError:
        raise UsageError(f"unknown featurizer {name!r}; available: {', '.join(_FEATURIZERS)}") from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise UsageError(f"bad parameters for featurizer {name!r}: {exc}") from None


def tanimoto_max(query: np.ndarray, reference: np.ndarray, block: int = 4096) -> np.ndarray:
    """Largest Tanimoto similarity of each query bit vector to any reference bit vector.

    Both inputs are 0/1 matrices with the same number of columns. Computed as sparse
    intersections, which is fast because fingerprints have few bits set.

    Examples
    --------
    >>> a = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], dtype=np.uint8)
    >>> tanimoto_max(a, a[:1]).round(2).tolist()
    [1.0, 0.0]
    """
    from scipy import sparse

    if len(reference) == 0:
        return np.zeros(len(query))
    q = sparse.csr_matrix(query, dtype=np.float32)
    q_counts = np.asarray(q.sum(axis=1)).ravel()
    best = np.zeros(len(query))
    for start in range(0, len(reference), block):
        r = sparse.csr_matrix(reference[start:start + block], dtype=np.float32)
        r_counts = np.asarray(r.sum(axis=1)).ravel()
        common = (q @ r.T).toarray()
        union = q_counts[:, None] + r_counts[None, :] - common
        with np.errstate(invalid="ignore", divide="ignore"):
            sim = np.where(union > 0, common / union, 0.0)
        best = np.maximum(best, sim.max(axis=1))
    return best


class SimilarityIndex:
    """Nearest-neighbour Tanimoto similarity of queries to several reference sets at once.

    Scoring asks, for every library compound, how close it is to each model's training
    set. Stacking all reference sets into one sparse matrix (built once) turns nine
    searches into one sparse product per chunk.

    Examples
    --------
    >>> a = np.array([[1, 1, 0, 0]], dtype=np.uint8)
    >>> b = np.array([[0, 0, 1, 1], [0, 1, 1, 0]], dtype=np.uint8)
    >>> SimilarityIndex([a, b]).max_similarity(np.array([[1, 1, 1, 0]], dtype=np.uint8)).round(3).tolist()
    [[0.667, 0.667]]
    """

    def __init__(self, references: list[np.ndarray]):
        sizes = [len(r) for r in references]
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        self.empty = np.array([n == 0 for n in sizes])
        stacked = np.vstack(references) if sum(sizes) else np.zeros((0, references[0].shape[1]), np.uint8)
        # Dense, bit-major references: a sparse query times this dense matrix is a few
        # row additions per set bit, 3x faster than sparse x sparse (about 110 MB for the
        # bundled models' 13k training compounds).
        self._reference_t = np.ascontiguousarray(stacked.T, dtype=np.float32)
        self._reference_counts = stacked.sum(axis=1, dtype=np.float32)

    def max_similarity(self, query: np.ndarray) -> np.ndarray:
        """``(n_query, n_reference_sets)`` matrix of the largest Tanimoto similarity."""
        from scipy import sparse

        out = np.zeros((len(query), len(self.starts)))
        if len(query) == 0 or self._reference_t.shape[1] == 0:
            return out
        q = sparse.csr_matrix(query, dtype=np.float32)
        q_counts = np.asarray(q.sum(axis=1), dtype=np.float32).ravel()
        common = np.asarray(q @ self._reference_t)
        union = q_counts[:, None] + self._reference_counts[None, :]
        union -= common
        np.divide(common, union, out=common, where=union > 0)
        filled = ~self.empty
        out[:, filled] = np.maximum.reduceat(common, self.starts[filled], axis=1)
        return out


def bitvects_from_matrix(matrix: np.ndarray) -> list:
    """RDKit ExplicitBitVects from a 0/1 matrix (for RDKit's similarity pickers)."""
    out = []
    for row in matrix:
        bv = DataStructs.ExplicitBitVect(len(row))
        bv.SetBitsFromList(np.flatnonzero(row).tolist())
        out.append(bv)
    return out
