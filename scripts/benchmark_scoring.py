#!/usr/bin/env python
"""Benchmark `screenkit score` against the naive script and the parse-fingerprint-predict floor.

Builds realistic SDF libraries (ZINC lead-like SMILES from the MOSES training split in the
`molsets` wheel, 2D coordinates) of 10k, 100k and 1M molecules once into a cache folder,
then measures, one configuration at a time on this machine, molecules per second and peak
resident memory of the whole process tree (main process plus workers):

* screenkit: `screenkit score LIB -o OUT.csv --n-jobs N --profile activity` with the bundled
  models (standardisation, the models, applicability domain, checkpointed ranking; the same
  model work as the floor plus what screenkit adds), and once with the default leukodystrophy
  profile, which adds CNS properties, QED and structural alerts;
* naive: what a user would write without screenkit: PandasTools.LoadSDF of the whole file,
  one fingerprint per row, stack, scikit-learn's predict_proba per model (the same fitted
  forests), sort, write CSV (1 process);
* floor: a tight loop that only parses, fingerprints and runs the same models, with no
  I/O beyond reading (N processes, each taking every N-th chunk of the file). It runs the
  models the way screenkit does (screenkit.model.estimators.forest_class_proba, bit-identical to
  scikit-learn and about twice as fast), so it is the strictest floor; ``floor-sklearn``
  is the same loop with scikit-learn's own predict_proba.

    pip install '.[bench]'
    python scripts/benchmark_scoring.py                        # all sizes (about an hour on 2 cores)
    python scripts/benchmark_scoring.py --sizes 10000,100000 --skip naive
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1000  # the same chunk size as screenkit score's default


# --------------------------------------------------------------------- libraries
def build_libraries(cache: Path, sizes: list[int], wheel_dir: Path) -> dict[int, Path]:
    """SDF files of the first N MOSES training SMILES with 2D coordinates (cached)."""
    from joblib import Parallel, delayed

    cache.mkdir(parents=True, exist_ok=True)
    largest = cache / f"zinc_leadlike_{max(sizes)}.sdf"
    if not largest.exists():
        wheel = next(wheel_dir.glob("molsets-0.3.1*.whl"), None)
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheel_dir),
                            "molsets==0.3.1"], check=True)
            wheel = next(wheel_dir.glob("molsets-0.3.1*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            lines = gzip.decompress(zf.read("moses/dataset/data/train.csv.gz")).decode().splitlines()[1:]
        smiles = [line.split(",")[0] for line in lines[: max(sizes)]]
        print(f"writing {largest} ({len(smiles)} molecules, 2D coordinates)...", flush=True)
        blocks = Parallel(n_jobs=-1, batch_size=2000)(
            delayed(_molblocks)(smiles[i:i + 5000], i) for i in range(0, len(smiles), 5000))
        tmp = largest.with_suffix(".tmp")
        with open(tmp, "w") as fh:
            for block in blocks:
                fh.write(block)
        tmp.rename(largest)
    paths = {}
    for size in sizes:
        path = cache / f"zinc_leadlike_{size}.sdf"
        if not path.exists():
            with open(largest) as src, open(path, "w") as dst:
                count = 0
                for line in src:
                    dst.write(line)
                    if line.startswith("$$$$"):
                        count += 1
                        if count == size:
                            break
        paths[size] = path
    return paths


def _molblocks(smiles: list[str], offset: int) -> str:
    from rdkit import Chem
    from rdkit.Chem import AllChem

    out = []
    for i, smi in enumerate(smiles):
        mol = Chem.MolFromSmiles(smi)
        AllChem.Compute2DCoords(mol)
        mol.SetProp("_Name", f"ZINC-LL-{offset + i + 1:07d}")
        out.append(Chem.MolToMolBlock(mol) + ">  <source>\nMOSES train\n\n$$$$\n")
    return "".join(out)


# --------------------------------------------------------------------- measurement
def run_measured(command: list[str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak summed RSS in MB of it and its children)."""
    import psutil

    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    stop = threading.Event()

    def sample():
        nonlocal peak
        parent = psutil.Process(process.pid)
        while not stop.is_set():
            try:
                procs = [parent] + parent.children(recursive=True)
                rss = sum(p.memory_info().rss for p in procs if p.is_running())
                peak = max(peak, rss / 1e6)
            except psutil.Error:
                pass
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    stop.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{err.decode()[-2000:]}")
    return time.perf_counter() - started, peak


# --------------------------------------------------------------------- the naive script
def naive(library: str, output: str) -> None:
    import numpy as np
    from rdkit.Chem import PandasTools, rdFingerprintGenerator

    sys.path.insert(0, str(ROOT))
    from screenkit.config import bundled_path
    from screenkit.model.bundle import load_bundle

    frame = PandasTools.LoadSDF(library, molColName="mol", idName="id")
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    frame["fp"] = [generator.GetFingerprintAsNumPy(m) if m is not None else np.zeros(2048, np.uint8)
                   for m in frame["mol"]]
    X = np.stack(frame["fp"].to_list())
    for model in load_bundle(bundled_path("models")):
        forest = model.estimator.estimator  # the fitted scikit-learn forest inside screenkit's wrapper
        frame[model.name] = forest.predict_proba(X)[:, 1]
    names = [c for c in frame.columns if c.endswith(("_Ki", "_EC50"))]
    frame["score"] = frame[names].max(axis=1)
    frame.sort_values("score", ascending=False)[["id", "score", *names]].to_csv(output, index=False)


