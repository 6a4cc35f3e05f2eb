"""Model bundles on disk, read and verified: safe formats, a sha256 manifest, and model cards.

A bundle is a folder with one set of files per model::

    manifest.json             file names and sha256 of every file below
    <model>.model.npz         the fitted estimator as a screenkit array file (JSON graph
                              plus numpy arrays, read without pickle; see screenkit.model.arrayfile),
    or <model>.skops          skops, for an estimator the array format cannot hold
    <model>.train.npz         measured training compounds: packed fingerprints,
                              pActivity, SMILES, InChIKey (numpy, allow_pickle=False)
    <model>.card.json / .md   the model card
    <model>.<suffix>          extra files a model brings (e.g. ``roc.svg``, ``plots.npz``: the
                              card's plots and their data); the manifest lists each under the
                              role ``<suffix>``, and old bundles without them load as before

Loading checks every hash before reading a byte of model data, and refuses an
estimator file that holds any type outside :data:`TRUSTED_TYPES`. The manifest is
:mod:`screenkit.model.manifest`; writing a bundle is :mod:`screenkit.model.bundle_write`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, overload

import numpy as np

from ..chem.featurize import make_featurizer
from ..errors import ModelBundleError
from ..hashing import file_sha256
from .card import ModelCard
from .manifest import MANIFEST, bundle_digest, damaged, read_manifest

__all__ = ["TargetModel", "ModelInfo", "ModelDescription", "TRUSTED_TYPES", "MOVED_TYPES", "MANIFEST", "load_bundle",
           "bundle_digest"]

# Everything a screenkit estimator file may contain beyond skops' own defaults.
# Adding an estimator type means adding its classes here, on purpose.
TRUSTED_TYPES = [
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.ExtraTreeClassifier",
    "sklearn.tree._tree.Tree",
    "sklearn.linear_model._logistic.LogisticRegression",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "numpy.bool_",
    "builtins.slice",
    # screenkit's own estimators (numpy arrays and floats only) and the wrapper that holds
    # calibration and conformal scores; types used inside scikit-learn estimators
    "screenkit.model.estimators.ConformalModel",
    "screenkit.model.tanimoto.TanimotoSVC",
    "screenkit.model.tanimoto.TanimotoSVR",
    "screenkit.model.tanimoto.TanimotoKNNClassifier",
    "screenkit.model.tanimoto.TanimotoKNNRegressor",
    "screenkit.model.tanimoto.TanimotoKNN",  # files written before the kNN split; loads as one of the two
    "screenkit.model.ensemble.SoftVotingEnsemble",
    # what searched configurations hold (forest regressors, imputed/scaled pipelines); hist_gb (a numpy
    # Generator inside) and Euclidean kNN (a KD-tree) are stored with skops instead
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._forest.ExtraTreesRegressor",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.pipeline.Pipeline",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.neighbors._kd_tree.KDTree",
]
# Class paths that array files written by an earlier screenkit hold, mapped to where they live now.
MOVED_TYPES: dict[str, str] = {
    "screenkit.estimators.ConformalModel": "screenkit.model.estimators.ConformalModel",
    "screenkit.estimators.TanimotoSVC": "screenkit.model.tanimoto.TanimotoSVC",
    "screenkit.estimators.TanimotoSVR": "screenkit.model.tanimoto.TanimotoSVR",
    "screenkit.estimators.TanimotoKNN": "screenkit.model.tanimoto.TanimotoKNN",
    "screenkit.model.estimators.TanimotoSVC": "screenkit.model.tanimoto.TanimotoSVC",
    "screenkit.model.estimators.TanimotoSVR": "screenkit.model.tanimoto.TanimotoSVR",
    "screenkit.model.estimators.TanimotoKNN": "screenkit.model.tanimoto.TanimotoKNN",
}


class ModelDescription(Protocol):
    """What :class:`TargetModel` and :class:`ModelInfo` share: enough to rank, report and name columns."""

    @property
    def name(self) -> str: ...
    @property
    def card(self) -> ModelCard: ...
    @property
    def files(self) -> dict: ...
    @property
    def ad_threshold(self) -> float: ...
    @property
    def outputs(self) -> list[str]: ...



@dataclass
class TargetModel:
    """One fitted per-target model with what scoring needs to explain it.

    Attributes
    ----------
    name : str
        Column-friendly model name, e.g. ``"OPRK1_Ki"``.
    card : ModelCard
        The model card (target, data, featurizer, estimator, validation, versions); a card dict
        given here is read with :meth:`ModelCard.from_json`.
    estimator : object
        A fitted scikit-learn classifier with ``predict_proba``.
    train_fingerprints : numpy.ndarray
        0/1 matrix of the measured training compounds (applicability domain, evidence).
    train_pactivity, train_smiles, train_inchikey : numpy.ndarray
        The measured training compounds, row-aligned with ``train_fingerprints``.
    extra_files : dict of str to bytes
        To save: extra files by suffix (``{"roc.svg": b"<svg ..."}``), written as
        ``<name>.<suffix>`` and listed in the manifest.
    files : dict of str to Path
        After loading: every file of the model by manifest role, each checked against its sha256.
    """

    name: str
    card: ModelCard
    estimator: Any  # a fitted estimator, or None when loaded with ``training_sets_only``
    train_fingerprints: np.ndarray
    train_pactivity: np.ndarray
    train_smiles: np.ndarray
    train_inchikey: np.ndarray
    extra_files: dict = field(default_factory=dict, repr=False)
    files: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if isinstance(self.card, dict):
            self.card = ModelCard.from_json(self.card)

    @property
    def outputs(self) -> list[str]:
        """Per-compound prediction columns this model writes (``<name>_<output>``)."""
        return list(self.card.outputs)

    def predict(self, X: np.ndarray, difficulty: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Predictions for a feature matrix, one array per name in :attr:`outputs`.

        A :class:`~screenkit.model.estimators.ConformalModel` gives every output it declares
        (calibrated ``p_active``, conformal p-values or intervals); a bare classifier
        (bundles from before the wrapper) gives ``p_active`` from ``predict_proba``.
        ``difficulty``: each compound's nearest-neighbour Tanimoto distance to the training
        compounds (``1 - <model>_ad``), which a regression model's normalised interval widens with.
        """
        if hasattr(self.estimator, "predict_outputs"):
            predictions = self.estimator.predict_outputs(X, difficulty)
            return {name: predictions[name] for name in self.outputs}
        classes = list(self.estimator.classes_)
        return {"p_active": self.estimator.predict_proba(X)[:, classes.index(1)]}

    @property
    def featurizer(self):
        spec = self.card.featurizer
        return make_featurizer(spec["name"], **spec["params"])

    @property
    def ad_threshold(self) -> float:
        """The similarity from which a prediction counts as in domain (:meth:`ModelCard.domain_threshold`)."""
        return self.card.domain_threshold()[0]


