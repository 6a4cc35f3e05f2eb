"""Medicinal-chemistry properties of one molecule: CNS penetration, drug-likeness, alerts.

Every leukodystrophy drug has to reach the brain, so CNS penetration is scored for
every compound:

* **CNS MPO** (Wager et al. 2010, *ACS Chem Neurosci* 1:435): six piecewise-linear
  desirabilities (cLogP, cLogD at pH 7.4, MW, TPSA, HBD, pKa of the most basic centre)
  summed to 0-6; 4 or more is where most CNS drugs sit.
* **Ionisation** (:mod:`screenkit.chem.ionisation`): pKa of the most basic and the most
  acidic centre from functional-group classes (amines corrected for nearby
  electron-withdrawing groups), tested against literature values for 58 drugs;
  cLogD at pH 7.4 accounts for acids, bases, zwitterions and permanent cations.
  A permanent cation counts as fully ionised in the MPO's pKa term.
* The B3DB BBB model (``BBB_B3DB`` in the model bundle) is the measured-data signal;
  ranking profiles combine it with the MPO and hard limits (see :mod:`screenkit.screen.rank`).

Also QED (Bickerton 2012), the spacial score SPS as a synthetic-complexity proxy
(Krzyzanowski 2023; RDKit's SA score needs its pickled fragment table, which screenkit
does not unpickle), Lipinski and Veber flags, and structural alerts from RDKit's
FilterCatalog: families PAINS_A, PAINS_B, PAINS_C (Baell & Holloway 2010), Brenk
(Brenk 2008) and NIH (Jadhav 2010).

Cost matters at library scale. CPU time per ZINC molecule with the default profile's
settings (``scripts/benchmark_properties.py``, 2026-12-03, a loaded shared machine, so
read the ratios rather than the values): all columns 2.9 ms, against 5.8 ms for RDKit's
own functions (``SCREENKIT_FAST_PATHS=0``); of that, the screened alerts (PAINS_A, PAINS_B,
Brenk) 1.0 ms instead of 1.4 ms, QED 1.0 instead of 2.3 ms, the spacial score 0.56 instead
of 0.82 ms, ionisation 0.33 ms. PAINS_C (409 rare patterns) and NIH cost more; profiles
therefore choose which alert families and whether QED are computed.
"""

from __future__ import annotations

import math

from rdkit import Chem
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, SpacialScore, rdMolDescriptors

from .alertscreen import ALERT_FAMILIES, alert_catalog, alert_panel, fast_paths_enabled, fast_qed_properties
from .ionisation import clogd as _clogd
from .ionisation import ionisation

__all__ = ["PROPERTY_COLUMNS", "ALERT_FAMILIES", "compute_properties", "cns_mpo", "alert_matches", "spacial_score"]

