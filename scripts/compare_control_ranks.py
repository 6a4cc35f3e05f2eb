"""Ranks of the example library's positive controls in two ranked outputs (e.g. before/after a profile change).

    python scripts/compare_control_ranks.py BEFORE.csv AFTER.csv [--controls data/examples/positive_controls.csv]

Prints, per control, its rank in both files, the change, and the CNS columns of the
second file; then how many controls each file puts in the top 1 %, 5 % and 10 %.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ranks(path: str) -> tuple[dict[str, dict], int]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {r["id"]: r for r in rows}, len(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--controls", default=str(ROOT / "data" / "examples" / "positive_controls.csv"))
    args = parser.parse_args(argv)
    with open(args.controls, newline="", encoding="utf-8") as handle:
        controls = list(csv.DictReader(handle))
    before, n = ranks(args.before)
    after, n_after = ranks(args.after)
    print("| control | gene | rank before | rank after | BBB p | CNS MPO | TPSA | HBD | d_cns | reason (after) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for c in sorted(controls, key=lambda c: int(after[c["name"]]["rank"])):
        a, b = after[c["name"]], before[c["name"]]
        print(f"| {c['name']} | {c['gene']} | {b['rank']} | {a['rank']} | {float(a.get('BBB_B3DB_p_active') or 'nan'):.2f} "
              f"| {a['cns_mpo']} | {a['tpsa']} | {a['hbd']} | {a.get('d_cns', '')} | {a['rank_reason'][:90]} |")
    for label, table, size in (("before", before, n), ("after", after, n_after)):
        r = [int(table[c["name"]]["rank"]) for c in controls]
        tops = [sum(x <= size * f for x in r) for f in (0.01, 0.05, 0.10)]
        print(f"{label}: top 1 % / 5 % / 10 %: {tops[0]} / {tops[1]} / {tops[2]} of {len(r)}; "
              f"median rank {statistics.median(r):.0f} of {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
