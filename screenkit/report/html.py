"""Render :class:`~screenkit.report.data.ReportData` as one self-contained HTML page.

Safety rules, all enforced here:

* every value from an input file that lands in HTML passes through :func:`html.escape`;
* data for the script is JSON (with ``<``, ``>`` and ``&`` written as ``\\u003c`` etc., see
  :func:`safe_json`), gzipped and base64-encoded in a ``<script type="application/octet-stream">``
  block, so no value can close the element or be read as markup;
* a Content-Security-Policy meta tag allows no network request at all (``default-src 'none'``),
  images only from ``data:`` URIs, and only the report's own script and the vendored RDKit
  MinimalLib (by their sha256 hashes, plus ``'wasm-unsafe-eval'`` to compile its WebAssembly);
* the page script writes data with ``textContent`` and attributes only, and shows structure SVGs
  as ``<img>`` with ``data:`` URIs (an SVG shown as an image cannot run scripts).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
from html import escape

import numpy as np

from .assets import CSS, PAGE, SCRIPT
from .data import NO_MODEL_SUPPORT, ReportData
from .draw import histogram_svg, scatter_svg
from .minimallib import minimallib_script, minimallib_wasm_base64
from .models import plots_html
from .reading import DISTRIBUTION_COLUMNS

__all__ = ["content_security_policy", "render_html", "safe_json"]


def safe_json(value) -> str:
    """JSON text that is safe inside an HTML ``<script>`` element (no ``<``, ``>`` or ``&``).

    NaN and infinities become ``null`` (JSON has no NaN).

    Examples
    --------
    >>> safe_json({"id": "</script><img src=x onerror=alert(1)>"})
    '{"id": "\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    """
    text = json.dumps(_finite(value), ensure_ascii=False, allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _finite(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        return _finite(value.item())
    return value


def content_security_policy(*scripts: str) -> str:
    """The page's CSP: no network access of any kind; only these exact inline scripts may run.

    ``'wasm-unsafe-eval'`` lets the page compile RDKit's WebAssembly; it does not allow ``eval``
    or ``new Function`` (the vendored MinimalLib is patched not to need them, see ``minimallib``).
    """
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii") + "'"
                      for s in scripts)
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src {hashes} 'wasm-unsafe-eval'; base-uri 'none'; form-action 'none'")


def _numbers(values: np.ndarray, decimals: int = 4) -> list:
    """A float column as a JSON list: rounded, integers without ``.0``, NaN as null."""
    out: list[int | float | None] = []
    for v in np.asarray(values, float).tolist():
        if not math.isfinite(v):
            out.append(None)
        else:
            r = round(v, decimals)
            out.append(int(r) if r == int(r) else r)
    return out


def _payload(data: ReportData) -> dict:
    """The page's data, column by column (compact: one list per column, not one object per row)."""
    t = data.table
    n = len(t)
    text = t.text
    nums = t.numbers
    names = [m.name for m in data.models]
    index = {name: k for k, name in enumerate(names)}
    missing = np.full(n, np.nan)
    series_of = [-1] * n
    for k, s in enumerate(data.series):
        for i in s.members:
            series_of[i] = k
    listed = "alerts" in text
    return {
        "n": n,
        "run_key": data.run_key,
        "no_support": NO_MODEL_SUPPORT,
        "evidence_rows": data.evidence_rows,
        "models": [{"name": m.name, "gene": m.gene, "target": m.target, "activity_type": m.activity_type,
                    "label": m.label, "threshold": m.threshold, "ad_threshold": m.ad_threshold,
                    "outputs": m.outputs, "has_evidence": m.has_evidence} for m in data.models],
        "properties": [list(p) for p in data.properties],
        "c": {
            "id": text["id"], "smiles": text["smiles"],
            "rank": _numbers(nums.get("rank", missing), 0), "pos": _numbers(nums.get("input_position", missing), 0),
            "score": _numbers(nums.get("overall_score", missing)),
            "best": [index.get(b, -1) for b in text.get("best_model", [""] * n)],
            "why": text.get("rank_reason", [""] * n), "status": text.get("status", [""] * n),
            "reason": text.get("reason", [""] * n),
            "alerts": text["alerts"] if listed else [";".join(a.label for a in data.alerts.get(i, [])) for i in range(n)],
            "series": series_of,
        },
        "alerts_known": listed,
        "p": {m.name: _numbers(nums.get(f"{m.name}_p_active", missing), 3) for m in data.models},
        "ad": {m.name: _numbers(nums.get(f"{m.name}_ad", missing), 3) for m in data.models},
        "more": {m.name: {o: _numbers(nums[f"{m.name}_{o}"], 4) if f"{m.name}_{o}" in nums else text[f"{m.name}_{o}"]
                          for o in m.outputs} for m in data.models},
        "q": {p[0]: _numbers(nums.get(p[0], missing), 4) for p in data.properties},
        "x": {c: text[c] if c in text else _numbers(nums[c]) for c in data.extra_columns},
        "atoms": {str(i): [[a.label, list(a.atoms)] for a in found] for i, found in data.alerts.items() if found},
        "nb": {str(i): {name: [[round(x.similarity, 3), x.key] for x in ns] for name, ns in found.items()}
               for i, found in data.neighbours.items() if found},
        "train": {k: [round(v[0], 3), v[1], v[2], v[3]] for k, v in data.training.items()},
        "measured": {str(i): [[x.model, round(x.pactivity, 3), x.key] for x in ms] for i, ms in data.measured.items()},
        "series": [[s.scaffold, len(s.members), s.best, s.score_min, s.score_max] for s in data.series],
        "marks": {rid: list(v) for rid, v in data.marks.items()},
        "fallback": {str(i): svg for i, svg in data.fallback_svgs.items()},
    }


def _flat(value) -> str:
    """A metadata value as one readable line (``key: value; ...``)."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flat(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_flat(v) for v in value)
    return str(value)


def _kv_table(items: list[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in items)
    return f"<table class='kv'>{rows}</table>"


def _provenance(data: ReportData) -> str:
    meta = data.meta or {}
    library = meta.get("library", {}) if isinstance(meta.get("library"), dict) else {}
    versions = meta.get("versions", {}) if isinstance(meta.get("versions"), dict) else {}
    counts = meta.get("counts", {}) if isinstance(meta.get("counts"), dict) else {}
    items = [("ranked file", f"{data.ranked_path} ({data.n_rows_total:,} rows; the first {len(data.table):,} "
                             "are on this page)")]
    if meta:
        items += [("input library", library.get("path", "")), ("library sha256", library.get("sha256", "")),
                  ("command", meta.get("command", "")), ("created", meta.get("created", "")),
                  ("screenkit", meta.get("screenkit_version", "")),
                  ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
                  ("model manifest sha256", meta.get("models", {}).get("manifest_sha256", "")),
                  ("overall score", meta.get("overall_score", ""))]
        if counts:
            items.append(("records", ", ".join(f"{k.removeprefix('n_')} {v:,}" if isinstance(v, int) else f"{k} {v}"
                                               for k, v in counts.items())))
        profile = meta.get("profile")
        if profile:
            items.append(("ranking profile", _flat(profile)))
    items.append(("models folder (evidence)", data.models_dir))
    items.append(("metadata file", data.meta_path if data.meta else f"{data.meta_path} (not found)"))
    items.append(("review marks stored under", f"this browser's local storage, key screenkit-marks:{data.run_key}"))
    return _kv_table([(k, v) for k, v in items if v not in ("", None)])


def _fig(value: float, sd: float = math.nan) -> str:
    if math.isnan(value):
        return "\u2013"
    return f"{value:.2f}" + ("" if math.isnan(sd) else f" \u00b1 {sd:.2f}")


def _models_table(data: ReportData) -> str:
    head = [("model", ""), ("target", ""), ("label", ""),
            ("SAR ROC-AUC", "measured actives vs measured inactives, held-out folds (the headline figure)"),
            ("similarity baseline", "max Tanimoto to the fold's training actives, same folds and subset"),
            ("y-randomised", "ROC-AUC after shuffling training labels; near 0.5 is what a real model needs"),
            ("split", "how test folds were chosen; median test-to-train similarity when the card gives it"),
            ("mixed ROC-AUC", "measured compounds plus putative inactives (easier, screening-like)"),
            ("conformal coverage", "share of held-out compounds whose true label is in the prediction set"),
            ("AD threshold", "in domain at or above this similarity to the nearest training compound"),
            ("rows in domain", "share of this page's rows at or above the model's domain threshold"),
            ("measured", "measured training compounds")]
    body = []
    for m in data.models:
        sar = _fig(m.sar_roc_auc, m.sar_roc_auc_sd)
        if m.sar_source == "metrics.roc_auc_measured_only":
            sar += " *"
        base = _fig(m.baseline_roc_auc)
        if m.beats_baseline is not None:
            base += " \u2013 model better" if m.beats_baseline else " \u2013 model NOT better"
        if m.baseline_verdict:
            base += f" ({m.baseline_verdict})"
        if base == "\u2013":
            base = "not in card"
        yrand = _fig(m.yrand_roc_auc)
        if m.yrand_passed is not None:
            yrand += " passed" if m.yrand_passed else " FAILED"
        split = m.split + ("" if math.isnan(m.split_similarity) else f", median similarity {m.split_similarity:.2f}")
        coverage = "" if math.isnan(m.coverage) else (
            f"{m.coverage:.0%}" + ("" if math.isnan(m.confidence) else f" at {m.confidence:.0%}"))
        ad = data.table.numbers.get(f"{m.name}_ad")
        in_domain = "" if ad is None or math.isnan(m.ad_threshold) or not np.isfinite(ad).any() else \
            f"{np.mean(ad[np.isfinite(ad)] >= m.ad_threshold):.1%}"
        cells = [m.name, f"{m.gene} {m.target}".strip(), m.label, sar, base, yrand, split, _fig(m.mixed_roc_auc),
                 coverage, _fig(m.ad_threshold), in_domain, "" if m.n_measured is None else f"{m.n_measured:,}"]
        flag = " class='weak'" if (m.beats_baseline is False or m.yrand_passed is False) else ""
        body.append(f"<tr{flag}>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th title='{escape(tip)}'>{escape(h)}</th>" for h, tip in head)
    return (f"<table class='kv models'><tr>{header}</tr>{''.join(body)}</table>"
            "<p class='small'>Figures from each model card (cross-validation on held-out groups). Rows in red: the model "
            "does not beat the similarity baseline or fails y-randomisation; read its predictions as similarity search."
            + (" * older card: the SAR figure is its measured-only ROC-AUC (measured actives against measured "
               "inactives, same folds); no baseline in that card." if any(m.sar_source == "metrics.roc_auc_measured_only"
                                                                        for m in data.models) else "") + "</p>")


def _honesty(data: ReportData) -> str:
    parts = []
    if data.unmodelled:
        names = ", ".join(f"{gene} ({cid})" if cid else gene for gene, cid, _ in data.unmodelled)
        parts.append(f"<div class='warn banner' id='unmodelled'><b>No model for {len(data.unmodelled)} panel "
                     f"target{'s' if len(data.unmodelled) != 1 else ''}:</b> <span class='targets'>{escape(names)}</span>. "
                     "No compound here is ranked for activity at these targets.</div>")
    d = data.table.numbers.get("d_activity")
    if d is not None and len(d):
        weak = int(np.sum(d < NO_MODEL_SUPPORT))
        if weak:
            parts.append(f"<div class='warn banner' id='nosupport'><b>{weak:,} of {len(d):,} rows</b> are ranked "
                         f"without model support (activity desirability d_activity &lt; {NO_MODEL_SUPPORT}): their place "
                         "comes from properties alone. They carry a <span class='chip nomodel'>no model</span> flag; the "
                         "<i>model support</i> box hides them.</div>")
    n_measured = len(data.measured)
    if n_measured:
        rows, verb = ("1 row", "is itself a measured compound") if n_measured == 1 else \
            (f"{n_measured:,} rows", "are themselves measured compounds")
        parts.append(f"<div class='note banner'><b>{rows}</b> {verb} of a "
                     "model's training set (same structure): they carry a <span class='chip measured'>measured</span> "
                     "badge with the measured value; their prediction is not new information.</div>")
    return "".join(parts)


def _distributions(data: ReportData) -> str:
    labels = dict(DISTRIBUTION_COLUMNS)
    n = len(data.table)
    everything = n == data.n_rows_total
    blocks = []
    for title, columns in (("Score and properties", [c for c in data.table.distributions if not c.endswith("_p_active")]),
                           ("Per-target probability of activity", [f"{m.name}_p_active" for m in data.models])):
        plots = []
        for column in columns:
            if column not in data.table.distributions:
                continue
            values = data.table.distributions[column]
            unit = column.endswith("_p_active") or column in ("overall_score", "qed")
            plots.append(histogram_svg(values, values[:0] if everything else values[:n],
                                       labels.get(column, column.replace("_p_active", " p(active)")),
                                       value_range=(0.0, 1.0) if unit else None, top_label=f"top {n:,}"))
        if plots:
            blocks.append(f"<h3>{escape(title)}</h3><div class='plots'>{''.join(plots)}</div>")
    return "".join(blocks)


def _chemical_space(data: ReportData) -> str:
    groups = data.space.get("groups", [])
    explained = data.space.get("explained", [])
    labels = ("PC1", "PC2")
    if len(explained) == 2:  # chemical_space gives both ratios, or none when it drew nothing
        labels = (f"PC1 ({explained[0]:.0%} of variance)", f"PC2 ({explained[1]:.0%} of variance)")
    note = (f"PCA of Morgan fingerprints (radius 2, 2048 bits) of the first {data.evidence_rows:,} ranked compounds, "
            "a sample of the rest of the ranked file and up to 400 measured compounds of each model's training set; "
            "hover a black point for its rank and ID.")
    return f"<p class='small'>{escape(note)}</p>" + scatter_svg(groups, axis_labels=labels)


def render_html(data: ReportData) -> str:
    """The complete report page as text (see the module docstring for the safety rules)."""
    packed = gzip.compress(safe_json(_payload(data)).encode("utf-8"), 6, mtime=0)
    rdkit_js = minimallib_script()
    meta = data.meta or {}
    created = meta.get("created", "")
    n = len(data.table)
    subtitle = (f"{data.n_rows_total:,} ranked compounds in {data.ranked_path}"
                + (f"; the top {n:,} are on this page" if n < data.n_rows_total else ", all on this page")
                + f". {len(data.models)} target models." + (f" Scored {created}." if created else ""))
    warnings = "".join(f"<div class='warn'>{escape(w)}</div>" for w in data.warnings)
    return PAGE.format(
        csp=escape(content_security_policy(rdkit_js, SCRIPT), quote=False), title=escape(data.title), css=CSS,
        subtitle=escape(subtitle), warnings=warnings, honesty=_honesty(data), provenance=_provenance(data),
        models=_models_table(data) + plots_html(data.models), distributions=_distributions(data), space=_chemical_space(data),
        score_note=escape(str(meta.get("overall_score", "the ranking's overall score"))),
        no_support=NO_MODEL_SUPPORT, ranked=escape(data.ranked_path),
        data=base64.b64encode(packed).decode("ascii"), wasm=minimallib_wasm_base64(), rdkit=rdkit_js, script=SCRIPT)
