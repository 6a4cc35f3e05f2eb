"""Turn one input structure into its standardised parent, with readable notes.

The same function serves the bundled training data, user datasets and screening
libraries, so a compound gets the same key (canonical SMILES, InChIKey) wherever it
appears. It uses RDKit's MolStandardize (the ChEMBL pipeline's own building blocks):
cleanup and normalisation, salt/solvent removal, largest organic fragment, then
neutralisation. Problems never raise: they come back as a status and a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rdkit import Chem, rdBase
from rdkit.Chem.MolStandardize import rdMolStandardize

__all__ = ["Standardized", "standardize_mol", "standardize_smiles", "mol_from_text", "muted_rdkit_log",
           "one_line_message"]

OK, WARNING, ERROR = "ok", "warning", "error"


class muted_rdkit_log:
    """Silence RDKit's C++ log only around the call that makes the noise.

    ``rdBase.BlockLogs`` restores the previous log levels when released, so callers
    that enabled RDKit logging keep it.
    """

    def __enter__(self):
        self._block = rdBase.BlockLogs()

    def __exit__(self, *exc):
        del self._block


@dataclass(frozen=True)
class Standardized:
    """Result of standardising one structure.

    ``mol`` is ``None`` exactly when ``status == "error"``; ``reason`` is empty for a
    clean ``ok`` and otherwise says what was changed or what went wrong.
    """

    mol: Chem.Mol | None
    smiles: str
    status: str
    reason: str


def mol_from_text(text: str, kind: str) -> tuple[Chem.Mol | None, str]:
    """Parse a SMILES string or a molblock; return ``(mol, "")`` or ``(None, reason)``."""
    if not text.strip():
        return None, "empty record"
    with muted_rdkit_log():
        # Fast path: most records parse and sanitise; diagnose only the ones that do not.
        mol = Chem.MolFromMolBlock(text) if kind == "molblock" else Chem.MolFromSmiles(text)
        if mol is not None:
            return mol, ""
        raw = Chem.MolFromMolBlock(text, sanitize=False, removeHs=False) if kind == "molblock" \
            else Chem.MolFromSmiles(text, sanitize=False)
        if raw is None:
            what = "molblock" if kind == "molblock" else f"SMILES {text.strip()[:60]!r}"
            return None, f"could not parse {what}"
        problems = Chem.DetectChemistryProblems(raw)
        if problems:
            return None, "invalid chemistry: " + "; ".join(p.Message() for p in problems[:3])
        try:
            Chem.SanitizeMol(raw)
            return Chem.RemoveHs(raw), ""
        except Exception as exc:  # RDKit raises several unrelated types here
            return None, f"sanitisation failed: {one_line_message(exc)}"


@cache
def _tools():
    """MolStandardize objects, built once per process: building them parses their rule
    tables, which costs more than applying them (1.2 ms vs 0.3 ms per molecule)."""
    return {
        "metals": rdMolStandardize.MetalDisconnector(),
        "normalizer": rdMolStandardize.Normalizer(),
        "reionizer": rdMolStandardize.Reionizer(),
        "salts": rdMolStandardize.FragmentRemover(),
        "largest": rdMolStandardize.LargestFragmentChooser(preferOrganic=True),
        "uncharger": rdMolStandardize.Uncharger(),
    }


# SMARTS pre-checks (a C++ match is ~10x cheaper than looping over atoms in Python).
# Without an atom outside H, B, C, N, O, F, Si, P, S, Cl, Se, Br, I the metal
# disconnector has nothing to do; without a charged atom neither has the reionizer.
_NON_ORGANIC = Chem.MolFromSmarts("[!#1;!#5;!#6;!#7;!#8;!#9;!#14;!#15;!#16;!#17;!#34;!#35;!#53]")
_CHARGED = Chem.MolFromSmarts("[!+0]")
_CARBON = Chem.MolFromSmarts("[#6]")
_PSEUDO_ATOM = Chem.MolFromSmarts("[#0]")  # *, R, R#, [1*], A, Q: placeholders, not atoms
_DATIVE = Chem.MolFromSmarts("[*]->[*]")  # a coordination bond: a complex, not one organic compound
# A bond from carbon to a metal: the metal disconnector breaks it and leaves a carbon
# radical or carbanion (Fe(CO)5 would become formaldehyde), so such a record is not scored.
_METALS = ("[Li,Be,Na,Mg,Al,K,Ca,Sc,Ti,V,Cr,Mn,Fe,Co,Ni,Cu,Zn,Ga,Ge,Rb,Sr,Y,Zr,Nb,Mo,Tc,Ru,Rh,Pd,Ag,Cd,In,Sn,"
           "Sb,Cs,Ba,La,Ce,Pr,Nd,Pm,Sm,Eu,Gd,Tb,Dy,Ho,Er,Tm,Yb,Lu,Hf,Ta,W,Re,Os,Ir,Pt,Au,Hg,Tl,Pb,Bi,Po,Fr,Ra,"
           "Ac,Th,Pa,U,Np,Pu,Am]")
_CARBON_METAL = Chem.MolFromSmarts(f"[#6]~{_METALS}")
_METAL = Chem.MolFromSmarts(_METALS)
# RDKit's default Normalizer changes a neutral molecule only through transforms (nitro,
# N-oxide, azide, diazo, sulfoxide) that all need a double or triple bond between two
# heteroatoms; every other transform needs a charged atom. Nine in ten library molecules
# have neither, and skipping the normaliser for them saves a third of standardisation.
# tests/test_standardize.py checks this against RDKit on the bundled data.
_MAYBE_NORMALIZED = Chem.MolFromSmarts("[#7,#15,#33,#51,#16]=,#[#7,#8,#16,#34,#52]")


def _has_charge(mol: Chem.Mol) -> bool:
    return mol.HasSubstructMatch(_CHARGED)


def _not_a_compound(mol: Chem.Mol) -> str:
    """Why ``mol`` is not one real compound (query, placeholder, organometallic), or ``""``.

    Only called for molecules with an atom outside the organic set or with query
    features, so ordinary library molecules pay for two C++ checks and nothing else.
    """
    if mol.HasSubstructMatch(_PSEUDO_ATOM):
        return "not a compound: pseudo-atom, R-group or attachment point (*, R#, [n*], A, Q); not scored"
    if mol.HasQuery():
        return "not a compound: query atoms or bonds (atom list, any bond, ...); not scored"
    bond = mol.GetSubstructMatch(_CARBON_METAL)
    if bond:
        metal = mol.GetAtomWithIdx(bond[1]).GetSymbol()
        return (f"organometallic (carbon-{metal} bond): the standardiser cannot represent it as an organic "
                "parent; not scored")
    if mol.HasSubstructMatch(_DATIVE):
        return "dative (coordination) bond: a complex, not one organic compound; not scored"
    return ""


def one_line_message(exc: BaseException) -> str:
    """RDKit's multi-line C++ messages (invariant violations) as one readable line."""
    lines = [line.strip() for line in str(exc).splitlines()]
    kept = [line for line in lines if line and not line.startswith(
        ("Violation occurred", "Failed Expression", "RDKIT:", "BOOST:", "****", "Stacktrace", "----"))]
    return ": ".join(kept) or type(exc).__name__


