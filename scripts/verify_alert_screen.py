"""Prove that screenkit's screened alerts and QED equal RDKit's own functions, molecule by molecule.

For every molecule it compares, as the scoring path computes them on the standardised parent,

* the alert names of ``FilterCatalog.GetMatches`` (each family of ``--families``) with
  :meth:`screenkit.chem.alertscreen.AlertPanel.match`, and
* ``rdkit.Chem.QED.properties`` (all eight fields, hence ``QED.qed``) with
  :func:`screenkit.chem.alertscreen.fast_qed_properties`,

and prints the number of molecules and of differences per source; it exits 1 on any
difference. Sources: the bundled ChEMBL-derived data, the example library, and ZINC
lead-like SMILES from the ``molsets`` wheel (all 1.9M with ``--zinc all``)::

    python scripts/verify_alert_screen.py --zinc 200000 --n-jobs 2
    python scripts/verify_alert_screen.py --zinc all --n-jobs 2 --families PAINS_A,PAINS_B,PAINS_C,Brenk,NIH
    python scripts/verify_alert_screen.py --zinc all --checkpoint proof.jsonl   # resumable

With ``--checkpoint`` every finished chunk is appended to a JSON-lines file and a rerun skips the
chunks already there, so a run of hours survives being stopped; ``--shard i/n`` checks only every
n-th chunk starting at i (for splitting the work over sessions or machines).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from joblib import Parallel, delayed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MOLSETS = "molsets==0.3.1"
CHUNK = 2000


def read_checkpoint(path: Path | None) -> dict[tuple[str, int], list]:
    """Finished chunks, keyed by (source, first index), from a previous run's checkpoint file."""
    if path is None or not path.exists():
        return {}
    done = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            done[(row["source"], row["start"])] = row["result"]
    return done


def zinc_smiles(limit: int | None, wheel_dir: Path) -> list[str]:
    """SMILES of the MOSES dataset (train + test + scaffold test splits) from the molsets wheel."""
    wheels = sorted(wheel_dir.glob("molsets-0.3.1*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheel_dir), MOLSETS],
                       check=True)
        wheels = sorted(wheel_dir.glob("molsets-0.3.1*.whl"))
    out: list[str] = []
    with zipfile.ZipFile(wheels[0]) as wheel:
        for member in sorted(n for n in wheel.namelist() if n.endswith(".csv.gz")):
            with gzip.open(io.BytesIO(wheel.read(member)), "rt") as handle:
                next(handle)
                out += [line.split(",")[0] for line in handle]
    return out if limit is None else out[:limit]


def compare_chunk(smiles: list[str], families: tuple[str, ...]) -> tuple[int, int, list[str]]:
    """(molecules compared, differences, the first few differing SMILES) for one chunk."""
    from rdkit import RDLogger
    from rdkit.Chem import QED

    from screenkit.chem.alertscreen import alert_catalog, alert_panel, fast_qed_properties
    from screenkit.chem.standardize import standardize_smiles

    RDLogger.DisableLog("rdApp.*")
    panel = alert_panel(families, qed_alerts=True)
    compared, differing, examples = 0, 0, []
    for text in smiles:
        mol = standardize_smiles(text).mol
        if mol is None:
            continue
        compared += 1
        reference = sorted((f, e.GetDescription()) for f in families for e in alert_catalog(f).GetMatches(mol))
        try:
            reference_qed = QED.properties(mol)
        except Exception as error:  # noqa: BLE001 - RDKit's own failure must be reproduced, not hidden
            reference_qed = type(error).__name__
        names, qed_alerts = panel.match(mol)
        try:
            fast_qed = fast_qed_properties(mol, qed_alerts)
        except Exception as error:  # noqa: BLE001
            fast_qed = type(error).__name__
        if sorted(names) != reference or fast_qed != reference_qed:
            differing += 1
            if len(examples) < 5:
                examples.append(text)
    return compared, differing, examples


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zinc", default="20000", help="number of ZINC SMILES, or 'all' (1.9M)")
    parser.add_argument("--families", default="PAINS_A,PAINS_B,Brenk")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--wheel-dir", type=Path, default=Path(tempfile.gettempdir()) / "screenkit-wheels")
    parser.add_argument("--checkpoint", type=Path, help="JSON-lines file of finished chunks (resume)")
    parser.add_argument("--shard", default="0/1", help="i/n: check only chunks i, i+n, i+2n, ...")
    args = parser.parse_args(argv)
    families = tuple(args.families.split(","))
    args.wheel_dir.mkdir(parents=True, exist_ok=True)

    import pandas as pd
    from rdkit import Chem

    sources = {
        "bundled ChEMBL data": pd.read_csv(ROOT / "data" / "chembl_bundled.csv")["smiles"].unique().tolist(),
        "example library": [Chem.MolToSmiles(m) for m in Chem.SDMolSupplier(
            str(ROOT / "data" / "examples" / "example_library.sdf")) if m is not None],
        "ZINC lead-like (MOSES)": zinc_smiles(None if args.zinc == "all" else int(args.zinc), args.wheel_dir),
    }
    done = read_checkpoint(args.checkpoint)
    shard, shards = (int(x) for x in args.shard.split("/"))
    failed = False
    for name, smiles in sources.items():
        start = time.perf_counter()
        chunks = [(name, i) for i in range(0, len(smiles), CHUNK) if (i // CHUNK) % shards == shard]
        todo = [key for key in chunks if key not in done]
        batch = max(args.n_jobs, 1) * 4
        for offset in range(0, len(todo), batch):
            keys = todo[offset:offset + batch]
            results = Parallel(n_jobs=args.n_jobs)(
                delayed(compare_chunk)(smiles[i:i + CHUNK], families) for _, i in keys)
            for key, result in zip(keys, results):
                done[key] = result
                if args.checkpoint:
                    with args.checkpoint.open("a") as handle:
                        handle.write(json.dumps({"source": key[0], "start": key[1], "result": result,
                                                 "seconds": round(time.perf_counter() - start, 1)}) + "\n")
        results = [done[key] for key in chunks]
        compared = sum(r[0] for r in results)
        differing = sum(r[1] for r in results)
        examples = [e for r in results for e in r[2]][:5]
        print(f"{name}: {compared} molecules, {differing} differences "
              f"({time.perf_counter() - start:.0f} s this run, {len(chunks) - len(todo)} of {len(chunks)} chunks "
              f"from the checkpoint){'; e.g. ' + ' '.join(examples) if examples else ''}", flush=True)
        failed |= differing > 0
    print(f"families: {', '.join(families)} and QED's 116 alerts")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
