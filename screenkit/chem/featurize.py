"""Molecules to feature matrices, as scikit-learn transformers.

Every featurizer takes RDKit molecules or SMILES strings and returns one row per input,
in input order; it never drops or reorders rows. Molecules that cannot be featurized
raise :class:`FeaturizationError` (a :class:`~screenkit.errors.UsageError`) naming
*every* bad row index, because by the time a molecule reaches featurization it has
already passed standardisation; the caller decides what to do with those rows.

All featurizers are stateless (``fit`` learns nothing), cloneable and picklable (RDKit
generators are built per call), and give identical output for any ``n_jobs``: workers
receive RDKit binary molecules in ordered chunks, and results are stacked in order.

=================  ===============================================  ========
name               class                                            dtype
=================  ===============================================  ========
``morgan``         :class:`MorganFingerprint` (ECFP bits/counts)    uint8
``fcfp``           :class:`FeatureMorganFingerprint` (FCFP)         uint8
``atom_pair``      :class:`AtomPairFingerprint`                     uint8
``torsion``        :class:`TopologicalTorsionFingerprint`           uint8
``rdkit``          :class:`RDKitPathFingerprint`                    uint8
``maccs``          :class:`MACCSKeys`                               uint8
``descriptors``    :class:`RDKitDescriptors` (RDKit 2D descriptors) float64
``concat``         :class:`ConcatFeaturizer` (any of the above)     either
=================  ===============================================  ========
"""

from __future__ import annotations

import numpy as np
from rdkit import DataStructs
from rdkit.Chem import rdFingerprintGenerator

from ..errors import UsageError
from .molfeaturizer import FeaturizationError, GeneratorFingerprint, MolFeaturizer

__all__ = ["MorganFingerprint", "FeatureMorganFingerprint", "AtomPairFingerprint", "TopologicalTorsionFingerprint",
           "RDKitPathFingerprint", "MACCSKeys", "RDKitDescriptors", "ConcatFeaturizer", "FeaturizationError",
           "make_featurizer", "check_featurizer_params", "featurizer_spec", "FEATURIZERS"]


class MorganFingerprint(GeneratorFingerprint):
    """Morgan (ECFP-like) fingerprint bits or counts.

    Parameters
    ----------
    radius : int, default 2
        Radius in bonds (2 gives ECFP4).
    fp_size : int, default 2048
        Number of bits (folded length).
    counts : bool, default False
        Count occurrences (capped at 255) instead of setting bits.
    n_jobs : int, default 1
        Processes for large inputs; the output does not depend on it.

    Examples
    --------
    >>> fp = MorganFingerprint(radius=2, fp_size=1024)
    >>> fp.transform(["CCO", "c1ccccc1"]).shape
    (2, 1024)
    """

    def __init__(self, radius: int = 2, fp_size: int = 2048, counts: bool = False, n_jobs: int = 1):
        self.radius = radius
        self.fp_size = fp_size
        self.counts = counts
        self.n_jobs = n_jobs

    def _prefix(self):
        return f"{'morgan_count' if self.counts else 'morgan'}{self.radius}"

    def _generator(self):
        return rdFingerprintGenerator.GetMorganGenerator(radius=self.radius, fpSize=self.fp_size)


class FeatureMorganFingerprint(MorganFingerprint):
    """FCFP: Morgan fingerprint on pharmacophoric atom features (donor, acceptor, aromatic, ...).

    Same parameters as :class:`MorganFingerprint`.

    Examples
    --------
    >>> FeatureMorganFingerprint(fp_size=512).transform(["CCO"]).shape
    (1, 512)
    """

    def _prefix(self):
        return f"{'fcfp_count' if self.counts else 'fcfp'}{self.radius}"

    def _generator(self):
        return rdFingerprintGenerator.GetMorganGenerator(
            radius=self.radius, fpSize=self.fp_size,
            atomInvariantsGenerator=rdFingerprintGenerator.GetMorganFeatureAtomInvGen())


class _TopologicalFingerprint(GeneratorFingerprint):
    """Atom-pair or topological-torsion fingerprint, bits or counts: one class, the ``kind`` chosen by name.

    The two public classes differ only in ``kind`` (and so in their featurizer name, which model cards
    store); parameters are ``fp_size``, ``counts`` and ``n_jobs`` for both.

    Examples
    --------
    >>> bool(AtomPairFingerprint(fp_size=256).transform(["CCO"]).sum() > 0)
    True
    >>> bool(TopologicalTorsionFingerprint(fp_size=256).transform(["CCCCO"]).sum() > 0)
    True
    """

    kind = ""
    _GENERATORS = {"atom_pair": "GetAtomPairGenerator", "torsion": "GetTopologicalTorsionGenerator"}

    def __init__(self, fp_size: int = 2048, counts: bool = False, n_jobs: int = 1):
        self.fp_size = fp_size
        self.counts = counts
        self.n_jobs = n_jobs

    def _prefix(self):
        return f"{self.kind}_count" if self.counts else self.kind

    def _generator(self):
        return getattr(rdFingerprintGenerator, self._GENERATORS[self.kind])(fpSize=self.fp_size)


