"""A bundle's manifest: which files each model has and the sha256 of every one.

``manifest.json`` names, per model, its files by role (estimator, training set, card JSON and
Markdown, extra files such as plots) and holds one sha256 per file. It is read with shape
checks, so later lookups may index it without guarding, and written whole.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ModelBundleError
from ..hashing import file_sha256

__all__ = ["MANIFEST", "BUNDLE_FORMAT", "FILE_ROLES", "bundle_digest", "read_manifest", "write_manifest", "damaged"]

MANIFEST = "manifest.json"
BUNDLE_FORMAT = "screenkit-model-bundle/1"
FILE_ROLES = ("estimator", "training_set", "card_json", "card_markdown")


def bundle_digest(directory: str | Path) -> str:
    """sha256 of the manifest: one value that changes whenever any model file does."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise ModelBundleError(f"{directory} is not a screenkit model folder (no {MANIFEST}); "
                               "train one with `screenkit train` or omit --models to use the bundled models")
    return file_sha256(path)

def damaged(path: Path, what: str) -> ModelBundleError:
    return ModelBundleError(f"{path} is not a valid screenkit model folder: {what}; retrain it with "
                            "`screenkit train`, or restore the folder")


def read_manifest(directory: Path) -> dict:
    """The manifest, checked for shape: every later lookup may then index it without guarding."""
    path = directory / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelBundleError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise damaged(directory, f"{MANIFEST} is not a JSON object")
    if manifest.get("format") != BUNDLE_FORMAT:
        raise ModelBundleError(f"{path} has format {manifest.get('format')!r}; this screenkit reads {BUNDLE_FORMAT!r}")
    entries, hashes = manifest.get("models"), manifest.get("sha256")
    if not isinstance(entries, list) or not entries:
        raise damaged(directory, f"{MANIFEST} lists no models")
    if not isinstance(hashes, dict):
        raise damaged(directory, f"{MANIFEST} has no sha256 table")
    root = directory.resolve()
    seen = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise damaged(directory, f"model entry {i + 1} in {MANIFEST} has no name")
        files = entry.get("files")
        if not isinstance(files, dict) or any(not isinstance(files.get(role), str) for role in FILE_ROLES):
            raise damaged(directory, f"model {entry['name']!r} in {MANIFEST} does not name its "
                                      f"{', '.join(FILE_ROLES)} files")
        if entry["name"] in seen:
            raise damaged(directory, f"model {entry['name']!r} appears twice in {MANIFEST}")
        seen.add(entry["name"])
        for name in files.values():
            target = (directory / name).resolve()
            if Path(name).is_absolute() or target.parent != root:
                raise ModelBundleError(f"{path} names the file {name!r}, which is outside the model folder; "
                                       "refusing to read it")
    return manifest

def write_manifest(directory: Path, entries: list[dict]) -> None:
    hashes = {name: file_sha256(directory / name) for e in entries for name in e["files"].values()}
    manifest = {"format": BUNDLE_FORMAT, "models": sorted(entries, key=lambda e: e["name"]),
                "sha256": dict(sorted(hashes.items()))}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")

