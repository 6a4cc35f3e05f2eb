#!/usr/bin/env python
"""Rebuild everything under data/ that comes from public wheels.

Reproducible from PyPI alone (no ChEMBL access needed):

* ``data/chembl_bundled.csv``: ChEMBL-derived Ki/EC50 sets for the panel targets that
  MoleculeACE 3.0.0 covers, standardised with screenkit's own standardiser, in the
  dataset schema that ``screenkit fetch`` also writes.
* ``data/putative_inactive_pool.csv.gz``: ZINC lead-like compounds (MOSES training
  split, from the ``molsets`` wheel) from which training draws putative inactives.
* ``data/examples/example_library.sdf`` and ``positive_controls.csv``: a screening
  library of ZINC lead-like compounds (MOSES *test* split, disjoint from the pool)
  mixed with known actives held out of the bundled models by cluster: training drops
  every compound at Tanimoto >= 0.5 to any control (``screenkit train --holdout``).
* ``data/README.md``: provenance, licences and per-target counts.

Usage::

    python scripts/build_bundled_data.py            # downloads the two wheels with pip
    python scripts/build_bundled_data.py --wheel-dir /tmp/wheels
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import AllChem

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.chem.similarity import tanimoto_max  # noqa: E402
from screenkit.chem.standardize import standardize_smiles  # noqa: E402
from screenkit.config import load_panel  # noqa: E402
from screenkit.curation.dataset import DATASET_COLUMNS  # noqa: E402
from screenkit.model.problem import ad_fingerprints  # noqa: E402
from screenkit.model.split import murcko_scaffold  # noqa: E402

MOLECULEACE = "MoleculeACE==3.0.0"
MOLSETS = "molsets==0.3.1"
SEED = 20261128
POOL_SIZE = 30_000
LIBRARY_SIZE = 2_000
CONTROLS_PER_SET = 5
HOLDOUT_SIMILARITY = 0.5  # training drops every compound at Tanimoto >= this to a control (any model)
MAX_NEIGHBOURS = 10  # a control may cost at most this many training compounds (over all sets)


def fetch_wheels(wheel_dir: Path) -> tuple[Path, Path]:
    """Find or ``pip download`` the two wheels; return their paths."""
    def find(prefix):
        hits = sorted(wheel_dir.glob(f"{prefix}*.whl"))
        return hits[0] if hits else None

    if find("MoleculeACE-3.0.0") is None or find("molsets-0.3.1") is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheel_dir),
                        MOLECULEACE, MOLSETS], check=True)
    return find("MoleculeACE-3.0.0"), find("molsets-0.3.1")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_activity_table(mace_wheel: Path, panel) -> tuple[pd.DataFrame, list[dict]]:
    rows, log = [], []
    with zipfile.ZipFile(mace_wheel) as wheel:
        for target in panel.targets:
            for activity_type in target.bundled_data:
                member = f"MoleculeACE/Data/benchmark_data/{target.chembl_id}_{activity_type}.csv"
                raw = pd.read_csv(io.BytesIO(wheel.read(member)))
                counts = {"file": Path(member).name, "records": len(raw), "errors": 0}
                for smiles, y in zip(raw["smiles"], raw["y"]):
                    result = standardize_smiles(smiles)
                    if result.mol is None:
                        counts["errors"] += 1
                        continue
                    rows.append({
                        "target_chembl_id": target.chembl_id, "gene": target.gene,
                        "activity_type": activity_type, "smiles": result.smiles,
                        "inchikey": Chem.MolToInchiKey(result.mol),
                        "pactivity": 9.0 + float(y), "input_smiles": smiles,
                        "curation_note": result.reason,
                        "source": f"MoleculeACE 3.0.0 {Path(member).name} (ChEMBL-derived)",
                    })
                log.append(counts)
    table = pd.DataFrame(rows)
    # MoleculeACE rows are unique SMILES; standardisation can merge a few (salts, charges).
    key = ["target_chembl_id", "activity_type", "inchikey"]
    grouped = table.groupby(key, sort=False)
    out = grouped.agg(
        gene=("gene", "first"), smiles=("smiles", "first"), pactivity=("pactivity", "median"),
        pactivity_min=("pactivity", "min"), pactivity_max=("pactivity", "max"),
        n_measurements=("pactivity", "size"), input_smiles=("input_smiles", ";".join),
        curation_note=("curation_note", lambda s: "; ".join(sorted({x for x in s if x}))),
        source=("source", "first"),
    ).reset_index()
    out["pactivity_spread"] = out["pactivity_max"] - out["pactivity_min"]
    out["relation"] = "="
    for column in ("molecule_chembl_ids", "activity_ids", "assay_chembl_ids", "document_chembl_ids",
                   "document_year"):
        out[column] = ""
    out["pactivity"] = out["pactivity"].round(3)
    out["pactivity_spread"] = out["pactivity_spread"].round(3)
    for entry in log:
        file_rows = out[out["source"].str.contains(entry["file"], regex=False)]
        entry["compounds"] = len(file_rows)
    return out[DATASET_COLUMNS].sort_values(key).reset_index(drop=True), log


def read_moses(molsets_wheel: Path, member: str) -> list[str]:
    with zipfile.ZipFile(molsets_wheel) as wheel:
        text = gzip.decompress(wheel.read(member)).decode()
    return [line.split(",")[0] for line in text.splitlines()[1:] if line]


def standardised_sample(smiles: list[str], n: int, rng, exclude: set[str]) -> list[tuple[str, str]]:
    picked = []
    for i in rng.permutation(len(smiles)):
        result = standardize_smiles(smiles[i])
        if result.mol is None:
            continue
        key = Chem.MolToInchiKey(result.mol)
        if key in exclude:
            continue
        exclude.add(key)
        picked.append((result.smiles, key))
        if len(picked) == n:
            break
    return picked


def pick_controls(table: pd.DataFrame, panel, rng) -> pd.DataFrame:
    """Per bundled set, actives that are new chemistry once their similarity cluster is held out.

    A candidate is an active (pActivity at or above the panel threshold) with at most
    ``MAX_NEIGHBOURS`` other compounds, in *any* bundled set, at Tanimoto >= 0.5 (Morgan r2
    2048), and below 0.5 to every control already chosen. Training removes those
    neighbours (``--holdout``), so no training compound of any model is within 0.5 of a
    control; the cap keeps what that costs the models small.
    """
    fps = ad_fingerprints(table["smiles"])
    keys = table["inchikey"].to_numpy()
    controls, chosen = [], np.zeros((0, fps.shape[1]), dtype=fps.dtype)
    for (chembl_id, activity_type), rows in table.groupby(["target_chembl_id", "activity_type"], sort=False):
        threshold = panel.get(chembl_id).active_threshold
        actives = rows.index[rows["pactivity"] >= threshold].to_numpy()
        picked = 0
        for i in rng.permutation(actives):
            if picked == CONTROLS_PER_SET:
                break
            if len(chosen) and tanimoto_max(fps[[i]], chosen)[0] >= HOLDOUT_SIMILARITY:
                continue
            near = tanimoto_max(fps, fps[[i]])  # similarity of every bundled compound to this one
            neighbours = (near >= HOLDOUT_SIMILARITY) & (keys != keys[i])
            if neighbours.sum() > MAX_NEIGHBOURS:
                continue
            row = table.loc[i]
            others = near < 1.0
            controls.append({"smiles": row["smiles"], "inchikey": row["inchikey"], "target_chembl_id": chembl_id,
                             "gene": row["gene"], "activity_type": activity_type, "pactivity": row["pactivity"],
                             "scaffold": murcko_scaffold(row["smiles"]),
                             "n_training_compounds_held_out": int(neighbours.sum()),
                             "nn_similarity_before_holdout": round(float(near[others].max()), 3)
                             if others.any() else 0.0})
            chosen = np.vstack([chosen, fps[[i]]])
            picked += 1
    return pd.DataFrame(controls)


def write_library(path: Path, library: list[tuple[str, str, str]]) -> None:
    with open(path, "w") as fh:
        writer = Chem.SDWriter(fh)
        for name, smiles, origin in library:
            mol = Chem.MolFromSmiles(smiles)
            AllChem.Compute2DCoords(mol)
            mol.SetProp("_Name", name)
            mol.SetProp("origin", origin)
            writer.write(mol)
        writer.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel-dir", type=Path, help="folder holding (or to receive) the two wheels")
    args = parser.parse_args(argv)
    wheel_dir = args.wheel_dir or Path(tempfile.mkdtemp(prefix="screenkit-wheels-"))
    wheel_dir.mkdir(parents=True, exist_ok=True)
    mace_wheel, molsets_wheel = fetch_wheels(wheel_dir)
    panel = load_panel(ROOT / "data" / "panel.toml")
    rng = np.random.default_rng(SEED)

    table, log = build_activity_table(mace_wheel, panel)
    table.to_csv(ROOT / "data" / "chembl_bundled.csv", index=False)
    print(f"chembl_bundled.csv: {len(table)} rows")

    controls = pick_controls(table, panel, rng)
    examples = ROOT / "data" / "examples"
    examples.mkdir(exist_ok=True)

    measured = set(table["inchikey"])
    pool = standardised_sample(read_moses(molsets_wheel, "moses/dataset/data/train.csv.gz"), POOL_SIZE, rng,
                               set(measured))
    with gzip.open(ROOT / "data" / "putative_inactive_pool.csv.gz", "wt", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["smiles", "inchikey", "source"])
        writer.writerows((s, k, "MOSES train split (ZINC lead-like), molsets 0.3.1") for s, k in pool)
    print(f"putative_inactive_pool.csv.gz: {len(pool)} compounds")

    screening = standardised_sample(read_moses(molsets_wheel, "moses/dataset/data/test.csv.gz"), LIBRARY_SIZE,
                                    rng, set(measured) | {k for _, k in pool})
    entries = [(s, "ZINC lead-like (MOSES test split, molsets 0.3.1)") for s, _ in screening]
    entries += [(row.smiles, f"ChEMBL-derived positive control: {row.gene} {row.activity_type} "
                 f"pActivity {row.pactivity:.2f} (MoleculeACE 3.0.0)") for row in controls.itertuples()]
    order = rng.permutation(len(entries))
    library = [(f"SKX{n + 1:05d}", *entries[i]) for n, i in enumerate(order)]
    names = {smiles: name for name, smiles, _ in library}
    controls.insert(0, "name", [names[s] for s in controls["smiles"]])
    controls.to_csv(examples / "positive_controls.csv", index=False)
    write_library(examples / "example_library.sdf", library)
    print(f"example_library.sdf: {len(library)} records, {len(controls)} positive controls")

    write_readme(table, log, controls, pool, library, mace_wheel, molsets_wheel)
    return 0


def write_readme(table, log, controls, pool, library, mace_wheel, molsets_wheel) -> None:
    counts = table.groupby(["target_chembl_id", "gene", "activity_type"], sort=False).agg(
        compounds=("inchikey", "size"), median_pactivity=("pactivity", "median")).reset_index()
    held = controls.groupby(["target_chembl_id", "activity_type"])["n_training_compounds_held_out"].sum()
    lines = ["| target | gene | type | MoleculeACE rows | failed standardisation | compounds | median pActivity | positive controls (neighbours held out) |",
             "|---|---|---|---:|---:|---:|---:|---|"]
    by_file = {entry["file"]: entry for entry in log}
    for row in counts.itertuples():
        entry = by_file[f"{row.target_chembl_id}_{row.activity_type}.csv"]
        n_controls = int(((controls["target_chembl_id"] == row.target_chembl_id)
                          & (controls["activity_type"] == row.activity_type)).sum())
        lines.append(f"| {row.target_chembl_id} | {row.gene} | {row.activity_type} | {entry['records']} | "
                     f"{entry['errors']} | {row.compounds} | {row.median_pactivity:.2f} | {n_controls} "
                     f"({held.get((row.target_chembl_id, row.activity_type), 0)}) |")
    text = README_TEMPLATE.format(
        date=date.today().isoformat(), table="\n".join(lines), n_rows=len(table),
        mace_sha=sha256(mace_wheel), molsets_sha=sha256(molsets_wheel), n_pool=len(pool),
        n_library=len(library), n_controls=len(controls), n_zinc=len(library) - len(controls),
        seed=SEED,
    )
    (ROOT / "data" / "README.md").write_text(text)


README_TEMPLATE = """# screenkit bundled data