class AtomPairFingerprint(_TopologicalFingerprint):
    """Atom-pair fingerprint (atom types and topological distance), bits or counts."""

    kind = "atom_pair"


class TopologicalTorsionFingerprint(_TopologicalFingerprint):
    """Topological-torsion fingerprint (paths of four atoms), bits or counts."""

    kind = "torsion"


class RDKitPathFingerprint(GeneratorFingerprint):
    """RDKit (Daylight-like) path fingerprint: linear and branched subgraphs up to ``max_path`` bonds.

    Examples
    --------
    >>> RDKitPathFingerprint(max_path=5, fp_size=512).transform(["CCO"]).shape
    (1, 512)
    """

    def __init__(self, max_path: int = 7, fp_size: int = 2048, n_jobs: int = 1):
        self.max_path = max_path
        self.fp_size = fp_size
        self.n_jobs = n_jobs

    def _prefix(self):
        return f"rdkit{self.max_path}"

    def _generator(self):
        return rdFingerprintGenerator.GetRDKitFPGenerator(maxPath=self.max_path, fpSize=self.fp_size)


class MACCSKeys(MolFeaturizer):
    """The 166 public MACCS keys (167 columns; column 0 is always 0, as in RDKit).

    Examples
    --------
    >>> MACCSKeys().transform(["CCO"]).shape
    (1, 167)
    """

    def __init__(self, n_jobs: int = 1):
        self.n_jobs = n_jobs

    @property
    def n_features(self) -> int:
        return 167

    def _prefix(self):
        return "maccs"

    def _transform_mols(self, mols):
        from rdkit.Chem import rdMolDescriptors

        out = np.zeros((len(mols), 167), dtype=np.uint8)
        for i, mol in enumerate(mols):
            DataStructs.ConvertToNumpyArray(rdMolDescriptors.GetMACCSKeysFingerprint(mol), out[i])
        return out


def _descriptor_names() -> list[str]:
    from rdkit.Chem import Descriptors

    return [name for name, _ in Descriptors._descList]


class RDKitDescriptors(MolFeaturizer):
    """RDKit 2D physicochemical descriptors (all of ``rdkit.Chem.Descriptors`` by default).

    A descriptor that fails or is infinite for a molecule is ``NaN`` in its row (the row
    is kept); screenkit's estimators impute and scale these columns.

    Parameters
    ----------
    names : list of str, optional
        Descriptor names (``Descriptors._descList``); default all.

    Examples
    --------
    >>> RDKitDescriptors(names=["MolWt", "TPSA"]).transform(["CCO"]).round(1).tolist()
    [[46.1, 20.2]]
    """

    dtype = np.float64
    nonnegative = False

    def __init__(self, names: list[str] | None = None, n_jobs: int = 1):
        self.names = names
        self.n_jobs = n_jobs

    def _names(self) -> list[str]:
        available = _descriptor_names()
        if self.names is None:
            return available
        unknown = sorted(set(self.names) - set(available))
        if unknown:
            raise UsageError(f"unknown RDKit descriptor(s) {', '.join(unknown)}; see rdkit.Chem.Descriptors._descList")
        return list(self.names)

    @property
    def n_features(self) -> int:
        return len(self._names())

    def get_feature_names_out(self, input_features=None):
        return np.array(self._names(), dtype=object)

    def _transform_mols(self, mols):
        from rdkit.Chem import Descriptors

        functions = dict(Descriptors._descList)
        names = self._names()
        out = np.full((len(mols), len(names)), np.nan)
        for i, mol in enumerate(mols):
            for j, name in enumerate(names):
                try:
                    out[i, j] = functions[name](mol)
                except Exception:  # a descriptor undefined for this molecule stays NaN
                    pass
        out[~np.isfinite(out)] = np.nan
        return np.clip(out, -1e12, 1e12)