# --------------------------------------------------------------------- the floor
def floor(library: str, n_jobs: int, stock: bool = False) -> None:
    from joblib import Parallel, delayed

    Parallel(n_jobs=n_jobs)(delayed(_floor_worker)(library, k, n_jobs, stock) for k in range(n_jobs))


def _floor_worker(library: str, k: int, n_jobs: int, stock: bool) -> int:
    import numpy as np
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator

    sys.path.insert(0, str(ROOT))
    from screenkit.config import bundled_path
    from screenkit.model.bundle import load_bundle

    models = load_bundle(bundled_path("models"))
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    done, batch, index = 0, [], 0
    block: list[str] = []

    def predict(batch):
        X = np.stack(batch)
        for model in models:
            (model.estimator.estimator if stock else model.estimator).predict_proba(X)

    with open(library) as fh:
        for line in fh:
            block.append(line)
            if not line.startswith("$$$$"):
                continue
            if (index // CHUNK) % n_jobs == k:  # this worker's share, in whole chunks
                mol = Chem.MolFromMolBlock("".join(block))
                if mol is not None:
                    batch.append(generator.GetFingerprintAsNumPy(mol))
                if len(batch) == CHUNK:
                    predict(batch)
                    done += len(batch)
                    batch = []
            block, index = [], index + 1
    if batch:
        predict(batch)
        done += len(batch)
    return done


# --------------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--jobs", default="1,2", help="worker counts for screenkit and the floor")
    parser.add_argument("--skip", default="", help="comma-separated: screenkit, profile, naive, floor, floor-sklearn")
    parser.add_argument("--naive-max", type=int, default=100_000,
                        help="largest size for the naive script (it holds the whole library in memory)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "screenkit-bench")
    parser.add_argument("--naive-run", nargs=2, metavar=("LIB", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--floor-run", nargs=3, metavar=("LIB", "JOBS", "STOCK"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.naive_run:
        naive(*args.naive_run)
        return 0
    if args.floor_run:
        floor(args.floor_run[0], int(args.floor_run[1]), args.floor_run[2] == "stock")
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [int(j) for j in args.jobs.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    libraries = build_libraries(args.cache, sizes, args.cache)
    out = args.cache / "out"
    out.mkdir(exist_ok=True)
    me = [sys.executable, str(Path(__file__).resolve())]
    results = []

    def record(size, what, n_jobs, command):
        seconds, peak = run_measured(command)
        results.append({"size": size, "what": what, "jobs": n_jobs, "seconds": seconds,
                        "mol_per_s": size / seconds, "peak_mb": peak})
        print(f"{size:>9,} {what:<13} jobs={n_jobs}  {size / seconds:8.0f} mol/s  {peak:8.0f} MB peak  "
              f"{seconds:7.1f} s", flush=True)

    for size in sizes:
        lib = str(libraries[size])
        for n_jobs in jobs:
            if "screenkit" not in skip:
                record(size, "screenkit", n_jobs, [sys.executable, "-m", "screenkit", "score", lib, "-o",
                                                   str(out / f"sk_{size}_{n_jobs}.csv"), "--n-jobs", str(n_jobs),
                                                   "--profile", "activity"])
            if "profile" not in skip and n_jobs == max(jobs):
                record(size, "sk+profile", n_jobs, [sys.executable, "-m", "screenkit", "score", lib, "-o",
                                                    str(out / f"skp_{size}_{n_jobs}.csv"), "--n-jobs", str(n_jobs)])
            if "floor" not in skip:
                record(size, "floor", n_jobs, me + ["--floor-run", lib, str(n_jobs), "screenkit"])
            if "floor-sklearn" not in skip:
                record(size, "floor-sklearn", n_jobs, me + ["--floor-run", lib, str(n_jobs), "stock"])
        if "naive" not in skip and size <= args.naive_max:
            record(size, "naive", 1, me + ["--naive-run", lib, str(out / f"naive_{size}.csv")])

    print("\n| molecules | workers | screenkit mol/s | peak MB | floor mol/s | screenkit/floor "
          "| floor, stock scikit-learn mol/s | naive mol/s (1 process) | naive peak MB | screenkit/naive "
          "| with leukodystrophy profile mol/s | peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    get = {(r["size"], r["what"], r["jobs"]): r for r in results}

    def rate(r):
        return f"{r['mol_per_s']:.0f}" if r else "-"

    def peak(r):
        return f"{r['peak_mb']:.0f}" if r else "-"

    for size in sizes:
        for n_jobs in jobs:
            sk, fl, stock = (get.get((size, what, n_jobs)) for what in ("screenkit", "floor", "floor-sklearn"))
            nv, pr = get.get((size, "naive", 1)), get.get((size, "sk+profile", n_jobs))
            cells = [f"{size:,}", str(n_jobs), rate(sk), peak(sk), rate(fl),
                     f"{sk['mol_per_s'] / fl['mol_per_s']:.0%}" if sk and fl else "-", rate(stock),
                     rate(nv) if nv else "not run", peak(nv),
                     f"{sk['mol_per_s'] / nv['mol_per_s']:.1f}x" if sk and nv else "-", rate(pr), peak(pr)]
            print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