Everything here except `panel.toml`, `tyk2/` and `bbb/` is written by `python scripts/build_bundled_data.py`
(last run {date}, seed {seed}); rerunning it reproduces the files byte for byte from two
PyPI wheels. Nothing here was fetched from ChEMBL directly.

| file | what it is |
|---|---|
| `panel.toml` | the leukodystrophy target panel (31 targets, 12 in the default panel): ChEMBL ID, gene, UniProt, family, category, desired modality, activity types, active threshold and the literature reason for it (`threshold_reason`), rationale, literature. Hand-curated from `shared/docs/target_panel.yaml`; TYK2 added and thresholds revisited 2026-12-03. |
| `tyk2/` | TYK2 (CHEMBL3553): 3,123 curated rows from a 5,593-record ChEMBL website export, with ChEMBL molecule, assay and document IDs, document years and modality; written by `python scripts/build_tyk2_data.py`, provenance and licence (CC BY-SA 3.0) in `tyk2/README.md` |
| `chembl_bundled.csv` | {n_rows} curated measurements (one row per standardised compound, target and activity type) |
| `putative_inactive_pool.csv.gz` | {n_pool} ZINC lead-like compounds from which training draws putative inactives |
| `examples/example_library.sdf` | {n_library}-compound example screening library ({n_zinc} ZINC lead-like + {n_controls} positive controls) |
| `examples/positive_controls.csv` | which library compounds are the positive controls, their target and measured pActivity |

