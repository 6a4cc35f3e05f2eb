"""Approved and clinical drugs for the modelled targets: does each model recognise the ones that are potent?

Each row of ``data/examples/known_drugs.csv`` is a drug/model pair with the drug's literature
potency in the model's own endpoint where one was found (value, unit, pX, reference, and where the
value was read: ``value_source``; provenance per value in ``data/examples/KNOWN_DRUGS.md``). For
every pair this prints the measured pX, the model's active threshold (from its card), the label the
measurement implies, ``p_active``, the percentile of that ``p_active`` among the example library's
2,000 ZINC lead-like compounds, the nearest-training-compound Tanimoto (the applicability-domain
value) and a verdict:

* ``in training (no test)``: the drug, or a stereoisomer, is in that model's training data;
* ``no potency value (not counted)``: no literature value was found, so the label is unknown;
* ``below threshold (no test of recall)``: the measured pX is below the model's cut, so a low
  score is right and a high one is no credit;
* ``hit`` / ``miss``: active by threshold and new to the model; a hit ranks in the top 5 % of the
  ZINC background. ::

    python scripts/known_drug_check.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screenkit.model.bundle import bundle_digest, load_bundle  # noqa: E402
from screenkit.screen.library import RawRecord, iter_records  # noqa: E402
from screenkit.screen.score import ScoreOptions, score_records  # noqa: E402

DRUGS_CSV = ROOT / "data" / "examples" / "known_drugs.csv"
HIT_PERCENTILE = 95.0
IN_TRAINING = "in training (no test)"
NO_VALUE = "no potency value (not counted)"
BELOW = "below threshold (no test of recall)"
TESTABLE = ("hit", "miss")


class DrugListError(ValueError):
    """A row of the drug list cannot be used (named row and reason in the message)."""


def px_from_value(value: float, unit: str) -> float:
    """-log10 of a concentration given in nM or uM (the units the list uses)."""
    scale = {"nM": 1e-9, "uM": 1e-6}
    if unit not in scale:
        raise DrugListError(f"unit {unit!r} is not nM or uM")
    if not value > 0:
        raise DrugListError(f"value {value!r} is not a positive concentration")
    return -math.log10(value * scale[unit])


def expected_active(px: float | None, relation: str, threshold: float) -> bool | None:
    """The label a measurement implies at the model's threshold; None when it does not decide.

    ``relation`` is how the true concentration relates to the reported one: '=' exact, '>' weaker
    than reported (so the true pX is below ``px``), '<' stronger (true pX above ``px``).
    """
    if px is None or (isinstance(px, float) and math.isnan(px)):
        return None
    if relation == "=":
        return px >= threshold
    if relation == ">":
        return False if px <= threshold else None
    if relation == "<":
        return True if px >= threshold else None
    raise DrugListError(f"relation {relation!r} is not '=', '>' or '<'")


def verdict(active: bool | None, in_training: bool, percentile: float,
            hit_percentile: float = HIT_PERCENTILE) -> str:
    """What one drug/model pair says about the model: a recall test only if active and new."""
    if in_training:
        return IN_TRAINING
    if active is None:
        return NO_VALUE
    if not active:
        return BELOW
    return "hit" if percentile >= hit_percentile else "miss"


def percentile_vs(background: np.ndarray, p: float) -> float:
    """Share (%) of background compounds scoring strictly below ``p``."""
    return float((background < p).mean() * 100)


def summarise(table: pd.DataFrame, n_background: int) -> str:
    """The closing lines: hits among testable pairs, and how many pairs reach p_active >= 0.5."""
    tested = table[table["verdict"].isin(TESTABLE)]
    below = table[table["verdict"] == BELOW]
    counts = table["verdict"].value_counts()
    return (f"{len(table)} drug/model pairs: {counts.get(IN_TRAINING, 0)} in training, "
            f"{counts.get(NO_VALUE, 0)} without a potency value, {counts.get(BELOW, 0)} below the model's threshold; "
            f"{len(tested)} testable (active by threshold, new to the model).\n"
            f"{(tested['verdict'] == 'hit').sum()} of {len(tested)} testable pairs are hits "
            f"(top {100 - HIT_PERCENTILE:g} % of {n_background} ZINC compounds); "
            f"{(tested['p_active'] >= 0.5).sum()} of {len(tested)} get p_active >= 0.5.\n"
            f"{(below['percentile_vs_zinc'] >= HIT_PERCENTILE).sum()} of {len(below)} below-threshold pairs also rank in the top "
            f"{100 - HIT_PERCENTILE:g} % (the ranking does not separate potent from weak drugs of the same chemotype).")


def read_drug_list(path: Path, model_names: set[str]) -> pd.DataFrame:
    """The drug list with pX recomputed; a bad row raises DrugListError naming it."""
    from rdkit import Chem

    drugs = pd.read_csv(path, dtype={"relation": str, "unit": str}, keep_default_na=False)
    for i, row in drugs.iterrows():
        where = f"{path.name} row {i + 2} ({row['drug']}, {row['model']})"
        if row["model"] not in model_names:
            raise DrugListError(f"{where}: model {row['model']!r} is not in the bundle")
        if Chem.MolFromSmiles(row["smiles"]) is None:
            raise DrugListError(f"{where}: SMILES does not parse")
        if row["value"] != "":
            try:
                px = px_from_value(float(row["value"]), row["unit"])
            except (DrugListError, ValueError) as err:
                raise DrugListError(f"{where}: {err}") from None
            if abs(px - float(row["pX"])) > 0.01:
                raise DrugListError(f"{where}: pX {row['pX']} does not match {row['value']} {row['unit']} ({px:.2f})")
    drugs["pX"] = pd.to_numeric(drugs["pX"], errors="coerce")
    return drugs


def main() -> int:
    from rdkit import Chem

    models_dir = ROOT / "models"
    models = {m.name: m for m in load_bundle(models_dir, training_sets_only=True)}
    try:
        drugs = read_drug_list(DRUGS_CSV, set(models))
    except DrugListError as err:
        print(f"error: {err}", file=sys.stderr)
        return 3
    options = ScoreOptions(str(models_dir), bundle_digest(models_dir), properties=False)
    library = ROOT / "data" / "examples" / "example_library.sdf"
    zinc = [r for r in iter_records(library) if "ZINC" in dict(_props(r)).get("origin", "")]
    background = score_records(zinc, options)
    unique = drugs.drop_duplicates("drug")
    scored = {r["id"]: r for r in score_records(
        [RawRecord(i, "smiles", s, d) for i, (d, s) in enumerate(zip(unique["drug"], unique["smiles"]), 1)], options)}
    # by connectivity (first InChIKey block): a stereoisomer in training is no test either
    training = {name: {str(k)[:14] for k in m.train_inchikey} for name, m in models.items()}

    rows = []
    for drug in drugs.itertuples():
        row = scored[drug.drug]
        threshold = models[drug.model].card.label_threshold
        key = Chem.MolToInchiKey(Chem.MolFromSmiles(row["smiles"]))[:14]
        p = row[f"{drug.model}_p_active"]
        ref = np.array([b[f"{drug.model}_p_active"] for b in background if b["status"] != "error"])
        percentile = percentile_vs(ref, p)
        active = expected_active(None if math.isnan(drug.pX) else drug.pX, drug.relation or "=", threshold)
        rows.append({"drug": drug.drug, "model": drug.model,
                     "pX": "" if math.isnan(drug.pX) else f"{'<' if drug.relation == '>' else ''}{drug.pX:.2f}",
                     "threshold": threshold,
                     "expected": {True: "active", False: "inactive", None: "?"}[active],
                     "p_active": round(p, 3), "percentile_vs_zinc": round(percentile, 1),
                     "nn_tanimoto": round(row[f"{drug.model}_ad"], 2),
                     "verdict": verdict(active, key in training[drug.model], percentile)})
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_rows", None):
        print(table.to_string(index=False))
    print("\n" + summarise(table, len(background)))
    return 0


def _props(record: RawRecord):
    from screenkit.screen.library import sd_properties

    return sd_properties(record.text) if record.kind == "molblock" else record.props


if __name__ == "__main__":
    raise SystemExit(main())
