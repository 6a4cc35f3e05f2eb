"""Exact, fast structural alerts and QED: skip the substructure searches that cannot match.

RDKit's FilterCatalog and QED run every alert pattern against every molecule, yet most
patterns need an element the molecule does not have. Each pattern is screened first by
:class:`~screenkit.chem.patternscreen.PatternScreen` (exact necessary conditions derived from
its query tree) and RDKit's own match runs only on the survivors, so the answers are
RDKit's answers, computed for a fraction of the patterns.

FilterCatalog entries are read from RDKit's own serialisation (its binary molecule
format, not Python pickle), so the patterns and minimum counts are exactly the ones the
catalog matches with; survivors are tested with the entry's own ``HasFilterMatch``.
"""

from __future__ import annotations

import os
import re
from functools import cache

from rdkit import Chem
from rdkit.Chem import QED, Crippen, MolSurf
from rdkit.Chem import rdMolDescriptors as rdmd
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from .patternscreen import MoleculeFeatures, PatternScreen

__all__ = ["ALERT_FAMILIES", "FAST_PATHS_VARIABLE", "AlertPanel", "fast_paths_enabled", "alert_catalog", "alert_panel",
           "fast_alert_names", "fast_qed_properties"]

ALERT_FAMILIES = ("PAINS_A", "PAINS_B", "PAINS_C", "Brenk", "NIH")

# Set to 0 to compute every property with RDKit's own functions (no screens, no reuse):
# the reference that the fast path's output is compared with, byte for byte.
FAST_PATHS_VARIABLE = "SCREENKIT_FAST_PATHS"


def fast_paths_enabled() -> bool:
    """False when ``SCREENKIT_FAST_PATHS=0``: properties then come from stock RDKit calls only."""
    return os.environ.get(FAST_PATHS_VARIABLE, "1").strip().lower() not in ("0", "false", "no", "off")


# --- FilterCatalog ------------------------------------------------------------------

_PICKLE_MAGIC = b"\xef\xbe\xad\xde"  # RDKit's binary molecule format starts with 0xDEADBEEF
_TRAILER = re.compile(rb"^ (\d+) (\d+) ")


def _entry_pattern(entry) -> Chem.Mol | None:
    """The query molecule an entry's SMARTS matcher uses, or None if the entry is anything else.

    Only single-pattern matchers with a minimum count of at least one can be screened; a
    "must not contain" filter (minimum 0) or any other matcher type always survives.
    """
    blob = entry.Serialize()
    start = blob.find(_PICKLE_MAGIC)
    length = re.search(rb"(\d+) $", blob[:start]) if start > 0 else None
    if length is None:
        return None
    end = start + int(length.group(1))
    trailer = _TRAILER.match(blob[end:end + 40])
    if trailer is None or int(trailer.group(1)) < 1:
        return None
    try:
        return Chem.Mol(blob[start:end])
    except Exception:
        return None


@cache
def alert_catalog(family: str) -> FilterCatalog:
    """One FilterCatalog per family, built once per process (it parses hundreds of SMARTS)."""
    if family not in ALERT_FAMILIES:
        raise ValueError(f"unknown alert family {family!r}; known: {', '.join(ALERT_FAMILIES)}")
    params = FilterCatalogParams()
    params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, family.upper()))
    return FilterCatalog(params)


@cache
def _catalog_entries(family: str) -> tuple:
    catalog = alert_catalog(family)
    return tuple(catalog.GetEntryWithIdx(i) for i in range(catalog.GetNumEntries()))


