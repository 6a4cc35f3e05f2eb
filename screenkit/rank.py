"""Turn per-model predictions into one overall score and a rank order.

Overall score (documented in the README)::

    overall_score = max over models m of  p_m * min(1, ad_m / ad_threshold_m)

``p_m`` is the model's probability that the compound is active at its target's panel
threshold, ``ad_m`` its Tanimoto similarity to the nearest measured training compound,
``ad_threshold_m`` the model card's in-domain threshold. A compound ranks high when at
least one target model calls it active *and* it resembles that model's evidence;
predictions outside the domain are shrunk in proportion, not discarded.
"""

from __future__ import annotations

import math

from .bundle import ModelInfo

__all__ = ["add_overall_score", "rank_key", "RANK_COLUMNS"]

RANK_COLUMNS = ["overall_score", "best_model"]


def add_overall_score(rows: list[dict], models: list[ModelInfo]) -> list[dict]:
    """Set ``overall_score`` and ``best_model`` on each row (NaN/"" for unscored rows).

    Examples
    --------
    >>> class M:  # a stand-in with the two attributes used here
    ...     name, ad_threshold = "X", 0.5
    >>> add_overall_score([{"X_p_active": 0.8, "X_ad": 0.25}], [M()])[0]["overall_score"]
    0.4
    """
    for row in rows:
        best, best_name = math.nan, ""
        for model in models:
            p = row.get(f"{model.name}_p_active")
            if p is None:
                continue
            ad = row[f"{model.name}_ad"]
            value = p * min(1.0, ad / model.ad_threshold) if model.ad_threshold > 0 else p
            if math.isnan(best) or value > best:
                best, best_name = value, model.name
        row["overall_score"] = round(best, 6) if not math.isnan(best) else math.nan
        row["best_model"] = best_name
    return rows


def rank_key(row: dict) -> tuple:
    """Sort key: scored rows by descending score, then unscored rows; ties by input order."""
    score = row.get("overall_score", math.nan)
    unscored = score is None or math.isnan(score)
    return (unscored, 0.0 if unscored else -score, row["input_position"])
