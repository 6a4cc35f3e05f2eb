
(function () {
  "use strict";
  var D = null, RD = null, N = 0;
  var st = { key: "rank", dir: 1, q: "", page: 0, size: 50, inDomain: false, support: false, noAlerts: false,
             mark: "", open: {}, view: "table", hidden: { "score terms": true, "properties": true },
             struct: null, brush: null, spage: 0, drawn: 0 };
  window.__screenkitReport = st;
  var marks = {}, storeKey = "";

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
  function num(v) { return typeof v === "number" && isFinite(v); }
  function pColour(p) {
    if (!num(p)) return "transparent";
    var a = Math.max(0, Math.min(1, p));
    return "rgba(11,92,173," + (0.06 + 0.5 * a).toFixed(3) + ")";
  }

  // ---- structures: RDKit MinimalLib in the page; server-drawn SVGs only when WebAssembly fails ----------
  var svgCache = new Map();
  function drawSvg(smiles, w, h, atoms) {
    var key = w + "x" + h + "|" + (atoms ? atoms.join(",") : "") + "|" + smiles;
    if (svgCache.has(key)) return svgCache.get(key);
    var svg = null, mol = null;
    try {
      mol = RD.get_mol(smiles.split(" ")[0]);
      if (mol && mol.is_valid()) {
        var opts = { width: w, height: h, clearBackground: false, bondLineWidth: 1, addStereoAnnotation: false, fixedBondLength: 28 };
        if (atoms && atoms.length) { opts.atoms = atoms; opts.highlightColour = [1.0, 0.62, 0.55]; }
        svg = mol.get_svg_with_highlights(JSON.stringify(opts));
      }
    } catch (e) { svg = null; } finally { if (mol) mol.delete(); }
    if (svgCache.size > 4000) svgCache.clear();
    svgCache.set(key, svg);
    return svg;
  }
  function mol(smiles, w, h, atoms, fallbackRow) {
    var box;
    var svg = RD && smiles ? drawSvg(smiles, w, h, atoms) : null;
    if (!svg && fallbackRow !== undefined && D.fallback[fallbackRow]) svg = D.fallback[fallbackRow];
    if (svg) {
      box = el("img", "mol"); box.width = w; box.height = h; box.alt = "structure";
      box.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
      return box;
    }
    box = el("div", "ph", !smiles ? "no structure" : RD ? "cannot draw" : (RD === false ? "structure needs WebAssembly" : "drawing\u2026"));
    box.style.width = w + "px"; box.style.height = h + "px";
    if (RD === null && smiles) box.setAttribute("data-pending", "1");
    return box;
  }
  function atomsOf(i) { var a = D.atoms[i]; if (!a) return null; var out = []; a.forEach(function (x) { out = out.concat(x[1]); }); return out; }
  function rowMol(i, w, h) { return mol(C.smiles[i], w, h, atomsOf(i), i); }

  // ---- data helpers ----------------------------------------------------------------------------------
  var C, M;
  function best(i) { var b = C.best[i]; return b >= 0 ? M[b] : null; }
  function pOf(m, i) { return D.p[m.name][i]; }
  function adOf(m, i) { return D.ad[m.name][i]; }
  function alertsOf(i) { return C.alerts[i] ? C.alerts[i].split(";").map(function (a) { return a.trim(); }).filter(Boolean) : []; }
  function noSupport(i) { var d = D.q.d_activity; return d ? (num(d[i]) && d[i] < D.no_support) : false; }
  function cnsOf(i) { var q = D.q.cns_mpo || D.q.d_cns; return q ? q[i] : null; }
  function adChip(m, ad) {
    if (!num(ad)) return el("span", "ad na", "AD \u2013");
    if (!num(m.ad_threshold)) return el("span", "ad na", "AD " + ad.toFixed(2));
    var inside = ad >= m.ad_threshold;
    var c = el("span", "ad " + (inside ? "in" : "out"), "AD " + ad.toFixed(2));
    c.title = "similarity to the nearest training compound " + ad.toFixed(2) + (inside ? " \u2265 " : " < ") +
      "the model's domain threshold " + m.ad_threshold.toFixed(2) + (inside ? ": in domain" : ": outside the domain");
    return c;
  }

  // ---- marks: localStorage keyed by the run's input hash ----------------------------------------------
  function loadMarks() {
    storeKey = "screenkit-marks:" + D.run_key;
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(storeKey) || "null"); } catch (e) { stored = null; }
    marks = stored && typeof stored === "object" ? stored : {};
    Object.keys(D.marks).forEach(function (id) { if (!marks[id]) marks[id] = D.marks[id]; });  // from --marks
    saveMarks();
  }
  function saveMarks() { try { localStorage.setItem(storeKey, JSON.stringify(marks)); } catch (e) { /* storage full or off */ } }
  function markOf(i) { var m = marks[C.id[i]]; return m ? m[0] : ""; }
  function commentOf(i) { var m = marks[C.id[i]]; return m ? m[1] : ""; }
  function setMark(i, mark, comment) {
    var id = C.id[i], cur = marks[id] || ["", ""];
    var next = [mark === undefined ? cur[0] : mark, comment === undefined ? cur[1] : comment];
    if (!next[0] && !next[1]) delete marks[id]; else marks[id] = next;
    saveMarks();
  }
  function markButtons(i) {
    var box = el("span", "marks"), cur = markOf(i);
    ["keep", "maybe", "reject"].forEach(function (k) {
      var b = el("button", k + (cur === k ? " on" : ""), k);
      b.type = "button"; b.setAttribute("data-mark", k); b.setAttribute("data-row", i);
      b.title = cur === k ? "click again to clear" : "mark as " + k;
      box.appendChild(b);
    });
    return box;
  }

  // ---- columns ----------------------------------------------------------------------------------------
  var cols = [];
  function buildColumns() {
    cols.push({ key: "_s", label: "Structure", sortable: false, render: function (i) {
      var td = el("td", "struct"); td.appendChild(rowMol(i, 150, 110)); return td; } });
    cols.push({ key: "rank", label: "Rank / ID", val: function (i) { return C.rank[i]; }, render: function (i) {
      var td = el("td", "idc");
      td.appendChild(el("div", "rk", C.rank[i] === null ? "\u2013" : "#" + C.rank[i]));
      td.appendChild(el("div", "cid", C.id[i]));
      if (C.status[i] && C.status[i] !== "ok") { var s = el("span", "chip st", C.status[i]); s.title = C.reason[i]; td.appendChild(s); }
      if (noSupport(i)) { var ns = el("span", "chip nomodel", "no model"); ns.title = "d_activity " + fmt(D.q.d_activity[i], 2) + " < " + D.no_support + ": ranked on properties alone"; td.appendChild(ns); }
      var ms = D.measured[i];
      if (ms) ms.forEach(function (x) { var b = el("span", "chip measured", "measured p" + (modelBy[x[0]] ? modelBy[x[0]].activity_type : "") + " " + x[1].toFixed(2));
        b.title = "in the training set of " + x[0]; td.appendChild(b); });
      if (C.series[i] >= 0) { var sb = el("button", "chip ser", "series " + (C.series[i] + 1)); sb.type = "button"; sb.setAttribute("data-series", C.series[i]); sb.title = "open this compound's scaffold series"; td.appendChild(sb); }
      td.appendChild(el("br"));
      td.appendChild(markButtons(i));
      var b = el("button", "tog", st.open[i] ? "evidence \u25BE" : "evidence \u25B8");
      b.type = "button"; b.setAttribute("data-row", i); td.appendChild(b);
      if (commentOf(i)) td.appendChild(el("div", "cm", commentOf(i)));
      return td; } });
    cols.push({ key: "score", label: "Score", group: "why it ranks here", val: function (i) { return C.score[i]; }, render: function (i) {
      var td = el("td", "score"); td.appendChild(el("div", "scorev", fmt(C.score[i], 2)));
      var bar = el("div", "bar"), x = el("i"); x.style.width = (num(C.score[i]) ? Math.max(0, Math.min(1, C.score[i])) * 100 : 0) + "%";
      bar.appendChild(x); td.appendChild(bar);
      var m = best(i);
      td.appendChild(el("div", "why", C.why[i] || (m ? "best: " + m.name : "")));
      return td; } });
    M.forEach(function (m) {
      cols.push({ key: "p:" + m.name, label: m.gene || m.name, group: "targets", sub: m.activity_type, numeric: true,
        title: m.name + ": probability active (" + (m.label || "") + "); AD = similarity to the nearest training compound, in domain at \u2265 " + fmt(m.ad_threshold, 2),
        val: function (i) { return pOf(m, i); }, render: function (i) {
          var td = el("td", "pred"), p = pOf(m, i);
          if (!num(p)) { td.textContent = "\u2013"; return td; }
          var pv = el("span", "pv", p.toFixed(2)); pv.style.background = pColour(p); if (p > 0.6) pv.style.color = "#fff";
          td.appendChild(pv); td.appendChild(adChip(m, adOf(m, i)));
          if (best(i) === m) td.style.boxShadow = "inset 0 0 0 2px rgba(11,92,173,.55)";
          return td; } });
    });
    D.properties.forEach(function (p) {
      cols.push({ key: "q:" + p[0], label: p[1], title: p[3], group: p[4], numeric: true,
        val: function (i) { return D.q[p[0]][i]; },
        render: function (i) {
          var v = D.q[p[0]][i];
          var td = el("td", "num", p[2] === null ? (v === 1 ? "yes" : v === 0 ? "no" : "\u2013") : fmt(v, p[2]));
          if (p[0] === "cns_mpo" && num(v)) td.className += v >= 4 ? " good" : " bad";
          if (p[0] === "veber_ok") td.className += v === 1 ? " good" : v === 0 ? " bad" : "";
          if (p[0] === "lipinski_violations" && num(v) && v > 1) td.className += " bad";
          if (p[0] === "d_activity" && noSupport(i)) td.className += " bad";
          return td; } });
    });
    cols.push({ key: "alerts", label: "Alerts", group: "alerts", val: function (i) { return alertsOf(i).length; }, render: function (i) {
      var td = el("td", "alerts"), a = alertsOf(i);
      if (!a.length) td.appendChild(el("span", "chip none", D.alerts_known || D.atoms[i] !== undefined ? "none" : "\u2013"));
      a.forEach(function (x) { var c = el("span", "chip alert", x); c.title = x; td.appendChild(c); });
      return td; } });
  }
  function visibleCols() { return cols.filter(function (c) { return !c.group || !st.hidden[c.group]; }); }

  // ---- filtering and sorting ----------------------------------------------------------------------------
  var numKeys = {}, hay = null;
  function buildKeys() {
    numKeys.score = function (i) { return C.score[i]; }; numKeys.rank = function (i) { return C.rank[i]; };
    M.forEach(function (m) {
      numKeys[m.name.toLowerCase()] = function (i) { return pOf(m, i); };
      numKeys[(m.name + "_ad").toLowerCase()] = function (i) { return adOf(m, i); };
    });
    D.properties.forEach(function (p) { numKeys[p[0]] = function (i) { return D.q[p[0]][i]; }; });
  }
  function haystack(i) {
    if (!hay) hay = new Array(N);
    if (hay[i] === undefined) {
      var m = best(i), extra = [];
      Object.keys(D.x).forEach(function (k) { extra.push(D.x[k][i]); });
      hay[i] = [C.id[i], C.smiles[i], m ? m.name : "", C.why[i], C.status[i], C.reason[i], C.alerts[i], commentOf(i)].concat(extra).join(" \u0001 ").toLowerCase();
    }
    return hay[i];
  }
  var CMP = /^([a-z0-9_]+)(>=|<=|>|<|=)(-?[0-9.]+)$/i;
  function parseTerms() {
    return (st.q.toLowerCase().match(/"[^"]*"|\S+/g) || []).map(function (t) { return t.replace(/^"|"$/g, ""); }).filter(Boolean);
  }
  function matches(i, terms) {
    if (st.noAlerts && alertsOf(i).length) return false;
    if (st.support && noSupport(i)) return false;
    if (st.inDomain) { var m = best(i), ad = m ? adOf(m, i) : null; if (!m || !num(ad) || !num(m.ad_threshold) || ad < m.ad_threshold) return false; }
    if (st.mark) {
      var k = markOf(i);
      if (st.mark === "any" ? !k : st.mark === "none" ? !!k : st.mark === "notreject" ? k === "reject" : k !== st.mark) return false;
    }
    if (st.struct && !st.struct.hits[i]) return false;
    if (st.brush) {
      var x = best(i) ? pOf(best(i), i) : null, y = cnsOf(i);
      if (!num(x) || !num(y) || x < st.brush.x0 || x > st.brush.x1 || y < st.brush.y0 || y > st.brush.y1) return false;
    }
    for (var t = 0; t < terms.length; t++) {
      var c = CMP.exec(terms[t]);
      if (c && numKeys[c[1]]) {
        var v = numKeys[c[1]](i), lim = parseFloat(c[3]);
        if (!num(v)) return false;
        if ((c[2] === ">" && !(v > lim)) || (c[2] === ">=" && !(v >= lim)) || (c[2] === "<" && !(v < lim)) ||
            (c[2] === "<=" && !(v <= lim)) || (c[2] === "=" && !(v === lim))) return false;
      } else if (/^series:\d+$/.test(terms[t])) {
        if (C.series[i] !== parseInt(terms[t].slice(7), 10) - 1) return false;
      } else if (haystack(i).indexOf(terms[t]) < 0) return false;
    }
    return true;
  }
  function current() {
    var terms = parseTerms(), out = [];
    for (var i = 0; i < N; i++) if (matches(i, terms)) out.push(i);
    var c = cols.filter(function (x) { return x.key === st.key; })[0];
    if (st.key === "_sim" && st.struct && st.struct.sims) { var s = st.struct.sims; out.sort(function (a, b) { return s[b] - s[a] || a - b; }); return out; }
    if (!c || (st.key === "rank" && st.dir === 1)) return out;  // file order is rank order
    var v = out.map(function (i) { return c.val(i); }), pos = {};
    out.forEach(function (i, k) { pos[i] = k; });
    out.sort(function (a, b) {
      var x = v[pos[a]], y = v[pos[b]], xn = !num(x) && typeof x !== "string", yn = !num(y) && typeof y !== "string";
      if (xn || yn) return xn && yn ? a - b : (xn ? 1 : -1);  // missing values last in both directions
      if (x < y) return -st.dir; if (x > y) return st.dir; return a - b;
    });
    return out;
  }

  // ---- evidence panel: structure and neighbours first, then the score's parts, then the details ----------
  function neighbourCards(i, m) {
    var cards = el("div", "cards"), nb = D.nb[i] ? D.nb[i][m.name] : null;
    if (!nb) { cards.appendChild(el("span", "small", !m.has_evidence ? "training set not available (model folder not given or different)" :
      i >= D.evidence_rows ? "neighbours are embedded for the first " + D.evidence_rows + " rows (screenkit report --evidence-rows)" : "no structure to compare")); return cards; }
    nb.forEach(function (pair) {
      var t = D.train[pair[1]], c = el("div", "card");
      c.appendChild(mol(t[1], 130, 96, null));
      var line = el("div"); line.appendChild(el("b", null, "Tc " + pair[0].toFixed(2))); line.appendChild(el("span", null, " \u00B7 "));
      var act = num(m.threshold) && t[0] >= m.threshold;
      var pa = el("span", num(m.threshold) ? (act ? "good" : "bad") : null, "p" + (m.activity_type || "Act") + " " + t[0].toFixed(2));
      if (num(m.threshold)) pa.title = act ? "active (\u2265 " + m.threshold + ")" : "inactive (< " + m.threshold + ")";
      line.appendChild(pa); c.appendChild(line);
      var ids = t[3], n = ids.measurements ? " \u00B7 n=" + ids.measurements : "";
      c.appendChild(el("div", "small", (m.activity_type || "") + " assay" + n));
      Object.keys(ids).forEach(function (k) { if (k !== "measurements" && k !== "source") c.appendChild(el("div", "small", k + ": " + ids[k])); });
      if (ids.source) c.title = "source: " + ids.source;
      var ik = el("div", "ik", t[2]); ik.title = t[1]; c.appendChild(ik);
      cards.appendChild(c);
    });
    return cards;
  }
  function hbar(label, v, low, text) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el("span", null, label));
    var b = el("div", "hb" + (low ? " low" : "")), x = el("i"); x.style.width = (num(v) ? Math.max(0, Math.min(1, v)) * 100 : 0) + "%"; b.appendChild(x);
    frag.appendChild(b); frag.appendChild(el("span", "small", text !== undefined ? text : fmt(v, 2)));
    return frag;
  }
  function panel(i) {
    var box = el("div", "panel");
    var top = el("div", "top2"), left = el("div");
    left.appendChild(rowMol(i, 300, 225));
    left.appendChild(el("div", "cid", "#" + fmt(C.rank[i]) + "  " + C.id[i]));
    left.appendChild(markButtons(i));
    var ta = el("textarea", "comment"); ta.value = commentOf(i); ta.placeholder = "comment (saved in this browser)"; ta.setAttribute("data-row", i);
    left.appendChild(el("div")).appendChild(ta);
    top.appendChild(left);
    var right = el("div", "right");
    right.appendChild(el("h3", null, "Nearest measured compounds (training sets), most probable targets first"));
    var ms = D.measured[i];
    if (ms) ms.forEach(function (x) { var t = D.train[x[2]], mm = modelBy[x[0]];
      var n = el("div", "note", "Measured: this compound is in the " + x[0] + " training set, p" + (mm ? mm.activity_type : "") + " " + x[1].toFixed(2) +
        (t && Object.keys(t[3]).length ? " (" + Object.keys(t[3]).map(function (k) { return k + " " + t[3][k]; }).join("; ") + ")" : ""));
      right.appendChild(n); });
    var order = M.slice().sort(function (a, b) { return (pOf(b, i) || 0) - (pOf(a, i) || 0); });
    var ev = el("div", "ev");
    order.slice(0, 3).forEach(function (m) { ev.appendChild(modelBox(i, m)); });
    right.appendChild(ev);
    if (order.length > 3) {
      var more = el("details", "more"); more.appendChild(el("summary", null, "the other " + (order.length - 3) + " models' neighbours"));
      var ev2 = el("div", "ev"); order.slice(3).forEach(function (m) { ev2.appendChild(modelBox(i, m)); }); more.appendChild(ev2);
      right.appendChild(more);
    }
    top.appendChild(right);
    box.appendChild(top);

    box.appendChild(el("h3", null, "Why it ranks here: the score's parts"));
    var bd = el("div", "breakdown");
    bd.appendChild(hbar("overall score", C.score[i], false));
    D.properties.forEach(function (p) { if (p[0].indexOf("d_") === 0) bd.appendChild(hbar(p[1], D.q[p[0]][i], D.q[p[0]][i] < D.no_support)); });
    box.appendChild(bd);
    if (C.why[i]) box.appendChild(el("div", "why", C.why[i]));
    box.appendChild(el("h3", null, "Activity by target"));
    var act = el("div", "breakdown");
    order.forEach(function (m) { var ad = adOf(m, i), inside = num(ad) && num(m.ad_threshold) && ad >= m.ad_threshold;
      act.appendChild(hbar(m.name, pOf(m, i), !inside, fmt(pOf(m, i), 2) + (num(ad) ? (inside ? " in" : " out") : ""))); });
    box.appendChild(act);
    var props = D.properties.filter(function (p) { return p[0].indexOf("d_") !== 0 && num(D.q[p[0]][i]); });
    if (props.length) {
      box.appendChild(el("h3", null, "Properties (CNS / BBB)"));
      var kv = el("table", "kv"), tr1 = el("tr"), tr2 = el("tr");
      props.forEach(function (p) { var th = el("th", null, p[1]); th.title = p[3]; tr1.appendChild(th);
        var v = D.q[p[0]][i]; tr2.appendChild(el("td", null, p[2] === null ? (v === 1 ? "yes" : "no") : fmt(v, p[2]))); });
      kv.appendChild(tr1); kv.appendChild(tr2); box.appendChild(kv);
    }
    var a = D.atoms[i], listed = alertsOf(i);
    if (listed.length) {
      box.appendChild(el("h3", null, "Structural alerts (matched atoms shaded)"));
      var row = el("div", "cards");
      (a || listed.map(function (x) { return [x, []]; })).forEach(function (x) {
        var c = el("div", "card"); c.style.width = "176px";
        c.appendChild(mol(C.smiles[i], 170, 128, x[1])); c.appendChild(el("div", null, x[0])); row.appendChild(c); });
      box.appendChild(row);
    }
    var det = el("details", "more"); det.appendChild(el("summary", null, "details: SMILES, input fields, conformal outputs"));
    var kv2 = el("table", "kv"), add = function (k, v, cls) { var tr = el("tr"); tr.appendChild(el("th", null, k)); tr.appendChild(el("td", cls, v)); kv2.appendChild(tr); };
    add("SMILES", C.smiles[i], "mono");
    if (C.pos[i] !== null) add("input position", C.pos[i]);
    if (C.status[i]) add("status", C.status[i] + (C.reason[i] ? ": " + C.reason[i] : ""));
    Object.keys(D.x).forEach(function (k) { if (D.x[k][i] !== "" && D.x[k][i] !== null) add(k, D.x[k][i]); });
    M.forEach(function (m) { var o = D.more[m.name]; Object.keys(o).forEach(function (k) { add(m.name + " " + k, fmt(o[k][i], 3)); }); });
    det.appendChild(kv2); box.appendChild(det);
    return box;
  }
  function modelBox(i, m) {
    var box = el("div", "evm"), h = el("div", "evh"), p = pOf(m, i);
    h.appendChild(el("b", null, m.name));
    var pv = el("span", "pv", "p " + fmt(p, 2)); pv.style.background = pColour(p); if (p > 0.6) pv.style.color = "#fff";
    h.appendChild(pv); h.appendChild(el("span", null, " ")); var a = adChip(m, adOf(m, i)); a.style.display = "inline-block"; h.appendChild(a);
    h.appendChild(el("div", "small", (m.gene || "") + " " + (m.target || "") + (m.label ? " \u00B7 " + m.label : "")));
    box.appendChild(h); box.appendChild(neighbourCards(i, m));
    return box;
  }

  // ---- table and grid ---------------------------------------------------------------------------------
  var thead, tbody, grid;
  function renderHead() {
    thead.textContent = "";
    var tr = el("tr");
    visibleCols().forEach(function (c) {
      var th = el("th", null, c.label);
      th.setAttribute("data-key", c.key);
      if (c.sub || c.group) th.appendChild(el("span", "g", c.sub || c.group));
      if (c.title) th.title = c.title;
      if (c.sortable !== false) {
        if (st.key === c.key) th.className = st.dir > 0 ? "sorted-asc" : "sorted-desc";
        th.addEventListener("click", function () {
          if (st.key === c.key) st.dir = -st.dir;
          else { st.key = c.key; st.dir = c.key === "rank" ? 1 : -1; }
          st.page = 0; render();
        });
      } else th.style.cursor = "default";
      tr.appendChild(th);
    });
    thead.appendChild(tr);
  }
  function gridCard(i) {
    var c = el("div", "gcard" + (markOf(i) ? " m-" + markOf(i) : "")); c.setAttribute("data-i", i); c.setAttribute("data-id", C.id[i]);
    c.appendChild(rowMol(i, 168, 126));
    var l1 = el("div", "line"); l1.appendChild(el("b", null, "#" + fmt(C.rank[i]))); l1.appendChild(el("span", null, "score " + fmt(C.score[i], 2))); c.appendChild(l1);
    c.appendChild(el("div", "cid", C.id[i]));
    var m = best(i), l2 = el("div", "line");
    if (m) { l2.appendChild(el("span", null, m.gene || m.name)); l2.appendChild(el("span", null, "p " + fmt(pOf(m, i), 2))); }
    c.appendChild(l2);
    if (noSupport(i)) c.appendChild(el("span", "chip nomodel", "no model"));
    if (D.measured[i]) c.appendChild(el("span", "chip measured", "measured"));
    if (alertsOf(i).length) c.appendChild(el("span", "chip alert", alertsOf(i).length + " alert" + (alertsOf(i).length > 1 ? "s" : "")));
    c.appendChild(markButtons(i));
    return c;
  }
  var lastRows = [];
  function render() {
    var rows = current(); lastRows = rows;
    var pages = Math.max(1, Math.ceil(rows.length / st.size));
    if (st.page >= pages) st.page = pages - 1;
    var start = st.page * st.size, shown = rows.slice(start, start + st.size);
    var vis = visibleCols();
    document.getElementById("grid").classList.toggle("hidden", st.view !== "table");
    grid.classList.toggle("hidden", st.view !== "grid");
    if (st.view === "table") {
      renderHead(); tbody.textContent = "";
      shown.forEach(function (i) {
        var tr = el("tr", "row" + (st.open[i] ? " open" : "") + (markOf(i) ? " m-" + markOf(i) : ""));
        tr.setAttribute("data-id", C.id[i]); tr.setAttribute("data-i", i);
        vis.forEach(function (c) { tr.appendChild(c.render(i)); });
        tbody.appendChild(tr);
        if (st.open[i]) { var d = el("tr", "details"); d.setAttribute("data-i", i); var td = el("td"); td.colSpan = vis.length; td.appendChild(panel(i)); d.appendChild(td); tbody.appendChild(d); }
      });
    } else {
      grid.textContent = "";
      shown.forEach(function (i) { grid.appendChild(gridCard(i)); });
    }
    document.getElementById("count").textContent = rows.length ?
      "rows " + (start + 1) + "\u2013" + (start + shown.length) + " of " + rows.length.toLocaleString() +
      (rows.length < N ? " (filtered from " + N.toLocaleString() + ")" : "") : "no rows match";
    document.getElementById("page").textContent = " " + (st.page + 1) + " / " + pages + " ";
    document.getElementById("prev").disabled = st.page === 0;
    document.getElementById("next").disabled = st.page >= pages - 1;
    document.getElementById("brushnote").classList.toggle("hidden", !st.brush);
    st.drawn++;
    document.body.setAttribute("data-rendered", st.drawn);
    drawPlots(rows);
  }
  function openDrawer(node) {
    var b = document.getElementById("dbody"); b.textContent = ""; b.appendChild(node);
    document.getElementById("drawer").classList.add("open");
  }
  function closeDrawer() { document.getElementById("drawer").classList.remove("open"); }
  function rerenderKeepingScroll() { var y = window.scrollY; render(); window.scrollTo(0, y); }

  // ---- series ---------------------------------------------------------------------------------------
  function renderSeries() {
    var body = document.querySelector("#serieslist tbody"), size = 20, S = D.series;
    body.textContent = "";
    var pages = Math.max(1, Math.ceil(S.length / size)); if (st.spage >= pages) st.spage = pages - 1;
    S.slice(st.spage * size, st.spage * size + size).forEach(function (s, k) {
      var idx = st.spage * size + k, tr = el("tr", "srow"); tr.setAttribute("data-series", idx);
      var td = el("td", "struct"); td.appendChild(mol(s[0], 150, 110, null)); tr.appendChild(td);
      tr.appendChild(el("td", "num", s[1]));
      var b = el("td"); b.appendChild(el("div", "cid", C.id[s[2]])); b.appendChild(el("div", "small", "rank #" + fmt(C.rank[s[2]]))); tr.appendChild(b);
      tr.appendChild(el("td", "num", fmt(s[3], 2) + " \u2013 " + fmt(s[4], 2)));
      var o = el("td"), btn = el("button", "b", "open series " + (idx + 1)); btn.type = "button"; btn.setAttribute("data-series", idx); o.appendChild(btn); tr.appendChild(o);
      body.appendChild(tr);
    });
    document.getElementById("spage").textContent = " " + (st.spage + 1) + " / " + pages + " ";
    document.getElementById("scount").textContent = S.length + " series of \u2265 2 compounds";
    document.getElementById("sprev").disabled = st.spage === 0;
    document.getElementById("snext").disabled = st.spage >= pages - 1;
  }
  function seriesView(k) {
    var s = D.series[k], box = el("div", "seriesview"), members = [];
    for (var i = 0; i < N; i++) if (C.series[i] === k) members.push(i);
    box.appendChild(el("h2", null, "Series " + (k + 1) + ": " + members.length + " compounds"));
    box.appendChild(mol(s[0], 220, 165, null));
    box.appendChild(el("div", "smiles", s[0]));
    var show = el("button", "b", "show these rows in the table"); show.type = "button"; show.setAttribute("data-show-series", k); box.appendChild(show);
    var t = el("table", "grid sar"), head = el("tr");
    ["Structure", "Rank / ID", "Score"].concat(M.map(function (m) { return m.gene || m.name; })).concat(D.q.cns_mpo ? ["CNS MPO"] : []).concat(["Mark"]).forEach(function (h) { head.appendChild(el("th", null, h)); });
    var th = el("thead"); th.appendChild(head); t.appendChild(th);
    var tb = el("tbody");
    members.slice(0, 200).forEach(function (i) {
      var tr = el("tr", "row"); tr.setAttribute("data-i", i); tr.setAttribute("data-id", C.id[i]);
      var td = el("td", "struct"); td.appendChild(rowMol(i, 140, 105)); tr.appendChild(td);
      var idc = el("td", "idc"); idc.appendChild(el("div", "rk", "#" + fmt(C.rank[i]))); idc.appendChild(el("div", "cid", C.id[i])); tr.appendChild(idc);
      tr.appendChild(el("td", "num", fmt(C.score[i], 2)));
      M.forEach(function (m) { var p = pOf(m, i), c = el("td", "pred"); var pv = el("span", "pv", fmt(p, 2)); pv.style.background = pColour(p); if (p > 0.6) pv.style.color = "#fff";
        c.appendChild(pv); c.appendChild(adChip(m, adOf(m, i))); tr.appendChild(c); });
      if (D.q.cns_mpo) tr.appendChild(el("td", "num", fmt(D.q.cns_mpo[i], 2)));
      var mk = el("td"); mk.appendChild(markButtons(i)); tr.appendChild(mk);
      tb.appendChild(tr);
    });
    t.appendChild(tb); box.appendChild(t);
    if (members.length > 200) box.appendChild(el("p", "small", "first 200 members shown; use \u201cshow these rows in the table\u201d for all"));
    return box;
  }

  // ---- plots: p(active) vs CNS scatter with brushing; heat map ---------------------------------------------
  var plot = { x0: 0, x1: 1, y0: 0, y1: 6, L: 46, R: 12, T: 12, B: 34, drag: null };
  function drawPlots(rows) {
    var cv = document.getElementById("scatter"); if (!cv) return;
    var g = cv.getContext("2d"), W = cv.width, H = cv.height, pw = W - plot.L - plot.R, ph = H - plot.T - plot.B;
    var cnsKey = D.q.cns_mpo ? "cns_mpo" : (D.q.d_cns ? "d_cns" : null);
    plot.y1 = cnsKey === "cns_mpo" ? 6 : 1;
    g.clearRect(0, 0, W, H); g.fillStyle = "#fff"; g.fillRect(plot.L, plot.T, pw, ph);
    g.strokeStyle = "#ccc"; g.strokeRect(plot.L, plot.T, pw, ph);
    g.fillStyle = "#4a5563"; g.font = "10px sans-serif"; g.textAlign = "center";
    for (var t = 0; t <= 5; t++) { var xv = t / 5; g.fillText(xv.toFixed(1), plot.L + xv * pw, H - plot.B + 13); }
    g.fillText("best model's p(active)", plot.L + pw / 2, H - 6);
    g.textAlign = "right";
    for (t = 0; t <= 6; t++) { var yv = plot.y1 * t / 6; g.fillText(yv.toFixed(plot.y1 > 1 ? 0 : 1), plot.L - 4, plot.T + ph - t / 6 * ph + 3); }
    g.save(); g.translate(11, plot.T + ph / 2); g.rotate(-Math.PI / 2); g.textAlign = "center"; g.fillText(cnsKey === "cns_mpo" ? "CNS MPO" : "CNS desirability", 0, 0); g.restore();
    if (!cnsKey) { g.fillText("no CNS column in this ranking", plot.L + pw / 2, plot.T + ph / 2); return; }
    var pts = [], sx = function (v) { return plot.L + (v - plot.x0) / (plot.x1 - plot.x0) * pw; }, sy = function (v) { return plot.T + ph - (v - plot.y0) / (plot.y1 - plot.y0) * ph; };
    g.fillStyle = "rgba(11,92,173,0.35)";
    var step = rows.length > 60000 ? Math.ceil(rows.length / 60000) : 1;  // draw at most 60k points
    for (var k = 0; k < rows.length; k += step) {
      var i = rows[k], m = best(i), x = m ? pOf(m, i) : null, y = D.q[cnsKey][i];
      if (!num(x) || !num(y)) continue;
      pts.push([x, y, i]); g.fillRect(sx(x) - 1.5, sy(y) - 1.5, 3, 3);
    }
    pts.sort(function (a, b) { return b[0] - a[0] || b[1] - a[1]; });  // Pareto front: best p first, keep rising CNS
    var front = [], bestY = -Infinity;
    pts.forEach(function (p) { if (p[1] > bestY) { front.push(p); bestY = p[1]; } });
    g.strokeStyle = "#d55e00"; g.lineWidth = 1.5; g.beginPath();
    front.forEach(function (p, n) { if (n) g.lineTo(sx(p[0]), sy(p[1])); else g.moveTo(sx(p[0]), sy(p[1])); }); g.stroke();
    g.fillStyle = "#d55e00"; front.forEach(function (p) { g.fillRect(sx(p[0]) - 2.5, sy(p[1]) - 2.5, 5, 5); });
    var b = st.brush || plot.drag;
    if (b) { g.strokeStyle = "#111"; g.lineWidth = 1; g.setLineDash([4, 3]); g.strokeRect(sx(b.x0), sy(b.y1), sx(b.x1) - sx(b.x0), sy(b.y0) - sy(b.y1)); g.setLineDash([]); }
    st.pareto = front.map(function (p) { return p[2]; });
    // heat map of the first 40 rows in the current order
    var heat = document.getElementById("heat"); heat.textContent = "";
    var tab = el("table", "heat"), hr = el("tr"); hr.appendChild(el("th", null, "row"));
    M.forEach(function (m) { var h = el("th", null, m.gene || m.name); h.title = m.name; hr.appendChild(h); }); tab.appendChild(hr);
    rows.slice(0, 40).forEach(function (i) {
      var tr = el("tr"), lab = el("td", "lab", "#" + fmt(C.rank[i]) + " " + C.id[i]); lab.setAttribute("data-open", i); tr.appendChild(lab);
      M.forEach(function (m) { var p = pOf(m, i), ad = adOf(m, i), c = el("td", "h", fmt(p, 2)); c.style.background = pColour(p); if (p > 0.6) c.style.color = "#fff";
        if (num(ad) && num(m.ad_threshold) && ad < m.ad_threshold) { c.style.opacity = "0.4"; c.title = "outside the domain (AD " + ad.toFixed(2) + ")"; }
        tr.appendChild(c); });
      tab.appendChild(tr);
    });
    heat.appendChild(tab);
  }
  function plotValue(e) {
    var cv = document.getElementById("scatter"), r = cv.getBoundingClientRect();
    var px = (e.clientX - r.left) * cv.width / r.width, py = (e.clientY - r.top) * cv.height / r.height;
    var pw = cv.width - plot.L - plot.R, ph = cv.height - plot.T - plot.B;
    return [plot.x0 + (px - plot.L) / pw * (plot.x1 - plot.x0), plot.y0 + (plot.T + ph - py) / ph * (plot.y1 - plot.y0)];
  }
  function setupPlot() {
    var cv = document.getElementById("scatter"), start = null;
    cv.addEventListener("mousedown", function (e) { start = plotValue(e); e.preventDefault(); });
    window.addEventListener("mousemove", function (e) { if (!start) return; var v = plotValue(e);
      plot.drag = { x0: Math.min(start[0], v[0]), x1: Math.max(start[0], v[0]), y0: Math.min(start[1], v[1]), y1: Math.max(start[1], v[1]) }; drawPlots(lastRows); });
    window.addEventListener("mouseup", function (e) { if (!start) return; var v = plotValue(e), s = start; start = null; plot.drag = null;
      if (Math.abs(v[0] - s[0]) < 0.005 && Math.abs(v[1] - s[1]) < 0.005) return;
      st.brush = { x0: Math.min(s[0], v[0]), x1: Math.max(s[0], v[0]), y0: Math.min(s[1], v[1]), y1: Math.max(s[1], v[1]) };
      st.page = 0; render(); });
  }

  // ---- structure search: substructure (SMILES/SMARTS) and similarity over every row -------------------
  // Every row is parsed once, in the background after RDKit loads: into an RDKit SubstructLibrary
  // (pattern-fingerprint screening makes later substructure queries fast) and a Morgan fingerprint
  // (radius 2, 2048 bits) for similarity. A search before that finishes uses the library for the rows
  // indexed so far and checks the rest one by one.
  var lib = null, libRow = [], fpAll = null, fpOk = null, fpBits = null, fpTried = null, indexed = 0, indexTimer = null, searchToken = 0;
  var FPB = 256, FP_JSON = JSON.stringify({ radius: 2, nBits: 2048 });
  var POP = new Uint8Array(256); for (var pc = 1; pc < 256; pc++) POP[pc] = POP[pc >> 1] + (pc & 1);
  function indexSlice(ms) {
    if (!lib) { lib = new RD.SubstructLibrary(); fpAll = new Uint8Array(N * FPB); fpOk = new Uint8Array(N); fpBits = new Uint16Array(N); fpTried = new Uint8Array(N); }
    var until = performance.now() + ms;
    while (indexed < N && performance.now() < until) {
      var i = indexed++, m = null;
      try {
        m = RD.get_mol(C.smiles[i].split(" ")[0]);
        if (m && m.is_valid()) {
          var k = lib.add_mol(m); if (k >= 0) libRow[k] = i;
          if (!fpOk[i]) {
            var fp = m.get_morgan_fp_as_uint8array(FP_JSON), bits = 0;
            fpAll.set(fp, i * FPB); for (var j = 0; j < FPB; j++) bits += POP[fp[j]];
            fpBits[i] = bits; fpOk[i] = 1;
          }
        }
      } catch (e) { /* a row RDKit cannot parse matches nothing */ } finally { if (m) m.delete(); }
    }
    return indexed >= N;
  }
  function indexLoop() {  // small slices, so scrolling and typing stay smooth
    indexTimer = null;
    var done = indexSlice(12);
    st.indexed = indexed;
    if (done) { document.body.setAttribute("data-indexed", "1"); return; }
    indexTimer = setTimeout(indexLoop, 8);
  }
  function fpOf(smiles) {
    var m = null;
    try { m = RD.get_mol(smiles.split(" ")[0]); if (!m || !m.is_valid()) return null; return m.get_morgan_fp_as_uint8array(FP_JSON); }
    catch (e) { return null; } finally { if (m) m.delete(); }
  }
  function status(text, err) { var s = document.getElementById("qstatus"); s.textContent = text; s.className = err ? "err" : "";
    if (err) { st.struct = null; if (st.key === "_sim") st.key = "rank"; document.body.setAttribute("data-search", "error"); if (C) { st.page = 0; render(); } } }
  function runSearch() {
    var text = document.getElementById("query").value.trim(), mode = document.getElementById("qmode").value;
    var token = ++searchToken;
    if (!text) { st.struct = null; status(""); st.page = 0; render(); return; }
    if (!RD) { status("structure search needs WebAssembly (RDKit did not load)", true); return; }
    var q = null, qfp = null, cut = parseFloat(document.getElementById("qsim").value);
    if (mode === "sub") {
      try { q = RD.get_qmol(text); } catch (e) { q = null; }
      if (!q || !q.is_valid()) { try { q = RD.get_mol(text); } catch (e2) { q = null; } }
      if (!q || !q.is_valid()) { status("not a valid SMILES or SMARTS: " + text, true); return; }
    } else {
      qfp = fpOf(text);
      if (!qfp) { status("not a valid SMILES: " + text, true); return; }
      if (!(cut >= 0 && cut <= 1)) { status("similarity threshold must be between 0 and 1", true); return; }
    }
    document.body.setAttribute("data-search", "running");
    if (!lib) indexSlice(0);
    if (indexTimer !== null) { clearTimeout(indexTimer); indexTimer = null; }  // the search has the CPU now
    var t0 = performance.now(), hits = new Uint8Array(N), sims = mode === "sim" ? new Float32Array(N) : null, found = 0;
    var qbits = 0; if (qfp) for (var j = 0; j < FPB; j++) qbits += POP[qfp[j]];
    var done = indexed, i = 0;
    if (mode === "sub") {  // indexed rows through the library, the rest one by one
      var arr = lib.get_matches_as_uint32array(q, false, 1, N + 1);
      for (var k = 0; k < arr.length; k++) { hits[libRow[arr[k]]] = 1; found++; }
      i = done;
    }
    (function chunk() {
      if (token !== searchToken) { if (q) q.delete(); return; }
      var until = performance.now() + 50;
      while (i < N && performance.now() < until) {
        if (mode === "sub") {
          var m = null;
          try { m = RD.get_mol(C.smiles[i].split(" ")[0]); if (m && m.is_valid() && m.get_substruct_match(q) !== "{}") { hits[i] = 1; found++; } }
          catch (e) { /* a row RDKit cannot parse: no match */ } finally { if (m) m.delete(); }
        } else {
          if (!fpOk[i] && i >= indexed && !fpTried[i]) { fpTried[i] = 1; var fp = fpOf(C.smiles[i]);
            if (fp) { var bits = 0; fpAll.set(fp, i * FPB); for (var b2 = 0; b2 < FPB; b2++) bits += POP[fp[b2]]; fpBits[i] = bits; fpOk[i] = 1; } }
          if (fpOk[i]) {
            var common = 0, o = i * FPB;
            for (var b = 0; b < FPB; b++) common += POP[fpAll[o + b] & qfp[b]];
            var tc = common / ((qbits + fpBits[i] - common) || 1); sims[i] = tc;
            if (tc >= cut) { hits[i] = 1; found++; }
          }
        }
        i++;
      }
      if (i < N) { status("searching " + i.toLocaleString() + " / " + N.toLocaleString() + "\u2026"); setTimeout(chunk, 0); return; }
      if (q) q.delete();
      var ms = performance.now() - t0;
      st.struct = { text: text, mode: mode, hits: hits, sims: sims, n: found, ms: ms };
      if (mode === "sim") st.key = "_sim";
      status((mode === "sub" ? "substructure: " : "similarity \u2265 " + cut + ": ") + found.toLocaleString() + " of " + N.toLocaleString() +
        " rows (" + (ms / 1000).toFixed(2) + " s)");
      document.body.setAttribute("data-search", "done");
      st.page = 0; render();
      if (indexed < N && indexTimer === null) indexTimer = setTimeout(indexLoop, 500);
    })();
  }

  // ---- export: CSV and SDF of the marked rows, made in the page ---------------------------------------------
  function csvCell(v) {
    var s = v === null || v === undefined ? "" : String(v);
    if (/^[=+\-@\t\r]/.test(s) && isNaN(Number(s))) s = "'" + s;  // spreadsheets must not run a cell as a formula
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function markedRows() { var out = []; for (var i = 0; i < N; i++) if (markOf(i) || commentOf(i)) out.push(i); return out; }
  function exportCsv(rows) {
    var head = ["rank", "id", "smiles", "mark", "comment", "overall_score", "best_model"].concat(M.map(function (m) { return m.name + "_p_active"; }))
      .concat(D.properties.map(function (p) { return p[0]; })).concat(["alerts"]);
    var lines = [head.join(",")];
    rows.forEach(function (i) {
      var m = best(i);
      lines.push([C.rank[i], C.id[i], C.smiles[i], markOf(i), commentOf(i), C.score[i], m ? m.name : ""].concat(M.map(function (x) { return pOf(x, i); }))
        .concat(D.properties.map(function (p) { return D.q[p[0]][i]; })).concat([C.alerts[i]]).map(csvCell).join(","));
    });
    var inReport = {}; rows.forEach(function (i) { inReport[C.id[i]] = 1; });
    Object.keys(marks).forEach(function (id) { if (!inReport[id] && !idIndex[id]) lines.push(["", id, "", marks[id][0], marks[id][1]].map(csvCell).join(",") + ",".repeat(head.length - 5)); });
    return lines.join("\r\n") + "\r\n";
  }
  function sdValue(v) { return (v === null || v === undefined ? "" : String(v)).replace(/[\r\n]+/g, " ").replace(/^\$\$\$\$/, "$ $$$"); }
  function exportSdf(rows) {
    if (!RD) return null;
    var out = [];
    rows.forEach(function (i) {
      var m = null, block = null;
      try { m = RD.get_mol(C.smiles[i].split(" ")[0]); if (m && m.is_valid()) block = m.get_molblock(); } catch (e) { block = null; } finally { if (m) m.delete(); }
      if (!block) return;
      var lines = block.split("\n"); lines[0] = sdValue(C.id[i]).slice(0, 80); block = lines.join("\n");
      if (block.slice(-1) !== "\n") block += "\n";
      var fields = [["id", C.id[i]], ["rank", C.rank[i]], ["mark", markOf(i)], ["comment", commentOf(i)], ["overall_score", C.score[i]],
                    ["best_model", best(i) ? best(i).name : ""], ["smiles", C.smiles[i]]];
      M.forEach(function (x) { fields.push([x.name + "_p_active", pOf(x, i)]); });
      fields.forEach(function (f) { block += "> <" + f[0] + ">\n" + sdValue(f[1]) + "\n\n"; });
      out.push(block + "$$$$\n");
    });
    return out.join("");
  }
  function download(name, text, type) {
    var a = el("a"); a.download = name; a.href = URL.createObjectURL(new Blob([text], { type: type }));
    document.body.appendChild(a); a.click(); setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  st.exportCsv = function () { return exportCsv(markedRows()); };
  st.exportSdf = function () { return exportSdf(markedRows()); };

  // ---- events -------------------------------------------------------------------------------------------
  var modelBy = {}, idIndex = {};
  function onClick(e) {
    var t = e.target;
    var mk = t.closest("button[data-mark]");
    if (mk) { var i = +mk.getAttribute("data-row"), k = mk.getAttribute("data-mark"); setMark(i, markOf(i) === k ? "" : k);
      if (hay) hay[i] = undefined;
      var inDrawer = t.closest("#drawer");
      rerenderKeepingScroll();
      if (inDrawer) { var on = document.querySelectorAll("#drawer button[data-row='" + i + "'][data-mark]"); on.forEach(function (b) { b.classList.toggle("on", b.getAttribute("data-mark") === markOf(i)); }); }
      e.stopPropagation(); return; }
    var tog = t.closest("button.tog");
    if (tog) { var r = +tog.getAttribute("data-row"); st.open[r] = !st.open[r]; rerenderKeepingScroll();
      if (st.open[r]) { var d = document.querySelector("tr.row[data-i='" + r + "']"); if (d) d.scrollIntoView({ block: "start" }); } return; }
    var ser = t.closest("[data-series]");
    if (ser && ser.tagName === "BUTTON") { openDrawer(seriesView(+ser.getAttribute("data-series"))); return; }
    var show = t.closest("[data-show-series]");
    if (show) { closeDrawer(); var f = document.getElementById("filter"); f.value = "series:" + (+show.getAttribute("data-show-series") + 1); st.q = f.value; st.page = 0; st.view = "table"; syncView(); render();
      document.getElementById("compounds").scrollIntoView(); return; }
    var card = t.closest(".gcard, table.sar tr.row, td.lab");
    if (card) { var ci = +(card.getAttribute("data-i") || card.getAttribute("data-open")); openDrawer(panel(ci)); }
  }
  function syncView() {
    document.getElementById("vtable").classList.toggle("on", st.view === "table");
    document.getElementById("vgrid").classList.toggle("on", st.view === "grid");
  }
  function setup() {
    thead = document.querySelector("#grid thead"); tbody = document.querySelector("#grid tbody"); grid = document.getElementById("gridview");
    document.addEventListener("click", onClick);
    document.addEventListener("input", function (e) {
      if (e.target.matches("textarea.comment")) { var i = +e.target.getAttribute("data-row"); setMark(i, undefined, e.target.value); if (hay) hay[i] = undefined; }
    });
    document.addEventListener("change", function (e) {  // show the comment under the ID without re-rendering (a click may be under way)
      if (!e.target.matches("textarea.comment")) return;
      var i = e.target.getAttribute("data-row"), cell = document.querySelector("tr.row[data-i='" + i + "'] td.idc");
      if (!cell) return;
      var cm = cell.querySelector(".cm"); if (!cm) { cm = el("div", "cm"); cell.appendChild(cm); }
      cm.textContent = commentOf(+i);
    });
    var q = document.getElementById("filter"), timer = null;
    q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { st.q = q.value; st.page = 0; render(); }, 120); });
    [["indomain", "inDomain"], ["noalerts", "noAlerts"], ["support", "support"]].forEach(function (p) {
      document.getElementById(p[0]).addEventListener("change", function (e) { st[p[1]] = e.target.checked; st.page = 0; render(); }); });
    document.getElementById("markf").addEventListener("change", function (e) { st.mark = e.target.value; st.page = 0; render(); });
    document.getElementById("size").addEventListener("change", function (e) { st.size = +e.target.value; st.page = 0; render(); });
    document.getElementById("prev").addEventListener("click", function () { st.page--; render(); });
    document.getElementById("next").addEventListener("click", function () { st.page++; render(); });
    document.getElementById("vtable").addEventListener("click", function () { st.view = "table"; syncView(); render(); });
    document.getElementById("vgrid").addEventListener("click", function () { st.view = "grid"; syncView(); render(); });
    document.getElementById("qgo").addEventListener("click", runSearch);
    document.getElementById("query").addEventListener("keydown", function (e) { if (e.key === "Enter") runSearch(); });
    document.getElementById("qclear").addEventListener("click", function () { document.getElementById("query").value = ""; searchToken++; st.struct = null; if (st.key === "_sim") st.key = "rank"; status(""); st.page = 0; render(); });
    document.getElementById("unbrush").addEventListener("click", function () { st.brush = null; st.page = 0; render(); });
    document.getElementById("xcsv").addEventListener("click", function () { download("marks.csv", exportCsv(markedRows()), "text/csv"); });
    document.getElementById("xsdf").addEventListener("click", function () { var s = exportSdf(markedRows()); if (s !== null) download("marks.sdf", s, "chemical/x-mdl-sdfile"); else status("SDF export needs WebAssembly (RDKit did not load)", true); });
    document.getElementById("dclose").addEventListener("click", closeDrawer);
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") closeDrawer(); });
    document.getElementById("sprev").addEventListener("click", function () { st.spage--; renderSeries(); });
    document.getElementById("snext").addEventListener("click", function () { st.spage++; renderSeries(); });
    var groups = document.getElementById("groups"), seen = {};
    cols.forEach(function (c) { if (c.group && !seen[c.group] && c.group !== "why it ranks here") { seen[c.group] = 1;
      var l = el("label"), cb = el("input"); cb.type = "checkbox"; cb.checked = !st.hidden[c.group]; cb.setAttribute("data-group", c.group);
      cb.addEventListener("change", function () { st.hidden[c.group] = !cb.checked; render(); });
      l.appendChild(cb); l.appendChild(document.createTextNode(" " + c.group + " ")); groups.appendChild(l); } });
    var bar = document.getElementById("bar");
    var setBar = function () { document.documentElement.style.setProperty("--bar", bar.offsetHeight + "px"); document.documentElement.style.scrollPaddingTop = (bar.offsetHeight + 60) + "px"; };
    setBar(); window.addEventListener("resize", setBar);
    if (window.ResizeObserver) new ResizeObserver(setBar).observe(bar);  // the toolbar wraps as its counts change
    setupPlot();
  }

  // ---- start: unpack the data, render, then load RDKit and draw ----------------------------------------
  function unpack(id) {
    var text = document.getElementById(id).textContent.trim(), bin = atob(text), bytes = new Uint8Array(bin.length);
    for (var k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
    return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")));
  }
  function fail(msg) {
    var w = el("div", "warn", msg); document.querySelector("main").insertBefore(w, document.querySelector("main").firstChild);
  }
  if (typeof DecompressionStream === "undefined") {
    document.body.setAttribute("data-structures", "unsupported");
    fail("This browser cannot unpack the report's data (it lacks DecompressionStream); use a current Chrome, Edge, Firefox or Safari.");
    return;
  }
  var t0 = performance.now();
  unpack("report-data").text().then(function (text) {
    D = JSON.parse(text); C = D.c; M = D.models; N = D.n;
    M.forEach(function (m) { modelBy[m.name] = m; });
    for (var i = 0; i < N; i++) idIndex[C.id[i]] = 1;
    loadMarks(); buildColumns(); buildKeys(); setup(); render(); renderSeries();
    st.readyMs = performance.now() - t0;
    document.body.setAttribute("data-ready", "1");
    return unpack("rdkit-wasm").arrayBuffer();
  }).then(function (wasm) {
    if (typeof WebAssembly === "undefined" || typeof initRDKitModule === "undefined") throw new Error("no WebAssembly");
    return new Promise(function (resolve, reject) {
      initRDKitModule({ instantiateWasm: function (imports, done) {
        WebAssembly.instantiate(wasm, imports).then(function (r) { done(r.instance, r.module); }, reject);
        return {}; } }).then(resolve, reject);
    });
  }).then(function (rd) {
    RD = rd; st.rdkit = rd.version(); st.interactiveMs = performance.now() - t0;
    rerenderKeepingScroll(); renderSeries();
    document.body.setAttribute("data-structures", "ready");
    indexTimer = setTimeout(indexLoop, 200);  // parse every row for search while the reader looks at the page
  }).catch(function (e) {
    if (D) { RD = false; rerenderKeepingScroll(); renderSeries(); }
    document.body.setAttribute("data-structures", "fallback");
    fail("Structures could not be drawn in this browser (" + e + "); the first rows show pre-drawn pictures, and structure search is off.");
    console.error(e);
  });
})();
