"""screenkit: virtual screening for leukodystrophy research.

The library API mirrors the command line, stage by stage::

    import screenkit
    panel = screenkit.load_panel()                                   # screenkit targets
    screenkit.train_models("data/chembl_bundled.csv", "my_models", panel)   # screenkit train
    screenkit.screen_library("library.sdf", "ranked.csv")            # screenkit score

Submodules are imported on first use, so ``import screenkit`` stays fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "ScreenkitError": "errors", "UsageError": "errors", "InputFileError": "errors",
    "ModelBundleError": "errors", "FetchError": "errors",
    "Panel": "config", "Target": "config", "load_panel": "config", "bundled_path": "config",
    "iter_records": "screen.readers", "RawRecord": "screen.records",
    "standardize_smiles": "chem.standardize", "standardize_mol": "chem.standardize",
    "read_dataset": "curation.dataset",
    "fetch_dataset": "curation.curate", "curate_file": "curation.curate", "curate_records": "curation.records", "CurationConfig": "curation.records",
    "ApiSettings": "chembl",
    "MorganFingerprint": "chem.featurize", "make_featurizer": "chem.featurize",
    "make_estimator": "model.estimators",
    "TrainConfig": "model.trainconfig", "train_models": "model.train", "train_on_data": "model.train",
    "read_measurements": "curation.measurements", "evaluate_models": "model.evaluate",
    "load_bundle": "model.bundle", "TargetModel": "model.bundle",
    "score_records": "screen.score",
    "score_rows": "screen.rank", "load_profile": "profile", "Profile": "profile",
    "compute_properties": "chem.properties",
    "screen_library": "screen.run", "ScreenConfig": "screen.options", "ScreenSummary": "screen.metadata",
    "write_report": "report", "ReportSummary": "report",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'screenkit' has no attribute {name!r}")


def __dir__():
    return __all__