PROPERTY_COLUMNS = ["mw", "clogp", "clogd", "tpsa", "hbd", "hba", "rotb", "arom_rings", "pka_basic", "pka_acidic",
                    "ion_class", "cns_mpo", "qed", "sps", "lipinski_violations", "veber_ok", "n_alerts", "alerts"]

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

    Without atoms the patterns that cannot match are screened out first
    (:mod:`screenkit.chem.alertscreen`, the same answers as RDKit's FilterCatalog); matched atoms
    (for highlighting) cost a second substructure search, so they are only collected when
    ``with_atoms`` is true.

    Examples
    --------
    >>> [(f, n) for f, n, _ in alert_matches(Chem.MolFromSmiles("O=C1C(=Cc2ccccc2)SC(=S)N1"), ("PAINS_A",))]
    [('PAINS_A', 'ene_rhod_A(235)')]
    """
    if not with_atoms:
        return [(family, name, ()) for family, name in alert_panel(tuple(families)).match(mol)[0]]
    out = []
    for family in families:
        for entry in alert_catalog(family).GetMatches(mol):
            atoms: set[int] = set()
            if with_atoms:
                for filter_match in entry.GetFilterMatches(mol):
                    atoms.update(index for _, index in filter_match.atomPairs)
            out.append((family, entry.GetDescription(), tuple(sorted(atoms))))
    return out


def _qed_properties(mol: Chem.Mol, alert_count: int | None, fast: bool):
    """QED's descriptor set, or ``None`` where QED fails (a few exotic valences): a missing value is honest."""
    try:
        return fast_qed_properties(mol, alert_count) if fast else QED.properties(mol)
    except Exception:
        return None


_HYBRIDISATION_SCORE = {Chem.HybridizationType.SP: 1, Chem.HybridizationType.SP2: 2, Chem.HybridizationType.SP3: 3}


def spacial_score(mol: Chem.Mol) -> float:
    """``rdkit.Chem.SpacialScore.SPS(mol)`` (normalised), the same integer sum in one pass.

    RDKit's class fills four per-atom dictionaries and scans every double bond for every
    atom; the terms (hybridisation, stereo, ring, squared degree) and their integer sum
    are the same here, so the quotient by the heavy-atom count is the same float.

    Examples
    --------
    >>> mol = Chem.MolFromSmiles("C/C=C/C1CC(N)CCC1c1ccccc1")
    >>> spacial_score(mol) == SpacialScore.SPS(mol)
    True
    """
    copy = Chem.Mol(mol)
    Chem.FindPotentialStereoBonds(copy)
    stereo = {index for index, _ in Chem.FindMolChiralCenters(copy, includeUnassigned=True, includeCIP=False,
                                                               useLegacyImplementation=False)}
    for bond in copy.GetBonds():
        if bond.GetBondType() == Chem.BondType.DOUBLE and bond.GetStereo() != Chem.BondStereo.STEREONONE:
            stereo.update((bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()))
    score = 0
    for atom in copy.GetAtoms():
        ring = 1 if atom.GetIsAromatic() else 2 if atom.IsInRing() else 1
        score += (_HYBRIDISATION_SCORE.get(atom.GetHybridization(), 4) * (2 if atom.GetIdx() in stereo else 1)
                  * ring * atom.GetDegree() ** 2)
    return score / copy.GetNumHeavyAtoms()


def compute_properties(mol: Chem.Mol, alert_families=("PAINS_A", "PAINS_B", "Brenk"), qed: bool = True) -> dict:
    """All property columns (see :data:`PROPERTY_COLUMNS`) for a standardised molecule.

    With ``SCREENKIT_FAST_PATHS=0`` every value comes from RDKit's own functions (FilterCatalog,
    ``QED.properties``, ``SpacialScore.SPS``, each descriptor computed on its own): the
    reference the screened, shared computation must equal byte for byte.

    Examples
    --------
    >>> p = compute_properties(Chem.MolFromSmiles("CN1CCCC1c1cccnc1"))
    >>> p["cns_mpo"], p["pka_basic"], p["ion_class"], p["alerts"]  # nicotine
    (4.9, 8.2, 'base', '')
    """
    # A fast step that fails falls back to the stock call, so that a failing molecule fails
    # in RDKit's own function and its row's reason names the same step either way.
    found, qed_alerts, fast = _alerts(mol, alert_families, qed, fast_paths_enabled())
    qed_properties = _qed_properties(mol, qed_alerts, fast) if qed else None
    # QED computes MW, Crippen logP (a fifth of the property time), HBD and TPSA with the very
    # functions used below; on a molecule of heavy atoms only (QED works on RemoveHs(mol)) they
    # are the same values, so they are reused.
    if fast and qed_properties is not None and mol.GetNumAtoms() == mol.GetNumHeavyAtoms():
        mw, clogp, hbd, tpsa = qed_properties.MW, qed_properties.ALOGP, qed_properties.HBD, qed_properties.PSA
    else:
        mw, clogp = Descriptors.MolWt(mol), Crippen.MolLogP(mol)
        hbd, tpsa = Lipinski.NumHDonors(mol), rdMolDescriptors.CalcTPSA(mol)
    hba = Lipinski.NumHAcceptors(mol)
    rotb = rdMolDescriptors.CalcNumRotatableBonds(mol)
    ion = ionisation(mol)
    clogd = _clogd(clogp, ion)
    # MPO pKa term: no basic centre scores as pKa 0 (full credit), a permanent cation as fully ionised
    mpo_pka = 14.0 if ion.permanent_cation else ion.pka_basic if ion.pka_basic == ion.pka_basic else 0.0
    names = sorted({f"{family}:{name}" for family, name in found})
    qed_value = QED.qed(mol, qedProperties=qed_properties) if qed_properties is not None else math.nan
    sps = _spacial_score(mol, fast)

    return {
        "mw": round(mw, 2), "clogp": round(clogp, 2), "clogd": round(clogd, 2), "tpsa": round(tpsa, 1),
        "hbd": hbd, "hba": hba, "rotb": rotb, "arom_rings": rdMolDescriptors.CalcNumAromaticRings(mol),
        "pka_basic": round(ion.pka_basic, 2), "pka_acidic": round(ion.pka_acidic, 2), "ion_class": ion.ion_class,
        "cns_mpo": cns_mpo(clogp, clogd, mw, tpsa, hbd, mpo_pka),
        "qed": round(qed_value, 3), "sps": round(sps, 1),
        "lipinski_violations": sum([mw > 500, clogp > 5, hbd > 5, hba > 10]),
        "veber_ok": int(rotb <= 10 and tpsa <= 140),
        "n_alerts": len(names), "alerts": ";".join(names),
    }


def _alerts(mol: Chem.Mol, alert_families, qed: bool, fast: bool) -> tuple[list[tuple[str, str]], int | None, bool]:
    """``(found, qed_alerts, fast)``: the profile's alerts as (family, name) pairs, QED's alert count
    when the screened pass gave it (else ``None``), and whether the fast paths still hold."""
    found: list[tuple[str, str]] | None = None
    qed_alerts: int | None = None
    if fast:  # one screened pass answers both the profile's alert families and QED's own alerts
        try:
            found, qed_alerts = alert_panel(tuple(alert_families), qed_alerts=qed).match(mol)
        except Exception:
            fast = False
    if found is None:
        found = [(family, entry.GetDescription()) for family in alert_families
                 for entry in alert_catalog(family).GetMatches(mol)]
    return found, qed_alerts, fast


def _spacial_score(mol: Chem.Mol, fast: bool) -> float:
    """The one-pass :func:`spacial_score`, or RDKit's own when the fast paths are off or it fails."""
    sps = None
    if fast:
        try:
            sps = spacial_score(mol)
        except Exception:
            pass
    if sps is None:
        sps = SpacialScore.SPS(mol)
    return sps
