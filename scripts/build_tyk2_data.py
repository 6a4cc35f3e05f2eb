"""Rebuild data/tyk2/ from the ChEMBL website export of TYK2 (CHEMBL3553) bioactivities.

    python scripts/build_tyk2_data.py                        # uses data/tyk2/TYK2_raw_chembl_export.csv.gz
    python scripts/build_tyk2_data.py --export PATH.csv.gz   # another export of the same target

Curates the export with screenkit's default rules (the same as for an API or database pull,
see ``screenkit curate --help``) and the panel's TYK2 entry (activity types IC50/Ki/Kd), and
writes ``tyk2_chembl.csv`` (dataset schema of ``data/chembl_bundled.csv`` plus molecule,
assay and document ChEMBL IDs, document years and modality), its exclusion log, summary and
provenance. Prints the figures quoted in data/README.md: rows per activity type, actives at
the panel threshold, document-year range, exclusions per rule.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.config import load_panel  # noqa: E402
from screenkit.curation.curate import curate_file  # noqa: E402
from screenkit.hashing import file_sha256  # noqa: E402

OUT = ROOT / "data" / "tyk2"
EXPORT = OUT / "TYK2_raw_chembl_export.csv.gz"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, default=EXPORT, help="ChEMBL web export (default: %(default)s)")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.export.resolve() != EXPORT.resolve():
        shutil.copyfile(args.export, EXPORT)  # ship the exact input next to what was made from it
    panel = load_panel()
    tyk2 = panel.get("TYK2")
    os.chdir(ROOT)  # provenance records repository-relative paths
    result = curate_file(EXPORT.relative_to(ROOT), (OUT / "tyk2_chembl.csv").relative_to(ROOT), panel=panel)
    data = result.dataset
    print(f"export: {EXPORT.name} sha256 {file_sha256(EXPORT)}; {result.provenance['counts']['records_in']} records")
    print(f"dataset: {len(data)} rows ({data['inchikey'].nunique()} compounds); excluded "
          f"{len(result.log)} records")
    years = data["document_year"].replace("", None).dropna().astype(str).str.split(";").explode().astype(int)
    print(f"document years {years.min()}-{years.max()}; rows without a year {int((data['document_year'] == '').sum())}")
    print(f"threshold: active if pActivity >= {tyk2.active_threshold} (data/panel.toml, TYK2)")
    print("type   rows  exact  censored  active  active_share  modality")
    for activity_type, rows in data.groupby("activity_type"):
        exact = rows["relation"] == "="
        # a censored row counts as active only if its bound decides it (">" at or above the threshold)
        active = (rows["pactivity"] >= tyk2.active_threshold) & rows["relation"].isin(["=", ">"])
        modality = rows["modality"].value_counts().head(3).to_dict()
        print(f"{activity_type:5s} {len(rows):5d} {int(exact.sum()):6d} {int((~exact).sum()):9d} "
              f"{int(active.sum()):7d} "
              f"{active.mean():12.2f}  {modality}")
    print("excluded by rule:", result.log["rule"].value_counts().to_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