class AlertPanel:
    """The alert families of a profile (and QED's own alerts) behind one screen.

    Parameters
    ----------
    families : tuple of str
        FilterCatalog families (see :data:`ALERT_FAMILIES`).
    qed_alerts : bool
        Also screen QED's 116 alerts, for :func:`fast_qed_properties`.

    Examples
    --------
    >>> panel = AlertPanel(("PAINS_A",), qed_alerts=True)
    >>> panel.match(Chem.MolFromSmiles("O=C1C(=Cc2ccccc2)SC(=S)N1"))
    ([('PAINS_A', 'ene_rhod_A(235)')], 2)
    """

    def __init__(self, families: tuple[str, ...], qed_alerts: bool = False):
        self.entries = [(family, entry) for family in families for entry in _catalog_entries(family)]
        self.names = [(family, entry.GetDescription()) for family, entry in self.entries]
        self.qed_alerts = list(QED.StructuralAlerts) if qed_alerts else []
        self.screen = PatternScreen([_entry_pattern(entry) for _, entry in self.entries] + self.qed_alerts)

    def match(self, mol: Chem.Mol, features: MoleculeFeatures | None = None) -> tuple[list[tuple[str, str]], int | None]:
        """Matching ``(family, alert name)`` pairs in catalog order, and QED's alert count (None without QED).

        The QED count is for ``mol`` as given; QED itself counts on ``Chem.RemoveHs(mol)``,
        so :func:`fast_qed_properties` uses it only for molecules without hydrogen atoms.
        """
        features = MoleculeFeatures.of(mol) if features is None else features
        n_entries = len(self.entries)
        names, qed_count = [], 0
        for index in self.screen.candidates(features):
            if index < n_entries:
                if self.entries[index][1].HasFilterMatch(mol):
                    names.append(self.names[index])
            elif mol.HasSubstructMatch(self.qed_alerts[index - n_entries]):
                qed_count += 1
        return names, (qed_count if self.qed_alerts else None)


@cache
def alert_panel(families: tuple[str, ...], qed_alerts: bool = False) -> AlertPanel:
    """One :class:`AlertPanel` per family set, built once per process."""
    for family in families:
        alert_catalog(family)  # unknown family: the error names it
    return AlertPanel(tuple(families), qed_alerts)


def fast_alert_names(mol: Chem.Mol, families) -> list[tuple[str, str]]:
    """``(family, alert name)`` for every alert that matches, as ``FilterCatalog.GetMatches`` finds them.

    Examples
    --------
    >>> fast_alert_names(Chem.MolFromSmiles("O=C1C(=Cc2ccccc2)SC(=S)N1"), ("PAINS_A",))
    [('PAINS_A', 'ene_rhod_A(235)')]
    """
    return alert_panel(tuple(families)).match(mol)[0]


# --- QED ----------------------------------------------------------------------------

def fast_qed_properties(mol: Chem.Mol, alert_count: int | None = None) -> QED.QEDproperties:
    """``rdkit.Chem.QED.properties`` with its 116 alert searches screened; identical values.

    The body follows RDKit's own function line by line (RDKit 2026.09); only the alert
    count skips the patterns that cannot match. ``alert_count`` is QED's alert count from
    :meth:`AlertPanel.match` on the same molecule, used when the molecule has no hydrogen
    atoms (then ``RemoveHs`` changes nothing that the count depends on).

    Examples
    --------
    >>> mol = Chem.MolFromSmiles("CN1CCCC1c1cccnc1")
    >>> fast_qed_properties(mol) == QED.properties(mol)
    True
    """
    if mol is None:
        raise ValueError("You need to provide a mol argument.")
    if alert_count is None or mol.GetNumAtoms() != mol.GetNumHeavyAtoms():  # hydrogen atoms present
        mol = Chem.RemoveHs(mol)
        alert_count = alert_panel((), qed_alerts=True).match(mol)[1]
    # else: with no hydrogen atoms RemoveHs would only re-sanitise an already sanitised
    # molecule; skipping it is checked value for value by scripts/verify_alert_screen.py.
    return QED.QEDproperties(
        MW=rdmd._CalcMolWt(mol),
        ALOGP=Crippen.MolLogP(mol),
        HBA=sum(len(mol.GetSubstructMatches(pattern)) for pattern in QED.Acceptors
                if mol.HasSubstructMatch(pattern)),
        HBD=rdmd.CalcNumHBD(mol),
        PSA=MolSurf.TPSA(mol),
        ROTB=rdmd.CalcNumRotatableBonds(mol, rdmd.NumRotatableBondsOptions.Strict),
        AROM=len(Chem.GetSSSR(Chem.DeleteSubstructs(Chem.Mol(mol), QED.AliphaticRings))),
        ALERTS=alert_count,
    )
