"""Settings as frozen typed objects: the target panel and where bundled files live.

Ranking profiles are :mod:`screenkit.profile`.

This module imports no other screenkit stage (STYLE: ``cli`` -> stages -> ``config``).
"""

from __future__ import annotations

import copy
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError

__all__ = [
    "Target",
    "Panel",
    "load_panel",
    "bundled_path",
    "ReadOnlyDict",
    "frozen_mappings",
]

_FAMILIES = {"GPCR", "kinase", "nuclear_receptor", "enzyme", "ion_channel", "other"}
_CATEGORIES = {"remyelination", "anti-inflammatory", "leukodystrophy-specific"}


class ReadOnlyDict(dict):
    """A dict that refuses changes: the mappings inside frozen configs (weights, parameters).

    A ``dict`` subclass rather than :class:`types.MappingProxyType` so that ``json.dumps``,
    ``dataclasses.asdict``, ``copy`` and pickling (joblib workers) keep working.

    >>> weights = ReadOnlyDict({"JAK1": 2.0})
    >>> weights["JAK1"] = 3.0
    Traceback (most recent call last):
    TypeError: this mapping belongs to a frozen config and cannot change; use dataclasses.replace
    """

    def _refuse(self, *args, **kwargs):
        raise TypeError("this mapping belongs to a frozen config and cannot change; use dataclasses.replace")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return ReadOnlyDict, (dict(self),)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return ReadOnlyDict({k: copy.deepcopy(v, memo) for k, v in self.items()})


def frozen_mappings(config, *names: str) -> None:
    """In a frozen dataclass's ``__post_init__``: make the named dict fields read-only."""
    for name in names:
        object.__setattr__(config, name, ReadOnlyDict(getattr(config, name)))


def bundled_path(name: str) -> Path:
    """Path of a file or folder shipped with screenkit (``data/...`` or ``models``).

    A source checkout (editable install, or running from the repository) uses the
    checkout's own ``data/`` and ``models/``; an installed copy has them under
    ``<prefix>/share/screenkit/`` (see ``setup.cfg``'s ``data_files``), where the prefix
    is the environment's (``pip install .``), the user base (``--user``) or any prefix
    the package was installed into (``--prefix``, ``--target``, system installs): the
    folders above the package are searched for ``share/screenkit``.

    Parameters
    ----------
    name : str
        Relative path such as ``"models"`` or ``"data/panel.toml"``.

    Examples
    --------
    >>> bundled_path("data/panel.toml").name
    'panel.toml'
    """
    for candidate in _bundled_candidates(name):
        if candidate.exists():
            return candidate
    return Path(sys.prefix) / "share" / "screenkit" / name  # what a regular install would have


def _bundled_candidates(name: str) -> list[Path]:
    package = Path(__file__).resolve().parent
    checkout = package.parent
    out = [checkout / name] if (checkout / "setup.cfg").is_file() else []
    # The prefix the package itself was installed into comes first (for
    # <prefix>/lib/pythonX.Y/site-packages/screenkit it is 3 folders up), so a --prefix or
    # --user install never reads an older copy's data from the environment's prefix.
    prefixes = list(package.parents)[:5] + [Path(sys.prefix), Path(sys.base_prefix)]
    try:
        import site

        prefixes.append(Path(site.getuserbase()))
    except Exception:  # site can be absent in embedded interpreters; the other places remain
        pass
    seen = set()
    for prefix in prefixes:
        if prefix not in seen:
            seen.add(prefix)
            out.append(prefix / "share" / "screenkit" / name)
    return out


@dataclass(frozen=True)
class Target:
    """One protein of the panel, as written in ``data/panel.toml``."""

    gene: str
    name: str
    family: str
    category: str
    modality: str
    activity_types: tuple[str, ...]
    active_threshold: float
    default_panel: bool
    verified_id: bool
    rationale: str
    reference: str
    chembl_id: str | None = None
    uniprot: str | None = None
    bundled_data: tuple[str, ...] = ()
    notes: str = ""
    threshold_reason: str = ""  # the literature behind active_threshold


@dataclass(frozen=True)
class Panel:
    """The target panel: an ordered collection of :class:`Target`."""

    name: str
    targets: tuple[Target, ...]
    source: str = ""
    tax_id: int = 9606
    _by_id: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        for target in self.targets:
            if target.chembl_id:
                self._by_id[target.chembl_id] = target
            self._by_id.setdefault(target.gene, target)

    def uncovered_default_targets(self, chembl_ids, genes=()) -> list[Target]:
        """Default-panel targets whose ChEMBL ID is not in ``chembl_ids`` (nor gene in ``genes``)."""
        chembl_ids, genes = set(chembl_ids), set(genes)
        return [t for t in self.targets if t.default_panel and t.chembl_id not in chembl_ids and t.gene not in genes]

    def get(self, key: str) -> Target:
        """Return the target with this ChEMBL ID or gene symbol.

        Raises
        ------
        UsageError
            If no target of the panel has that ID or gene.
        """
        try:
            return self._by_id[key]
        except KeyError:
            known = ", ".join(t.chembl_id or t.gene for t in self.targets)
            raise UsageError(
                f"target {key!r} is not in panel {self.name!r}; known targets: {known}"
            ) from None


def load_panel(path: str | Path | None = None) -> Panel:
    """Read a panel TOML file (default: the bundled ``data/panel.toml``).

    Examples
    --------
    >>> panel = load_panel()
    >>> panel.get("CHEMBL237").gene
    'OPRK1'
    """
    path = Path(path) if path is not None else bundled_path("data/panel.toml")
    if not path.is_file():
        raise UsageError(f"panel file {path} does not exist; pass --panel PATH to a panel TOML file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"panel file {path} is not valid TOML: {exc}") from None
    targets = []
    for i, entry in enumerate(raw.get("targets", []), start=1):
        label = entry.get("chembl_id") or entry.get("gene") or f"entry {i}"
        try:
            target = Target(
                gene=entry["gene"],
                name=entry["name"],
                family=entry["family"],
                category=entry["category"],
                modality=entry["modality"],
                activity_types=tuple(entry["activity_types"]),
                active_threshold=float(entry["active_threshold"]),
                default_panel=bool(entry["default_panel"]),
                verified_id=bool(entry["verified_id"]),
                rationale=entry["rationale"],
                reference=entry["reference"],
                chembl_id=entry.get("chembl_id"),
                uniprot=entry.get("uniprot"),
                bundled_data=tuple(entry.get("bundled_data", ())),
                notes=entry.get("notes", ""),
                threshold_reason=entry.get("threshold_reason", ""),
            )
        except KeyError as exc:
            raise UsageError(f"panel file {path}: target {label} lacks the key {exc.args[0]!r}") from None
        if target.family not in _FAMILIES:
            raise UsageError(f"panel file {path}: target {label} has unknown family {target.family!r}; use one of {sorted(_FAMILIES)}")
        if target.category not in _CATEGORIES:
            raise UsageError(f"panel file {path}: target {label} has unknown category {target.category!r}; use one of {sorted(_CATEGORIES)}")
        targets.append(target)
    if not targets:
        raise UsageError(f"panel file {path} lists no [[targets]]")
    return Panel(name=raw.get("panel_name", path.stem), targets=tuple(targets), source=str(path),
                 tax_id=int(raw.get("tax_id", 9606)))
