#!/usr/bin/env python
"""Benchmark `screenkit score` against its floors, as issue 16's targets, from paired interleaved runs.

Builds realistic SDF libraries (ZINC lead-like SMILES from the MOSES training split in the
`molsets` wheel, 2D coordinates) of the requested sizes once into a cache folder, then runs
every configuration once per round, the order rotating from round to round, so that each
ratio compares runs made minutes apart under the same load (the 1-minute load average is
printed beside every figure; on a shared machine the CPU time per molecule of the whole
process tree is the fairer figure). Configurations:

* ``default``: ``screenkit score LIB -o OUT.csv --n-jobs N`` with the default leukodystrophy
  profile (standardisation, CNS properties, QED, alerts, the models, applicability domain,
  ranking, output);
* ``property-floor``: a tight loop computing the same columns with stock RDKit calls and no
  standardisation, ranking or output: parse, ``QED.qed``, ``FilterCatalog.GetMatches`` for
  the profile's families, the descriptors of the property columns (MolWt, MolLogP, TPSA,
  HBD, HBA, rotatable bonds, aromatic rings, ``SpacialScore.SPS``, screenkit's ionisation),
  every model's features and its forest (N processes, each taking every N-th chunk);
* ``activity``: ``--profile activity`` (no property columns);
* ``floor``: parse, every model's features, its forest: the parse-fingerprint-predict floor;
* ``naive`` (optional): the single-process pandas script a user would write.

The floors run the forests the way screenkit does (screenkit.model.estimators.forest_class_proba,
bit-identical to scikit-learn's predict_proba), so they are the strictest floors.

Targets printed at the end: default >= 1,500 mol/s with 2 workers and >= 1.0x the property
floor; activity >= 80 % of the floor; first scored chunk <= 2 s after start (read from
screenkit's progress bar: the time its count first passes 0); peak memory <= 1.6 GB at every
size. ``--startup`` also times one worker's start (imports, bundle load and verification).

    pip install '.[bench]'
    python scripts/benchmark_scoring.py --sizes 100000 --jobs 2 --rounds 2
    python scripts/benchmark_scoring.py --sizes 100000,1000000 --configs default   # memory, 100k vs 1M
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 1000  # the same chunk size as screenkit score's default
TARGETS = {"default_mol_per_s": 1500, "default_vs_property_floor": 1.0, "activity_vs_floor": 0.8,
           "first_chunk_s": 2.0, "peak_mb": 1600}
ALERT_FAMILIES = ("PAINS_A", "PAINS_B", "Brenk")  # the default profile's


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
        blocks = Parallel(n_jobs=1)(  # one core: the machine is shared while building
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
_PROGRESS = re.compile(rb"(\d+) mol")


def run_measured(command: list[str]) -> dict:
    """Run a command; wall seconds, CPU seconds and peak summed RSS and PSS (MB) of it and its children.

    RSS counts the shared libraries (RDKit, NumPy, scikit-learn: about 0.2 GB) once per process;
    PSS (proportional set size, from ``/proc/PID/smaps``, sampled every 0.5 s) shares them out, so
    its sum is what the process tree takes from the machine.

    CPU time is the larger of what the process tree reported on exit (getrusage of reaped
    children) and the sum of the last CPU times sampled per process (workers that are not
    reaped by their parent). ``first_progress_s`` is when screenkit's progress bar first
    showed a count above zero (None for commands without one).
    """
    import resource

    import psutil

    load_before = os.getloadavg()[0]
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, peak_pss, cpu_seen, first = 0.0, 0.0, {}, [None]
    stop = threading.Event()
    errors = bytearray()

    def sample():
        nonlocal peak, peak_pss
        parent = psutil.Process(process.pid)
        tick = 0
        while not stop.is_set():
            try:
                procs = [parent] + parent.children(recursive=True)
                rss = pss = 0
                for proc in procs:
                    with proc.oneshot():
                        rss += proc.memory_info().rss
                        if tick % 5 == 0:
                            pss += proc.memory_full_info().pss
                        times = proc.cpu_times()
                        cpu_seen[proc.pid] = times.user + times.system
                peak = max(peak, rss / 1e6)
                peak_pss = max(peak_pss, pss / 1e6)
            except psutil.Error:
                pass
            tick += 1
            time.sleep(0.1)

    def read_errors():
        while chunk := process.stderr.read1(4096):
            errors.extend(chunk)
            if first[0] is None and any(int(n) > 0 for n in _PROGRESS.findall(chunk)):
                first[0] = time.perf_counter() - started

    threads = [threading.Thread(target=sample, daemon=True), threading.Thread(target=read_errors, daemon=True)]
    for thread in threads:
        thread.start()
    process.wait()
    seconds = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{errors.decode(errors='replace')[-2000:]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (children.ru_utime - children_before.ru_utime) + (children.ru_stime - children_before.ru_stime)
    return {"seconds": seconds, "peak_mb": peak, "peak_pss_mb": peak_pss, "cpu_s": max(reaped, sum(cpu_seen.values())),
            "first_progress_s": first[0], "load_before": load_before, "load_after": os.getloadavg()[0]}


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


# --------------------------------------------------------------------- the floors
def floor(library: str, n_jobs: int, kind: str) -> None:
    from joblib import Parallel, delayed

    Parallel(n_jobs=n_jobs)(delayed(_floor_worker)(library, k, n_jobs, kind) for k in range(n_jobs))


def _floor_worker(library: str, k: int, n_jobs: int, kind: str) -> int:
    """One floor process: every n_jobs-th chunk of the file, parsed and predicted (and propertied)."""

    from rdkit import Chem, RDLogger
    from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, SpacialScore, rdMolDescriptors
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    sys.path.insert(0, str(ROOT))
    from screenkit.chem.ionisation import ionisation
    from screenkit.config import bundled_path
    from screenkit.model.bundle import load_bundle
    from screenkit.screen.score import _features

    RDLogger.DisableLog("rdApp.*")
    models = load_bundle(bundled_path("models"))
    catalogs = []
    for family in ALERT_FAMILIES:
        params = FilterCatalogParams()
        params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, family.upper()))
        catalogs.append(FilterCatalog(params))

    def properties(mol):
        try:
            QED.qed(mol)
        except Exception:  # noqa: BLE001 - screenkit reports NaN for these few valences
            pass
        for catalog in catalogs:
            [entry.GetDescription() for entry in catalog.GetMatches(mol)]
        (Descriptors.MolWt(mol), Crippen.MolLogP(mol), rdMolDescriptors.CalcTPSA(mol), Lipinski.NumHDonors(mol),
         Lipinski.NumHAcceptors(mol), rdMolDescriptors.CalcNumRotatableBonds(mol),
         rdMolDescriptors.CalcNumAromaticRings(mol), SpacialScore.SPS(mol), ionisation(mol))

    def predict(mols):
        # each featurizer and each shared part of a concatenation once, as scoring computes them:
        # the floor must not pay twice for what screenkit computes once
        features: dict = {}
        for model in models:
            model.estimator.predict_proba(_features(model.featurizer, mols, features))

    done, batch, index = 0, [], 0
    block: list[str] = []
    with open(library) as fh:
        for line in fh:
            block.append(line)
            if not line.startswith("$$$$"):
                continue
            if (index // CHUNK) % n_jobs == k:  # this worker's share, in whole chunks
                mol = Chem.MolFromMolBlock("".join(block))
                if mol is not None:
                    if kind == "property":
                        properties(mol)
                    batch.append(mol)
                if len(batch) == CHUNK:
                    predict(batch)
                    done += len(batch)
                    batch = []
            block, index = [], index + 1
    if batch:
        predict(batch)
        done += len(batch)
    return done


def worker_startup() -> dict:
    """Seconds (wall and CPU) one fresh worker spends importing and loading the verified bundle."""
    code = ("import time; t0 = time.perf_counter(); c0 = time.process_time()\n"
            "from screenkit.screen.score import cached_models\n"
            "from screenkit.config import bundled_path\n"
            "t1 = time.perf_counter(); c1 = time.process_time()\n"
            "cached_models(bundled_path('models'))\n"
            "t2 = time.perf_counter(); c2 = time.process_time()\n"
            "print(t1 - t0, c1 - c0, t2 - t1, c2 - c1)")
    load = os.getloadavg()[0]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env=os.environ | {"PYTHONPATH": str(ROOT)}).stdout.split()
    import_wall, import_cpu, load_wall, load_cpu = map(float, out)
    return {"import_wall": import_wall, "import_cpu": import_cpu, "load_wall": load_wall, "load_cpu": load_cpu,
            "load_before": load}


# --------------------------------------------------------------------- main
CONFIGS = ("default", "property-floor", "activity", "floor", "naive")


def command_for(config: str, library: str, size: int, n_jobs: int, out: Path) -> list[str]:
    me = [sys.executable, str(Path(__file__).resolve())]
    score = [sys.executable, "-m", "screenkit", "score", library, "--n-jobs", str(n_jobs), "--progress"]
    return {
        "default": score + ["-o", str(out / f"default_{size}_{n_jobs}.csv")],
        "activity": score + ["-o", str(out / f"activity_{size}_{n_jobs}.csv"), "--profile", "activity"],
        "property-floor": me + ["--floor-run", library, str(n_jobs), "property"],
        "floor": me + ["--floor-run", library, str(n_jobs), "activity"],
        "naive": me + ["--naive-run", library, str(out / f"naive_{size}.csv")],
    }[config]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--jobs", default="2", help="worker counts")
    parser.add_argument("--configs", default="default,property-floor,activity,floor",
                        help=f"comma-separated, from: {', '.join(CONFIGS)}")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (ratios are per round)")
    parser.add_argument("--startup", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "screenkit-bench")
    parser.add_argument("--naive-run", nargs=2, metavar=("LIB", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--floor-run", nargs=3, metavar=("LIB", "JOBS", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.naive_run:
        naive(*args.naive_run)
        return 0
    if args.floor_run:
        floor(args.floor_run[0], int(args.floor_run[1]), args.floor_run[2])
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [int(j) for j in args.jobs.split(",")]
    configs = [c for c in args.configs.split(",") if c]
    unknown = sorted(set(configs) - set(CONFIGS))
    if unknown:
        parser.error(f"unknown configuration(s) {', '.join(unknown)}")
    libraries = build_libraries(args.cache, sizes, args.cache)
    out = args.cache / "out"
    out.mkdir(exist_ok=True)
    print(f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}", flush=True)

    if args.startup:
        for _ in range(args.rounds):
            s = worker_startup()
            print(f"worker start: imports {s['import_wall']:.2f} s wall / {s['import_cpu']:.2f} s CPU, bundle load "
                  f"and verification {s['load_wall']:.2f} s wall / {s['load_cpu']:.2f} s CPU "
                  f"(load {s['load_before']:.1f})", flush=True)

    results: dict[tuple, list[dict]] = {}
    for size in sizes:
        for n_jobs in jobs:
            for round_ in range(args.rounds):
                order = configs[round_ % len(configs):] + configs[:round_ % len(configs)]
                for config in order:
                    if config == "naive" and n_jobs != 1:
                        continue
                    r = run_measured(command_for(config, str(libraries[size]), size, n_jobs, out))
                    r.update(size=size, jobs=n_jobs, config=config, round=round_, mol_per_s=size / r["seconds"],
                             cpu_ms_per_mol=r["cpu_s"] / size * 1000)
                    results.setdefault((size, n_jobs, config), []).append(r)
                    first = f"  first chunk {r['first_progress_s']:.1f} s" if r["first_progress_s"] else ""
                    print(f"{size:>9,} jobs={n_jobs} round {round_ + 1} {config:<15} {r['mol_per_s']:7.0f} mol/s  "
                          f"{r['cpu_ms_per_mol']:6.2f} CPU ms/mol  {r['peak_mb']:6.0f} MB peak RSS "
                          f"({r['peak_pss_mb']:.0f} PSS)  "
                          f"{r['seconds']:7.1f} s{first}  (load {r['load_before']:.1f} -> {r['load_after']:.1f})",
                          flush=True)

    def paired(size, n_jobs, a, b, key):
        """Per-round ratios a/b of ``key`` (runs of the same round, made back to back)."""
        ra, rb = results.get((size, n_jobs, a), []), results.get((size, n_jobs, b), [])
        return [x[key] / y[key] for x, y in zip(ra, rb)]

    print("\n| molecules | workers | configuration | mol/s (median) | CPU ms/mol (median) | peak MB RSS (PSS) | "
          "first chunk s | load avg |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for (size, n_jobs, config), runs in results.items():
        firsts = [r["first_progress_s"] for r in runs if r["first_progress_s"]]
        cells = [f"{size:,}", str(n_jobs), config, f"{statistics.median(r['mol_per_s'] for r in runs):.0f}",
                 f"{statistics.median(r['cpu_ms_per_mol'] for r in runs):.2f}",
                 f"{max(r['peak_mb'] for r in runs):.0f} ({max(r['peak_pss_mb'] for r in runs):.0f})",
                 f"{max(firsts):.1f}" if firsts else "-",
                 ", ".join(f"{r['load_before']:.1f}-{r['load_after']:.1f}" for r in runs)]
        print("| " + " | ".join(cells) + " |")

    print("\ntargets (issue 16), ratios from paired rounds:")
    for size in sizes:
        for n_jobs in jobs:
            default = results.get((size, n_jobs, "default"), [])
            if default:
                rate = statistics.median(r["mol_per_s"] for r in default)
                print(f"  {size:,}, {n_jobs} workers: default {rate:.0f} mol/s = "
                      f"{rate / TARGETS['default_mol_per_s']:.2f}x the 1,500 mol/s target")
                firsts = [r["first_progress_s"] for r in default if r["first_progress_s"]]
                if firsts:
                    print(f"    first scored chunk {max(firsts):.1f} s (target <= {TARGETS['first_chunk_s']:.0f} s)")
            for a, b, target, what in (("default", "property-floor", "default_vs_property_floor", "throughput"),
                                       ("activity", "floor", "activity_vs_floor", "throughput")):
                rates = paired(size, n_jobs, a, b, "mol_per_s")
                cpu = paired(size, n_jobs, b, a, "cpu_ms_per_mol")  # floor CPU / screenkit CPU: higher is better
                if rates:
                    print(f"    {a} / {b}: {', '.join(f'{x:.2f}' for x in rates)} by {what}, "
                          f"{', '.join(f'{x:.2f}' for x in cpu)} by CPU time per molecule "
                          f"(target >= {TARGETS[target]:.2f})")
            mine = [r for config in configs for r in results.get((size, n_jobs, config), [])
                    if config in ("default", "activity")]
            if mine:
                print(f"    peak memory of screenkit {max(r['peak_mb'] for r in mine):.0f} MB summed RSS, "
                      f"{max(r['peak_pss_mb'] for r in mine):.0f} MB summed PSS (target <= {TARGETS['peak_mb']} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
