"""Approved and clinical drugs for the modelled targets: are they found among lead-like compounds?

For each row of ``data/examples/known_drugs.csv`` (drug, the model of its target, SMILES, status
and where the status comes from) this scores the drug with the bundled models, checks whether its
standardised parent (any stereoisomer) is in that model's training data (then it is no test and is reported as
such), and ranks its ``p_active`` among the example library's 2,000 ZINC lead-like compounds.
A drug is a **hit** when it ranks in the top 5 % of that background; the p_active, the
applicability-domain value (nearest training compound) and the p_active percentile are printed
for every drug. Potency values are not compiled here: every listed drug is active at its target
by its label or trial, which is what the check asks the model to recognise. ::

    python scripts/known_drug_check.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.model.bundle import bundle_digest, load_bundle  # noqa: E402
from screenkit.screen.library import RawRecord, iter_records  # noqa: E402
from screenkit.screen.score import ScoreOptions, score_records  # noqa: E402


def main() -> int:
    models_dir = ROOT / "models"
    drugs = pd.read_csv(ROOT / "data" / "examples" / "known_drugs.csv")
    options = ScoreOptions(str(models_dir), bundle_digest(models_dir), properties=False)
    library = ROOT / "data" / "examples" / "example_library.sdf"
    zinc = [r for r in iter_records(library) if "ZINC" in dict(_props(r)).get("origin", "")]
    background = score_records(zinc, options)
    unique = drugs.drop_duplicates("drug")
    scored = {r["id"]: r for r in score_records(
        [RawRecord(i, "smiles", s, d) for i, (d, s) in enumerate(zip(unique["drug"], unique["smiles"]), 1)], options)}
    # by connectivity (first InChIKey block): a stereoisomer in training is no test either
    training = {m.name: {str(k)[:14] for k in m.train_inchikey} for m in load_bundle(models_dir, training_sets_only=True)}
    from rdkit import Chem

    rows = []
    for drug in drugs.itertuples():
        row = scored[drug.drug]
        key = Chem.MolToInchiKey(Chem.MolFromSmiles(row["smiles"]))[:14]
        p = row[f"{drug.model}_p_active"]
        ref = np.array([b[f"{drug.model}_p_active"] for b in background if b["status"] != "error"])
        percentile = float((ref < p).mean() * 100)
        in_training = key in training[drug.model]
        rows.append({"drug": drug.drug, "model": drug.model, "p_active": round(p, 3),
                     "ad": round(row[f"{drug.model}_ad"], 2), "percentile_vs_zinc": round(percentile, 1),
                     "verdict": "in training (no test)" if in_training else ("hit" if percentile >= 95 else "miss"),
                     "status": drug.status})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    tested = table[table["verdict"] != "in training (no test)"]
    print(f"\n{len(tested)} drug/model pairs tested ({len(table) - len(tested)} in training): "
          f"{(tested['verdict'] == 'hit').sum()} hits (top 5 % of {len(background)} ZINC compounds), "
          f"{(tested['p_active'] >= 0.5).sum()} with p_active >= 0.5, "
          f"{(tested['ad'] >= 0.5).sum()} with a training compound at Tanimoto >= 0.5")
    return 0


def _props(record: RawRecord):
    from screenkit.screen.library import sd_properties

    return sd_properties(record.text) if record.kind == "molblock" else record.props


if __name__ == "__main__":
    raise SystemExit(main())