class ConcatFeaturizer(MolFeaturizer):
    """Side-by-side concatenation of several featurizers.

    Parameters
    ----------
    parts : list of dict
        ``{"name": ..., "params": {...}}`` per featurizer (JSON-able, as in a model card).

    Examples
    --------
    >>> fp = ConcatFeaturizer(parts=[{"name": "morgan", "params": {"fp_size": 64}}, {"name": "maccs"}])
    >>> fp.transform(["CCO"]).shape
    (1, 231)
    """

    def __init__(self, parts: list[dict] | tuple = (), n_jobs: int = 1):
        self.parts = parts
        self.n_jobs = n_jobs

    def _featurizers(self) -> list[MolFeaturizer]:
        if not self.parts:
            raise UsageError("featurizer 'concat' needs parts=[{'name': ..., 'params': {...}}, ...]")
        out = []
        for part in self.parts:
            if not isinstance(part, dict) or "name" not in part or part["name"] == "concat":
                raise UsageError(f"bad concat part {part!r}; give {{'name': <featurizer>, 'params': {{...}}}}")
            out.append(make_featurizer(part["name"], **dict(part.get("params", {}))))
        return out

    # dtype and nonnegative follow from the parts (the other featurizers fix them per class)
    @property
    def dtype(self):  # type: ignore[override]
        return np.uint8 if all(f.dtype == np.uint8 for f in self._featurizers()) else np.float64

    @property
    def nonnegative(self):  # type: ignore[override]
        return all(f.nonnegative for f in self._featurizers())

    @property
    def n_features(self) -> int:
        return sum(f.n_features for f in self._featurizers())

    def get_feature_names_out(self, input_features=None):
        return np.concatenate([f.get_feature_names_out() for f in self._featurizers()])

    def _transform_mols(self, mols):
        featurizers = self._featurizers()
        dtype = np.uint8 if all(f.dtype == np.uint8 for f in featurizers) else np.float64
        return np.hstack([f._transform_mols(mols).astype(dtype, copy=False) for f in featurizers])


FEATURIZERS = {
    "morgan": MorganFingerprint,
    "fcfp": FeatureMorganFingerprint,
    "atom_pair": AtomPairFingerprint,
    "torsion": TopologicalTorsionFingerprint,
    "rdkit": RDKitPathFingerprint,
    "maccs": MACCSKeys,
    "descriptors": RDKitDescriptors,
    "concat": ConcatFeaturizer,
}


def make_featurizer(name: str, **params) -> MolFeaturizer:
    """Build a featurizer by name (see :data:`FEATURIZERS`) with keyword parameters.

    Examples
    --------
    >>> make_featurizer("morgan", radius=3, counts=True).get_params()["radius"]
    3

    Raises
    ------
    UsageError
        For an unknown name or parameter.
    """
    try:
        cls = FEATURIZERS[name]
    except KeyError:
        raise UsageError(f"unknown featurizer {name!r}; available: {', '.join(FEATURIZERS)}") from None
    try:
        featurizer = cls(**params)
    except TypeError as exc:
        raise UsageError(f"bad parameters for featurizer {name!r}: {exc}") from None
    check_featurizer_params(name, featurizer)
    if name == "concat":
        featurizer._featurizers()  # validate the parts now, not at the first transform
    return featurizer


# Smallest allowed value of each whole-number parameter (RDKit itself fails late, or crashes, on less).
_MINIMUM = {"radius": 0, "fp_size": 1, "max_path": 1}


def check_featurizer_params(name: str, featurizer) -> None:
    """Raise :class:`UsageError` naming a parameter value no fingerprint can be built with.

    Examples
    --------
    >>> check_featurizer_params("morgan", MorganFingerprint(fp_size=0))
    Traceback (most recent call last):
    ...
    screenkit.errors.UsageError: featurizer 'morgan': fp_size must be a whole number of at least 1, not 0; \
fix it in --featurizer-params (or --fp-size/--radius)
    """
    params = featurizer.get_params(deep=False)
    for key, low in _MINIMUM.items():
        value = params.get(key, low)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise UsageError(f"featurizer {name!r}: {key} must be a whole number of at least {low}, not {value!r}; "
                             "fix it in --featurizer-params (or --fp-size/--radius)")
    if not isinstance(params.get("counts", False), (bool, np.bool_)):
        raise UsageError(f"featurizer {name!r}: counts must be true or false, not {params['counts']!r}")
    n_jobs = params.get("n_jobs", 1)
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0):
        raise UsageError(f"featurizer {name!r}: n_jobs must be a whole number other than 0 (-1: all cores), "
                         f"not {n_jobs!r}")


def featurizer_spec(featurizer: MolFeaturizer) -> dict:
    """``{"name": ..., "params": ...}`` (JSON-able; ``n_jobs`` set to 1) for a model card."""
    for name, cls in FEATURIZERS.items():
        if type(featurizer) is cls:
            params = featurizer.get_params()
            params["n_jobs"] = 1
            if isinstance(params.get("parts"), tuple):
                params["parts"] = list(params["parts"])
            return {"name": name, "params": params}
    raise UsageError(f"{type(featurizer).__name__} is not a screenkit featurizer")
