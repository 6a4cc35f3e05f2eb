"""Pictures for the report, all as SVG text made here: structures (RDKit) and plots (by hand).

Every label that reaches an SVG passes through :func:`html.escape`; nothing here loads
fonts, images or scripts, so the SVGs work offline and inside a strict Content-Security-Policy.
"""

from __future__ import annotations

import math
import re
from html import escape

import numpy as np

__all__ = ["PALETTE", "histogram_svg", "molecule_svg", "scatter_svg"]

#: Colour-blind-friendly qualitative palette (Okabe-Ito, then Tableau extras).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#8C6D31",
           "#7F7F7F", "#17BECF", "#BCBD22", "#9467BD"]
ALERT_COLOUR = (1.0, 0.62, 0.55)
_HEADER = re.compile(r"<\?xml[^>]*>\s*|<!-- END OF HEADER -->\s*")
_CLASS = re.compile(r" class='(?:bond|atom)-[^']*'")
_SPACE = re.compile(r"\s*\n\s*")


def molecule_svg(mol, width: int, height: int, highlight: list[int] | None = None) -> str:
    """An RDKit 2D depiction as compact SVG text, optionally with atoms highlighted.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
    width, height : int
        Size in pixels.
    highlight : list of int, optional
        Atom indices to shade (bonds between two shaded atoms are shaded too).

    Examples
    --------
    >>> from rdkit import Chem
    >>> molecule_svg(Chem.MolFromSmiles("CCO"), 120, 90).startswith("<svg")
    True
    """
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.Mol(mol)
    atoms = sorted(set(highlight or []))
    atom_set = set(atoms)
    bonds = [b.GetIdx() for b in mol.GetBonds() if b.GetBeginAtomIdx() in atom_set and b.GetEndAtomIdx() in atom_set]
    # noFreetype: atom labels as <text> (the viewer's sans-serif font) instead of glyph outlines,
    # which halves the compressed size of the hundreds of drawings a report holds
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height, -1, -1, True)
    options = drawer.drawOptions()
    options.addStereoAnnotation = False
    options.clearBackground = False
    options.padding = 0.06
    options.bondLineWidth = 1.5
    options.fixedBondLength = 30  # small molecules are not blown up; large ones shrink to fit
    options.minFontSize = 9  # atom labels stay legible in large molecules
    colours = {a: ALERT_COLOUR for a in atoms}
    try:
        rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol, highlightAtoms=atoms, highlightBonds=bonds,
                                           highlightAtomColors=colours,
                                           highlightBondColors={b: ALERT_COLOUR for b in bonds})
    except (RuntimeError, ValueError):  # a molecule RDKit cannot kekulise for drawing: draw it as given
        drawer = rdMolDraw2D.MolDraw2DSVG(width, height, -1, -1, True)
        drawer.drawOptions().prepareMolsBeforeDrawing = False
        drawer.DrawMolecule(mol)
    drawer.FinishDrawing()
    return _SPACE.sub(" ", _CLASS.sub("", _HEADER.sub("", drawer.GetDrawingText()))).strip()


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for factor in (1, 2, 2.5, 5, 10):
        if (hi - lo) / (step * factor) <= n:
            step *= factor
            break
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _fmt(value: float) -> str:
    return f"{value:g}" if abs(value) >= 1 or value == 0 else f"{value:.2g}"


