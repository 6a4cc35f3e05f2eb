"""Settings as frozen typed objects: the target panel and where bundled files live.

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
    "Profile",
    "Ramp",
    "CnsObjective",
    "load_profile",
    "DEFAULT_BASE_RATE",
    "DEFAULT_ENRICHMENT_FULL",
    "ReadOnlyDict",
]

# The share of a screening library that is active at one panel target's potency cut.
# Single-target HTS hit rates are ~0.01-1 %; 1 % is the upper end, so p_active is not
# understated for a focused library. A lead-like ZINC set at pKi >= 7 is lower still.
DEFAULT_BASE_RATE = 0.01
# Enrichment (odds of activity over a random library compound's) that earns full activity
# credit: 100 at a 1 % base rate is p_active ~0.5, "as likely active as not".
DEFAULT_ENRICHMENT_FULL = 100.0

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


@dataclass(frozen=True)
class Ramp:
    """A linear desirability: 1 at ``full`` or better, ``floor`` at ``low`` or worse."""

    weight: float
    full: float
    low: float
    floor: float

    def __call__(self, value: float) -> float:
        if value != value:  # NaN: no information, neither reward nor punish
            return 1.0
        if self.full >= self.low:
            t = (value - self.low) / (self.full - self.low) if self.full != self.low else float(value >= self.full)
        else:
            t = (self.low - value) / (self.low - self.full)
        return self.floor + (1 - self.floor) * min(1.0, max(0.0, t))


@dataclass(frozen=True)
class CnsObjective:
    """d_cns: the BBB model's probability blended with CNS MPO, capped by hard CNS limits.

    See ``data/profiles/leukodystrophy.toml`` for the formula. Without ``model`` (or when
    the bundle has no such model) it is the MPO ramp alone, as in profiles before the
    BBB model.
    """

    weight: float
    mpo: Ramp
    floor: float
    model: str = ""
    bbb: Ramp | None = None
    bbb_share: float = 0.0
    tpsa_max: float = float("inf")
    hbd_max: float = float("inf")
    cap_permanent_cation: bool = False
    tpsa_soft: float = float("inf")  # above it the credit shrinks linearly, reaching the floor at tpsa_max
    hbd_soft: float = float("inf")

    @property
    def full(self) -> float:
        """MPO at which the MPO part gives full credit (kept for older callers)."""
        return self.mpo.full


@dataclass(frozen=True)
class Profile:
    """A ranking profile (see ``data/profiles/leukodystrophy.toml`` for the meaning of each field)."""

    name: str
    description: str
    source: str
    activity_weight: float
    default_target_weight: float
    target_weights: dict
    min_ad: float
    anti_target_weight: float = 1.0
    properties: bool = True
    cns: CnsObjective | None = None
    qed: Ramp | None = None
    alerts_weight: float = 0.0
    alert_factors: dict = field(default_factory=dict)
    alert_waivers: dict = field(default_factory=dict)  # "Family:alert name" -> reason it does not apply
    filters: dict = field(default_factory=dict)
    base_rate: float = DEFAULT_BASE_RATE  # library active share that p_active is corrected to
    enrichment_full: float = DEFAULT_ENRICHMENT_FULL  # enrichment at which d_activity reaches 1
    enrichment_low: float = 1.0  # enrichment at or below which a model gives no activity credit

    def __post_init__(self):
        frozen_mappings(self, "target_weights", "alert_factors", "alert_waivers", "filters")

    def with_base_rate(self, base_rate: float | None) -> Profile:
        """This profile with another library base rate (``--base-rate``); ``None`` keeps it."""
        if base_rate is None:
            return self
        from dataclasses import replace

        check_base_rate(base_rate, "--base-rate")
        return replace(self, base_rate=float(base_rate))

    def target_weight(self, model_name: str, gene: str) -> float:
        """Weight of a model: by model name, else by gene, else the default."""
        return float(self.target_weights.get(model_name, self.target_weights.get(gene, self.default_target_weight)))


def check_base_rate(value: float, where: str) -> None:
    """A library base rate is a share strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise UsageError(f"{where}={value!r} must be a share between 0 and 1, e.g. 0.01 for 1 % actives")


_FILTERS = {"mw_max": "mw", "clogp_max": "clogp", "tpsa_max": "tpsa", "hbd_max": "hbd",
            "lipinski_violations_max": "lipinski_violations", "n_alerts_max": "n_alerts",
            "cns_mpo_min": "cns_mpo", "qed_min": "qed"}


