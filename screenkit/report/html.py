"""Render :class:`~screenkit.report.data.ReportData` as one self-contained HTML page.

Safety rules, all enforced here:

* every value from an input file that lands in HTML passes through :func:`html.escape`;
* data for the script is JSON inside ``<script type="application/json">`` with ``<``, ``>``
  and ``&`` written as ``\\u003c`` etc. (:func:`safe_json`), so no value can close the element;
* a Content-Security-Policy meta tag allows no network request at all (``default-src 'none'``),
  images only from ``data:`` URIs, and only the report's own script (by its sha256 hash).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
from html import escape

import numpy as np

from .assets import CSS, SCRIPT
from .data import DISTRIBUTION_COLUMNS, ReportData
from .draw import histogram_svg, scatter_svg

__all__ = ["render_html", "safe_json", "content_security_policy"]


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


def content_security_policy(script: str) -> str:
    """The page's CSP: no network access of any kind; only this exact inline script may run."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def _number(text):
    """A CSV cell as float (None when empty or not a number)."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text) if math.isfinite(float(text)) else None
    text = str(text).strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _bool(text):
    value = str(text).strip().lower()
    if value in ("true", "1", "yes", "y", "t"):
        return True
    if value in ("false", "0", "no", "n", "f"):
        return False
    return None


def _rows_json(data: ReportData) -> list[dict]:
    out = []
    alerts_known = "alerts" in data.columns
    for i, row in enumerate(data.rows):
        rank = _number(row.get("rank"))
        pos = _number(row.get("input_position"))
        predictions = {}
        for m in data.models:
            p = {"p": _number(row.get(f"{m.name}_p_active")), "ad": _number(row.get(f"{m.name}_ad"))}
            more = {o: _number(row.get(f"{m.name}_{o}")) for o in m.outputs}
            lo = more.get("p_active_lower", more.get("p_lower"))
            hi = more.get("p_active_upper", more.get("p_upper"))
            if lo is not None and hi is not None:
                p["lo"], p["hi"] = lo, hi
            if more:
                p["more"] = more
            predictions[m.name] = p
        props = {}
        for column, _, decimals, _ in data.properties:
            props[column] = _bool(row.get(column, "")) if decimals is None else _number(row.get(column))
        if alerts_known:
            alerts = [a.strip() for a in str(row.get("alerts", "")).split(";") if a.strip()]
        else:
            alerts = [a.label for a in data.alerts.get(i, [])]
        out.append({
            "i": i, "rank": int(rank) if rank is not None else None, "pos": int(pos) if pos is not None else None,
            "id": str(row.get("id", "")), "smiles": str(row.get("smiles", "")),
            "score": _number(row.get("overall_score")), "best": str(row.get("best_model", "")),
            "why": str(row.get("rank_reason", "")), "status": str(row.get("status", "")),
            "status_reason": str(row.get("reason", "")), "alerts": alerts,
            "alerts_known": alerts_known or i in data.alerts,
            "p": predictions, "props": props,
            "extra": {c: str(row.get(c, "")) for c in data.extra_columns if str(row.get(c, "")) != ""},
            "nb": {name: [[round(n.similarity, 4), n.svg_key] for n in found]
                   for name, found in data.neighbours.get(i, {}).items()},
        })
    return out


def _models_json(data: ReportData) -> list[dict]:
    return [{"name": m.name, "gene": m.gene, "target": m.target, "activity_type": m.activity_type,
             "label": m.label, "threshold": m.threshold, "ad_threshold": m.ad_threshold,
             "outputs": m.outputs, "has_evidence": m.has_evidence} for m in data.models]


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
    items = [("ranked file", f"{data.ranked_path} ({data.n_rows_total:,} rows; the first {len(data.rows):,} "
                             "are in the table)")]
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
    return _kv_table([(k, v) for k, v in items if v not in ("", None)])


def _models_table(data: ReportData) -> str:
    head = ("model", "gene", "target", "activity", "label", "AD threshold", "ROC-AUC (scaffold CV)",
            "measured compounds", "extra outputs")
    body = []
    for m in data.models:
        cells = (m.name, m.gene, m.target, m.activity_type, m.label,
                 "" if math.isnan(m.ad_threshold) else f"{m.ad_threshold:.2f}",
                 "" if math.isnan(m.roc_auc) else f"{m.roc_auc:.3f}",
                 "" if m.n_measured is None else f"{m.n_measured:,}", ", ".join(m.outputs))
        body.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr>")
    return ("<table class='kv'><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"
            + "".join(body) + "</table>")


def _distributions(data: ReportData) -> str:
    labels = dict(DISTRIBUTION_COLUMNS)
    blocks = []
    for title, columns in (("Score and properties", [c for c in data.distributions if not c.endswith("_p_active")]),
                           ("Per-target probability of activity", [f"{m.name}_p_active" for m in data.models])):
        plots = []
        for column in columns:
            if column not in data.distributions:
                continue
            all_values, top_values = data.distributions[column]
            unit = column.endswith("_p_active") or column in ("overall_score", "qed")
            plots.append(histogram_svg(all_values, top_values, labels.get(column, column.replace("_p_active", " p(active)")),
                                       value_range=(0.0, 1.0) if unit else None, top_label=f"top {len(data.rows):,}"))
        if plots:
            blocks.append(f"<h3>{escape(title)}</h3><div class='plots'>{''.join(plots)}</div>")
    return "".join(blocks)


def _chemical_space(data: ReportData) -> str:
    groups = data.space.get("groups", [])
    explained = data.space.get("explained", [])
    labels = tuple(f"PC{i + 1} ({v:.0%} of variance)" for i, v in enumerate(explained)) or ("PC1", "PC2")
    note = ("PCA of Morgan fingerprints (radius 2, 2048 bits) of the ranked compounds in the table, a sample of "
            "the rest of the ranked file and up to 400 measured compounds of each model's training set; hover a "
            "black point for its rank and ID.")
    return f"<p class='small'>{escape(note)}</p>" + scatter_svg(groups, axis_labels=labels)


def render_html(data: ReportData) -> str:
    """The complete report page as text (see the module docstring for the safety rules)."""
    svgs = gzip.compress(json.dumps(data.molecule_svgs, separators=(",", ":")).encode("utf-8"), 9, mtime=0)
    train = {n.svg_key: [round(n.pactivity, 3), n.smiles, n.inchikey, n.identifiers]
             for found in data.neighbours.values() for neighbours in found.values() for n in neighbours}
    payload = {"models": _models_json(data), "properties": [list(p) for p in data.properties],
               "rows": _rows_json(data), "train": train, "evidence_rows": data.evidence_rows}
    meta = data.meta or {}
    created = meta.get("created", "")
    subtitle = (f"{data.n_rows_total:,} ranked compounds in {data.ranked_path}; the top {len(data.rows):,} are "
                f"below with structures and evidence. {len(data.models)} target models."
                + (f" Scored {created}." if created else ""))
    warnings = "".join(f"<div class='warn'>{escape(w)}</div>" for w in data.warnings)
    properties_note = "" if data.properties else (
        "<p class='small'>This ranked file has no property columns (MW, cLogP, TPSA, CNS MPO, ...); "
        "they appear here when the ranking adds them.</p>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{escape(content_security_policy(SCRIPT), quote=False)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(data.title)}</title>
<style>{CSS}</style>
</head>
<body>
<header class="top">
<h1>{escape(data.title)}</h1>
<div class="sub">{escape(subtitle)}</div>
<nav><a href="#compounds">Compounds</a><a href="#summary">Run and models</a><a href="#distributions">Distributions</a><a href="#space">Chemical space</a><a href="#help">How to read this</a></nav>
</header>
<main>
{warnings}
<section id="compounds">
<div class="toolbar">
<input type="search" id="filter" placeholder="filter: ID, SMILES, alert, model, reason; or cns_mpo>=4, score>0.5, jak1_ki>0.7" aria-label="filter rows">
<label><input type="checkbox" id="indomain"> best model in domain</label>
<label><input type="checkbox" id="noalerts"> no alerts</label>
<select id="size" aria-label="rows per page"><option value="25">25 / page</option><option value="50" selected>50 / page</option><option value="100">100 / page</option><option value="1000000">all</option></select>
<button id="prev" type="button">&#8249; prev</button><span id="page"></span><button id="next" type="button">next &#8250;</button>
<span id="count"></span>
</div>
{properties_note}
<div class="scroll"><table class="grid" id="grid"><thead></thead><tbody></tbody></table></div>
</section>
<section id="summary">
<h2>Run provenance</h2>
{_provenance(data)}
<h2>Models</h2>
{_models_table(data)}
</section>
<section id="distributions">
<h2>Distributions</h2>
<p class="small">Grey bars: every row of the ranked file; blue: the rows in the table. Fractions of each set.</p>
{_distributions(data)}
</section>
<section id="space">
<h2>Chemical space: ranked compounds against the training sets</h2>
{_chemical_space(data)}
</section>
<section id="help">
<h2>How to read this</h2>
<ul class="small">
<li><b>Score</b>: {escape(str(meta.get("overall_score", "the ranking's overall score")))}; the sentence under it says why the compound ranks there when the ranking provides one.</li>
<li><b>Per-target columns</b>: probability that the compound is active at that target (label in the column tooltip), shaded by value; the outlined cell is the model behind the score. <b>AD</b> is the Tanimoto similarity (Morgan radius 2, 2048 bits) to the nearest measured training compound: green when at or above the model card's domain threshold, red when below (the prediction is an extrapolation).</li>
<li><b>Alerts</b>: structural alerts (RDKit FilterCatalog: PAINS, Brenk, NIH, ...); the matched atoms are shaded red on the structure.</li>
<li><b>Evidence</b>: the three most similar measured compounds of each model's training set, with Tanimoto similarity (Tc), measured pActivity (green: active by the model's label, red: inactive) and InChIKey (hover for SMILES).</li>
<li>Click a column header to sort (again to reverse); the filter box takes words (all must match; quote a phrase: "ID 12") and comparisons such as <code>cns_mpo&gt;=4</code>, <code>score&gt;0.5</code> or <code>&lt;model&gt;&gt;0.7</code>.</li>
</ul>
</section>
</main>
<footer>Made by screenkit from {escape(data.ranked_path)}. This page is one file: it makes no network requests and can be mailed or archived as is.</footer>
<script type="application/json" id="report-data">{safe_json(payload)}</script>
<script type="application/octet-stream" id="report-svgs">{base64.b64encode(svgs).decode("ascii")}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""
