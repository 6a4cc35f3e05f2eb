"""Writing model bundles: estimator files, training sets, cards and a fresh sha256 manifest.

:func:`save_bundle` writes whole models; :func:`update_model_files` and :func:`update_cards`
change a model's extra files or cards in place, after the bundle verifies, and keep the
manifest's hashes true. Reading and verifying is :mod:`screenkit.model.bundle`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import ModelBundleError
from ..hashing import file_sha256
from .bundle import TRUSTED_TYPES, TargetModel, load_bundle
from .manifest import FILE_ROLES, MANIFEST, read_manifest, write_manifest

__all__ = ["save_bundle", "update_model_files", "update_cards"]


def save_bundle(models: list[TargetModel], directory: str | Path, card_markdown) -> Path:
    """Write models, cards and a fresh manifest into ``directory`` (created if needed).

    ``card_markdown`` renders a card dict as Markdown (kept outside this module so the
    bundle format does not depend on how cards are worded).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    entries = []
    for model in models:
        files = {
            "estimator": _save_estimator(model.estimator, directory, model.name),
            "training_set": f"{model.name}.train.npz",
            "card_json": f"{model.name}.card.json",
            "card_markdown": f"{model.name}.card.md",
        }
        for suffix, content in sorted(model.extra_files.items()):
            files[_extra_role(suffix)] = f"{model.name}.{suffix}"
            (directory / files[suffix]).write_bytes(content)
        np.savez_compressed(
            directory / files["training_set"],
            fingerprints=np.packbits(model.train_fingerprints.astype(bool), axis=1),
            n_bits=np.array([model.train_fingerprints.shape[1]]),
            pactivity=model.train_pactivity.astype(float),
            smiles=model.train_smiles.astype(str),
            inchikey=model.train_inchikey.astype(str),
        )
        card = model.card.to_json()
        (directory / files["card_json"]).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
        (directory / files["card_markdown"]).write_text(card_markdown(card))
        entries.append({"name": model.name, "target_chembl_id": card["target"]["chembl_id"],
                        "gene": card["target"]["gene"], "activity_type": card["activity_type"], "files": files})
    names = {e["name"] for e in entries}
    # Keep models of an earlier run that this run did not retrain (e.g. --targets subset).
    manifest_path = directory / MANIFEST
    if manifest_path.is_file():
        old = json.loads(manifest_path.read_text())
        new_files = {name for e in entries for name in e["files"].values()}
        for e in old.get("models", []):
            if e["name"] in names:  # a retrained model leaves no stale extra file (e.g. an old plot)
                for name in set(e.get("files", {}).values()) - new_files:
                    if Path(name).name == name and name.startswith(f"{e['name']}."):
                        (directory / name).unlink(missing_ok=True)
        entries = [e for e in old.get("models", []) if e["name"] not in names] + entries
    write_manifest(directory, entries)
    return directory


def _extra_role(suffix: str) -> str:
    if suffix in FILE_ROLES or not suffix or "/" in suffix or "\\" in suffix or suffix.startswith("."):
        raise ValueError(f"{suffix!r} cannot name an extra model file")
    return suffix


def update_model_files(directory: str | Path, name: str, extra_files: dict[str, bytes], card: dict,
                       card_markdown) -> None:
    """Add or replace extra files of one model of a bundle, and its card, updating the manifest.

    The bundle is verified first (a changed file is refused, not re-hashed); the model's
    estimator and training set are not touched.
    """
    directory = Path(directory)
    load_bundle(directory, [name], with_estimators=False)  # raises on any sha256 mismatch
    entries = read_manifest(directory)["models"]
    entry = next(e for e in entries if e["name"] == name)
    for suffix, content in sorted(extra_files.items()):
        entry["files"][_extra_role(suffix)] = f"{name}.{suffix}"
        (directory / entry["files"][suffix]).write_bytes(content)
    (directory / entry["files"]["card_json"]).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
    (directory / entry["files"]["card_markdown"]).write_text(card_markdown(card))
    write_manifest(directory, entries)


def update_cards(directory: str | Path, cards: dict[str, dict], card_markdown) -> None:
    """Rewrite the cards of some models (name -> card dict) and their sha256 in the manifest.

    For card fields measured after training (e.g. the share of a library in domain); the
    estimator and training-set files, and their hashes, stay as they are.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    entries = {e["name"]: e for e in manifest["models"]}
    unknown = set(cards) - set(entries)
    if unknown:
        raise ModelBundleError(f"no model(s) {', '.join(sorted(unknown))} in {directory}")
    rendered = {name: card_markdown(card) for name, card in cards.items()}  # fail before writing anything
    for name, card in cards.items():
        files = entries[name]["files"]
        (directory / files["card_json"]).write_text(json.dumps(card, indent=2, sort_keys=False) + "\n")
        (directory / files["card_markdown"]).write_text(rendered[name])
        for role in ("card_json", "card_markdown"):
            manifest["sha256"][files[role]] = file_sha256(directory / files[role])
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _save_estimator(estimator, directory: Path, name: str) -> str:
    """Write an estimator in the array format (fast to load), or skops where that cannot hold it."""
    from . import arrayfile

    array_name = f"{name}.model.npz"
    try:
        arrayfile.dump(estimator, directory / array_name, TRUSTED_TYPES)
    except arrayfile.UnsupportedObject:
        import skops.io as sio  # imported here: it costs seconds, and most estimators never need it

        (directory / array_name).unlink(missing_ok=True)
        sio.dump(estimator, directory / f"{name}.skops", compression=8)
        return f"{name}.skops"
    (directory / f"{name}.skops").unlink(missing_ok=True)  # a retrained model leaves no stale file
    return array_name

