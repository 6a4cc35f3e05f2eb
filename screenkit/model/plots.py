"""The plots a modeller looks at, drawn from a model's stored out-of-fold predictions.

Every plot is one SVG file beside the card, readable on its own:

* ``roc.svg`` and ``pr.svg``: ROC and precision-recall curves of the model on the SAR subset
  (measured actives vs measured inactives of the test folds, the card's headline), pooled over
  the folds of the honest split, with the similarity baseline on the same folds beside it;
* ``reliability.svg`` (classification): probability after Platt scaling fitted on the other
  folds against the observed active share, per bin, with bin counts (the card's table);
* ``measured.svg`` (regression): predicted against measured pActivity of the test folds.

The data behind them, :class:`PlotData`, is stored as ``plots.npz`` so the plots can be
redrawn (and the card's cross-validated figures recomputed) without retraining. The SVGs are
deterministic: text stays text (``svg.fonttype: none``), element ids come from a fixed salt
and no date is written, so the same data give the same bytes. matplotlib is imported only
when a plot is drawn, never when screenkit starts or scores.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.typing import RcKeyType

    from .card import ModelCard

__all__ = ["PlotData", "PLOT_FILES", "DATA_FILE", "render_plots", "model_plots", "fold_mean", "check_plotting"]

# file suffix -> what the plot shows (the markdown card and the report use these titles)
PLOT_FILES = {
    "roc.svg": "ROC curve, SAR subset, model vs similarity baseline",
    "pr.svg": "Precision-recall curve, SAR subset, model vs similarity baseline",
    "reliability.svg": "Reliability diagram (held-out folds)",
    "measured.svg": "Predicted vs measured pActivity (held-out folds)",
}
DATA_FILE = "plots.npz"

_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "none", "svg.hashsalt": "screenkit-plots", "font.family": "DejaVu Sans", "font.size": 8.5,
    "axes.titlesize": 9, "legend.fontsize": 7.5, "axes.grid": True, "grid.alpha": 0.3, "path.simplify": True}
_METADATA = {"Date": None, "Creator": "screenkit"}
_MODEL, _BASELINE = "#1f5fa8", "#c0571b"


@dataclass(frozen=True)
class PlotData:
    """Out-of-fold predictions of one model, one entry per scored test row of each fold.

    See :func:`screenkit.model.calibration.out_of_fold_record` for the arrays. ``threshold``
    is the activity threshold (regression: pActivity at or above which a compound is active).
    """

    task: str
    threshold: float
    fold: np.ndarray
    measured: np.ndarray
    y: np.ndarray
    score: np.ndarray
    baseline: np.ndarray
    calibrated: np.ndarray

    _ARRAYS = ("fold", "measured", "y", "score", "baseline", "calibrated")

    @classmethod
    def from_record(cls, task: str, threshold: float, record: dict[str, np.ndarray]) -> PlotData:
        return cls(task, float(threshold), *(np.asarray(record[k]) for k in cls._ARRAYS))

    def to_bytes(self) -> bytes:
        """The data as a compressed ``.npz`` (no pickled objects)."""
        buffer = io.BytesIO()
        np.savez_compressed(buffer, task=np.array(self.task), threshold=np.array(self.threshold),
                            fold=self.fold.astype(np.int16), measured=self.measured.astype(bool),
                            **{k: getattr(self, k).astype(np.float64) for k in ("y", "score", "baseline",
                                                                                 "calibrated")})
        return buffer.getvalue()

    @classmethod
    def from_file(cls, path) -> PlotData:
        with np.load(path, allow_pickle=False) as arrays:
            return cls(str(arrays["task"]), float(arrays["threshold"]), *(arrays[k] for k in cls._ARRAYS))

    @property
    def truth(self) -> np.ndarray:
        """0/1 truth for ranking metrics (regression: pActivity at or above the threshold)."""
        return (self.y >= self.threshold).astype(int) if self.task == "regression" else self.y.astype(int)

    @property
    def n_folds(self) -> int:
        return int(self.fold.max()) + 1 if len(self.fold) else 0


def fold_mean(data: PlotData, metric: str, score: str = "score") -> tuple[float, float, int]:
    """Mean, sd and fold count of a SAR-subset metric per fold, as the card computes it.

    ``metric`` is ``roc_auc`` or ``pr_auc`` (average precision); ``score`` is ``"score"``
    (the model) or ``"baseline"``. Folds where the metric is undefined are left out.
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    per_fold: list[float] = []
    for k in range(data.n_folds):
        mask = data.measured & (data.fold == k)
        y, s = data.truth[mask], getattr(data, score)[mask]
        if metric == "roc_auc" and len(np.unique(y)) == 2:
            per_fold.append(roc_auc_score(y, s))
        elif metric == "pr_auc" and y.any():
            per_fold.append(average_precision_score(y, s))
    values = np.array(per_fold, dtype=float)
    sd = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
    return (float(values.mean()) if len(values) else float("nan")), sd, len(values)


