"""Rewrite a model folder's skops estimators as array files, checking predictions are unchanged.

The bundle is verified (sha256 manifest, trusted types) before anything is read; each
converted estimator must give bit-identical outputs on (up to 1,000 of) its own training compounds, or
the folder is left as it was. ::

    python scripts/convert_bundle.py models
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenkit.hashing import file_sha256  # noqa: E402
from screenkit.model import arrayfile  # noqa: E402
from screenkit.model.bundle import MANIFEST, TRUSTED_TYPES, load_bundle  # noqa: E402


def outputs(estimator, X) -> dict:
    if hasattr(estimator, "predict_outputs"):
        return estimator.predict_outputs(X)
    return {"proba": estimator.predict_proba(X)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    folder = args.folder
    models = {m.name: m for m in load_bundle(folder)}
    manifest = json.loads((folder / MANIFEST).read_text())
    converted = []
    for entry in manifest["models"]:
        old = entry["files"]["estimator"]
        if not old.endswith(".skops"):
            continue
        model = models[entry["name"]]
        new = f"{entry['name']}.model.npz"
        try:
            arrayfile.dump(model.estimator, folder / new, TRUSTED_TYPES)
        except arrayfile.UnsupportedObject as exc:
            print(f"{entry['name']}: kept as skops ({exc})")
            continue
        # the model's own features of (up to 1,000 of) its training compounds
        from rdkit import Chem

        X = model.featurizer.transform([Chem.MolFromSmiles(str(s)) for s in model.train_smiles[:1000]])
        before, after = outputs(model.estimator, X), outputs(arrayfile.load(folder / new, TRUSTED_TYPES), X)
        if before.keys() != after.keys() or any(not np.array_equal(before[k], after[k]) for k in before):
            (folder / new).unlink()
            print(f"{entry['name']}: outputs differ after conversion; kept as skops")
            continue
        entry["files"]["estimator"] = new
        converted.append((old, new))
    for old, new in converted:
        del manifest["sha256"][old]
        manifest["sha256"][new] = file_sha256(folder / new)
    manifest["sha256"] = dict(sorted(manifest["sha256"].items()))
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    for old, _ in converted:
        (folder / old).unlink()
    load_bundle(folder)  # the rewritten folder verifies
    print(f"converted {len(converted)} estimators in {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
