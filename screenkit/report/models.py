"""What the report says about the models: names in the ranked file, card figures, panel coverage.

Card figures are read with fallbacks, newest keys first (``validation.metrics_by_subset``,
``validation.baseline``, ``validation.y_randomisation``), then the keys of older cards
(``metrics.roc_auc_measured_only``, ``y_randomisation.near_chance``). A missing figure is shown
as missing, never guessed.
"""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field
from html import escape

from ..model.card import ModelCard

__all__ = ["ModelSummary", "model_names", "model_summaries", "unmodelled_targets", "model_plots", "plots_html"]

# what an SVG shown in the report may not contain: scripts, foreign HTML, event handlers, and any
# reference that leaves the file (only "#id" references; the report makes no request)
_UNSAFE_SVG = re.compile(rb"<script|<foreignobject|<iframe|<object|<embed|\son\w+\s*=|javascript:|<!entity|"
                         rb"(?:xlink:)?href\s*=\s*[\"'](?!#)|url\(\s*['\"]?(?!#)|@import", re.IGNORECASE)
# the SVG DOCTYPE and the RDF metadata name w3.org/purl.org namespaces: text, not requests
_HARMLESS = re.compile(rb"<!DOCTYPE[^>]*>|<metadata>.*?</metadata>", re.DOTALL)


@dataclass
class ModelSummary:
    """What the report says about one model (from the run metadata and/or its card)."""

    name: str
    gene: str = ""
    target: str = ""
    activity_type: str = ""
    label: str = ""
    threshold: float = math.nan  # pActivity at or above which a compound counts as active
    ad_threshold: float = math.nan
    split: str = ""  # split kind, e.g. "scaffold" or "cluster"
    split_similarity: float = math.nan  # median test->train nearest-neighbour Tanimoto
    sar_roc_auc: float = math.nan  # measured actives vs measured inactives (the headline)
    sar_roc_auc_sd: float = math.nan
    sar_source: str = ""  # which card key the SAR figure came from
    baseline_roc_auc: float = math.nan  # similarity baseline on the same subset
    beats_baseline: bool | None = None
    baseline_verdict: str = ""
    yrand_roc_auc: float = math.nan
    yrand_passed: bool | None = None
    mixed_roc_auc: float = math.nan  # measured + putative inactives (screening-like, flattering)
    coverage: float = math.nan  # conformal coverage on held-out folds
    confidence: float = math.nan
    n_measured: int | None = None
    outputs: list[str] = field(default_factory=list)  # columns <name>_<output> present besides p_active, ad
    has_evidence: bool = False
    plots: list[tuple[str, str]] = field(default_factory=list)  # (title, data: URI of the card's SVG plot)


def model_names(columns: list[str], meta: dict | None) -> list[str]:
    """Models with ``<name>_p_active`` and ``<name>_ad`` columns, in the run metadata's order."""
    # a model writes <name>_p_active and <name>_ad; other outputs may also end in _p_active
    # (e.g. <name>_conformal_p_active), so the _ad column anchors the name
    names = [c[: -len("_ad")] for c in columns if c.endswith("_ad") and f"{c[: -len('_ad')]}_p_active" in columns]
    order = [c.get("name") for c in (meta or {}).get("models", {}).get("cards", []) if isinstance(c, dict)]
    return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), names.index(n)))


def _get(tree, *keys):
    for key in keys:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(key)
    return tree


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _validation(s: ModelSummary, card: ModelCard) -> None:
    v = card.validation
    s.split = card.split_name
    s.split_similarity = _float(_get(v, "split_difficulty", "median"))
    sar = _get(v, "metrics_by_subset", "sar", "roc_auc")
    if isinstance(sar, dict):
        s.sar_roc_auc, s.sar_roc_auc_sd, s.sar_source = _float(sar.get("mean")), _float(sar.get("sd")), "metrics_by_subset.sar"
    else:
        old = _get(v, "metrics", "roc_auc_measured_only")
        if isinstance(old, dict):
            s.sar_roc_auc, s.sar_roc_auc_sd = _float(old.get("mean")), _float(old.get("sd"))
            s.sar_source = "metrics.roc_auc_measured_only"
    mixed = _get(v, "metrics_by_subset", "mixed", "roc_auc", "mean")
    if mixed is None:
        mixed = _get(v, "metrics", "roc_auc", "mean")
    if mixed is not None:
        s.mixed_roc_auc = _float(mixed)
    baseline = v.get("baseline", {}) if isinstance(v.get("baseline"), dict) else {}
    s.baseline_roc_auc = _float(_get(baseline, "metrics_by_subset", "sar", "roc_auc", "mean"))
    if isinstance(baseline.get("model_beats_baseline"), bool):
        s.beats_baseline = baseline["model_beats_baseline"]
    s.baseline_verdict = str(baseline.get("verdict") or "")
    yrand = v.get("y_randomisation", {}) if isinstance(v.get("y_randomisation"), dict) else {}
    s.yrand_roc_auc = _float(yrand.get("mean"))
    if isinstance(yrand.get("passed"), bool):
        s.yrand_passed = yrand["passed"]
    elif isinstance(yrand.get("near_chance"), bool):  # old cards: passed when the shuffled model is near chance
        s.yrand_passed = yrand["near_chance"]
    s.coverage = _float(_get(v, "conformal", "held_out_check", "conformal_coverage", "mean"))
    s.confidence = _float(_get(v, "conformal", "confidence"))


