"""Ionisation at pH 7.4: pKa of the most basic and most acidic centre, and cLogD.

Estimated from functional-group classes, not predicted by a model: fast enough for
every screened molecule (about 0.1-0.4 ms; the former five-class table took a quarter of that) and transparent (each value names
the class it came from). The classes follow measured pKa of parent compounds in the
standard compilations (Perrin 1965 for bases, Serjeant & Dempsey 1979 for acids,
Williams' compilation as curated in dimorphite-dl 2.1); aliphatic amines are
corrected for electron-withdrawing groups near the nitrogen by the additive
increments of Perrin, Dempsey & Serjeant (1981, *pKa Prediction for Organic Acids and
Bases*) and, for fluorine, Morgenthaler et al. (2007, *ChemMedChem* 2:1100).

Why not a predictor from PyPI: dimorphite-dl 2.1 (class means, 2 ms per molecule)
puts 4-aminopyridine at 4.4, acylguanidines at 12 and caffeine at 4.4; the graph
models (pkasolver, Uni-pKa, MolGpKa) need torch and cost 10-100 ms per molecule.
``tests/data_pka/drug_pka.csv`` holds the literature values this module is tested on.

cLogD at pH 7.4 (Avdeef 2003, *Absorption and Drug Development*, ch. 4): the neutral
fraction of the most basic and most acidic centre, treated as independent, with ion
pairs partitioning 3.5 log units below the neutral form (Avdeef's "diff 3-4" rule)::

    f_neutral = 1 / ((1 + 10^(pKa_base - 7.4)) * (1 + 10^(7.4 - pKa_acid)))
    cLogD = cLogP + log10(f_neutral + (1 - f_neutral) * 10^-3.5)

A permanent cation (quaternary ammonium, N-alkyl pyridinium) has f_neutral = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from rdkit import Chem

__all__ = ["Ionisation", "ionisation", "clogd", "PH", "ION_PAIR_DROP"]

PH = 7.4
ION_PAIR_DROP = 3.5  # log units an ion pair partitions below the neutral species

# (name, SMARTS, pKa of the conjugate acid). The first atom of each SMARTS is the basic
# atom; the first class that matches an atom gives its value, so specific classes come
# first. Aliphatic amines are not listed here: see _AMINE and _amine_pka.
_NOT_DELOCALISED = "!$(N-C=[O,S,N]);!$(N-S(=O)=O);!$(N-[#7,#8]);!$(N-C#N);!$(N-[CX3]=[CX3])"
_BASES = [
    # guanidines and amidines by substitution
    ("sulfonyl/cyano/nitro guanidine or amidine: not basic",
     "[NX2;$(N=C~[#7]);$(N=C~[#7]~[$(S(=O)=O),$(C#N),$(N=O),$(N(=O)=O),$([N+](=O)[O-])]),"
     "$(N-[$(S(=O)=O),$(C#N),$(N=O),$(N(=O)=O),$([N+](=O)[O-])])]", None),
    ("acyl guanidine (amiloride, guanfacine)", "[NX2;$(N=C(~[#7])~[#7]);$(N=C~[#7]~C=O),$(N-C=O)]", 8.0),
    ("acyl amidine", "[NX2;$(N=C~[#7]);$(N=C~[#7]~C=O),$(N-C=O)]", 4.0),
    ("amidoxime / N-hydroxy amidine", "[NX2;$(N=C-[#7]);$(N-[OX2])]", 4.9),
    ("aryl-imino imidazolidine (clonidine type)", "[NX2;$(N(-c)=C1NCCN1),$(N1=C(Nc)NCC1)]", 8.0),
    ("biguanide", "[NX2;$(N=C(-[#7])-[#7]-C(=[#7])-[#7]),$(N=C(-[#7])-[#7]=C(-[#7])-[#7])]", 12.4),
    ("aryl guanidine", "[NX2;$(N=C(-[#7])-[#7]);$(N=C(~N-a)~N),$(N-a)]", 10.0),
    ("alkyl guanidine", "[NX2;$(N=C(-[#7])-[#7])]", 13.0),
    ("aryl amidine (benzamidine)", "[NX2;$(N=C(-[#7;" + _NOT_DELOCALISED[1:] + "])-a);!$(N-a)]", 11.6),
    ("alkyl amidine", "[NX2;$(N=C(-[#7;" + _NOT_DELOCALISED[1:] + "])-[#6,#1]);!$(N-a);!$(N-[!#6;!#1])]", 12.0),
    ("imine (Schiff base, benzodiazepine N4)", "[NX2;$(N=[CX3]);!$(N=C-[#7,#8,#16]);!$(N-[!#6])]", 3.4),
    # pyridines: 4-amino and 2-amino raise, electron-withdrawing groups lower
    ("4-aminopyridine / 4-aminoquinoline", "[nX2;r6;$(n1ccc(-[NX3;!$(N-C=O);!$(N-S(=O)=O)])cc1),"
     "$(n1ccc(-[NX3;!$(N-C=O);!$(N-S(=O)=O)])c2ccccc12)]", 9.2),
    ("2,4-diaminopyrimidine (trimethoprim type)", "[nX2;r6;$(n1c(-[NX3])nc(-[NX3])cc1),$(n1c(-[NX3])ncc(*)c1-[NX3]),"
     "$(n1c(-[NX3])ccc(*)n1)]", 7.1),
    ("2-aminopyridine", "[nX2;r6;$(n1c(-[NX3;!$(N-C=O);!$(N-S(=O)=O)])cccc1);!$(n:c:n);!$(n:n)]", 6.9),
    ("diazine (pyrimidine, pyrazine, pyridazine, triazine)", "[nX2;r6;$(n:a:n),$(n:n),$(n:a:a:n)]", 1.5),
    ("pyridine with an electron-withdrawing ring substituent", "[nX2;r6;$(n:c-[F,Cl,Br,I,$(C#N),$(C=O),"
     "$(C(F)(F)F),$(N(=O)=O),$(S(=O)=O)]),$(n:c:c-[$(C#N),$(N(=O)=O),$(C(F)(F)F)])]", 2.5),
    ("pyridine / quinoline", "[nX2;r6]", 5.2),
    # five-membered rings
    ("tetrazole ring N: not basic", "[nX2;$(n1nnnc1),$(n1nncn1),$(n1ncnn1),$(n1cnnn1)]", None),
    ("nitroimidazole", "[nX2;r5;$(n1:c:n:c:c1),$(n1:c:c:n:c1);$(n1aaaa1-[N+](=O)[O-]),$(n1aaa(-[N+](=O)[O-])a1),"
     "$(n1aa(-[N+](=O)[O-])aa1),$(n1a(-[N+](=O)[O-])aaa1),$(n1aaaa1-N(=O)=O),$(n1aaa(-N(=O)=O)a1),"
     "$(n1a(-N(=O)=O)aaa1),$(n1aa(-N(=O)=O)aa1)]", 2.6),
    ("xanthine / purine imidazole N (caffeine type)", "[nX2;r5;$(n1cn(*)c2c1nc[n,c]c2),$(n1cnc2c1nc[n,c]c2),"
     "$(n1c[nH]c2c1nc[n,c]c2),$(n1cn(*)c2c1[n,c]c(=O)[n,c]c2=O),$(n1cn(*)c2c1c(=O)nc(=O)n2),$(n1cn(*)c2c1c(=O)n(*)c(=O)n2*),"
     "$(n1c:n:c2:c:1:[n,c]:[c,n]:[n,c]:c:2)]", 1.0),
    ("2-aminoimidazole / 2-aminobenzimidazole", "[nX2;r5;$(n1c(-[NX3;!$(N-C=O)])[nX3]cc1),"
     "$(n1c(-[NX3;!$(N-C=O)])[nX3]c2ccccc12)]", 7.5),
    ("benzimidazole / fused imidazole", "[nX2;r5;$(n1:c:n:a2:a:1:a:a:a:a:2),$(n1:c:n2:a:a:a:a:a:2:c:1),"
     "$(n1:c:a:n2:a:1:a:a:a:2),$(n1:c:c:n2:a:a:a:a:c:1:2)]", 5.5),
    ("imidazole", "[nX2;r5;$(n1:c:[nX3]:c:c1),$(n1:c:c:[nX3]:c1)]", 6.9),
    ("1,2,4-triazole / 1,2,3-triazole", "[nX2;r5;$(n1:n:c:n:c1),$(n1:c:n:n:c1),$(n1:c:n:c:n1),$(n1:n:n:c:c1),"
     "$(n1:n:c:c:n1),$(n1:c:c:n:n1)]", 2.2),
    ("thiazole / oxazole / pyrazole / isoxazole", "[nX2;r5]", 2.0),
    # aromatic amines
    ("aniline", "[NX3;H0,H1,H2;$(N-c);" + _NOT_DELOCALISED + ";!$(N(-a)-a);!$(N-c:[n,o,s])]", 4.6),
]

# Aliphatic amine nitrogens: every neighbour is sp3 carbon or H (so amides, anilines,
# sulfonamides, enamines, hydrazines and N-oxides are excluded by construction).
_AMINE = "[NX3;+0;!$(N-[!#6;!#1]);!$(N-[#6;!X4])]"
_AMINE_BASE = {2: 10.6, 1: 10.9, 0: 10.0}  # by H count: primary, secondary, tertiary (Perrin 1965)

# Additive pKa decrements for a group bonded to the alpha carbon (d=1: benzylamine,
# glycinamide, aminoacetonitrile, an aminal O or N) or to a beta sp3 carbon (d=2:
# 2-methoxyethylamine, morpholine, piperazine, 2-fluoroethylamine, CF3CH2-N):
# (SMARTS for the group's first atom, decrement at d=1, at d=2). Perrin,
# Dempsey & Serjeant 1981 (sigma* increments for amines); fluorine per F, Morgenthaler
# 2007; values checked against ethylamine 10.6, 2-methoxyethylamine 9.4, morpholine 8.4,
# piperazine 9.8, 1-acetylpiperazine 7.9, 1-phenylpiperazine 8.7, benzylamine 9.3,
# 2-fluoroethylamine 9.0, 2,2,2-trifluoroethylamine 5.7, aminoacetonitrile 5.3,
# glycinamide 8.0, allylamine 9.5, propargylamine 8.2.
_DECREMENTS = [  # (group, SMARTS of its first atom as documentation and for the test, d=1, d=2)
    ("nitrile", "[CX2]#N", 5.3, 2.7),
    ("carbonyl (amide, ketone, ester, acid)", "[CX3]=[O,S]", 2.6, 1.0),
    ("sulfonyl", "[SX4](=O)=O", 3.5, 1.5),
    ("heteroaryl", "[c,n;$(a:[n,o,s]),$(a:a:[n,o,s])]", 1.8, 0.7),
    ("aryl", "a", 1.3, 0.7),
    ("alkyne", "[CX2]#C", 2.5, 1.0),
    ("alkene / imine carbon", "[CX3]=[C,N]", 1.1, 0.4),
    ("fluorine", "F", 3.0, 1.7),
    ("chlorine / bromine", "[Cl,Br]", 3.0, 1.7),
    ("amide / sulfonamide / carbamate N", "[NX3;$(N-C=[O,S]),$(N-S(=O)=O)]", 3.0, 1.6),
    ("aryl / heteroaryl amine N", "[NX3;$(N-a)]", 3.0, 1.2),
    ("aromatic ring N (azole N1)", "[nX3]", 3.0, 1.0),
    ("amine N", "[NX3]", 2.0, 0.65),
    ("ether / hydroxyl / ester O", "[OX2]", 3.0, 1.3),
    ("sulfur", "[SX2,SX3]", 2.0, 0.8),
]
_DECREMENT_VALUES = {name: (d1, d2) for name, _, d1, d2 in _DECREMENTS}

_ACIDS = [
    ("sulfonic / sulfuric acid", "[OX2H1]-[SX4](=O)=O", -1.0),
    ("phosphonic / phosphoric acid", "[OX2H1]-P=O", 1.8),
    ("acyl sulfonamide / sulfonylurea", "[NX3H1;$(N(-C=O)-S(=O)=O)]", 4.5),
    ("tetrazole NH", "[nH1;$(n1nnnc1),$(n1nncn1)]", 4.9),
    ("alpha-amino acid (zwitterion)", "[OX2H1]-C(=O)-[CX4]-[NX3;!$(N-C=O);!$(N-S(=O)=O);!$(N-a)]", 2.3),
    ("salicylic acid / acid with an ortho-carbonyl aryl", "[OX2H1]-C(=O)-c:c-[OX2H1]", 3.0),
    ("alpha-hetero carboxylic acid (aryloxyacetic)", "[OX2H1]-C(=O)-[CX4]-[O,S,F,Cl]", 3.2),
    ("aryl carboxylic acid", "[OX2H1]-C(=O)-a", 4.0),
    ("aryl-acetic / aryl-propionic acid", "[OX2H1]-C(=O)-[CX4]-a", 4.3),
    ("carboxylic acid", "[OX2H1]-C(=O)", 4.5),
    ("4-hydroxycoumarin / vinylogous acid (enol of a 1,3-dicarbonyl)",
     "[OX2H1;$(O-C=C-C=O),$(O-c1c(*)c(=O)oc2ccccc12),$(O-c1cc(=O)oc2ccccc12)]", 5.0),
    ("thiazolidinedione / oxazolidinedione NH", "[NX3H1;$(N1C(=O)SCC1=O),$(N1C(=O)OCC1=O),$(N1C(=O)SC=C1O),"
     "$(N1C(=O)SC(*)C1=O),$(N1C(=O)S[CH1]C1=O)]", 6.5),
    ("sulfonamide NH on a heteroaryl (sulfa drugs)", "[NX3H1;$(N(-S(=O)=O)-c:[n,o,s]),$(N(-S(=O)=O)-c:c:n)]", 6.2),
    ("barbiturate NH", "[NX3H1;$(N1C(=O)NC(=O)CC1=O),$(N1C(=O)[NX3]C(=O)CC1=O)]", 7.6),
    ("heteroaryl primary sulfonamide", "[NX3H2;$(N-S(=O)(=O)-c:[n,s])]", 7.5),
    ("hydantoin NH", "[NX3H1;$(N1C(=O)NCC1=O),$(N1C(=O)N(*)CC1=O)]", 8.5),
    ("xanthine / purine NH (theophylline N7)", "[nH1;r5;$([nH]1cnc2c1c(=O)nc(=O)n2),$([nH]1cnc2c1c(=O)[nX3]c(=O)[nX3]2)]",
     8.8),
    ("hydroxamic acid", "[OX2H1]-[NX3]-C=O", 9.0),
    ("aryl sulfonamide N-aryl", "[NX3H1;$(N(-S(=O)=O)-a)]", 8.4),
    ("imide NH", "[NX3H1;$(N(C=O)C=O)]", 9.5),
    ("phenol with an ortho/para nitro", "[OX2H1;$(O-c1ccc(-[$([N+](=O)[O-]),$(N(=O)=O)])cc1),"
     "$(O-c:c-[$([N+](=O)[O-]),$(N(=O)=O)])]", 7.2),
    ("phenol", "[OX2H1]-c", 9.9),
    ("primary sulfonamide", "[NX3H2]-S(=O)=O", 10.0),
]

_PERMANENT_CATION = "[$([NX4+;H0;!$(N~[O-])]),$([nX3+;H0;!$(n-[O-]);!$(n~[O-])]),$([PX4+;H0]),$([SX3+;H0;!$(S~[O-])])]"


# A class is only tried when its basic or acidic atom type occurs at all: one cheap match
# per atom type instead of one per class (most molecules have no amidine, no azole, ...).
_GATES = {"[NX2": "[NX2]", "[nX2;r6": "[nX2;r6]", "[nX2;r5": "[nX2;r5]", "[nX2;": "[nX2]", "[NX3;": "[NX3;$(N-c)]",
          "[NX3H": "[NX3;!H0;$(N-C=O),$(N-S=O)]", "[nH1": "[nH1]", "[OX2H1": "[OX2H1]"}


def _gate(smarts: str) -> str:
    if smarts.startswith("[OX2H1]-C(=O)"):  # the carboxylic-acid classes
        return "[OX2H1]-C=O"
    for prefix, gate in _GATES.items():
        if smarts.startswith(prefix):
            return gate
    return smarts


@cache
def _compiled():
    def compile_all(table):
        gates: dict[str, Chem.Mol] = {}
        return [(name, Chem.MolFromSmarts(smarts), pka,
                 gates.setdefault(_gate(smarts), Chem.MolFromSmarts(_gate(smarts)))) for name, smarts, pka in table]

    decrements = [(name, Chem.MolFromSmarts(smarts), d1, d2) for name, smarts, d1, d2 in _DECREMENTS]
    return (compile_all(_BASES), compile_all(_ACIDS), Chem.MolFromSmarts(_AMINE), decrements,
            Chem.MolFromSmarts(_PERMANENT_CATION))


def _matching_classes(mol: Chem.Mol, table):
    """``(name, pKa, first atom)`` per match, classes in table order, gates checked once each."""
    gate_hit: dict[int, bool] = {}
    for name, pattern, pka, gate in table:
        hit = gate_hit.get(id(gate))
        if hit is None:
            hit = gate_hit[id(gate)] = mol.HasSubstructMatch(gate)
        if hit:
            for match in mol.GetSubstructMatches(pattern):
                yield name, pka, match[0]


@dataclass(frozen=True)
class Ionisation:
    """pKa of the most basic centre (conjugate acid) and of the most acidic one, with their classes.

    ``pka_basic`` is ``nan`` when there is no basic centre, ``pka_acidic`` when there is
    no acidic one; ``permanent_cation`` is true for a quaternary ammonium or similar.
    """

    pka_basic: float
    basic_class: str
    pka_acidic: float
    acidic_class: str
    permanent_cation: bool

    @property
    def neutral_fraction(self) -> float:
        """Fraction of the neutral species at pH 7.4 (0 for a permanent cation)."""
        if self.permanent_cation:
            return 0.0
        base = 1 + 10 ** (self.pka_basic - PH) if self.pka_basic == self.pka_basic else 1.0
        acid = 1 + 10 ** (PH - self.pka_acidic) if self.pka_acidic == self.pka_acidic else 1.0
        return 1.0 / (base * acid)

    @property
    def ion_class(self) -> str:
        """``permanent cation``, ``zwitterion``, ``base``, ``acid`` or ``neutral`` at pH 7.4 (50% ionised or more)."""
        if self.permanent_cation:
            return "permanent cation"
        basic = self.pka_basic == self.pka_basic and self.pka_basic >= PH
        acidic = self.pka_acidic == self.pka_acidic and self.pka_acidic <= PH
        return "zwitterion" if basic and acidic else "base" if basic else "acid" if acidic else "neutral"


def _group_decrement(atom: Chem.Atom) -> tuple[float, float]:
    """(d=1, d=2) decrement of the group whose first atom is ``atom``: the classes of
    :data:`_DECREMENTS`, decided from the atom's own bonds (cheaper than matching the 15
    SMARTS on every molecule; tests/test_properties.py checks both agree)."""
    element = atom.GetAtomicNum()
    if atom.GetIsAromatic():
        return _DECREMENT_VALUES["heteroaryl" if _near_aromatic_hetero(atom) and element in (6, 7) else "aryl"]
    if element == 9:
        return _DECREMENT_VALUES["fluorine"]
    if element in (17, 35):
        return _DECREMENT_VALUES["chlorine / bromine"]
    connections = atom.GetDegree() + atom.GetTotalNumHs()
    if element == 8:
        return _DECREMENT_VALUES["ether / hydroxyl / ester O"] if connections == 2 else (0.0, 0.0)
    bonds = [(b.GetBondType(), b.GetOtherAtom(atom)) for b in atom.GetBonds()]
    if element == 6:
        return _carbon_decrement(bonds, connections)
    if element == 16:
        oxo = sum(order == Chem.BondType.DOUBLE and other.GetAtomicNum() == 8 for order, other in bonds)
        if oxo >= 2 and atom.GetDegree() == 4:
            return _DECREMENT_VALUES["sulfonyl"]
        return _DECREMENT_VALUES["sulfur"] if connections in (2, 3) else (0.0, 0.0)
    if element == 7 and connections == 3:
        return _nitrogen_decrement(bonds)
    return 0.0, 0.0


def _near_aromatic_hetero(atom: Chem.Atom) -> bool:
    """Heteroaryl: an aromatic n, o or s one or two aromatic bonds away from the aromatic ``atom``."""
    index, hetero = atom.GetIdx(), (7, 8, 16)
    near = False
    for bond in atom.GetBonds():
        if not bond.GetIsAromatic():
            continue
        n = bond.GetOtherAtom(atom)
        near = n.GetAtomicNum() in hetero or any(
            b.GetIsAromatic() and b.GetOtherAtom(n).GetAtomicNum() in hetero and b.GetOtherAtom(n).GetIdx() != index
            for b in n.GetBonds())
        if near:
            break
    return near


def _carbon_decrement(bonds: list, connections: int) -> tuple[float, float]:
    """A non-aromatic carbon: nitrile or alkyne, carbonyl, alkene or imine carbon, else nothing."""
    for order, other in bonds:
        if order == Chem.BondType.TRIPLE:
            if connections != 2:
                return 0.0, 0.0
            return _DECREMENT_VALUES["nitrile" if other.GetAtomicNum() == 7 else "alkyne"]
    if connections != 3:
        return 0.0, 0.0
    for order, other in bonds:
        if order == Chem.BondType.DOUBLE and other.GetAtomicNum() in (8, 16):
            return _DECREMENT_VALUES["carbonyl (amide, ketone, ester, acid)"]
    for order, other in bonds:
        if order == Chem.BondType.DOUBLE and other.GetAtomicNum() in (6, 7) and not other.GetIsAromatic():
            return _DECREMENT_VALUES["alkene / imine carbon"]
    return 0.0, 0.0


def _nitrogen_decrement(bonds: list) -> tuple[float, float]:
    """A non-aromatic three-connected nitrogen: amide-like N, else an (aryl) amine N."""
    for _, other in bonds:
        if other.GetIsAromatic():
            aryl = True
            break
    else:
        aryl = False
    for _, other in bonds:
        if other.GetAtomicNum() in (6, 16) and any(
                b.GetBondType() == Chem.BondType.DOUBLE and b.GetOtherAtom(other).GetAtomicNum() in (8, 16)
                for b in other.GetBonds()):
            if other.GetAtomicNum() == 6 or sum(b.GetBondType() == Chem.BondType.DOUBLE for b in other.GetBonds()) >= 2:
                return _DECREMENT_VALUES["amide / sulfonamide / carbamate N"]
    return _DECREMENT_VALUES["aryl / heteroaryl amine N" if aryl else "amine N"]


def _amine_pka(mol: Chem.Mol, n_index: int) -> float:
    """Aliphatic amine pKa: parent value by substitution minus decrements for groups on
    the alpha (d=1), beta (d=2) and gamma (d=3, 0.4 of d=2: Perrin's attenuation per
    saturated carbon) carbons; every path from the N counts, as in Perrin's scheme."""
    atom = mol.GetAtomWithIdx(n_index)
    pka = _AMINE_BASE[min(atom.GetTotalNumHs(), 2)]
    sp3 = Chem.HybridizationType.SP3
    # (carbon, previous atom) pairs at this distance: walk sp3 carbons outwards from the N
    frontier = [(alpha, n_index) for alpha in atom.GetNeighbors()]
    for distance in (1, 2, 3):
        following = []
        for carbon, previous in frontier:
            for group in carbon.GetNeighbors():
                index = group.GetIdx()
                if index in (previous, n_index):
                    continue
                d1, d2 = _group_decrement(group)
                pka -= d1 if distance == 1 else d2 if distance == 2 else 0.4 * d2
                if distance < 3 and group.GetAtomicNum() == 6 and group.GetHybridization() == sp3:
                    following.append((group, carbon.GetIdx()))
        frontier = following
    return pka