def histogram_svg(all_values: np.ndarray, top_values: np.ndarray, label: str, *, bins: int = 24,
                  value_range: tuple[float, float] | None = None, width: int = 300, height: int = 170,
                  top_label: str = "top N") -> str:
    """Two overlaid distributions as fractions: every ranked row (grey bars) and the top N (blue steps).

    Examples
    --------
    >>> svg = histogram_svg(np.array([0.1, 0.5, 0.9]), np.array([0.9]), "score")
    >>> svg.startswith("<svg") and "score" in svg
    True
    """
    all_values = np.asarray(all_values, float)
    top_values = np.asarray(top_values, float)
    a = all_values[np.isfinite(all_values)]
    t = top_values[np.isfinite(top_values)]
    left, right, top_pad, bottom = 40, 10, 34, 22
    pw, ph = width - left - right, height - top_pad - bottom
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' role='img' aria-label='{escape(label)} distribution'>",
             f"<text x='4' y='13' class='t'>{escape(label)}</text>"]
    if len(a) == 0:
        parts.append(f"<text x='{left}' y='{top_pad + ph / 2}' class='m'>no values</text></svg>")
        return "".join(parts)
    lo, hi = value_range if value_range else (float(a.min()), float(a.max()))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    fa = np.histogram(np.clip(a, lo, hi), edges)[0] / len(a)
    ft = np.histogram(np.clip(t, lo, hi), edges)[0] / len(t) if len(t) else np.zeros(bins)
    ymax = max(float(fa.max()), float(ft.max()), 1e-9) * 1.08

    def x(v):
        return left + (v - lo) / (hi - lo) * pw

    def y(f):
        return top_pad + ph - f / ymax * ph

    floor = top_pad + ph
    parts += _histogram_shapes(x, y, edges, fa, ft if len(t) else None, max(pw / bins - 1, 0.5), floor)
    parts += _histogram_axes(x, y, lo, hi, ymax, left, pw, floor)
    parts.append(f"<rect x='{left}' y='19' width='9' height='9' fill='#c9ced6'/>"
                 f"<text x='{left + 12}' y='27' class='a'>all rows ({len(a):,})</text>")
    if len(t):
        parts.append(f"<rect x='{left + 110}' y='19' width='9' height='9' fill='rgba(0,114,178,0.18)' "
                     f"stroke='#0072B2'/><text x='{left + 122}' y='27' class='a'>{escape(top_label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _histogram_shapes(x, y, edges: np.ndarray, fa: np.ndarray, ft: np.ndarray | None, bar_width: float,
                      floor: float) -> list[str]:
    """Grey bars for every row's fractions ``fa``, and a blue step outline for the top N's ``ft``."""
    parts = []
    for i, f in enumerate(fa):
        if f > 0:
            parts.append(f"<rect x='{x(edges[i]):.1f}' y='{y(f):.1f}' width='{bar_width:.1f}' "
                         f"height='{floor - y(f):.1f}' fill='#c9ced6'/>")
    if ft is not None:
        path = [f"M{x(edges[0]):.1f},{y(0):.1f}"]
        for i, f in enumerate(ft):
            path.append(f"L{x(edges[i]):.1f},{y(f):.1f}L{x(edges[i + 1]):.1f},{y(f):.1f}")
        path.append(f"L{x(edges[-1]):.1f},{y(0):.1f}")
        parts.append(f"<path d='{''.join(path)}' fill='rgba(0,114,178,0.18)' stroke='#0072B2' stroke-width='1.5'/>")
    return parts


def _histogram_axes(x, y, lo: float, hi: float, ymax: float, left: float, pw: float, floor: float) -> list[str]:
    """The x axis with value ticks, and fraction ticks with light grid lines."""
    parts = [f"<line x1='{left}' y1='{floor}' x2='{left + pw}' y2='{floor}' stroke='#555'/>"]
    for tick in _nice_ticks(lo, hi):
        parts.append(f"<line x1='{x(tick):.1f}' y1='{floor}' x2='{x(tick):.1f}' y2='{floor + 4}' "
                     f"stroke='#555'/><text x='{x(tick):.1f}' y='{floor + 15}' class='a' "
                     f"text-anchor='middle'>{_fmt(tick)}</text>")
    for tick in _nice_ticks(0, ymax, 3):
        parts.append(f"<text x='{left - 4}' y='{y(tick) + 3:.1f}' class='a' text-anchor='end'>{tick:.0%}</text>"
                     f"<line x1='{left}' y1='{y(tick):.1f}' x2='{left + pw}' y2='{y(tick):.1f}' stroke='#eee'/>")
    return parts


