"""Medicinal-chemistry properties of one molecule: CNS penetration, drug-likeness, alerts.

Every leukodystrophy drug has to reach the brain, so CNS penetration is scored for
every compound:

* **CNS MPO** (Wager et al. 2010, *ACS Chem Neurosci* 1:435): six piecewise-linear
  desirabilities (cLogP, cLogD at pH 7.4, MW, TPSA, HBD, pKa of the most basic centre)
  summed to 0-6; 4 or more is where most CNS drugs sit.
* **pKa** is *estimated*, not predicted: the most basic centre is matched to a class
  of typical pKa values (aliphatic amines 9.5, morpholine-like 7.4, amidine/guanidine
  12, imidazole 7.0, pyridine-like 5.2, anilines and amides not basic). cLogD is then
  cLogP - log10(1 + 10^(pKa - 7.4)). Good enough to separate strong bases from neutral
  compounds, which is what the pKa and cLogD terms reward; not a pKa predictor.
* **cns_rules**: how many of the CNS-likeness limits of Hitchcock & Pennington 2006
  (*J Med Chem* 49:7559) a compound meets (MW <= 450, TPSA <= 90, HBD <= 3, HBA <= 7,
  cLogP <= 5, rotatable bonds <= 8); the equivalent of a BBB score that needs no pKa.

Also QED (Bickerton 2012), the spacial score SPS as a synthetic-complexity proxy
(Krzyzanowski 2023; RDKit's SA score needs its pickled fragment table, which screenkit
does not unpickle), Lipinski and Veber flags, and structural alerts from RDKit's
FilterCatalog: families PAINS_A, PAINS_B, PAINS_C (Baell & Holloway 2010), Brenk
(Brenk 2008) and NIH (Jadhav 2010).

Cost matters at library scale (per molecule, one core): the CNS and drug-likeness
values about 0.2 ms, QED about 1.5 ms, PAINS_A+B and Brenk about 3 ms, PAINS_C (409
rare patterns) about 11 ms and NIH about 5 ms. Profiles therefore choose which alert
families and whether QED are computed; the bundled default uses PAINS_A, PAINS_B, Brenk.
"""

from __future__ import annotations

import math
from functools import cache

from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

__all__ = ["PROPERTY_COLUMNS", "ALERT_FAMILIES", "compute_properties", "cns_mpo", "estimate_basic_pka",
           "alert_matches"]

PROPERTY_COLUMNS = ["mw", "clogp", "clogd", "tpsa", "hbd", "hba", "rotb", "arom_rings", "pka_basic", "cns_mpo",
                    "cns_rules", "qed", "sps", "lipinski_violations", "veber_ok", "n_alerts", "alerts"]

# (SMARTS, typical pKa of the conjugate acid). First match in this order wins per atom;
# the compound's basic pKa is the highest over its atoms.
_BASIC_CLASSES = [
    ("[CX3](=[NX2;!$(N-[#6]=O);!$(N-S(=O)=O)])([#7;!$(N-C=O)])", 12.0),  # amidine / guanidine
    ("[NX3;H0,H1,H2;!$(N-[a]);!$(N-C=[O,S,N]);!$(N-S(=O)=O);!$(N-[#7,#8]);!$(N#*);!$(N=*);"
     "$(N(-[CH2]-[CH2]-[O,F,$(C(F)(F)F)]))]", 7.4),  # morpholine-like: beta electron-withdrawing group
    ("[NX3;H0,H1,H2;!$(N-[a]);!$(N-C=[O,S,N]);!$(N-S(=O)=O);!$(N-[#7,#8]);!$(N-C#N);!$(N-[CX3]=[CX3])]",
     9.5),  # aliphatic amine
    ("[nX2;r5;$(n:c:[nX3;H1,$(n-C)])]", 7.0),  # imidazole-like
    ("[nX2;r6]", 5.2),  # pyridine-like
]


@cache
def _basic_patterns():
    return [(Chem.MolFromSmarts(smarts), pka) for smarts, pka in _BASIC_CLASSES]


ALERT_FAMILIES = ("PAINS_A", "PAINS_B", "PAINS_C", "Brenk", "NIH")


@cache
def _alert_catalog(family: str) -> FilterCatalog:
    """One FilterCatalog per family, built once per process (it parses hundreds of SMARTS)."""
    if family not in ALERT_FAMILIES:
        raise ValueError(f"unknown alert family {family!r}; known: {', '.join(ALERT_FAMILIES)}")
    params = FilterCatalogParams()
    params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, family.upper()))
    return FilterCatalog(params)


def estimate_basic_pka(mol: Chem.Mol) -> float:
    """Typical pKa of the most basic centre (0.0 when there is none).

    Examples
    --------
    >>> estimate_basic_pka(Chem.MolFromSmiles("CN1CCCC1c1cccnc1"))  # nicotine: pyrrolidine N
    9.5
    >>> estimate_basic_pka(Chem.MolFromSmiles("CC(=O)Nc1ccccc1"))
    0.0
    """
    best, seen = 0.0, set()
    for pattern, pka in _basic_patterns():
        for match in mol.GetSubstructMatches(pattern):
            atom = match[0]
            if atom in seen:
                continue
            seen.add(atom)
            best = max(best, pka)
    return best