def _fragments_text(frags) -> str:
    return ", ".join(sorted({Chem.MolToSmiles(f) for f in frags}))


def _parent_fragment(mol: Chem.Mol, tools: dict) -> tuple[Chem.Mol, list[str]]:
    """The parent of a several-fragment molecule and what was dropped (salts and solvents, other components)."""
    notes = []
    frags = Chem.GetMolFrags(mol, asMols=True)
    stripped = tools["salts"].remove(mol)
    kept = Chem.GetMolFrags(stripped, asMols=True) if stripped.GetNumAtoms() else ()
    removed = [f for f in frags if Chem.MolToSmiles(f) not in {Chem.MolToSmiles(k) for k in kept}]
    if removed:
        notes.append(f"salt/solvent removed: {_fragments_text(removed)}")
    if len(kept) > 1:
        parent = tools["largest"].choose(stripped)
        others = [k for k in kept if Chem.MolToSmiles(k) != Chem.MolToSmiles(parent)]
        notes.append(f"mixture of {len(kept)} components; kept the largest, dropped: {_fragments_text(others)}")
        return parent, notes
    if kept:
        return stripped, notes
    return tools["largest"].choose(mol), notes  # everything is on the salt list (a bare counter-ion): the largest


def _cleanup(mol: Chem.Mol, tools: dict, unusual_atoms: bool) -> tuple[Chem.Mol, list[str]]:
    """The neutral parent and the notes on dropped fragments; the input molecule is never modified.

    The steps of rdMolStandardize.Cleanup with reusable objects, then the parent fragment and
    uncharging; steps that cannot change this molecule (no metal, no charge) are skipped: same
    result, 3x faster.
    """
    notes: list[str] = []
    given = mol
    if unusual_atoms:
        mol = tools["metals"].Disconnect(mol)
    charged = _has_charge(mol)
    if charged or mol.HasSubstructMatch(_MAYBE_NORMALIZED):
        mol = Chem.Mol(mol)  # the caller's molecule stays untouched; in place is 1.5x faster
        tools["normalizer"].normalizeInPlace(mol)
        charged = _has_charge(mol)  # normalising can separate charges (nitro to N+(O-)=O)
    if charged:
        mol = tools["reionizer"].reionize(mol)
    if len(Chem.GetMolFrags(mol)) > 1:
        mol, notes = _parent_fragment(mol, tools)
    if charged and _has_charge(mol):
        mol = tools["uncharger"].uncharge(mol)
    if mol is not given:
        # Fragment removal and the uncharger return molecules without ring information
        # (TPSA and fingerprints then fail); every changed molecule is sanitised again.
        Chem.SanitizeMol(mol)
    return mol, notes