def _read_estimator(path: Path):
    """The estimator in an array file or a skops file, restricted to :data:`TRUSTED_TYPES`."""
    if path.suffix == ".npz":
        from . import arrayfile

        try:
            return arrayfile.load(path, TRUSTED_TYPES, MOVED_TYPES)
        except arrayfile.UntrustedType as exc:
            raise ModelBundleError(f"{path} holds types screenkit does not trust ({exc}); refusing to load it") from None
        except Exception as exc:  # a damaged file whose hash was recomputed to match
            raise damaged(path.parent, f"{path.name} cannot be read ({type(exc).__name__}: {exc})") from None
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        return sio.load(path, trusted=TRUSTED_TYPES)
    except UntrustedTypesFoundException as exc:
        raise ModelBundleError(f"{path} holds types screenkit does not trust ({exc}); refusing to load it") from None
    except Exception as exc:  # BadZipFile, KeyError, JSONDecodeError, ... from a damaged file
        raise damaged(path.parent, f"{path.name} cannot be read ({type(exc).__name__}: {exc})") from None


def _load_estimator(path: Path):
    """A verified estimator file loaded single-threaded."""
    estimator = _read_estimator(path)
    if not (hasattr(estimator, "predict_outputs") or hasattr(estimator, "predict_proba")):
        raise damaged(path.parent, f"{path.name} holds a {type(estimator).__name__}, not a screenkit model")
    inner = getattr(estimator, "estimator", None)
    if inner is not None and hasattr(inner, "n_jobs"):
        inner.n_jobs = 1
    if hasattr(estimator, "n_jobs"):
        estimator.n_jobs = 1  # parallelism is screenkit's job (chunks), not each forest's
    return estimator


@dataclass(frozen=True)
class ModelInfo:
    """A model's name and card without its estimator (for ranking and reports)."""

    name: str
    card: ModelCard
    files: dict = field(default_factory=dict, repr=False)  # manifest role -> verified path

    def __post_init__(self):
        if isinstance(self.card, dict):
            object.__setattr__(self, "card", ModelCard.from_json(self.card))

    @property
    def ad_threshold(self) -> float:
        """The similarity from which a prediction counts as in domain (:meth:`ModelCard.domain_threshold`)."""
        return self.card.domain_threshold()[0]

    @property
    def outputs(self) -> list[str]:
        return list(self.card.outputs)


@overload
def load_bundle(directory: str | Path, names: list[str] | None = None, *,
                with_estimators: Literal[True] = True, training_sets_only: bool = False) -> list[TargetModel]: ...
@overload
def load_bundle(directory: str | Path, names: list[str] | None = None, *,
                with_estimators: Literal[False], training_sets_only: bool = False) -> list[ModelInfo]: ...
@overload
def load_bundle(directory: str | Path, names: list[str] | None = None, *,
                with_estimators: bool = True, training_sets_only: bool = False) -> list[TargetModel] | list[ModelInfo]: ...
