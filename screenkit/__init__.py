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
    "iter_records": "library", "RawRecord": "library",
    "standardize_smiles": "standardize", "standardize_mol": "standardize",
    "read_dataset": "dataset",
    "fetch_dataset": "curate", "curate_file": "curate", "curate_records": "curate", "CurationConfig": "curate",
    "ApiSettings": "chembl",
    "MorganFingerprint": "featurize", "make_featurizer": "featurize",
    "make_estimator": "estimators",
    "TrainConfig": "train", "train_models": "train", "train_on_data": "train",
    "read_measurements": "measurements", "evaluate_models": "evaluate",
    "load_bundle": "bundle", "TargetModel": "bundle",
    "score_records": "score",
    "score_rows": "rank", "load_profile": "config", "Profile": "config",
    "compute_properties": "properties",
    "screen_library": "screen", "ScreenSummary": "screen",
    "write_report": "report", "ReportSummary": "report",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'screenkit' has no attribute {name!r}")


def __dir__():
    return __all__