def _ramp(value: float, full: float, zero: float) -> float:
    """1 at ``full`` or better, 0 at ``zero`` or worse, linear between."""
    if full < zero:
        return 1.0 if value <= full else 0.0 if value >= zero else (zero - value) / (zero - full)
    return 1.0 if value >= full else 0.0 if value <= zero else (value - zero) / (full - zero)


def cns_mpo(clogp: float, clogd: float, mw: float, tpsa: float, hbd: float, pka: float) -> float:
    """Wager 2010 CNS MPO score (0-6).

    Examples
    --------
    >>> cns_mpo(clogp=2.5, clogd=1.5, mw=300, tpsa=60, hbd=1, pka=7.0)
    5.833
    """
    tpsa_d = _ramp(tpsa, 40, 20) if tpsa < 40 else _ramp(tpsa, 90, 120)
    score = (_ramp(clogp, 3, 5) + _ramp(clogd, 2, 4) + _ramp(mw, 360, 500) + tpsa_d
             + _ramp(hbd, 0.5, 3.5) + _ramp(pka, 8, 10))
    return round(score, 3)


def alert_matches(mol: Chem.Mol, families=ALERT_FAMILIES,
                  with_atoms: bool = False) -> list[tuple[str, str, tuple[int, ...]]]:
    """``(family, alert name, matched atoms)`` for every structural alert in the molecule.

    Matched atoms (for highlighting) cost a second substructure search, so they are only
    collected when ``with_atoms`` is true.

    Examples
    --------
    >>> [(f, n) for f, n, _ in alert_matches(Chem.MolFromSmiles("O=C1C(=Cc2ccccc2)SC(=S)N1"), ("PAINS_A",))]
    [('PAINS_A', 'ene_rhod_A(235)')]
    """
    out = []
    for family in families:
        for entry in _alert_catalog(family).GetMatches(mol):
            atoms: set[int] = set()
            if with_atoms:
                for filter_match in entry.GetFilterMatches(mol):
                    atoms.update(index for _, index in filter_match.atomPairs)
            out.append((family, entry.GetDescription(), tuple(sorted(atoms))))
    return out


_EXPLICIT_H = Chem.MolFromSmarts("[#1]")


def _qed_properties(mol: Chem.Mol):
    """QED's descriptor set, or ``None`` where QED fails (a few exotic valences): a missing value is honest."""
    try:
        return QED.properties(mol)
    except Exception:
        return None


def compute_properties(mol: Chem.Mol, alert_families=("PAINS_A", "PAINS_B", "Brenk"), qed: bool = True) -> dict:
    """All property columns (see :data:`PROPERTY_COLUMNS`) for a standardised molecule.

    Examples
    --------
    >>> p = compute_properties(Chem.MolFromSmiles("CN1CCCC1c1cccnc1"))
    >>> p["cns_mpo"], p["lipinski_violations"], p["alerts"]
    (4.25, 0, '')
    """
    qed_properties = _qed_properties(mol) if qed else None
    mw = Descriptors.MolWt(mol)
    # QED computes Crippen logP too (a fifth of the property time); on a molecule without
    # explicit hydrogens its value is exactly Crippen.MolLogP(mol), so it is reused.
    reuse = qed_properties is not None and not mol.HasSubstructMatch(_EXPLICIT_H)
    clogp = qed_properties.ALOGP if reuse else Crippen.MolLogP(mol)
    tpsa = rdMolDescriptors.CalcTPSA(mol)
    hbd = Lipinski.NumHDonors(mol)
    hba = Lipinski.NumHAcceptors(mol)
    rotb = rdMolDescriptors.CalcNumRotatableBonds(mol)
    pka = estimate_basic_pka(mol)
    clogd = clogp - math.log10(1 + 10 ** (pka - 7.4)) if pka else clogp
    alerts = alert_matches(mol, alert_families)
    names = sorted({f"{family}:{name}" for family, name, _ in alerts})
    qed_value = QED.qed(mol, qedProperties=qed_properties) if qed_properties is not None else math.nan
    from rdkit.Chem import SpacialScore

    return {
        "mw": round(mw, 2), "clogp": round(clogp, 2), "clogd": round(clogd, 2), "tpsa": round(tpsa, 1),
        "hbd": hbd, "hba": hba, "rotb": rotb, "arom_rings": rdMolDescriptors.CalcNumAromaticRings(mol),
        "pka_basic": pka, "cns_mpo": cns_mpo(clogp, clogd, mw, tpsa, hbd, pka),
        "cns_rules": sum([mw <= 450, tpsa <= 90, hbd <= 3, hba <= 7, clogp <= 5, rotb <= 8]),
        "qed": round(qed_value, 3), "sps": round(SpacialScore.SPS(mol), 1),
        "lipinski_violations": sum([mw > 500, clogp > 5, hbd > 5, hba > 10]),
        "veber_ok": int(rotb <= 10 and tpsa <= 140),
        "n_alerts": len(names), "alerts": ";".join(names),
    }
