"""The report's page template, stylesheet and script, inlined into every HTML file (nothing is fetched).

The script unpacks the gzipped column data with the browser's ``DecompressionStream``, builds
every view with ``textContent`` and DOM nodes only (never ``innerHTML`` with data), draws
structures with RDKit MinimalLib (WebAssembly, see :mod:`.minimallib`) as ``<img>`` elements with
``data:`` URIs (an SVG shown as an image cannot run scripts), and keeps review marks in
``localStorage`` under the run's input hash.
"""

from __future__ import annotations

from .script import SCRIPT

__all__ = ["CSS", "PAGE", "SCRIPT"]

CSS = r"""
:root { --ink:#1d2330; --muted:#5f6b7a; --line:#dfe3e8; --head:#f3f5f8; --accent:#0b5cad;
        --in:#1a7f37; --in-bg:#e6f4ea; --out:#a4401c; --out-bg:#fbeae5; --alert:#b3261e; --alert-bg:#fde7e6;
        --keep:#1a7f37; --maybe:#9a6700; --reject:#a4401c; }
* { box-sizing: border-box; }
html { scroll-padding-top: 70px; }
body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background:#fff; }
header.top { padding: 10px 22px 6px; border-bottom: 1px solid var(--line); background: linear-gradient(#fbfcfd, #f5f7fa); }
header.top h1 { font-size: 19px; margin: 0 0 2px; font-weight: 600; }
header.top .sub { color: var(--muted); }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; font-weight: 500; }
main { padding: 6px 22px 40px; }
h2 { font-size: 16px; margin: 22px 0 8px; font-weight: 600; }
h3 { font-size: 13px; margin: 12px 0 6px; font-weight: 600; }
.warn { background: #fff4d6; border: 1px solid #f0d48a; padding: 5px 10px; border-radius: 4px; margin: 5px 0; }
.note { background: #eef5fc; border: 1px solid #c5dcf3; padding: 5px 10px; border-radius: 4px; margin: 5px 0; }
.toolbar { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; margin: 6px 0; }
.toolbar input[type=search], .toolbar input[type=text] { padding: 4px 7px; border: 1px solid #b9c0c9; border-radius: 4px; font: inherit; }
#filter { width: 300px; } #query { width: 220px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.toolbar label { color: var(--muted); user-select: none; white-space: nowrap; }
.toolbar button, .toolbar select, button.b { font: inherit; padding: 3px 8px; border: 1px solid #b9c0c9; background: #fff; border-radius: 4px; cursor: pointer; }
.toolbar button:disabled { opacity: .4; cursor: default; }
.toolbar .sep { width: 1px; height: 20px; background: var(--line); }
.toolbar button.on { background: var(--accent); color: #fff; border-color: var(--accent); }
#count, #qstatus { color: var(--muted); }
#qstatus.err { color: var(--alert); }
.bar-sticky { position: sticky; top: 0; z-index: 5; background: #fff; border-bottom: 1px solid var(--line); padding-bottom: 2px; }
table.grid { border-collapse: separate; border-spacing: 0; width: 100%; table-layout: auto; }
table.grid thead th { position: sticky; top: var(--bar, 0px); z-index: 4; background: var(--head); border-bottom: 1px solid #c8ced6;
               padding: 4px 4px; text-align: left; font-weight: 600; white-space: nowrap; cursor: pointer; user-select: none; vertical-align: bottom; font-size: 12px; }
table.grid th .g { display: block; font-weight: 400; color: var(--muted); font-size: 10px; }
table.grid th.sorted-asc::after { content: " \25B2"; color: var(--accent); }
table.grid th.sorted-desc::after { content: " \25BC"; color: var(--accent); }
table.grid td { border-bottom: 1px solid var(--line); padding: 3px 4px; vertical-align: middle; }
table.grid tr.row:hover td { background: #f7fafd; }
table.grid tr.row.open td { background: #f0f5fb; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.struct { padding: 1px; width: 154px; }
.mol { display: block; background: #fff; }
.ph { display: flex; align-items: center; justify-content: center; color: var(--muted); background: #fafafa; font-size: 11px; text-align: center; }
td.idc { min-width: 110px; max-width: 160px; }
.rk { font-size: 14px; font-weight: 600; }
.cid { font-weight: 600; overflow-wrap: anywhere; }
.small { font-size: 11px; color: var(--muted); }
td.score { min-width: 120px; max-width: 180px; }
.scorev { font-size: 14px; font-weight: 600; font-variant-numeric: tabular-nums; }
.bar { height: 4px; background: #e8ebef; border-radius: 2px; margin: 2px 0 3px; }
.bar > i { display: block; height: 4px; border-radius: 2px; background: var(--accent); }
.why { font-size: 11px; color: #364152; }
td.pred { text-align: center; width: 50px; font-variant-numeric: tabular-nums; padding: 2px 1px; }
.pv { display: inline-block; min-width: 34px; padding: 1px 3px; border-radius: 3px; font-weight: 600; font-size: 12px; }
.ad { display: block; font-size: 10px; margin-top: 1px; border-radius: 3px; padding: 0 2px; white-space: nowrap; }
.ad.in { color: var(--in); background: var(--in-bg); }
.ad.out { color: var(--out); background: var(--out-bg); }
.ad.na { color: var(--muted); }
.chip { display: inline-block; margin: 1px 2px 1px 0; padding: 0 5px; border-radius: 9px; font-size: 11px; white-space: nowrap; max-width: 100%; overflow: hidden; text-overflow: ellipsis; vertical-align: middle; }
.chip.alert { color: var(--alert); background: var(--alert-bg); border: 1px solid #f3b8b3; }
.chip.none { color: var(--in); background: var(--in-bg); }
.chip.st { color: #7a4b00; background: #fff1cc; }
.chip.nomodel { color: #6b4e00; background: #fff1cc; border: 1px solid #e9cf7c; }
.chip.measured { color: #fff; background: #5b3fa8; }
.chip.ser { color: var(--accent); background: #e8f1fb; cursor: pointer; border: 0; font: inherit; font-size: 11px; }
td.alerts { width: 150px; max-width: 150px; }
td.alerts .chip { max-width: 146px; }
.good { color: var(--in); } .bad { color: var(--out); }
.marks { display: inline-flex; gap: 2px; margin-top: 3px; }
.marks button { font: inherit; font-size: 10.5px; padding: 0 5px; border: 1px solid #c3c9d1; background: #fff; border-radius: 3px; cursor: pointer; color: var(--muted); }
.marks button.on.keep { background: var(--keep); color: #fff; border-color: var(--keep); }
.marks button.on.maybe { background: var(--maybe); color: #fff; border-color: var(--maybe); }
.marks button.on.reject { background: var(--reject); color: #fff; border-color: var(--reject); }
.cm { font-size: 11px; color: #364152; font-style: italic; overflow-wrap: anywhere; }
tr.row.m-keep td:first-child { box-shadow: inset 4px 0 0 var(--keep); }
tr.row.m-maybe td:first-child { box-shadow: inset 4px 0 0 var(--maybe); }
tr.row.m-reject td { opacity: .55; }
button.tog { border: 1px solid #b9c0c9; background: #fff; border-radius: 3px; cursor: pointer; font: inherit; font-size: 11px; padding: 0 6px; margin-top: 3px; }
tr.details > td { background: #fbfcfd; padding: 8px 12px 14px; border-bottom: 2px solid #c8ced6; }
.panel { max-width: calc(100vw - 70px); }
.top2 { display: flex; gap: 14px; align-items: flex-start; }
.top2 > .right { flex: 1 1 600px; min-width: 0; }
tr.row, tr.details { scroll-margin-top: calc(var(--bar, 0px) + 50px); }
.smiles { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; word-break: break-all; user-select: all; }
.ev { display: flex; flex-wrap: wrap; gap: 8px 10px; margin-top: 4px; }
.evm { border: 1px solid var(--line); border-radius: 4px; background: #fff; padding: 5px 7px; }
.evh { margin-bottom: 4px; } .evh b { font-size: 12.5px; margin-right: 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 6px; }
.card { border: 1px solid var(--line); border-radius: 4px; background: #fff; padding: 3px; width: 138px; font-size: 11px; overflow-wrap: anywhere; }
.card .ik { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 9px; color: var(--muted); word-break: break-all; }
.breakdown { display: grid; grid-template-columns: 150px 160px 60px; gap: 2px 8px; align-items: center; font-size: 12px; }
.hb { height: 9px; background: #e8ebef; border-radius: 2px; } .hb > i { display: block; height: 9px; border-radius: 2px; background: var(--accent); }
.hb.low > i { background: #c98a00; }
details.more summary { cursor: pointer; color: var(--accent); margin-top: 8px; }
textarea.comment { width: 360px; height: 44px; font: inherit; border: 1px solid #b9c0c9; border-radius: 4px; padding: 3px 6px; }
#gridview { display: grid; grid-template-columns: repeat(auto-fill, minmax(176px, 1fr)); gap: 8px; margin-top: 6px; }
.gcard { border: 1px solid var(--line); border-radius: 5px; padding: 4px; background: #fff; cursor: pointer; overflow: hidden; }
.gcard:hover { border-color: var(--accent); }
.gcard.m-keep { border-left: 4px solid var(--keep); } .gcard.m-maybe { border-left: 4px solid var(--maybe); } .gcard.m-reject { opacity: .55; }
.gcard .line { display: flex; justify-content: space-between; gap: 4px; font-size: 11.5px; }
#drawer { position: fixed; top: 0; right: 0; bottom: 0; width: min(1100px, 92vw); background: #fff; box-shadow: -4px 0 18px rgba(0,0,0,.18); z-index: 20; overflow: auto; padding: 10px 16px 30px; display: none; }
#drawer.open { display: block; }
#drawer .close { position: sticky; top: 0; float: right; z-index: 2; }
.kv { border-collapse: collapse; margin: 4px 0; }
.kv td, .kv th { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
.kv th { color: var(--muted); font-weight: 500; white-space: nowrap; }
.kv td.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; word-break: break-all; }
table.models tr.weak td { color: var(--out); }
table.sar td, table.sar th { padding: 2px 5px; }
table.sar td.pred { width: 56px; }
.plots { display: flex; flex-wrap: wrap; gap: 10px 18px; }
#scatter { border: 1px solid var(--line); cursor: crosshair; background: #fcfcfd; }
table.heat { border-collapse: collapse; font-size: 11px; }
table.heat td, table.heat th { padding: 1px 3px; border: 1px solid #fff; text-align: center; }
table.heat th { font-weight: 500; color: var(--muted); }
table.heat td.h { min-width: 44px; font-variant-numeric: tabular-nums; }
table.heat td.lab { text-align: left; white-space: nowrap; max-width: 160px; overflow: hidden; text-overflow: ellipsis; cursor: pointer; color: var(--accent); }
svg .t { font-size: 12px; font-weight: 600; fill: #1d2330; } svg .a { font-size: 10px; fill: #4a5563; } svg .m { font-size: 12px; fill: #888; }
footer { color: var(--muted); padding: 12px 22px 30px; border-top: 1px solid var(--line); font-size: 12px; }
.hidden { display: none !important; }
"""

