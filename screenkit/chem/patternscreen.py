"""Skip the substructure searches that cannot match: necessary conditions for many patterns at once.

Most patterns need an element the molecule does not have (a sulfur, a halogen, an aromatic
nitrogen, ...). A :class:`PatternScreen` tests each pattern first with a necessary condition
on atom kinds (element and aromaticity) and bond features, so that RDKit's own match runs
only on the survivors and the answers stay RDKit's answers.

The screen is derived from each pattern's query tree (``Atom.DescribeQuery``), never
from examples: a query atom's set of possible atom kinds is

* exact for the primitives ``AtomAtomicNum``, ``AtomType``, ``AtomIsAromatic`` and
  ``AtomIsAliphatic`` (and their negations);
* the intersection or union of its children's sets for ``AtomAnd`` / ``AtomOr``;
* "any kind" for everything else (H count, ring membership, charge, recursive SMARTS,
  a negated ``AtomAnd``/``AtomOr``, ...), which can only make the screen weaker.

A substructure match maps query atoms to distinct molecule atoms, so for every set S
of kinds that occurs, the molecule must have at least as many atoms of a kind in S as
the query has atoms whose kind set lies inside S (Hall's condition, checked for the
sets that occur). A pattern that fails any such count cannot match and is skipped.
``scripts/verify_alert_screen.py`` compares the result with RDKit's own functions on
large real sets; ``tests/test_alertscreen.py`` checks it on random molecules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from rdkit import Chem

__all__ = ["MoleculeFeatures", "PatternScreen", "pattern_requirements", "query_atom_kinds", "query_bond_classes"]

# Atom kinds: atomic number Z (0-118) for aliphatic atoms, 119 + Z for aromatic ones.
_N_ELEMENTS = 119
_N_KINDS = 2 * _N_ELEMENTS
_ANY = np.ones(_N_KINDS, dtype=bool)


def _element_mask(z: int) -> np.ndarray:
    mask = np.zeros(_N_KINDS, dtype=bool)
    if 0 <= z < _N_ELEMENTS:
        mask[z] = mask[_N_ELEMENTS + z] = True
    return mask


def _type_mask(value: int) -> np.ndarray:
    # RDKit's AtomType value: atomic number, plus 1000 for an aromatic atom.
    mask = np.zeros(_N_KINDS, dtype=bool)
    aromatic, z = divmod(value, 1000)
    if 0 <= z < _N_ELEMENTS and aromatic in (0, 1):
        mask[aromatic * _N_ELEMENTS + z] = True
    return mask


_AROMATIC = np.arange(_N_KINDS) >= _N_ELEMENTS
_PRIMITIVE = re.compile(r"^(AtomAtomicNum|AtomType) (-?\d+) (=|!=) val$")
_FLAG = re.compile(r"^(AtomIsAromatic|AtomIsAliphatic) (-?\d+) (=|!=) val$")


def _query_lines(description: str) -> list[tuple[int, str]]:
    """``(depth, text)`` per line of RDKit's ``DescribeQuery`` tree (two spaces per level)."""
    return [((len(raw) - len(raw.lstrip(" "))) // 2, raw.strip()) for raw in description.splitlines() if raw.strip()]


def _possible(lines: list[tuple[int, str]], start: int, prefix: str, primitive, anything: np.ndarray):
    """What the query node at ``lines[start]`` can match, as a mask; returns the mask and the next index.

    ``<prefix>And``/``<prefix>Or`` intersect/unite their children; ``primitive(text)`` gives the
    exact mask of a primitive it understands (negation included) or None; anything else (a
    negated composite, recursion, ring or H-count queries, ...) can match ``anything``.
    """
    depth, text = lines[start]
    children = []
    index = start + 1
    while index < len(lines) and lines[index][0] > depth:
        child, index = _possible(lines, index, prefix, primitive, anything)
        children.append(child)
    if text in (f"{prefix}And", f"{prefix}Or"):
        if not children:
            return anything, index
        combined = children[0].copy()
        for child in children[1:]:
            combined = combined & child if text == f"{prefix}And" else combined | child
        return combined, index
    exact = primitive(text) if not children else None
    return (anything if exact is None else exact), index


def _atom_primitive(text: str) -> np.ndarray | None:
    primitive = _PRIMITIVE.match(text)
    if primitive:
        kind, value, op = primitive.groups()
        exact = _element_mask(int(value)) if kind == "AtomAtomicNum" else _type_mask(int(value))
        return exact if op == "=" else ~exact
    flag = _FLAG.match(text)
    if flag:
        kind, _, op = flag.groups()
        exact = _AROMATIC if kind == "AtomIsAromatic" else ~_AROMATIC
        return exact if op == "=" else ~exact
    return None


def query_atom_kinds(atom: Chem.Atom) -> np.ndarray:
    """Boolean mask of the atom kinds a query atom can match (a superset; exact for simple atoms)."""
    if not atom.HasQuery():
        return _element_mask(atom.GetAtomicNum()) if atom.GetAtomicNum() else _ANY
    lines = _query_lines(atom.DescribeQuery())
    return _possible(lines, 0, "Atom", _atom_primitive, _ANY)[0] if lines else _ANY


# Bond classes: single, double, triple, aromatic, anything else (dative, zero-order, ...).
_N_BOND_CLASSES = 5
_BOND_CLASS = {1: 0, 2: 1, 3: 2, 12: 3}
_ANY_BOND = np.ones(_N_BOND_CLASSES, dtype=bool)
_BOND_PRIMITIVE = re.compile(r"^(BondOrder|SingleOrAromaticBond) (-?\d+) (=|!=) val$")
# A bond constraint is kept only while its satisfying (kind, kind, class) triples stay few.
_MAX_BOND_FEATURES = 256


def _bond_primitive(text: str) -> np.ndarray | None:
    primitive = _BOND_PRIMITIVE.match(text)
    if not primitive:
        return None
    kind, value, op = primitive.groups()
    exact = np.zeros(_N_BOND_CLASSES, dtype=bool)
    exact[[0, 3] if kind == "SingleOrAromaticBond" else _BOND_CLASS.get(int(value), 4)] = True
    return exact if op == "=" else ~exact


def query_bond_classes(bond: Chem.Bond) -> np.ndarray:
    """Boolean mask of the bond classes a query bond can match (a superset)."""
    if not bond.HasQuery():
        exact = np.zeros(_N_BOND_CLASSES, dtype=bool)
        exact[_BOND_CLASS.get(int(bond.GetBondType()), 4)] = True
        return exact
    lines = _query_lines(bond.DescribeQuery())
    return _possible(lines, 0, "Bond", _bond_primitive, _ANY_BOND)[0] if lines else _ANY_BOND


def _bond_feature(kind_a: int, kind_b: int, bond_class: int) -> int:
    low, high = (kind_a, kind_b) if kind_a <= kind_b else (kind_b, kind_a)
    return (low * _N_KINDS + high) * _N_BOND_CLASSES + bond_class


def _bond_features(kinds_a: np.ndarray, kinds_b: np.ndarray, classes: np.ndarray) -> frozenset[int] | None:
    """Every molecule bond feature a query bond could match, or None when there are too many to list."""
    a, b, c = np.flatnonzero(kinds_a), np.flatnonzero(kinds_b), np.flatnonzero(classes)
    if len(a) * len(b) * len(c) > _MAX_BOND_FEATURES:
        return None
    return frozenset(_bond_feature(int(x), int(y), int(z)) for x in a for y in b for z in c)


def _hall_counts(items: list[frozenset]) -> list[tuple[frozenset, int]]:
    """For each distinct set, how many items' sets lie inside it (distinct query parts need distinct partners)."""
    distinct = list(dict.fromkeys(items))
    return [(group, sum(1 for other in items if other <= group)) for group in distinct]


def pattern_requirements(query: Chem.Mol) -> tuple[list[tuple[np.ndarray, int]], list[tuple[frozenset, int]]]:
    """Necessary conditions for ``query`` to match a molecule.

    Returns ``(atom conditions, bond conditions)``: ``(kind mask, n)`` means the molecule
    needs at least n atoms with a kind in the mask; ``(bond features, n)`` that it needs at
    least n bonds whose (kind, kind, class) feature is in the set.
    """
    kinds = [query_atom_kinds(atom) for atom in query.GetAtoms()]
    atom_sets = [frozenset(np.flatnonzero(mask).tolist()) for mask in kinds if not mask.all()]
    atom_conditions = []
    for group, count in _hall_counts(atom_sets):
        mask = np.zeros(_N_KINDS, dtype=bool)
        mask[list(group)] = True
        atom_conditions.append((mask, count))
    bond_sets = []
    for bond in query.GetBonds():
        features = _bond_features(kinds[bond.GetBeginAtomIdx()], kinds[bond.GetEndAtomIdx()],
                                  query_bond_classes(bond))
        if features is not None:
            bond_sets.append(features)
    return atom_conditions, _hall_counts(bond_sets)


_BOND_CLASS_OF_ORDER = {1.0: 0, 2.0: 1, 3.0: 2, 1.5: 3}


@dataclass(frozen=True)
class MoleculeFeatures:
    """What the screens need to know about one molecule: its atom kinds and bond features."""

    kinds: np.ndarray  # kind of every atom
    bond_features: np.ndarray  # (kind, kind, class) feature of every bond

    @classmethod
    def of(cls, mol: Chem.Mol) -> MoleculeFeatures:
        kinds = np.array([atom.GetAtomicNum() + _N_ELEMENTS * atom.GetIsAromatic() for atom in mol.GetAtoms()],
                         dtype=np.int64)
        bonds = [(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), _BOND_CLASS_OF_ORDER.get(bond.GetBondTypeAsDouble(), 4))
                 for bond in mol.GetBonds()]
        if not bonds:
            return cls(kinds, np.zeros(0, dtype=np.int64))
        begin, end, bond_class = np.array(bonds, dtype=np.int64).T
        low = np.minimum(kinds[begin], kinds[end])
        high = np.maximum(kinds[begin], kinds[end])
        return cls(kinds, (low * _N_KINDS + high) * _N_BOND_CLASSES + bond_class)


class PatternScreen:
    """Necessary conditions for a list of patterns, tested for all patterns at once.

    Parameters
    ----------
    queries : list of rdkit.Chem.Mol or None
        Query molecules; ``None`` for a pattern that cannot be screened (it always survives).

    Examples
    --------
    >>> screen = PatternScreen([Chem.MolFromSmarts("S=C"), Chem.MolFromSmarts("c1ccccc1"), None])
    >>> screen.candidates(MoleculeFeatures.of(Chem.MolFromSmiles("c1ccccc1O"))).tolist()
    [1, 2]
    """

    def __init__(self, queries: list[Chem.Mol | None]):
        atom_rows: list[np.ndarray] = []
        bond_rows: list[frozenset] = []
        required: list = []
        owner: list[int] = []
        for index, query in enumerate(queries):
            if query is None:
                continue
            atom_conditions, bond_conditions = pattern_requirements(query)
            for mask, count in atom_conditions:
                atom_rows.append(mask)
                bond_rows.append(frozenset())
                required.append(count)
                owner.append(index)
            for features, count in bond_conditions:
                atom_rows.append(np.zeros(_N_KINDS, dtype=bool))
                bond_rows.append(features)
                required.append(count)
                owner.append(index)
        vocabulary: list = sorted(set().union(*bond_rows)) if bond_rows else []
        column = {feature: i for i, feature in enumerate(vocabulary)}
        bond_matrix = np.zeros((len(bond_rows), len(vocabulary)), dtype=np.int32)
        for row, features in enumerate(bond_rows):
            bond_matrix[row, [column[f] for f in features]] = 1
        atom_matrix = np.array(atom_rows, dtype=np.int32).reshape(len(atom_rows), _N_KINDS)
        # Column-major: a molecule touches only its few kinds and bond features, i.e. a few columns.
        self._matrix = np.asfortranarray(np.hstack([atom_matrix, bond_matrix]))
        self._vocabulary = np.array(vocabulary + [np.iinfo(np.int64).max], dtype=np.int64)
        self._required = np.array(required, dtype=np.int64)
        self._owner = np.array(owner, dtype=np.intp)
        self.n_patterns = len(queries)

    def candidates(self, features: MoleculeFeatures) -> np.ndarray:
        """Indices of the patterns that may match a molecule with these features, in order."""
        kinds, kind_counts = np.unique(features.kinds, return_counts=True)
        bonds, bond_counts = np.unique(features.bond_features, return_counts=True)
        position = np.searchsorted(self._vocabulary, bonds)
        known = self._vocabulary[position] == bonds
        columns = np.concatenate([kinds, _N_KINDS + position[known]])
        present = self._matrix[:, columns] @ np.concatenate([kind_counts, bond_counts[known]])
        ruled_out = np.zeros(self.n_patterns, dtype=bool)
        ruled_out[self._owner[present < self._required]] = True
        return np.flatnonzero(~ruled_out)