def load_profile(path: str | Path | None = None) -> Profile:
    """Read a ranking profile TOML (default: the bundled leukodystrophy profile).

    ``path`` may also be the name of a bundled profile (``leukodystrophy``, ``activity``).

    Examples
    --------
    >>> load_profile("activity").properties
    False
    """
    if path is None:
        path = "leukodystrophy"
    candidate = Path(path)
    if not candidate.is_file() and candidate.suffix == "":
        candidate = bundled_path(f"data/profiles/{path}.toml")
    if not candidate.is_file():
        raise UsageError(f"profile {path} does not exist; give a profile TOML file or a bundled profile name "
                         "(leukodystrophy, peripheral, activity)")
    try:
        raw = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"profile {candidate} is not valid TOML: {exc}") from None

    def ramp(section):
        if section not in raw:
            return None
        s = raw[section]
        return Ramp(float(s["weight"]), float(s["full"]), float(s["low"]), float(s.get("floor", 0.0)))

    def cns_objective():
        if "cns" not in raw:
            return None
        s = raw["cns"]
        known = {"weight", "floor", "full", "low", "mpo_full", "mpo_low", "model", "bbb_share", "bbb_full", "bbb_low",
                 "tpsa_max", "hbd_max", "tpsa_soft", "hbd_soft", "permanent_cation"}
        unknown = set(s) - known
        if unknown:
            raise UsageError(f"profile {candidate}: unknown [cns] key(s) {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(known))}")
        try:
            floor = float(s.get("floor", 0.0))
            mpo = Ramp(1.0, float(s.get("mpo_full", s.get("full", 4.0))), float(s.get("mpo_low", s.get("low", 2.0))),
                       floor)
            model = str(s.get("model", ""))
            share = float(s.get("bbb_share", 0.0)) if model else 0.0
            if not 0.0 <= share <= 1.0:
                raise UsageError(f"profile {candidate}: [cns] bbb_share={share} must be between 0 and 1")
            bbb = Ramp(1.0, float(s.get("bbb_full", 0.8)), float(s.get("bbb_low", 0.2)), floor) if model else None
            permanent = s.get("permanent_cation", "ignore")
            if permanent not in ("cap", "ignore"):
                raise UsageError(f"profile {candidate}: [cns] permanent_cation must be 'cap' or 'ignore', "
                                 f"not {permanent!r}")
            tpsa_max, hbd_max = float(s.get("tpsa_max", float("inf"))), float(s.get("hbd_max", float("inf")))
            tpsa_soft, hbd_soft = float(s.get("tpsa_soft", tpsa_max)), float(s.get("hbd_soft", hbd_max))
            if tpsa_soft > tpsa_max or hbd_soft > hbd_max:
                raise UsageError(f"profile {candidate}: [cns] tpsa_soft/hbd_soft must not exceed tpsa_max/hbd_max")
            return CnsObjective(float(s["weight"]), mpo, floor, model, bbb, share, tpsa_max, hbd_max,
                                permanent == "cap", tpsa_soft, hbd_soft)
        except KeyError as exc:
            raise UsageError(f"profile {candidate}: [cns] lacks the key {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise UsageError(f"profile {candidate}: bad [cns] value: {exc}") from None

    activity = raw.get("activity", {})
    base_rate = activity.get("base_rate", DEFAULT_BASE_RATE)
    check_base_rate(base_rate, f"profile {candidate}: [activity] base_rate")
    enrichment_full = activity.get("enrichment_full", DEFAULT_ENRICHMENT_FULL)
    if isinstance(enrichment_full, bool) or not isinstance(enrichment_full, (int, float)) or not enrichment_full > 1:
        raise UsageError(f"profile {candidate}: [activity] enrichment_full={enrichment_full!r} must be a number "
                         "above 1 (the enrichment over the base rate that earns full activity credit, e.g. 100)")
    enrichment_low = activity.get("enrichment_low", 1.0)
    if isinstance(enrichment_low, bool) or not isinstance(enrichment_low, (int, float)) \
            or not 0 < enrichment_low < enrichment_full:
        raise UsageError(f"profile {candidate}: [activity] enrichment_low={enrichment_low!r} must be a number above 0 "
                         f"and below enrichment_full ({enrichment_full}); 1 = no credit without evidence")
    filters = raw.get("filters", {})
    unknown = set(filters) - set(_FILTERS)
    if unknown:
        raise UsageError(f"profile {candidate}: unknown filter(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(_FILTERS))}")
    alerts = dict(raw.get("alerts", {}))
    known_families = ("PAINS_A", "PAINS_B", "PAINS_C", "Brenk", "NIH")
    waivers = alerts.pop("waive", {})
    if not isinstance(waivers, dict):
        raise UsageError(f"profile {candidate}: [alerts.waive] must be a table of \"Family:alert name\" = \"reason\"")
    for name, reason in waivers.items():
        family = name.split(":", 1)[0]
        if ":" not in name or family not in known_families:
            raise UsageError(f"profile {candidate}: waived alert {name!r} must be \"Family:alert name\" with a family "
                             f"of {', '.join(known_families)}")
        if not isinstance(reason, str) or not reason.strip():
            raise UsageError(f"profile {candidate}: waived alert {name!r} needs a reason (a non-empty string)")
    unknown_families = set(alerts) - {"weight", *known_families}
    if unknown_families:
        raise UsageError(f"profile {candidate}: unknown alert family {', '.join(sorted(unknown_families))}; "
                         f"known: {', '.join(known_families)}")
    return Profile(
        name=raw.get("name", candidate.stem), description=raw.get("description", ""), source=str(candidate),
        activity_weight=float(activity.get("weight", 1.0)),
        default_target_weight=float(activity.get("default_weight", 1.0)),
        target_weights=dict(activity.get("targets", {})), min_ad=float(activity.get("min_ad", 0.0)),
        anti_target_weight=float(raw.get("anti_targets", {}).get("weight", 1.0)),
        properties=bool(raw.get("properties", True)), cns=cns_objective(), qed=ramp("qed"),
        alerts_weight=float(alerts.pop("weight", 0.0)), alert_factors={k: float(v) for k, v in alerts.items()},
        alert_waivers=dict(waivers),
        filters={_FILTERS[k]: (k.endswith("_max"), float(v)) for k, v in filters.items()},
        base_rate=float(base_rate), enrichment_full=float(enrichment_full), enrichment_low=float(enrichment_low),
    )