## chembl_bundled.csv

**Source.** The benchmark CSVs in the `MoleculeACE` 3.0.0 wheel
(`MoleculeACE/Data/benchmark_data/CHEMBL<target>_<type>.csv`; wheel sha256 `{mace_sha}`;
van Tilborg, Alenicheva & Grisoni 2022, *J Chem Inf Model* 62:5938). MoleculeACE pulled these
from ChEMBL (release ~29) with the web client, kept one activity type and `=` relations, dropped
records with a data-validity comment, and averaged replicates per SMILES. The wheel gives no
ChEMBL molecule, activity or document IDs, so those columns are empty here; `screenkit fetch`
fills them for data pulled from ChEMBL itself.

**Licence.** ChEMBL data are CC BY-SA 3.0 (Gaulton et al. 2017, *Nucleic Acids Res* 45:D945;
https://www.ebi.ac.uk/chembl/): this derived table is shared under the same licence, with
attribution to ChEMBL and to MoleculeACE (MIT-licensed code).

**Processing.** pActivity = 9 + `y` (MoleculeACE's `y` is -log10 of the value in nM). Each
SMILES was standardised with `screenkit.chem.standardize` (RDKit MolStandardize: cleanup, salt and
solvent removal, largest organic fragment, neutralisation) and keyed by InChIKey; compounds that
became identical were merged with the median pActivity (`n_measurements`, `pactivity_spread`).

**Schema** (shared with `screenkit fetch`): `target_chembl_id, gene, activity_type, smiles,
inchikey, pactivity, pactivity_spread, n_measurements, relation, molecule_chembl_ids,
activity_ids, assay_chembl_ids, document_chembl_ids, document_year, source, input_smiles,
curation_note`. List-valued ID columns are `;`-joined.

{table}

## putative_inactive_pool.csv.gz and examples/

**Source.** The MOSES benchmark sets in the `molsets` 0.3.1 wheel (sha256 `{molsets_sha}`;
Polykovskiy et al. 2020, *Front Pharmacol* 11:565644), a filtered subset of ZINC Clean
Leads (Sterling & Irwin 2015, *J Chem Inf Model* 55:2324; ZINC is free to use). MOSES code
and data are MIT-licensed. The pool comes from the MOSES *train* split and the example library's
screening compounds from the *test* split, so they never overlap; neither contains a compound of
`chembl_bundled.csv` (same InChIKey).

**Positive controls.** For each bundled set, {per_set} actives (pActivity at or above the
target's panel threshold) were chosen at random among those with at most {max_nb} other compounds
(in any bundled set) at Tanimoto >= {sim} (Morgan r2, 2048 bits), no two controls within {sim} of
each other. `screenkit train --holdout data/examples/positive_controls.csv` removes every compound
at Tanimoto >= {sim} to any control from every model's training data, so no training compound of
any bundled model is that close to a control: they are new chemistry to the models, not homologues
of training compounds (`nn_similarity_before_holdout` is each control's nearest neighbour in the
whole table before that removal). The SD property `origin` says which records are controls.
""".replace("{per_set}", str(CONTROLS_PER_SET)).replace("{max_nb}", str(MAX_NEIGHBOURS)).replace(
    "{sim}", str(HOLDOUT_SIMILARITY))

if __name__ == "__main__":
    raise SystemExit(main())
