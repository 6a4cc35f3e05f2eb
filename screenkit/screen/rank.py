"""Turn per-model predictions and properties into a desirability, a reason and an order.

The overall score is a weighted geometric mean of objective desirabilities, each in
(0, 1], as set by a ranking profile (``data/profiles/*.toml``)::

    overall_score = exp( sum_i w_i * ln(max(d_i, 0.001)) / sum_i w_i )

    d_activity = max over models m with weight w_m > 0 of  w_m * e_m * min(1, ad_m / ad_threshold_m)
    e_m        = min(1, max(0, log10(enrichment_m / enrichment_low) / log10(enrichment_full / enrichment_low)))
    d_anti     = product over models a with w_a < 0 of  (1 - |w_a| * e_a * min(1, ad_a / ad_threshold_a))
    d_cns      = floor                       if TPSA > tpsa_max, HBD > hbd_max or a permanent cation
               = floor + (1 - floor) * blend * shrink  otherwise, where
      shrink   = product over TPSA and HBD of (max - value) / (max - soft) above the soft limit, else 1
      blend    = (s * a * r_bbb + (1 - s) * r_mpo) / (s * a + 1 - s)
      r_bbb    = ramp of the BBB model's p (BBB_B3DB_p_active), r_mpo = ramp of CNS MPO (0-1),
      s        = the profile's bbb_share, a = min(1, ad_bbb / ad_threshold_bbb)
    d_qed      = ramp of QED
    d_alerts   = product over alert families f of  factor_f ** (alerts of family f not waived)

``enrichment_m`` is the model's odds of activity over a random library compound's (the
``<model>_enrichment`` column; :mod:`screenkit.screen.score`): 1 is no evidence; the
profile's ``enrichment_low`` (default 1: no credit without evidence above a random library
compound) earns nothing and ``enrichment_full`` (default 100: ``p_active`` ~0.5 at a 1 % base
rate) full credit, on a log scale so that each tenfold gain in evidence adds the same credit,
whatever model it comes from. Compounds that no model gives any credit tie on activity: the
other objectives (or, with the ``activity`` profile, the input order) decide among them. ``ad_m`` is the Tanimoto similarity to the model's nearest measured
training compound and ``ad_threshold_m`` the card's error-defined threshold
(:meth:`~screenkit.model.card.ModelCard.domain_threshold`).
Models whose card has ``role = "property"`` (the B3DB BBB model) never count as
activity or anti-target models; the CNS objective reads them by name. Outside the BBB
model's domain its share shrinks and the MPO decides more.
A compound outside a hard filter of the profile gets ``overall_score`` 0 and ranks after
every compound that passes. With the ``activity`` profile the score reduces to
``max_m e_m * min(1, ad_m / ad_threshold_m)``.

``rank_reason`` says what the deciding model's endpoint measures (``binds OPRK1 (Ki)``,
``OPRK1 EC50, assay mode unknown``: an EC50 model trained without modality information says
nothing about agonist or antagonist direction) and, for a compound measured in a model's
training set, ``measured`` with the value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TypeVar

from ..model.bundle import ModelDescription
from ..model.card import ModelCard
from ..profile import Profile

__all__ = ["RANK_COLUMNS", "objective_columns", "score_rows", "rank_key", "activity_models", "cns_desirability",
           "evidence_credit", "endpoint_text"]

RANK_COLUMNS = ["overall_score", "best_model", "rank_reason"]
_FLOOR = 0.001
_Model = TypeVar("_Model", bound=ModelDescription)


def activity_models(models: Iterable[_Model]) -> list[_Model]:
    """The models that predict activity on a target (not a property such as BBB permeation)."""
    return [m for m in models if m.card.is_activity_model]


def _ramp01(value: float, full: float, low: float) -> float:
    """0 at ``low`` or worse, 1 at ``full`` or better, linear between (either direction)."""
    if full == low:
        return float(value >= full)
    return min(1.0, max(0.0, (value - low) / (full - low)))


def cns_desirability(row: dict, cns, bbb_model=None) -> tuple[float, str, bool]:
    """``(d_cns, text, good)`` for one row: the blend of the BBB model and CNS MPO under hard limits.

    ``bbb_model`` is the BBB model's :class:`~screenkit.model.bundle.ModelInfo` (or ``None``
    when the bundle has none: MPO only). ``good`` says whether the text is a reason
    (full credit or close to it) rather than a penalty.

    Examples
    --------
    >>> from screenkit.profile import load_profile
    >>> from screenkit.model.card import ModelCard
    >>> cns = load_profile("leukodystrophy").cns
    >>> sucrose = {"cns_mpo": 4.0, "tpsa": 189.5, "hbd": 8, "ion_class": "neutral"}
    >>> cns_desirability(sucrose, cns)[:2]
    (0.1, 'CNS limit: TPSA 189.5 > 120, HBD 8 > 5')
    """
    limits = []
    tpsa, hbd = row.get("tpsa", math.nan), row.get("hbd", math.nan)
    if tpsa == tpsa and tpsa > cns.tpsa_max:
        limits.append(f"TPSA {tpsa:g} > {cns.tpsa_max:g}")
    if hbd == hbd and hbd > cns.hbd_max:
        limits.append(f"HBD {hbd:g} > {cns.hbd_max:g}")
    if cns.cap_permanent_cation and row.get("ion_class") == "permanent cation":
        limits.append("permanent cation")
    if limits:
        return cns.floor, "CNS limit: " + ", ".join(limits), False
    mpo = row["cns_mpo"]
    r_mpo = _ramp01(mpo, cns.mpo.full, cns.mpo.low)
    column = f"{cns.model}_p_active"
    if cns.model and bbb_model is not None and column in row and cns.bbb_share > 0:
        p, ad = row[column], row.get(f"{cns.model}_ad", math.nan)
        threshold = bbb_model.ad_threshold
        a = min(1.0, ad / threshold) if threshold > 0 and ad == ad else 1.0
        share = cns.bbb_share * a
        blend = (share * _ramp01(p, cns.bbb.full, cns.bbb.low) + (1 - cns.bbb_share) * r_mpo) / (share + 1 - cns.bbb_share)
        where = "" if a >= 1 else f" outside its domain (sim {ad:.2f} < {threshold:.2f})"
        text = f"BBB p={p:.2f}{where}, CNS MPO {mpo:.1f}"
    else:
        blend = r_mpo
        text = f"CNS MPO {mpo:.1f}" + (f" (no {cns.model} model: MPO only)" if cns.model else "")
    # between the soft and the hard limit the credit shrinks linearly (TPSA 90-120, HBD 3-5 by default)
    shrink = 1.0
    for name, value, soft, hard in (("TPSA", tpsa, cns.tpsa_soft, cns.tpsa_max), ("HBD", hbd, cns.hbd_soft, cns.hbd_max)):
        if value == value and value > soft:
            shrink *= (hard - value) / (hard - soft)
            text += f", {name} {value:g} > {soft:g}"
    d = cns.floor + (1 - cns.floor) * blend * shrink
    return d, text, d >= 0.75


def objective_columns(profile: Profile, models: Sequence[ModelDescription]) -> list[str]:
    """The ``d_*`` desirability columns a profile produces."""
    models = activity_models(models)
    columns = ["d_activity"]
    if any(_weight(profile, m) < 0 for m in models):
        columns.append("d_anti")
    if profile.properties:
        columns += [name for name, on in (("d_cns", profile.cns), ("d_qed", profile.qed),
                                          ("d_alerts", profile.alerts_weight)) if on]
    return columns


def _weight(profile: Profile, model: ModelDescription) -> float:
    return profile.target_weight(model.name, model.card.gene or "")


def _ad_factor(row: dict, name: str, threshold: float) -> tuple[float, float]:
    ad = row[f"{name}_ad"]
    return ad, (min(1.0, ad / threshold) if threshold > 0 else 1.0)


def evidence_credit(enrichment: float, full: float, low: float = 1.0) -> float:
    """Activity credit of one model: linear in log10(enrichment), 0 at ``low``, 1 at ``full``.

    >>> evidence_credit(10.0, 100.0), evidence_credit(0.5, 100.0), evidence_credit(1000.0, 100.0)
    (0.5, 0.0, 1.0)
    >>> evidence_credit(1.0, 100.0, low=0.01)
    0.5
    """
    if enrichment != enrichment or enrichment <= low:
        return 0.0
    return min(1.0, math.log10(enrichment / low) / math.log10(full / low))


_BINDING = ("Ki", "Kd")
_INHIBITION_FAMILIES = ("kinase", "enzyme")


def endpoint_text(card: ModelCard) -> str:
    """What a model's endpoint measures, in words that claim no direction the data do not give.

    The measured modality comes from the card's ``data.modality`` (set when training kept only
    one modality, ``screenkit train --modality``); without it an EC50 is "assay mode unknown".

    >>> endpoint_text(ModelCard("K", target={"gene": "OPRK1", "family": "GPCR"}, activity_type="EC50"))
    'OPRK1 EC50, assay mode unknown'
    >>> endpoint_text(ModelCard("K", target={"gene": "OPRK1", "family": "GPCR"}, activity_type="Ki"))
    'binds OPRK1 (Ki)'
    >>> endpoint_text(ModelCard("K", target={"gene": "OPRK1"}, activity_type="EC50", data={"modality": "agonist"}))
    'OPRK1 agonist-mode EC50'
    """
    gene, kind, modality = card.gene or card.name, card.activity_type, card.modality
    if kind in _BINDING:
        return f"binds {gene} ({kind})"
    if modality not in ("unknown", "", "binding"):
        return f"{gene} {modality}-mode {kind}"
    if kind == "IC50" and card.target.get("family") in _INHIBITION_FAMILIES:
        return f"inhibits {gene} (IC50)"
    return f"{gene} {kind}, assay mode unknown"


def _times(enrichment: float) -> str:
    return f"{enrichment:.2g}x" if enrichment < 100 else f"{enrichment:.0f}x"


def _credit(row: dict, model, profile: Profile) -> float:
    """``e_m`` of the module docstring; a row without an enrichment column uses p_active as before."""
    enrichment = row.get(f"{model.name}_enrichment")
    if enrichment is None:
        return row[f"{model.name}_p_active"]
    return evidence_credit(enrichment, profile.enrichment_full, profile.enrichment_low)


def score_rows(rows: list[dict], models: Sequence[ModelDescription], profile: Profile) -> list[dict]:
    """Set desirabilities, ``overall_score``, ``best_model`` and ``rank_reason`` on scored rows.

    Unscored rows (status ``error``) get NaN and an empty reason.

    Examples
    --------
    >>> from screenkit.profile import load_profile
    >>> from screenkit.model.card import ModelCard
    >>> class M:  # a stand-in with what ranking reads from a model
    ...     name = "X_Ki"
    ...     card = ModelCard("X_Ki", target={"gene": "X"}, activity_type="Ki",
    ...                      applicability_domain={"threshold": 0.3, "threshold_by_error": 0.5})
    ...     ad_threshold = 0.5  # the card's error-defined threshold, as TargetModel.ad_threshold gives it
    >>> row = score_rows([{"X_Ki_p_active": 0.092, "X_Ki_enrichment": 10.0, "X_Ki_ad": 0.25}], [M()],
    ...                  load_profile("activity"))[0]
    >>> row["overall_score"], row["rank_reason"]
    (0.25, 'X_Ki: binds X (Ki), p=0.092 at base rate 0.01 (enrichment 10x), outside its domain (sim 0.25 < 0.50)')
    """
    bbb_model = next((m for m in models if profile.cns is not None and m.name == profile.cns.model), None)
    models = activity_models(models)
    weights = {m.name: _weight(profile, m) for m in models}
    thresholds = {m.name: m.ad_threshold for m in models}
    for row in rows:
        if not models or f"{models[0].name}_p_active" not in row:
            row.update(overall_score=math.nan, best_model="", rank_reason="")
            continue
        _score_row(row, models, weights, thresholds, profile, bbb_model)
    return rows


def _score_row(row: dict, models: list, weights: dict[str, float], thresholds: dict[str, float], profile: Profile,
               bbb_model) -> None:
    """Desirabilities, ``overall_score``, ``best_model`` and ``rank_reason`` of one scored row."""
    objectives: dict[str, tuple[float, float]] = {}  # name -> (desirability, weight)
    reasons: list[str] = []
    penalties: list[str] = []
    best, best_model, anti = _activity(row, models, weights, thresholds, profile, penalties)
    objectives["d_activity"] = (best, profile.activity_weight)
    if any(w < 0 for w in weights.values()):
        objectives["d_anti"] = (anti, profile.anti_target_weight)
    if row.get("measured"):
        measured = [m for m in row["measured"].split("; ") if m.split(" ", 1)[0] in weights]
        if measured:
            reasons.append("measured: " + "; ".join(measured))
    reasons.append(_best_model_reason(row, best_model, thresholds, profile))
    filtered: list[str] = []
    if profile.properties and "cns_mpo" in row:
        filtered = _property_objectives(row, profile, bbb_model, objectives, reasons, penalties)
    if best_model is not None and best_model[2] < profile.min_ad:
        filtered.append(f"best model similarity {best_model[2]:.2f} < min_ad {profile.min_ad:.2f}")
    total = sum(w for _, w in objectives.values())
    score = math.exp(sum(w * math.log(max(d, _FLOOR)) for d, w in objectives.values()) / total)
    for name, (d, _) in objectives.items():
        row[name] = round(d, 4)
    row["overall_score"] = 0.0 if filtered else round(score, 6)
    text = "; ".join(reasons)
    if penalties:
        text += "; penalty: " + ", ".join(penalties)
    if filtered:
        text = "filtered: " + ", ".join(filtered) + "; " + text
    row["rank_reason"] = text


def _activity(row: dict, models: list, weights: dict[str, float], thresholds: dict[str, float], profile: Profile,
              penalties: list[str]) -> tuple[float, tuple | None, float]:
    """``(d_activity, best, d_anti)``: the best weighted credit, its ``(model, p, ad, factor)`` (or None),
    and the anti-target product; strong anti-target evidence is added to ``penalties``."""
    best, best_model, anti = 0.0, None, 1.0
    for model in models:
        w = weights[model.name]
        p, e = row[f"{model.name}_p_active"], _credit(row, model, profile)
        ad, factor = _ad_factor(row, model.name, thresholds[model.name])
        if w > 0 and w * e * factor > best:
            best, best_model = w * e * factor, (model, p, ad, factor)
        elif w < 0:
            anti *= 1 - min(1.0, -w * e * factor)
            if e * factor >= 0.5:
                penalties.append(f"anti-target {model.name} ({endpoint_text(model.card)}) p={p:.3f}")
    return best, best_model, anti


def _best_model_reason(row: dict, best_model: tuple | None, thresholds: dict[str, float], profile: Profile) -> str:
    """Set ``row["best_model"]`` and say what its evidence is (or that no model sees any)."""
    if best_model is None:
        row["best_model"] = ""
        return "no panel model sees evidence of activity (enrichment <= 1 for every weighted model)"
    model, p, ad, factor = best_model
    threshold = thresholds[model.name]
    where = "in domain" if factor >= 1 else f"outside its domain (sim {ad:.2f} < {threshold:.2f})"
    enrichment = row.get(f"{model.name}_enrichment")
    evidence = (f"p={p:.3f} at base rate {profile.base_rate:g} (enrichment {_times(enrichment)})"
                if enrichment is not None else f"p={p:.2f}")
    row["best_model"] = model.name
    return f"{model.name}: {endpoint_text(model.card)}, {evidence}, {where}"


def _property_objectives(row: dict, profile: Profile, bbb_model, objectives: dict, reasons: list[str],
                         penalties: list[str]) -> list[str]:
    """Add d_cns, d_qed and d_alerts (with their reasons and penalties); return the hard filters the row fails."""
    if profile.cns:
        d_cns, text, good = cns_desirability(row, profile.cns, bbb_model)
        objectives["d_cns"] = (d_cns, profile.cns.weight)
        (reasons if good else penalties).append(text)
    if profile.qed:
        objectives["d_qed"] = (profile.qed(row["qed"]), profile.qed.weight)
        if row["qed"] < profile.qed.full:
            penalties.append(f"QED {row['qed']:.2f}")
    if profile.alerts_weight:
        _alert_objective(row, profile, objectives, reasons, penalties)
    filtered = []
    for column, (is_max, limit) in profile.filters.items():
        value = row.get(column)
        if value is not None and value == value and (value > limit if is_max else value < limit):
            filtered.append(f"{column} {value:g} {'>' if is_max else '<'} {limit:g}")
    return filtered


def _alert_objective(row: dict, profile: Profile, objectives: dict, reasons: list[str], penalties: list[str]) -> None:
    """d_alerts: the product of the family factors of the alerts the profile does not waive."""
    d_alerts, named = 1.0, [a for a in row["alerts"].split(";") if a]
    waived = [a for a in named if a in profile.alert_waivers]
    named = [a for a in named if a not in profile.alert_waivers]
    for alert in named:
        d_alerts *= profile.alert_factors.get(alert.split(":", 1)[0], 1.0)
    objectives["d_alerts"] = (d_alerts, profile.alerts_weight)
    if named:
        penalties.append(f"{len(named)} alert{'s' * (len(named) > 1)} ({', '.join(named[:2])}"
                         f"{', ...' if len(named) > 2 else ''})")
    if waived:
        reasons.append(f"alert waived by the profile: {', '.join(waived)}")


def rank_key(row: dict) -> tuple:
    """Sort key: scored rows by descending score, then unscored rows; ties by input order."""
    score = row.get("overall_score", math.nan)
    unscored = score is None or math.isnan(score)
    return (unscored, 0.0 if unscored else -score, row["input_position"])