def check_plotting() -> None:
    """Fail now (before hours of training) if matplotlib cannot be imported."""
    import matplotlib  # noqa: F401  (raises ImportError naming the package)


def render_plots(card: ModelCard, data: PlotData) -> dict[str, bytes]:
    """Every plot of a model as SVG bytes, keyed by file suffix (see :data:`PLOT_FILES`).

    ``card`` supplies the name, the split and whether calibration is applied; nothing in it
    that changes from run to run (dates, seconds) reaches the plots.
    """
    import matplotlib

    with matplotlib.rc_context(_RC):
        out = {"roc.svg": _svg(_curve_plot(card, data, "roc")), "pr.svg": _svg(_curve_plot(card, data, "pr"))}
        if data.task == "classification" and np.isfinite(data.calibrated).any():
            out["reliability.svg"] = _svg(_reliability(card, data))
        if data.task == "regression":
            out["measured.svg"] = _svg(_measured(card, data))
    return out


def model_plots(card: ModelCard, data: PlotData) -> dict[str, bytes]:
    """The card's plots and their data as extra bundle files; records their names in ``card.plots``."""
    files = {**render_plots(card, data), DATA_FILE: data.to_bytes()}
    card.plots = {suffix: f"{card.name}.{suffix}" for suffix in sorted(files)}
    return files


def _text(value) -> str:
    """Card text for matplotlib: a '$' would start mathtext."""
    return str(value).replace("$", r"\$")


def _figure():
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.6, 4.2), layout="constrained")
    return figure, figure.subplots()


def _svg(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata=_METADATA)
    return buffer.getvalue()


def _title(card: ModelCard, what: str) -> str:
    return _text(f"{card.name}: {what}\n{card.split_name} split, held-out folds, pooled")


def _figure_label(data: PlotData, metric: str, score: str) -> str:
    mean, sd, n = (round(v, 4) for v in fold_mean(data, metric, score))  # 4 decimals, as the card keeps them
    name = {"roc_auc": "ROC-AUC", "pr_auc": "PR-AUC"}[metric]
    spread = "" if np.isnan(sd) else f" \u00b1 {sd:.3f}"
    return f"{name} {mean:.3f}{spread} (mean over {n} folds)"


def _sar(data: PlotData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mask = data.measured
    return data.truth[mask], data.score[mask], data.baseline[mask]


def _counts(y: np.ndarray) -> str:
    return f"{int(y.sum())} measured actives, {int(len(y) - y.sum())} measured inactives"


def _roc_line(ax, y: np.ndarray, values: np.ndarray, style: str, **line) -> None:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, values)
    ax.plot(fpr, tpr, style, **line)


def _pr_line(ax, y: np.ndarray, values: np.ndarray, style: str, **line) -> None:
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, values)
    ax.step(recall, precision, style, where="post", **line)


def _roc_chance(ax, y: np.ndarray) -> None:
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1, label="chance")


def _pr_chance(ax, y: np.ndarray) -> None:
    if y.any():  # without measured actives there is no active share to draw
        ax.axhline(y.mean(), ls=":", color="grey", lw=1, label=f"chance: active share {y.mean():.2f}")


@dataclass(frozen=True)
class _Curve:
    """What differs between the ROC and the precision-recall plot; :func:`_curve_plot` draws either."""

    metric: str  # the fold_mean metric in the legend
    title: str
    xlabel: str
    ylabel: str
    legend_at: str
    defined: Callable[[np.ndarray], bool]  # on the SAR truths: can the curve be drawn?
    undefined: str  # the text drawn instead
    line: Callable[..., None]
    chance: Callable[[Any, np.ndarray], None]


_CURVES = {
    "roc": _Curve("roc_auc", "ROC", "false positive rate (measured inactives)", "true positive rate (measured actives)",
                  "lower right", lambda y: len(np.unique(y)) == 2, "one class only: no ROC curve", _roc_line,
                  _roc_chance),
    "pr": _Curve("pr_auc", "precision-recall", "recall (measured actives found)",
                 "precision (actives among those ranked above)", "lower left", lambda y: bool(y.any()),
                 "no measured actives: no PR curve", _pr_line, _pr_chance),
}


