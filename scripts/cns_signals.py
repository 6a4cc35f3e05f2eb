"""How well each CNS signal separates BBB+ from BBB- compounds, on new chemistry.

    python scripts/cns_signals.py [--out data/bbb/cns_signals.json]

Needs ``data/bbb/cluster_split_oof.csv.gz`` from ``scripts/build_bbb_model.py`` (the
B3DB compounds, their Butina cluster fold and the BBB model's out-of-fold P(BBB+)).
For every signal it reports ROC-AUC per cluster fold (mean, sd) and on B3DB group A
(compounds with a measured logBB). Signals:

* CNS MPO before issue 14 (class pKa of commit 088e339, cLogD ignoring acids),
* CNS MPO now (screenkit.chem.ionisation), TPSA, HBD, the old ``cns_rules`` count,
* the BBB model (out of fold), and ``d_cns`` of the bundled leukodystrophy profile built
  from the out-of-fold BBB probability and its out-of-fold applicability domain.

Then the external check: B3DB's separately curated external set (DrugBank labels)
minus every compound in the training set (same InChIKey), scored with the shipped
model.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rdkit import Chem  # noqa: E402
from rdkit.Chem import Crippen, Descriptors, Lipinski, rdMolDescriptors  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from screenkit.chem.featurize import MorganFingerprint  # noqa: E402
from screenkit.chem.properties import cns_mpo, compute_properties  # noqa: E402
from screenkit.chem.similarity import tanimoto_max  # noqa: E402
from screenkit.config import bundled_path  # noqa: E402
from screenkit.curation.bbb import b3db_path, curate_b3db, read_b3db  # noqa: E402
from screenkit.model.bundle import load_bundle  # noqa: E402
from screenkit.profile import load_profile  # noqa: E402
from screenkit.screen.rank import cns_desirability  # noqa: E402

# The class table screenkit used before issue 14 (screenkit/properties.py at 088e339), kept
# here only to measure what the fix changed.
_LEGACY_BASIC = [
    ("[CX3](=[NX2;!$(N-[#6]=O);!$(N-S(=O)=O)])([#7;!$(N-C=O)])", 12.0),
    ("[NX3;H0,H1,H2;!$(N-[a]);!$(N-C=[O,S,N]);!$(N-S(=O)=O);!$(N-[#7,#8]);!$(N#*);!$(N=*);"
     "$(N(-[CH2]-[CH2]-[O,F,$(C(F)(F)F)]))]", 7.4),
    ("[NX3;H0,H1,H2;!$(N-[a]);!$(N-C=[O,S,N]);!$(N-S(=O)=O);!$(N-[#7,#8]);!$(N-C#N);!$(N-[CX3]=[CX3])]", 9.5),
    ("[nX2;r5;$(n:c:[nX3;H1,$(n-C)])]", 7.0),
    ("[nX2;r6]", 5.2),
]


def legacy_mpo(mol: Chem.Mol) -> tuple[float, int]:
    """CNS MPO and cns_rules exactly as screenkit computed them before issue 14."""
    patterns = [(Chem.MolFromSmarts(s), p) for s, p in _LEGACY_BASIC]
    best, seen = 0.0, set()
    for pattern, pka in patterns:
        for match in mol.GetSubstructMatches(pattern):
            if match[0] not in seen:
                seen.add(match[0])
                best = max(best, pka)
    clogp, mw = Crippen.MolLogP(mol), Descriptors.MolWt(mol)
    tpsa, hbd = rdMolDescriptors.CalcTPSA(mol), Lipinski.NumHDonors(mol)
    hba, rotb = Lipinski.NumHAcceptors(mol), rdMolDescriptors.CalcNumRotatableBonds(mol)
    clogd = clogp - math.log10(1 + 10 ** (best - 7.4)) if best else clogp
    rules = sum([mw <= 450, tpsa <= 90, hbd <= 3, hba <= 7, clogp <= 5, rotb <= 8])
    return cns_mpo(clogp, clogd, mw, tpsa, hbd, best), rules


def per_fold_auc(y, score, folds) -> dict:
    values = [roc_auc_score(y[folds == k], score[folds == k]) for k in np.unique(folds)]
    return {"mean": round(float(np.mean(values)), 3), "sd": round(float(np.std(values, ddof=1)), 3),
            "folds": len(values)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oof", default=str(ROOT / "data" / "bbb" / "cluster_split_oof.csv.gz"))
    parser.add_argument("--models", default=str(bundled_path("models")))
    parser.add_argument("--out", default=str(ROOT / "data" / "bbb" / "cns_signals.json"))
    args = parser.parse_args(argv)
    with gzip.open(args.oof, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    groups = {r.inchikey: r.group for r in curate_b3db(read_b3db())[0]}
    y = np.array([int(r["bbb"]) for r in rows])
    folds = np.array([int(r["fold"]) for r in rows])
    oof = np.array([float(r["oof_p"]) for r in rows])
    mols = [Chem.MolFromSmiles(r["smiles"]) for r in rows]
    props = [compute_properties(m, alert_families=(), qed=False) for m in mols]
    legacy = [legacy_mpo(m) for m in mols]
    # out-of-fold applicability domain of the BBB model: similarity to the other folds
    fps = MorganFingerprint(radius=2, fp_size=2048).transform(mols)
    ad = np.empty(len(rows))
    for k in np.unique(folds):
        ad[folds == k] = tanimoto_max(fps[folds == k], fps[folds != k])
    profile = load_profile("leukodystrophy")
    (bbb_model,) = load_bundle(args.models, [profile.cns.model], with_estimators=False)
    d_cns = np.array([cns_desirability({**p, f"{profile.cns.model}_p_active": q, f"{profile.cns.model}_ad": a},
                                       profile.cns, bbb_model)[0] for p, q, a in zip(props, oof, ad)])
    signals = {
        "CNS MPO before issue 14": np.array([m for m, _ in legacy]),
        "cns_rules before issue 14 (count of 6 limits)": np.array([r for _, r in legacy], dtype=float),
        "CNS MPO now": np.array([p["cns_mpo"] for p in props]),
        "TPSA alone (lower = BBB+)": -np.array([p["tpsa"] for p in props]),
        "HBD alone (fewer = BBB+)": -np.array([p["hbd"] for p in props], dtype=float),
        "BBB_B3DB model (out of fold)": oof,
        "d_cns, leukodystrophy profile (out-of-fold BBB p and AD)": d_cns,
    }
    group_a = np.array([groups.get(r["inchikey"], "") == "A" for r in rows])
    result = {"n": len(rows), "n_group_a": int(group_a.sum()), "signals": {}}
    for name, score in signals.items():
        result["signals"][name] = {"cluster_folds": per_fold_auc(y, score, folds),
                                   "group_a_pooled": round(float(roc_auc_score(y[group_a], score[group_a])), 3)}
        print(f"{name}: {result['signals'][name]}", flush=True)
    # full credit handed out: share of BBB- compounds with d >= 0.95 under each objective
    old_d = np.array([profile.cns.floor + (1 - profile.cns.floor) * min(1, max(0, (m - 2) / 2))
                      for m, _ in legacy])
    result["full_credit_share_of_bbb_minus"] = {"before (MPO ramp 2-4)": round(float((old_d[y == 0] >= 0.95).mean()), 3),
                                                "now (d_cns)": round(float((d_cns[y == 0] >= 0.95).mean()), 3)}
    result["full_credit_share_of_bbb_plus"] = {"before (MPO ramp 2-4)": round(float((old_d[y == 1] >= 0.95).mean()), 3),
                                               "now (d_cns)": round(float((d_cns[y == 1] >= 0.95).mean()), 3)}
    print(result["full_credit_share_of_bbb_minus"], result["full_credit_share_of_bbb_plus"])

    # external: B3DB's external set, compounds not in the training data
    train_keys = {r["inchikey"] for r in rows}
    ext_records, _ = curate_b3db(read_b3db(b3db_path("B3DB_classification_external.tsv")))
    ext = [r for r in ext_records if r.inchikey not in train_keys]
    if ext and len({r.label for r in ext}) == 2:
        (model,) = load_bundle(args.models, [profile.cns.model])
        emols = [Chem.MolFromSmiles(r.smiles) for r in ext]
        p = model.predict(model.featurizer.transform(emols))["p_active"]
        ey = np.array([r.label for r in ext])
        eprops = [compute_properties(m, alert_families=(), qed=False) for m in emols]
        ead = tanimoto_max(MorganFingerprint(radius=2, fp_size=2048).transform(emols), model.train_fingerprints)
        ed = np.array([cns_desirability({**q, f"{model.name}_p_active": pi, f"{model.name}_ad": a}, profile.cns,
                                        model)[0] for q, pi, a in zip(eprops, p, ead)])
        result["external"] = {
            "n": len(ext), "n_bbb_plus": int(ey.sum()),
            "roc_auc": {"BBB_B3DB model": round(float(roc_auc_score(ey, p)), 3),
                        "d_cns": round(float(roc_auc_score(ey, ed)), 3),
                        "CNS MPO now": round(float(roc_auc_score(ey, [q["cns_mpo"] for q in eprops])), 3),
                        "CNS MPO before issue 14": round(float(roc_auc_score(ey, [legacy_mpo(m)[0] for m in emols])), 3),
                        "TPSA alone": round(float(roc_auc_score(ey, [-q["tpsa"] for q in eprops])), 3)},
            "median_nn_to_training": round(float(np.median(ead)), 3)}
        print("external:", result["external"], flush=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