def model_summaries(names: list[str], columns: list[str], meta: dict | None, bundle: dict) -> list[ModelSummary]:
    """One :class:`ModelSummary` per model name; ``bundle`` maps names to loaded models (cards)."""
    cards = {c.get("name"): c for c in (meta or {}).get("models", {}).get("cards", []) if isinstance(c, dict)}
    out = []
    for name in names:
        s = ModelSummary(name)
        card = bundle[name].card if name in bundle else ModelCard(name)
        m = cards.get(name, {})
        s.gene = str(m.get("gene") or card.gene or "")
        s.target = str(m.get("target") or card.target_chembl_id or "")
        s.activity_type = str(m.get("activity_type") or card.activity_type or "")
        s.label = str(m.get("label") or card.label_rule or "")
        s.threshold = _float(card.label.get("threshold"))
        s.ad_threshold = _float(m.get("ad_threshold", card.applicability_domain.get("threshold")))
        _validation(s, card)
        if math.isnan(s.mixed_roc_auc):
            s.mixed_roc_auc = _float(m.get("roc_auc_scaffold_cv"))  # metadata of runs before the cluster split
        n = card.data.get("n_measured")
        s.n_measured = int(n) if isinstance(n, (int, float)) else None
        prefix = f"{name}_"
        s.outputs = [c[len(prefix):] for c in columns
                     if c.startswith(prefix) and c[len(prefix):] not in ("p_active", "ad")
                     and not any(c.startswith(f"{o}_") and o != name and len(o) > len(name) for o in names)]
        s.has_evidence = name in bundle
        s.plots = model_plots(bundle[name]) if name in bundle else []
        out.append(s)
    return out


def model_plots(model) -> list[tuple[str, str]]:
    """The card's SVG plots of a loaded model as ``(title, data: URI)``, checked to be inert.

    ``model.files`` are the files the bundle verified against its manifest. An SVG holding a
    script, an event handler or an outside reference is left out (and named in its title).
    """
    from ..model.plots import PLOT_FILES

    files = getattr(model, "files", None) or {}
    out = []
    for suffix, title in PLOT_FILES.items():
        path = files.get(suffix)
        if path is None:
            continue
        try:
            svg = path.read_bytes()
        except OSError as exc:
            out.append((f"{title}: not shown ({exc.strerror})", ""))
            continue
        if not svg.lstrip().startswith((b"<?xml", b"<svg")) or _UNSAFE_SVG.search(_HARMLESS.sub(b"", svg)):
            out.append((f"{title}: not shown (the file is not a plain SVG plot)", ""))
            continue
        out.append((title, "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")))
    return out


def plots_html(models: list[ModelSummary]) -> str:
    """The models' card plots as ``<img>`` elements (an SVG shown as an image runs no script)."""
    blocks = []
    for m in models:
        if not m.plots:
            continue
        images = "".join(f"<figure><img src='{uri}' alt='{escape(title)}' title='{escape(title)}' width='368'>"
                         f"<figcaption class='small'>{escape(title)}</figcaption></figure>" if uri else
                         f"<p class='small warn'>{escape(title)}</p>" for title, uri in m.plots)
        blocks.append(f"<h3>{escape(m.name)}: validation plots</h3><div class='plots model-plots'>{images}</div>")
    if not blocks:
        return ""
    return ("<p class='small'>From each model card: ROC and precision-recall curves on the SAR subset (measured "
            "actives vs measured inactives of the held-out folds) beside the similarity baseline on the same folds, "
            "and the reliability diagram (or predicted vs measured for regression).</p>" + "".join(blocks))


def unmodelled_targets(models: list[ModelSummary], panel=None) -> list[tuple[str, str, str]]:
    """Default-panel targets that no model in the ranking covers: ``(gene, ChEMBL ID, name)``.

    ``panel`` defaults to :func:`screenkit.config.load_panel` (the bundled panel).
    """
    from ..config import load_panel

    panel = panel if panel is not None else load_panel()
    uncovered = panel.uncovered_default_targets({m.target for m in models if m.target},
                                                {m.gene for m in models if m.gene})
    return [(t.gene, t.chembl_id or "", t.name) for t in uncovered]