def _curve_plot(card: ModelCard, data: PlotData, kind: str):
    """The ROC (``kind="roc"``) or precision-recall (``"pr"``) plot: model and similarity baseline on the SAR subset."""
    curve = _CURVES[kind]
    figure, ax = _figure()
    y, score, baseline = _sar(data)
    if curve.defined(y):
        for values, colour, style, label in ((score, _MODEL, "-", "model"),
                                             (baseline, _BASELINE, "--", "similarity baseline")):
            curve.line(ax, y, values, style, color=colour, lw=1.6,
                       label=f"{label}: {_figure_label(data, curve.metric, 'score' if label == 'model' else 'baseline')}")
    else:
        ax.text(0.5, 0.5, curve.undefined, ha="center")
    curve.chance(ax, y)
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel=curve.xlabel, ylabel=curve.ylabel, title=_title(card, curve.title))
    ax.legend(loc=curve.legend_at, title=_counts(y), title_fontsize=7)
    return figure


def _reliability(card: ModelCard, data: PlotData):
    from .calibration import reliability_table

    figure, ax = _figure()
    ok = np.isfinite(data.calibrated)
    y = data.y[ok]
    applied = card.calibration_applied
    curves = ((np.clip(data.score[ok], 0, 1), "#8a8a8a", "s--", "estimator's own probability"),
              (data.calibrated[ok], _MODEL, "o-", "after Platt scaling (other folds)"))
    for p, colour, style, label in curves:
        table = reliability_table(y, p)
        x, observed = [r["mean_predicted"] for r in table], [r["observed"] for r in table]
        ax.plot(x, observed, style, color=colour, lw=1.3, ms=4, label=label)
        if label.startswith("after"):
            for r in table:
                ax.annotate(f"n={r['n']}", (r["mean_predicted"], r["observed"]), textcoords="offset points",
                            xytext=(4, -9), fontsize=6.5, color=colour)
    ax.plot([0, 1], [0, 1], ":", color="grey", lw=1, label="perfect calibration")
    # without Platt, scoring maps the estimator's score through this table (screen.probability.reliability_map)
    used: dict[bool | None, str] = {
        True: "scoring applies Platt scaling",
        False: "scoring maps the estimator's probability\nthrough its held-out reliability (isotonic)"}
    ax.set(xlim=(0, 1), ylim=(-0.02, 1.02), xlabel="predicted probability (bin mean)",
           ylabel="observed active share in the bin", title=_title(card, "reliability"))
    ax.legend(loc="best", title=_text(f"{len(y)} test rows (with putative inactives)\n"
                                      f"{used.get(applied, 'calibration not recorded')}"), title_fontsize=6.5)
    return figure


def _measured(card: ModelCard, data: PlotData):
    from sklearn.metrics import mean_squared_error, r2_score

    figure, ax = _figure()
    mask = data.measured
    y, predicted = data.y[mask], data.score[mask]
    r2 = [r2_score(y[data.fold[mask] == k], predicted[data.fold[mask] == k]) for k in range(data.n_folds)
          if (data.fold[mask] == k).sum() > 1]
    rmse = [float(np.sqrt(mean_squared_error(y[data.fold[mask] == k], predicted[data.fold[mask] == k])))
            for k in range(data.n_folds) if (data.fold[mask] == k).any()]
    ax.scatter(y, predicted, s=7, alpha=0.45, color=_MODEL, linewidths=0,
               label=f"{len(y)} measured test compounds")
    lo, hi = (float(min(y.min(), predicted.min())) - 0.3, float(max(y.max(), predicted.max())) + 0.3) \
        if len(y) else (3.0, 11.0)
    ax.plot([lo, hi], [lo, hi], ":", color="grey", lw=1, label="predicted = measured")
    ax.axvline(data.threshold, color=_BASELINE, lw=0.8, ls="--", label=f"activity threshold {data.threshold:g}")
    ax.axhline(data.threshold, color=_BASELINE, lw=0.8, ls="--")
    ax.set(xlim=(lo, hi), ylim=(lo, hi), xlabel="measured pActivity", ylabel="predicted pActivity (out-of-fold)",
           title=_title(card, "predicted vs measured"))
    summary = (f"R\u00b2 {np.mean(r2):.3f}, RMSE {np.mean(rmse):.3f} (means over {len(rmse)} folds)"
               if r2 and rmse else "too few compounds per fold for R\u00b2")
    ax.legend(loc="upper left", title=summary, title_fontsize=7)
    return figure