def standardize_mol(mol: Chem.Mol | None) -> Standardized:
    """Standardise an RDKit molecule to its neutral parent.

    The input is never modified, but when nothing needed changing the returned ``mol``
    is the input object itself (copying every molecule would cost a tenth of scoring);
    copy it before modifying it.

    Salts and solvents (RDKit's standard fragment list) are removed, and a mixture of
    several organic components keeps the largest, both with a warning: the structure
    scored is not the one in the file. Records that are not one real compound (pseudo-
    atoms and R-groups, query atoms or bonds, carbon-metal bonds) are errors. Every
    molecule returned is sanitised, with ring information.

    Examples
    --------
    >>> r = standardize_smiles("C[NH+](C)CCc1ccccc1.[Cl-]")
    >>> r.smiles, r.status
    ('CN(C)CCc1ccccc1', 'warning')
    >>> r.reason
    'salt/solvent removed: [Cl-]'
    """
    if mol is None:
        return Standardized(None, "", ERROR, "no molecule")
    if mol.GetNumAtoms() == 0:
        return Standardized(None, "", ERROR, "empty molecule (no atoms)")
    with muted_rdkit_log():
        try:
            tools = _tools()
            unusual_atoms = mol.HasSubstructMatch(_NON_ORGANIC) or mol.HasQuery() or mol.HasSubstructMatch(_DATIVE)
            if unusual_atoms:
                problem = _not_a_compound(mol)
                if problem:
                    return Standardized(None, "", ERROR, problem)
            mol, notes = _cleanup(mol, tools, unusual_atoms)
            smiles = Chem.MolToSmiles(mol)
        except Exception as exc:  # a failed standardisation is data, not a crash
            return Standardized(None, "", ERROR, f"standardisation failed: {one_line_message(exc)}")
    status = WARNING if notes else OK  # fragments were dropped: the scored structure is not the one in the file
    if mol.GetNumAtoms() == 0 or not smiles:
        return Standardized(None, "", ERROR, "empty molecule after standardisation")
    if not mol.HasSubstructMatch(_CARBON):
        return Standardized(None, smiles, ERROR, "; ".join(notes + ["no carbon atom: inorganic, not scored"]))
    if unusual_atoms and mol.HasSubstructMatch(_METAL):
        notes.append("contains a metal the standardiser kept; the models were trained on organic compounds")
        status = WARNING
    return Standardized(mol, smiles, status, "; ".join(notes))


def standardize_smiles(smiles: str) -> Standardized:
    """Parse then standardise a SMILES string (see :func:`standardize_mol`)."""
    mol, reason = mol_from_text(smiles, "smiles")
    if mol is None:
        return Standardized(None, "", ERROR, reason)
    return standardize_mol(mol)