def scatter_svg(groups: list[tuple[str, np.ndarray, list[str]]], *, width: int = 940, height: int = 520,
                axis_labels: tuple[str, str] = ("PC1", "PC2")) -> str:
    """A scatter plot of several point groups, drawn in order (the last group on top).

    Parameters
    ----------
    groups : list of (label, xy, titles)
        ``xy`` is an ``(n, 2)`` array; ``titles`` one tooltip per point (shown on hover
        for the last group only, to keep the file small).

    Examples
    --------
    >>> svg = scatter_svg([("a", np.array([[0.0, 0.0], [1.0, 1.0]]), ["x", "y"])])
    >>> svg.count("<circle")  # two points and the legend's marker
    3
    """
    left, right, top_pad, bottom = 44, 230, 12, 38
    pw, ph = width - left - right, height - top_pad - bottom
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
             f"viewBox='0 0 {width} {height}' role='img' aria-label='chemical space map'>"]
    points = [g[1] for g in groups if len(g[1])]
    if not points:
        parts.append(f"<text x='{left}' y='{height / 2}' class='m'>no structures to map</text></svg>")
        return "".join(parts)
    xy = np.vstack(points)
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)

    def sx(v):
        return left + (v - x0) / (x1 - x0) * pw

    def sy(v):
        return top_pad + ph - (v - y0) / (y1 - y0) * ph

    parts.append(f"<rect x='{left}' y='{top_pad}' width='{pw}' height='{ph}' fill='#fafbfc' stroke='#ccc'/>")
    n_groups = len(groups)
    for g, (label, points_xy, titles) in enumerate(groups):
        parts += _scatter_group(g, label, points_xy, titles, g == n_groups - 1, sx, sy, left + pw, top_pad + 10 + g * 18)
    parts.append(f"<text x='{left + pw / 2}' y='{height - 8}' class='a' text-anchor='middle'>"
                 f"{escape(axis_labels[0])}</text>"
                 f"<text x='12' y='{top_pad + ph / 2}' class='a' text-anchor='middle' "
                 f"transform='rotate(-90 12 {top_pad + ph / 2})'>{escape(axis_labels[1])}</text></svg>")
    return "".join(parts)


def _scatter_group(g: int, label: str, points_xy: np.ndarray, titles: list[str], last: bool, sx, sy,
                   legend_x: float, ly: float) -> list[str]:
    """One group's points (with tooltips for the last group, drawn on top) and its legend line."""
    if last:
        colour, radius, style = "#111", 3.0, "stroke='#fff' stroke-width='0.7'"
    elif label.startswith("rest of"):
        colour, radius, style = "#9aa0a6", 2.2, "fill-opacity='0.55'"
    else:
        colour, radius, style = PALETTE[g % len(PALETTE)], 2.2, "fill-opacity='0.5'"
    parts = [f"<g fill='{colour}' {style}>"]
    for i, (px, py) in enumerate(points_xy):
        if last:
            parts.append(f"<circle cx='{sx(px):.1f}' cy='{sy(py):.1f}' r='{radius}'>"
                         f"<title>{escape(titles[i])}</title></circle>")
        else:
            parts.append(f"<circle cx='{sx(px):.1f}' cy='{sy(py):.1f}' r='{radius}'/>")
    parts.append("</g>")
    parts.append(f"<circle cx='{legend_x + 16}' cy='{ly}' r='{4.5 if last else 4}' fill='{colour}' "
                 f"{'stroke=' + chr(39) + '#fff' + chr(39) if last else ''}/>"
                 f"<text x='{legend_x + 26}' y='{ly + 4}' class='a'>{escape(label)} ({len(points_xy):,})</text>")
    return parts