# str.format template: every value is escaped (or base64) before it is put in.
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header class="top">
<h1>{title}</h1>
<div class="sub">{subtitle}</div>
<nav><a href="#compounds">Compounds</a><a href="#series">Series</a><a href="#plots">Plots</a><a href="#summary">Run and models</a><a href="#distributions">Distributions</a><a href="#space">Chemical space</a><a href="#help">How to read this</a></nav>
</header>
<main>
{warnings}
{honesty}
<section id="compounds">
<div class="bar-sticky" id="bar">
<div class="toolbar">
<input type="search" id="filter" placeholder="filter: ID, SMILES text, alert, reason; or cns_mpo>=4, score>0.5, jak1_ki>0.7" aria-label="filter rows">
<input type="text" id="query" placeholder="structure: SMILES or SMARTS" aria-label="structure query" spellcheck="false">
<select id="qmode" aria-label="structure search kind"><option value="sub">substructure</option><option value="sim">similarity &#8805;</option></select>
<input type="text" id="qsim" value="0.5" size="3" aria-label="similarity threshold" title="Tanimoto threshold (Morgan radius 2, 2048 bits)">
<button id="qgo" type="button">search</button><button id="qclear" type="button">clear</button>
<span id="qstatus"></span>
<span class="sep"></span>
<span class="small">export marked:</span><button id="xcsv" type="button">CSV</button><button id="xsdf" type="button">SDF</button>
</div>
<div class="toolbar">
<label><input type="checkbox" id="indomain"> best model in domain</label>
<label><input type="checkbox" id="support"> model support</label>
<label><input type="checkbox" id="noalerts"> no alerts</label>
<select id="markf" aria-label="marks"><option value="">all marks</option><option value="any">marked</option><option value="keep">keep</option><option value="maybe">maybe</option><option value="reject">reject</option><option value="none">unmarked</option><option value="notreject">not rejected</option></select>
<span class="sep"></span>
<button id="vtable" type="button" class="on">table</button><button id="vgrid" type="button">grid</button>
<span class="small">columns:</span><span id="groups"></span>
<span class="sep"></span>
<select id="size" aria-label="rows per page"><option value="25">25 / page</option><option value="50" selected>50 / page</option><option value="100">100 / page</option><option value="250">250 / page</option></select>
<button id="prev" type="button">&#8249;</button><span id="page"></span><button id="next" type="button">&#8250;</button>
<span id="count"></span>
<span id="brushnote" class="hidden"><button id="unbrush" type="button">clear plot selection</button></span>
</div>
</div>
<table class="grid" id="grid"><thead></thead><tbody></tbody></table>
<div id="gridview" class="hidden"></div>
</section>
<section id="series">
<h2>Series (Murcko scaffolds)</h2>
<p class="small">Ranked compounds grouped by Bemis-Murcko scaffold (ring systems and linkers; computed when the report was written). Series of two or more members, best-ranked first. Open one to compare its members target by target.</p>
<div class="toolbar"><button id="sprev" type="button">&#8249;</button><span id="spage"></span><button id="snext" type="button">&#8250;</button><span id="scount" class="small"></span></div>
<table class="grid" id="serieslist"><thead><tr><th>Scaffold</th><th>Members</th><th>Best member</th><th>Score range</th><th></th></tr></thead><tbody></tbody></table>
</section>
<section id="plots">
<h2>Activity against CNS suitability</h2>
<p class="small">Each point is a row that passes the filters: x = the best model's p(active), y = CNS MPO (or the CNS desirability when the ranking has no CNS MPO). The line is the Pareto front (no other row is better on both). Drag a box to select rows: the table then shows only those.</p>
<canvas id="scatter" width="640" height="380" aria-label="p(active) against CNS score"></canvas>
<h2>Per-target heat map of the top rows</h2>
<p class="small">The first 40 rows in the current order and filter; cells are p(active) per model, faded when the compound is outside that model's domain. Click a row to open it.</p>
<div id="heat"></div>
</section>
<section id="summary">
<h2>Run provenance</h2>
{provenance}
<h2>Models</h2>
{models}
</section>
<section id="distributions">
<h2>Distributions</h2>
<p class="small">Grey bars: every row of the ranked file; blue: the rows on this page when it holds only the top of the file. Fractions of each set.</p>
{distributions}
</section>
<section id="space">
<h2>Chemical space: ranked compounds against the training sets</h2>
{space}
</section>
<section id="help">
<h2>How to read this</h2>
<ul class="small">
<li><b>Score</b>: {score_note}; the sentence under it says why the compound ranks there.</li>
<li><b>Per-target columns</b>: probability that the compound is active at that target, shaded by value; the outlined cell is the model behind the score. <b>AD</b> is the Tanimoto similarity (Morgan radius 2, 2048 bits) to the nearest measured training compound: green when at or above the model card's domain threshold, red below (the prediction is an extrapolation).</li>
<li><b>no model</b>: the row's activity desirability is below {no_support}, so no model supports it; it ranks on properties alone. <b>measured</b>: the compound itself is in a model's training set; the badge gives the measured value.</li>
<li><b>Structure search</b>: a SMILES or SMARTS; substructure search matches every row that contains it (SMARTS such as <code>[NX3;R]</code> work), similarity search keeps rows at or above the Tanimoto threshold. Both combine with the filter box and the check boxes.</li>
<li><b>Marks</b>: keep / maybe / reject and a comment (open a row) are saved in this browser for this run (by the input library's sha256) and survive a reload; export them as CSV or SDF. <code>screenkit report --marks marks.csv</code> carries them into a new report.</li>
<li>Click a column header to sort (again to reverse); the filter box takes words (all must match; quote a phrase: "ID 12") and comparisons such as <code>cns_mpo&gt;=4</code>, <code>score&gt;0.5</code> or <code>&lt;model&gt;&gt;0.7</code>; <code>series:3</code> keeps one series.</li>
</ul>
</section>
</main>
<div id="drawer" role="dialog" aria-label="details"><button class="b close" id="dclose" type="button">close &#10005;</button><div id="dbody"></div></div>
<footer>Made by screenkit from {ranked}. This page is one file: it makes no network requests and can be mailed or archived as is. Structures are drawn by RDKit MinimalLib (BSD licence) in the browser.</footer>
<script type="application/octet-stream" id="report-data">{data}</script>
<script type="application/octet-stream" id="rdkit-wasm">{wasm}</script>
<script>{rdkit}</script>
<script>{script}</script>
</body>
</html>
"""
