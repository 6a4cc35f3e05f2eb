"""Ranking profiles as frozen typed objects: desirabilities, weights, filters, the library base rate.

A profile is a TOML file (``data/profiles/*.toml``; see ``leukodystrophy.toml`` for the meaning of
every field). Like :mod:`screenkit.config`, this module imports no other screenkit stage.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .config import bundled_path, frozen_mappings
from .errors import UsageError

__all__ = ["Profile", "Ramp", "CnsObjective", "load_profile", "check_base_rate", "DEFAULT_BASE_RATE",
           "DEFAULT_ENRICHMENT_FULL"]

# The share of a screening library that is active at one panel target's potency cut.
# Single-target HTS hit rates are ~0.01-1 %; 1 % is the upper end, so p_active is not
# understated for a focused library. A lead-like ZINC set at pKi >= 7 is lower still.
DEFAULT_BASE_RATE = 0.01
# Enrichment (odds of activity over a random library compound's) that earns full activity
# credit: 100 at a 1 % base rate is p_active ~0.5, "as likely active as not".
DEFAULT_ENRICHMENT_FULL = 100.0


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
    candidate, raw = _read_profile_toml(path)
    activity = raw.get("activity", {})
    base_rate, enrichment_full, enrichment_low = _activity_rates(activity, candidate)
    filters = raw.get("filters", {})
    unknown = set(filters) - set(_FILTERS)
    if unknown:
        raise UsageError(f"profile {candidate}: unknown filter(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(sorted(_FILTERS))}")
    alerts, waivers = _alert_settings(raw, candidate)
    return Profile(
        name=raw.get("name", candidate.stem), description=raw.get("description", ""), source=str(candidate),
        activity_weight=float(activity.get("weight", 1.0)),
        default_target_weight=float(activity.get("default_weight", 1.0)),
        target_weights=dict(activity.get("targets", {})), min_ad=float(activity.get("min_ad", 0.0)),
        anti_target_weight=float(raw.get("anti_targets", {}).get("weight", 1.0)),
        properties=bool(raw.get("properties", True)), cns=_cns_objective(raw, candidate), qed=_ramp(raw, "qed"),
        alerts_weight=float(alerts.pop("weight", 0.0)), alert_factors={k: float(v) for k, v in alerts.items()},
        alert_waivers=dict(waivers),
        filters={_FILTERS[k]: (k.endswith("_max"), float(v)) for k, v in filters.items()},
        base_rate=float(base_rate), enrichment_full=float(enrichment_full), enrichment_low=float(enrichment_low),
    )


def _read_profile_toml(path: str | Path | None) -> tuple[Path, dict]:
    """The profile file (a path, or a bundled profile's name) and its parsed TOML."""
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
    return candidate, raw


def _ramp(raw: dict, section: str) -> Ramp | None:
    if section not in raw:
        return None
    s = raw[section]
    return Ramp(float(s["weight"]), float(s["full"]), float(s["low"]), float(s.get("floor", 0.0)))


def _cns_objective(raw: dict, candidate: Path) -> CnsObjective | None:
    """The profile's ``[cns]`` section, checked; ``None`` without one."""
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


def _activity_rates(activity: dict, candidate: Path) -> tuple[float, float, float]:
    """``[activity]`` base rate, full-credit enrichment and no-credit enrichment, checked (as given)."""
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
    return base_rate, enrichment_full, enrichment_low


def _alert_settings(raw: dict, candidate: Path) -> tuple[dict, dict]:
    """``[alerts]`` (family weights, ``weight`` still in it) and ``[alerts.waive]``, checked."""
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
    return alerts, waivers
