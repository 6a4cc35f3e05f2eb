#!/usr/bin/env python
"""Write into every activity model's card the share of lead-like libraries inside its applicability domain.

For the 2,000 ZINC compounds of the example library and ``--zinc N`` random ZINC lead-like
SMILES (MOSES, from the ``molsets`` wheel; see ``scripts/verify_alert_screen.py``): each
compound's Tanimoto similarity (Morgan r2 2048) to the model's nearest measured training
compound, and the share at or above the threshold scoring uses
(:meth:`screenkit.model.card.ModelCard.domain_threshold`: the error-defined one) and at or above the
old quantile threshold. The result goes to ``applicability_domain.library_share_in_domain``
of each card, through :func:`screenkit.model.bundle_write.update_cards` (manifest hashes follow);
nothing is retrained. Rerun it after retraining the bundle::

    python scripts/card_domain_share.py --zinc 10000
    python scripts/card_domain_share.py --dry-run   # print only
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from screenkit.chem.similarity import tanimoto_max  # noqa: E402
from screenkit.model.bundle import load_bundle  # noqa: E402
from screenkit.model.bundle_write import update_cards  # noqa: E402
from screenkit.model.card import card_markdown  # noqa: E402
from screenkit.model.problem import ad_fingerprints  # noqa: E402
from screenkit.screen.readers import iter_records  # noqa: E402
from screenkit.screen.sdf import sd_properties  # noqa: E402


def example_zinc_smiles() -> list[str]:
    from rdkit import Chem

    out = []
    for record in iter_records(ROOT / "data" / "examples" / "example_library.sdf"):
        if "ZINC" in dict(sd_properties(record.text)).get("origin", ""):
            out.append(Chem.MolToSmiles(Chem.MolFromMolBlock(record.text)))
    return out


def _scoring_applies_prior_correction(card: dict) -> None:
    """Cards written before scoring applied the prior correction say it does not; now it does."""
    note = ((card.get("validation") or {}).get("calibration") or {})
    note = note.get("prior_correction") if isinstance(note, dict) else None
    if note and "is not corrected" in note.get("method", ""):
        note["method"] = note["method"].split("; p_active itself")[0] + (
            "; scoring applies it at the run's base rate (score --base-rate, the profile's base_rate), so a scored "
            "p_active is this")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=str(ROOT / "models"))
    parser.add_argument("--zinc", type=int, default=10000)
    parser.add_argument("--wheel-dir", type=Path, default=Path("/tmp/screenkit-wheels"))
    parser.add_argument("--dry-run", action="store_true", help="print the table, do not touch the cards")
    args = parser.parse_args(argv)
    from verify_alert_screen import zinc_smiles

    sets = {"example library (2,000 ZINC)": example_zinc_smiles()}
    if args.zinc:
        smiles = zinc_smiles(None, args.wheel_dir)
        picked = np.random.default_rng(0).choice(len(smiles), size=min(args.zinc, len(smiles)), replace=False)
        sets[f"ZINC lead-like, {len(picked):,} random (MOSES)"] = [smiles[i] for i in sorted(picked)]
    fingerprints = {name: ad_fingerprints(smiles) for name, smiles in sets.items()}
    # activity models only: the BBB property model keeps its quantile threshold, and its card is rendered
    # by scripts/build_bbb_model.py, not by screenkit.model.card
    models = [m for m in load_bundle(args.models, training_sets_only=True) if m.card.is_activity_model]
    cards, table = {}, []
    for model in models:
        threshold, rule = model.card.domain_threshold()
        quantile = float(model.card.applicability_domain["threshold"])
        shares = []
        for name, fps in fingerprints.items():
            ad = tanimoto_max(fps, model.train_fingerprints)
            shares.append({"library": name, "n": int(len(ad)), "share_in_domain": round(float((ad >= threshold).mean()), 4),
                           "share_quantile_threshold": round(float((ad >= quantile).mean()), 4),
                           "median_similarity": round(float(np.median(ad)), 3)})
            table.append({"model": model.name, "library": name, "threshold": threshold, "in_domain": shares[-1][
                "share_in_domain"], "quantile_threshold": quantile, "in_domain_quantile": shares[-1][
                "share_quantile_threshold"], "median_sim": shares[-1]["median_similarity"]})
        card = json.loads(json.dumps(model.card.to_json()))
        _scoring_applies_prior_correction(card)
        card["applicability_domain"] = {**card["applicability_domain"], "library_share_in_domain": {
            "threshold_used": f"similarity >= {threshold:.3f}", "rule": rule, "sets": shares,
            "how": "scripts/card_domain_share.py (max Tanimoto, Morgan r2 2048, to the measured training compounds)"}}
        cards[model.name] = card
    print(pd.DataFrame(table).to_string(index=False))
    if not args.dry_run:
        update_cards(args.models, cards, card_markdown)
        print(f"updated {len(cards)} cards in {args.models}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