def load_bundle(directory: str | Path, names: list[str] | None = None, *,
                with_estimators: bool = True, training_sets_only: bool = False) -> list[TargetModel] | list[ModelInfo]:
    """Load and verify the models of a bundle folder.

    Parameters
    ----------
    directory : str or Path
        Folder written by :func:`~screenkit.model.bundle_write.save_bundle`.
    names : list of str, optional
        Load only these models (names as in the manifest).
    with_estimators : bool, default True
        False returns :class:`ModelInfo` (name and card) after the same hash checks,
        without the cost of loading forests.
    training_sets_only : bool, default False
        True returns :class:`TargetModel` with ``estimator=None``: cards and training sets
        (for evidence and similarity) without the seconds it takes to load the forests.

    Raises
    ------
    ModelBundleError
        Missing manifest or file, sha256 mismatch (a tampered or corrupted file), or an
        estimator file holding a type outside :data:`TRUSTED_TYPES`.
    """
    directory = Path(directory)
    bundle_digest(directory)  # raises with a helpful message when there is no manifest
    manifest = read_manifest(directory)
    entries = manifest["models"]
    if names is not None:
        unknown = set(names) - {e["name"] for e in entries}
        if unknown:
            raise ModelBundleError(f"no model(s) {', '.join(sorted(unknown))} in {directory}; it has: "
                                   f"{', '.join(e['name'] for e in entries)}")
        entries = [e for e in entries if e["name"] in names]
    models: list[TargetModel] = []
    infos: list[ModelInfo] = []
    for entry in entries:
        for file_name in entry["files"].values():
            path = directory / file_name
            if not path.is_file():
                raise ModelBundleError(f"model file {path} listed in the manifest is missing")
            expected = manifest["sha256"].get(file_name)
            if expected is None or file_sha256(path) != expected:
                raise ModelBundleError(
                    f"model file {path} does not match the sha256 in {MANIFEST}: it was changed after "
                    "training; refusing to load it. Retrain, or restore the file from the repository"
                )
        card_path = directory / entry["files"]["card_json"]
        card = _read_card(card_path)
        files = {role: directory / file_name for role, file_name in entry["files"].items()}
        if not with_estimators:
            infos.append(ModelInfo(entry["name"], ModelCard.from_json(card), files))
            continue
        estimator = None if training_sets_only else _load_estimator(directory / entry["files"]["estimator"])
        fps, pactivity, smiles, inchikey = _read_training_set(directory / entry["files"]["training_set"])
        models.append(TargetModel(entry["name"], ModelCard.from_json(card), estimator, fps, pactivity, smiles,
                                  inchikey, files=files))
    return models if with_estimators else infos



def _read_card(path: Path) -> dict:
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise damaged(path.parent, f"{path.name} is not valid JSON ({exc})") from None
    problems = []
    if not isinstance(card, dict):
        raise damaged(path.parent, f"{path.name} is not a JSON object")
    featurizer = card.get("featurizer")
    if not (isinstance(featurizer, dict) and isinstance(featurizer.get("name"), str)
            and isinstance(featurizer.get("params"), dict)):
        problems.append("featurizer name and params")
    else:
        try:
            make_featurizer(featurizer["name"], **featurizer["params"])
        except Exception as exc:
            problems.append(f"a featurizer screenkit can build ({exc})")
    threshold = (card.get("applicability_domain") or {}).get("threshold") \
        if isinstance(card.get("applicability_domain"), dict) else None
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or threshold != threshold:
        problems.append("applicability_domain.threshold (a number)")
    target = card.get("target")  # a model of your own data has no ChEMBL ID
    if not (isinstance(target, dict) and all(isinstance(target.get(k), (str, type(None))) and k in target
                                             for k in ("chembl_id", "gene"))):
        problems.append("target chembl_id and gene")
    outputs = card.get("outputs", ["p_active"])
    if not (isinstance(outputs, list) and outputs and all(isinstance(o, str) and o for o in outputs)):
        problems.append("outputs (a list of names)")
    if problems:
        raise damaged(path.parent, f"{path.name} lacks {'; '.join(problems)}")
    return card


def _read_training_set(path: Path):
    """Fingerprints (unpacked), pActivity, SMILES and InChIKey of a model's measured compounds."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            n_bits = int(arrays["n_bits"][0])
            fps = np.unpackbits(arrays["fingerprints"], axis=1)[:, :n_bits]
            pactivity, smiles, inchikey = arrays["pactivity"], arrays["smiles"], arrays["inchikey"]
    except Exception as exc:  # BadZipFile, KeyError, ValueError (pickled objects), ...
        raise damaged(path.parent, f"{path.name} cannot be read ({type(exc).__name__}: {exc})") from None
    if fps.ndim != 2 or fps.shape[1] != 2048 or not len(fps) == len(pactivity) == len(smiles) == len(inchikey):
        raise damaged(path.parent, f"{path.name} does not hold row-aligned 2048-bit Morgan fingerprints "
                                    "(the applicability-domain space)")
    return fps, pactivity, smiles, inchikey
