"""The report's stylesheet and script, inlined into every HTML file (nothing is fetched).

The script builds the compound table from the embedded JSON with ``textContent`` and DOM
nodes only (never ``innerHTML`` with data), shows structures as ``<img>`` elements with
``data:`` URIs (an SVG shown as an image cannot run scripts), and unpacks the gzipped
structure pictures with the browser's ``DecompressionStream``.
"""

from __future__ import annotations

__all__ = ["CSS", "SCRIPT"]

CSS = r"""
:root { --ink:#1d2330; --muted:#5f6b7a; --line:#dfe3e8; --head:#f3f5f8; --accent:#0b5cad;
        --in:#1a7f37; --in-bg:#e6f4ea; --out:#a4401c; --out-bg:#fbeae5; --alert:#b3261e; --alert-bg:#fde7e6; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background:#fff; }
header.top { padding: 14px 22px 8px; border-bottom: 1px solid var(--line); background: linear-gradient(#fbfcfd, #f5f7fa); }
header.top h1 { font-size: 20px; margin: 0 0 4px; font-weight: 600; }
header.top .sub { color: var(--muted); }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; font-weight: 500; }
main { padding: 10px 22px 40px; }
h2 { font-size: 16px; margin: 22px 0 8px; font-weight: 600; }
h3 { font-size: 13px; margin: 14px 0 6px; font-weight: 600; }
.warn { background: #fff4d6; border: 1px solid #f0d48a; padding: 6px 10px; border-radius: 4px; margin: 6px 0; }
.toolbar { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: center; margin: 6px 0 8px; }
.toolbar input[type=search] { width: 440px; padding: 5px 8px; border: 1px solid #b9c0c9; border-radius: 4px; font: inherit; }
.toolbar label { color: var(--muted); user-select: none; }
.toolbar button, .toolbar select { font: inherit; padding: 3px 8px; border: 1px solid #b9c0c9; background: #fff; border-radius: 4px; cursor: pointer; }
.toolbar button:disabled { opacity: .4; cursor: default; }
#count { color: var(--muted); }
.scroll { overflow: auto; max-height: calc(100vh - 150px); border: 1px solid var(--line); border-radius: 4px; }
table.grid { border-collapse: separate; border-spacing: 0; min-width: 100%; }
table.grid th { position: sticky; top: 0; z-index: 2; background: var(--head); border-bottom: 1px solid #c8ced6; padding: 6px 6px;
               text-align: left; font-weight: 600; white-space: nowrap; cursor: pointer; user-select: none; vertical-align: bottom; }
table.grid th .g { display: block; font-weight: 400; color: var(--muted); font-size: 11px; }
table.grid th.sorted-asc::after { content: " \25B2"; color: var(--accent); }
table.grid th.sorted-desc::after { content: " \25BC"; color: var(--accent); }
table.grid td { border-bottom: 1px solid var(--line); padding: 4px 6px; vertical-align: middle; }
table.grid tr.row:hover td { background: #f7fafd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.struct { padding: 2px; width: 194px; position: sticky; left: 0; z-index: 1; background: #fff; border-right: 1px solid var(--line); }
table.grid th:first-child { left: 0; z-index: 3; }
td.struct img { display: block; width: 190px; height: 150px; }
.ph { width: 190px; height: 150px; display: flex; align-items: center; justify-content: center; color: var(--muted); background: #fafafa; font-size: 11px; text-align: center; }
td.rank { font-size: 15px; font-weight: 600; text-align: right; }
td.idc { min-width: 96px; max-width: 190px; }
.cid { font-weight: 600; overflow-wrap: anywhere; }
.small { font-size: 11px; color: var(--muted); }
td.score { min-width: 150px; max-width: 240px; }
.scorev { font-size: 15px; font-weight: 600; font-variant-numeric: tabular-nums; }
.bar { height: 4px; background: #e8ebef; border-radius: 2px; margin: 2px 0 3px; }
.bar > i { display: block; height: 4px; border-radius: 2px; background: var(--accent); }
.why { font-size: 11.5px; color: #364152; }
td.pred { text-align: center; min-width: 64px; font-variant-numeric: tabular-nums; }
.pv { display: inline-block; min-width: 40px; padding: 1px 4px; border-radius: 3px; font-weight: 600; }
.ad { display: block; font-size: 10.5px; margin-top: 2px; border-radius: 3px; padding: 0 3px; white-space: nowrap; }
.ad.in { color: var(--in); background: var(--in-bg); }
.ad.out { color: var(--out); background: var(--out-bg); }
.ad.na { color: var(--muted); }
.iv { display: block; font-size: 10px; color: var(--muted); white-space: nowrap; }
.chip { display: inline-block; margin: 1px 2px 1px 0; padding: 0 5px; border-radius: 9px; font-size: 11px; white-space: nowrap; }
.chip.alert { color: var(--alert); background: var(--alert-bg); border: 1px solid #f3b8b3; }
.chip.none { color: var(--in); background: var(--in-bg); }
.chip.st { color: #7a4b00; background: #fff1cc; }
.good { color: var(--in); } .bad { color: var(--out); }
button.tog { border: 1px solid #b9c0c9; background: #fff; border-radius: 3px; cursor: pointer; font: inherit; font-size: 11px; padding: 1px 6px; margin-top: 4px; }
tr.details > td { background: #fbfcfd; padding: 8px 12px 14px; border-bottom: 2px solid #c8ced6; }
.smiles { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11.5px; word-break: break-all; user-select: all; }
.ev { display: flex; flex-wrap: wrap; gap: 10px 14px; margin-top: 6px; }
.evm { border: 1px solid var(--line); border-radius: 4px; background: #fff; padding: 6px 8px; }
.evh { margin-bottom: 5px; }
.evh b { font-size: 13px; margin-right: 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { border: 1px solid var(--line); border-radius: 4px; background: #fff; padding: 3px; width: 138px; font-size: 11px; }
.card img { display: block; width: 130px; height: 100px; }
.card .ik { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 9.5px; color: var(--muted); word-break: break-all; }
.kv { border-collapse: collapse; margin: 4px 0; }
.kv td, .kv th { border-bottom: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
.kv th { color: var(--muted); font-weight: 500; white-space: nowrap; }
.kv td.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11.5px; word-break: break-all; }
.plots { display: flex; flex-wrap: wrap; gap: 10px 18px; }
svg .t { font-size: 12px; font-weight: 600; fill: #1d2330; } svg .a { font-size: 10px; fill: #4a5563; } svg .m { font-size: 12px; fill: #888; }
footer { color: var(--muted); padding: 12px 22px 30px; border-top: 1px solid var(--line); font-size: 12px; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var SVG = null;
  var st = { key: "rank", dir: 1, q: "", page: 0, size: 50, inDomain: false, noAlerts: false, open: {} };
  window.__screenkitReport = st;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(v, d) {
    if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "\u2013";
    if (typeof v !== "number") return String(v);
    return d === null || d === undefined ? String(v) : v.toFixed(d);
  }
  function img(key, w, h, alt) {
    if (SVG && SVG[key] === undefined && key.charAt(0) !== "#") {
      var q = el("div", "ph", "structure drawn for the top " + D.evidence_rows + " rows only");
      q.style.width = w + "px"; q.style.height = h + "px"; return q;
    }
    if (SVG && SVG[key]) {
      var i = el("img");
      i.width = w; i.height = h; i.alt = alt; i.loading = "lazy";
      i.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(SVG[key]);
      return i;
    }
    var p = el("div", "ph", SVG ? "no structure" : "drawing\u2026");
    p.style.width = w + "px"; p.style.height = h + "px";
    return p;
  }
  function pColour(p) {
    if (p === null || p === undefined) return "transparent";
    var a = Math.max(0, Math.min(1, p));
    return "rgba(11,92,173," + (0.06 + 0.5 * a).toFixed(3) + ")";
  }
  function adChip(m, ad) {
    if (ad === null || ad === undefined) return el("span", "ad na", "AD \u2013");
    if (m.ad_threshold === null) return el("span", "ad na", "AD " + ad.toFixed(2));
    var inside = ad >= m.ad_threshold;
    var c = el("span", "ad " + (inside ? "in" : "out"), "AD " + ad.toFixed(2) + (inside ? " in" : " out"));
    c.title = "similarity to the nearest training compound " + ad.toFixed(2) + (inside ? " \u2265 " : " < ") +
      "the model's domain threshold " + m.ad_threshold.toFixed(2) + (inside ? ": in domain" : ": outside the domain");
    return c;
  }

  // ---- columns -----------------------------------------------------------------------------------
  var cols = [];
  cols.push({ key: "_s", label: "Structure", sortable: false, render: function (r) {
    var td = el("td", "struct"); td.appendChild(img("#" + r.i, 190, 150, "structure of " + r.id)); return td; } });
  cols.push({ key: "rank", label: "Rank", val: function (r) { return r.rank; }, render: function (r) {
    var td = el("td", "rank", r.rank === null ? "\u2013" : r.rank);
    var b = el("button", "tog", st.open[r.i] ? "evidence \u25BE" : "evidence \u25B8");
    b.setAttribute("data-row", r.i); b.title = "show the training compounds behind each prediction";
    td.appendChild(el("br")); td.appendChild(b); return td; } });
  cols.push({ key: "id", label: "ID", val: function (r) { return r.id.toLowerCase(); }, render: function (r) {
    var td = el("td", "idc"); td.appendChild(el("div", "cid", r.id));
    if (r.pos !== null) td.appendChild(el("div", "small", "input #" + r.pos));
    if (r.status && r.status !== "ok") { var s = el("span", "chip st", r.status); s.title = r.status_reason; td.appendChild(s); }
    return td; } });
  cols.push({ key: "score", label: "Score", group: "why it ranks here", val: function (r) { return r.score; }, render: function (r) {
    var td = el("td", "score"); td.appendChild(el("div", "scorev", fmt(r.score, 2)));
    var bar = el("div", "bar"), i = el("i"); i.style.width = (r.score === null ? 0 : Math.max(0, Math.min(1, r.score)) * 100) + "%";
    bar.appendChild(i); td.appendChild(bar);
    if (r.why) td.appendChild(el("div", "why", r.why));
    else if (r.best) td.appendChild(el("div", "why", "best: " + r.best));
    return td; } });
  D.models.forEach(function (m) {
    cols.push({ key: "p:" + m.name, label: m.gene || m.name, group: m.activity_type || "", numeric: true,
      title: m.name + ": probability active (" + (m.label || "") + "); AD = similarity to the nearest training compound, in domain at \u2265 " + fmt(m.ad_threshold, 2),
      val: function (r) { var x = r.p[m.name]; return x ? x.p : null; }, render: function (r) {
        var td = el("td", "pred"), x = r.p[m.name];
        if (!x || x.p === null) { td.textContent = "\u2013"; return td; }
        var pv = el("span", "pv", x.p.toFixed(2)); pv.style.background = pColour(x.p);
        if (x.p > 0.6) pv.style.color = "#fff";
        td.appendChild(pv);
        if (x.lo !== undefined && x.hi !== undefined && x.lo !== null && x.hi !== null)
          td.appendChild(el("span", "iv", "[" + x.lo.toFixed(2) + "\u2013" + x.hi.toFixed(2) + "]"));
        td.appendChild(adChip(m, x.ad));
        if (r.best === m.name) td.style.boxShadow = "inset 0 0 0 2px rgba(11,92,173,.55)";
        return td; } });
  });
  D.properties.forEach(function (p) {
    cols.push({ key: "q:" + p[0], label: p[1], title: p[3], group: p[0].indexOf("d_") === 0 ? "desirability" : "property", numeric: true,
      val: function (r) { var v = r.props[p[0]]; return typeof v === "number" ? v : (v === null || v === undefined ? null : String(v)); },
      render: function (r) {
        var v = r.props[p[0]];
        var td = el("td", "num", p[2] === null ? (v === true ? "yes" : v === false ? "no" : fmt(v)) : fmt(v, p[2]));
        if (p[0] === "cns_mpo" && typeof v === "number") td.className += v >= 4 ? " good" : " bad";
        if (p[0] === "veber_ok") td.className += v === true ? " good" : v === false ? " bad" : "";
        if (p[0] === "lipinski_violations" && typeof v === "number" && v > 1) td.className += " bad";
        return td; } });
  });
  cols.push({ key: "alerts", label: "Alerts", group: "structural", val: function (r) { return r.alerts.length; }, render: function (r) {
    var td = el("td");
    if (!r.alerts.length) td.appendChild(el("span", "chip none", r.alerts_known ? "none" : "\u2013"));
    r.alerts.forEach(function (a) { td.appendChild(el("span", "chip alert", a)); });
    return td; } });

  // ---- filtering and sorting -----------------------------------------------------------------------
  var numKeys = { score: function (r) { return r.score; }, rank: function (r) { return r.rank; } };
  D.models.forEach(function (m) {
    numKeys[m.name.toLowerCase()] = function (r) { var x = r.p[m.name]; return x ? x.p : null; };
    numKeys[(m.name + "_ad").toLowerCase()] = function (r) { var x = r.p[m.name]; return x ? x.ad : null; };
  });
  D.properties.forEach(function (p) { numKeys[p[0]] = function (r) { var v = r.props[p[0]]; return typeof v === "number" ? v : (v === true ? 1 : v === false ? 0 : null); }; });
  var CMP = /^([a-z0-9_]+)(>=|<=|>|<|=)(-?[0-9.]+)$/i;
  function matches(r) {
    if (st.noAlerts && r.alerts.length) return false;
    if (st.inDomain) {
      var m = D.models.filter(function (x) { return x.name === r.best; })[0], x = r.p[r.best];
      if (!m || !x || x.ad === null || m.ad_threshold === null || x.ad < m.ad_threshold) return false;
    }
    var terms = (st.q.toLowerCase().match(/"[^"]*"|\S+/g) || []).map(function (t) { return t.replace(/^"|"$/g, ""); }).filter(Boolean);
    for (var t = 0; t < terms.length; t++) {
      var c = CMP.exec(terms[t]);
      if (c && numKeys[c[1]]) {
        var v = numKeys[c[1]](r), lim = parseFloat(c[3]);
        if (v === null || v === undefined || !isFinite(v)) return false;
        if ((c[2] === ">" && !(v > lim)) || (c[2] === ">=" && !(v >= lim)) || (c[2] === "<" && !(v < lim)) ||
            (c[2] === "<=" && !(v <= lim)) || (c[2] === "=" && !(v === lim))) return false;
      } else if (r.hay.indexOf(terms[t]) < 0) return false;
    }
    return true;
  }
  function sortVal(r) { var c = cols.filter(function (x) { return x.key === st.key; })[0]; return c ? c.val(r) : r.rank; }
  function compare(a, b) {
    var x = sortVal(a), y = sortVal(b);
    var xn = x === null || x === undefined || (typeof x === "number" && !isFinite(x));
    var yn = y === null || y === undefined || (typeof y === "number" && !isFinite(y));
    if (xn || yn) return xn && yn ? a.i - b.i : (xn ? 1 : -1);  // missing values last in both directions
    if (x < y) return -st.dir; if (x > y) return st.dir; return a.i - b.i;
  }
  D.rows.forEach(function (r) {
    r.hay = [r.id, r.smiles, r.best, r.why, r.status, r.status_reason].concat(r.alerts).join(" \u0001 ").toLowerCase();
  });

  // ---- rendering -----------------------------------------------------------------------------------
  var thead = document.querySelector("#grid thead"), tbody = document.querySelector("#grid tbody");
  function renderHead() {
    thead.textContent = "";
    var tr = el("tr");
    cols.forEach(function (c) {
      var th = el("th", null, c.label);
      th.setAttribute("data-key", c.key);
      if (c.group) th.appendChild(el("span", "g", c.group));
      if (c.title) th.title = c.title;
      if (c.sortable !== false) {
        if (st.key === c.key) th.className = st.dir > 0 ? "sorted-asc" : "sorted-desc";
        th.addEventListener("click", function () {
          if (st.key === c.key) st.dir = -st.dir;
          else { st.key = c.key; st.dir = (c.key === "rank" || c.key === "id") ? 1 : -1; }
          st.page = 0; render();
        });
      } else th.style.cursor = "default";
      tr.appendChild(th);
    });
    thead.appendChild(tr);
  }
  function details(r) {
    var td = el("td"); td.colSpan = cols.length;
    var kv = el("table", "kv"), add = function (k, v, cls) { var tr = el("tr"); tr.appendChild(el("th", null, k)); tr.appendChild(el("td", cls, v)); kv.appendChild(tr); };
    add("SMILES", r.smiles, "mono");
    if (r.why) add("why this rank", r.why);
    if (r.best) add("best model", r.best);
    if (r.status) add("status", r.status + (r.status_reason ? ": " + r.status_reason : ""));
    Object.keys(r.extra).forEach(function (k) { add(k, r.extra[k]); });
    D.models.forEach(function (m) { var x = r.p[m.name]; if (x && x.more) Object.keys(x.more).forEach(function (k) { add(m.name + " " + k, fmt(x.more[k], 3)); }); });
    td.appendChild(kv);
    td.appendChild(el("h3", null, "Evidence: the most similar measured training compounds of each model"));
    var ev = el("div", "ev"), order = D.models.slice().sort(function (a, b) {
      var pa = r.p[a.name] ? r.p[a.name].p : -1, pb = r.p[b.name] ? r.p[b.name].p : -1; return (pb || 0) - (pa || 0); });
    order.forEach(function (m) {
      var x = r.p[m.name] || {}, box = el("div", "evm"), h = el("div", "evh");
      h.appendChild(el("b", null, m.name));
      var pv = el("span", "pv", "p " + fmt(x.p, 2)); pv.style.background = pColour(x.p); if (x.p > 0.6) pv.style.color = "#fff";
      h.appendChild(pv); h.appendChild(el("span", null, " ")); var a = adChip(m, x.ad); a.style.display = "inline-block"; h.appendChild(a);
      h.appendChild(el("div", "small", (m.gene || "") + " " + (m.target || "") + (m.label ? " \u00B7 " + m.label : "")));
      box.appendChild(h);
      var cards = el("div", "cards"), nb = r.nb[m.name];
      if (!nb) cards.appendChild(el("span", "small", m.has_evidence ? "no structure to compare" : "training set not available (model folder not given or different)"));
      (nb || []).forEach(function (pair) {
        // pair = [similarity, key]; D.train[key] = [pActivity, SMILES, InChIKey, {label: ID}]
        var t = D.train[pair[1]], n = [pair[0], t[0], t[1], t[2], t[3], pair[1]];
        var c = el("div", "card"); c.appendChild(img(n[5], 130, 100, "training compound"));
        var act = m.threshold !== null && n[1] >= m.threshold;
        var line = el("div"); line.appendChild(el("b", null, "Tc " + n[0].toFixed(2)));
        line.appendChild(el("span", null, " \u00B7 "));
        var pa = el("span", m.threshold === null ? null : (act ? "good" : "bad"), "p" + (m.activity_type || "Act") + " " + n[1].toFixed(2));
        if (m.threshold !== null) pa.title = act ? "active (\u2265 " + m.threshold + ")" : "inactive (< " + m.threshold + ")";
        line.appendChild(pa); c.appendChild(line);
        Object.keys(n[4]).forEach(function (k) { c.appendChild(el("div", "small", k + ": " + n[4][k])); });
        var ik = el("div", "ik", n[3]); ik.title = n[2]; c.appendChild(ik);
        cards.appendChild(c);
      });
      box.appendChild(cards); ev.appendChild(box);
    });
    td.appendChild(ev);
    var tr = el("tr", "details"); tr.appendChild(td); return tr;
  }
  function render() {
    var rows = D.rows.filter(matches).sort(compare);
    var pages = Math.max(1, Math.ceil(rows.length / st.size));
    if (st.page >= pages) st.page = pages - 1;
    var start = st.page * st.size, shown = rows.slice(start, start + st.size);
    renderHead();
    tbody.textContent = "";
    shown.forEach(function (r) {
      var tr = el("tr", "row"); tr.setAttribute("data-id", r.id); tr.setAttribute("data-i", r.i);
      cols.forEach(function (c) { tr.appendChild(c.render(r)); });
      tbody.appendChild(tr);
      if (st.open[r.i]) tbody.appendChild(details(r));
    });
    document.getElementById("count").textContent = rows.length ?
      "rows " + (start + 1) + "\u2013" + (start + shown.length) + " of " + rows.length +
      (rows.length < D.rows.length ? " (filtered from " + D.rows.length + ")" : "") : "no rows match";
    document.getElementById("page").textContent = "page " + (st.page + 1) + " / " + pages;
    document.getElementById("prev").disabled = st.page === 0;
    document.getElementById("next").disabled = st.page >= pages - 1;
  }
  tbody.addEventListener("click", function (e) {
    var b = e.target.closest("button.tog"); if (!b) return;
    var i = +b.getAttribute("data-row"); st.open[i] = !st.open[i]; render();
  });
  var q = document.getElementById("filter"), timer = null;
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { st.q = q.value; st.page = 0; render(); }, 120); });
  document.getElementById("indomain").addEventListener("change", function (e) { st.inDomain = e.target.checked; st.page = 0; render(); });
  document.getElementById("noalerts").addEventListener("change", function (e) { st.noAlerts = e.target.checked; st.page = 0; render(); });
  document.getElementById("size").addEventListener("change", function (e) { st.size = +e.target.value; st.page = 0; render(); });
  document.getElementById("prev").addEventListener("click", function () { st.page--; render(); });
  document.getElementById("next").addEventListener("click", function () { st.page++; render(); });
  render();

  // ---- structures: gzipped JSON {key: svg} in a base64 block, unpacked without any request ----------
  var packed = document.getElementById("report-svgs");
  function done(obj) { SVG = obj; document.body.setAttribute("data-structures", "ready"); render(); }
  if (!packed || !packed.textContent.trim()) { done({}); return; }
  if (typeof DecompressionStream === "undefined") {
    document.body.setAttribute("data-structures", "unsupported");
    var w = el("div", "warn", "This browser cannot unpack the structure drawings (it lacks DecompressionStream); use a current Chrome, Edge, Firefox or Safari.");
    document.querySelector("main").insertBefore(w, document.querySelector("main").firstChild);
    return;
  }
  var bin = atob(packed.textContent.trim()), bytes = new Uint8Array(bin.length);
  for (var k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text()
    .then(function (t) { done(JSON.parse(t)); })
    .catch(function (e) { document.body.setAttribute("data-structures", "error"); console.error(e); });
})();
"""