def ionisation(mol: Chem.Mol) -> Ionisation:
    """Most basic and most acidic centre of a (neutral, standardised) molecule.

    Examples
    --------
    >>> i = ionisation(Chem.MolFromSmiles("Nc1ccncc1"))  # dalfampridine
    >>> i.pka_basic, i.basic_class
    (9.2, '4-aminopyridine / 4-aminoquinoline')
    >>> ionisation(Chem.MolFromSmiles("CC(C)Cc1ccc(C(C)C(=O)O)cc1")).ion_class  # ibuprofen
    'acid'
    >>> round(ionisation(Chem.MolFromSmiles("C1COCCN1C")).pka_basic, 1)  # N-methylmorpholine
    7.4
    """
    bases, acids, amine, decrements, permanent = _compiled()
    best_base, base_class, seen = math.nan, "", set()
    for name, pka, atom in _matching_classes(mol, bases):
        if atom in seen:
            continue
        seen.add(atom)
        if pka is not None and not pka <= best_base:
            best_base, base_class = pka, name
    amines = [m[0] for m in mol.GetSubstructMatches(amine) if m[0] not in seen]
    for index in amines:
        pka = round(_amine_pka(mol, index), 2)
        if not pka <= best_base:
            best_base, base_class = pka, "aliphatic amine"
    best_acid, acid_class, seen = math.nan, "", set()
    for name, pka, atom in _matching_classes(mol, acids):
        if atom in seen:
            continue
        seen.add(atom)
        if not pka >= best_acid:
            best_acid, acid_class = pka, name
    return Ionisation(best_base, base_class, best_acid, acid_class, mol.HasSubstructMatch(permanent))


def clogd(clogp: float, ion: Ionisation) -> float:
    """cLogD at pH 7.4 from cLogP and the ionisation (see the module docstring).

    Examples
    --------
    >>> acid = Ionisation(float("nan"), "", 4.4, "carboxylic acid", False)
    >>> round(clogd(3.5, acid), 2)  # ibuprofen-like: about three log units below cLogP
    0.62
    """
    f = ion.neutral_fraction
    return clogp + math.log10(f + (1 - f) * 10 ** -ION_PAIR_DROP)
