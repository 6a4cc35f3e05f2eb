"""The model card: one typed record of what a model is, how it was made and how it validated.

Cards are written as JSON next to each model (``<model>.card.json``) and rendered as
Markdown (``.card.md``). Readers should go through :class:`ModelCard` rather than string
keys; old cards without the validation keys of this version still load (missing
sections are empty).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

__all__ = ["ModelCard", "card_markdown"]


@dataclass
class ModelCard:
    """A model card. ``validation`` follows the keys documented in ``CARD_SCHEMA``:
    ``split``, ``split_name``, ``split_difficulty``, ``metrics`` (SAR subset),
    ``metrics_by_subset``, ``baseline``, ``y_randomisation``, ``calibration``, ``conformal``.

    Examples
    --------
    >>> card = ModelCard.from_json({"name": "X", "validation": {"baseline": {"model_beats_baseline": False}}})
    >>> card.model_beats_baseline, card.to_json()["name"]
    (False, 'X')
    """

    name: str
    task: str = "classification"
    outputs: list = field(default_factory=lambda: ["p_active"])
    target: dict = field(default_factory=dict)
    activity_type: str = ""
    label: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    featurizer: dict = field(default_factory=dict)
    estimator: dict = field(default_factory=dict)
    validation: dict = field(default_factory=dict)
    applicability_domain: dict = field(default_factory=dict)
    training_config: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    created: str = ""
    training_seconds: float = 0.0
    intended_use: str = ""
    auto_search: dict | None = None
    model_selection: dict | None = None  # a search on the card's own folds after training, and its verdict
    plots: dict | None = None  # file suffix -> file beside the card (roc.svg, pr.svg, ..., plots.npz)
    role: str | None = None  # "property" for a property model (BBB_B3DB); None: an activity model
    extra: dict = field(default_factory=dict)  # keys this version does not model, kept so a card round-trips
    # The keys of the file it was read from, in order: a card read and written again is the same JSON.
    read_keys: tuple = field(default=(), repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict) -> ModelCard:
        """From the JSON dict of a card file; keys this version does not know go to ``extra``."""
        names = {f.name for f in fields(cls)} - {"extra", "read_keys"}
        return cls(**{k: v for k, v in data.items() if k in names},
                   extra={k: v for k, v in data.items() if k not in names}, read_keys=tuple(data))

    def to_json(self) -> dict:
        """The JSON dict written to ``<model>.card.json`` (in the key order it was read)."""
        out = asdict(self)
        out.pop("read_keys")
        out.update(out.pop("extra"))
        for optional in ("auto_search", "model_selection", "plots", "role"):
            if out[optional] is None:
                del out[optional]
        if not self.read_keys:
            return out
        defaults = ModelCard(self.name).to_json()
        new = {k: v for k, v in out.items() if k not in self.read_keys and v != defaults.get(k)}
        return {**{k: out[k] for k in self.read_keys if k in out}, **new}

    # Typed access for readers: scoring, ranking, the report and the CLI read a card only here.
    @property
    def is_activity_model(self) -> bool:
        """False for a property model (brain penetration), which ranks as a property, not a target."""
        return self.role in (None, "activity")

    @property
    def target_chembl_id(self) -> str | None:
        return self.target.get("chembl_id")

    @property
    def gene(self) -> str | None:
        return self.target.get("gene")

    @property
    def label_threshold(self) -> float:
        """The activity cut (pActivity) that defines "active" for this model."""
        return float(self.label["threshold"])

    @property
    def label_rule(self) -> str | None:
        return self.label.get("rule")

    @property
    def modality(self) -> str:
        """Assay mode of the training data (agonist, antagonist, ...), "unknown" when not recorded."""
        return str(self.data.get("modality") or "unknown")

    @property
    def dataset_name(self) -> str | None:
        return self.data.get("dataset")

    @property
    def calibration(self) -> dict:
        calibration = self.validation.get("calibration")
        return calibration if isinstance(calibration, dict) else {}

    @property
    def calibration_applied(self) -> bool | None:
        """Whether scoring applies Platt scaling (None: a card from before training recorded it)."""
        return self.calibration.get("applied")

    @property
    def training_active_rate(self) -> float | None:
        """Active share of the training mix, which the prior correction moves from."""
        return (self.calibration.get("prior_correction") or {}).get("training_active_rate")

    @property
    def conformal_confidence(self) -> float:
        return float(self.validation["conformal"]["confidence"])

    @property
    def split_name(self) -> str:
        return str(self.validation.get("split_name") or self.training_config.get("split", "") or "")

    @property
    def headline_roc_auc(self) -> float | None:
        """Mean ROC-AUC of ``validation.metrics`` (the card's own headline scope)."""
        return ((self.validation.get("metrics") or {}).get("roc_auc") or {}).get("mean")

    def domain_threshold(self) -> tuple[float, str]:
        """``(threshold, rule)``: the similarity from which a prediction counts as in domain.

        The error-defined threshold (``applicability_domain.threshold_by_error``: the lowest
        test-to-train similarity above which the honest split's SAR ROC-AUC stays >= 0.7), so
        that "in domain" means the same measured quality for every model. A card that measured
        it and found no such similarity gets 1.0 (nothing is in domain); a card from before the
        error-defined threshold (and a property model) keeps its quantile threshold.

        Examples
        --------
        >>> ModelCard("X", applicability_domain={"threshold": 0.25, "threshold_by_error": 0.4}).domain_threshold()[0]
        0.4
        >>> ModelCard("X", applicability_domain={"threshold": 0.25}).domain_threshold()[0]
        0.25
        """
        ad = self.applicability_domain
        if "threshold_by_error" not in ad:
            return float(ad["threshold"]), ad.get("why", "quantile threshold")
        if ad["threshold_by_error"] is None:
            return 1.0, "the model reaches its error level at no similarity: nothing is in domain"
        return float(ad["threshold_by_error"]), ad.get("threshold_by_error_rule", "error-defined threshold")

    @property
    def baseline(self) -> dict:
        return self.validation.get("baseline") or {}

    @property
    def model_beats_baseline(self) -> bool | None:
        """Whether the model beat max-Tanimoto similarity search on the SAR subset (None: not measured)."""
        return self.baseline.get("model_beats_baseline")

    @property
    def verdict(self) -> str:
        return self.baseline.get("verdict", "")

    def sar(self, metric: str = "roc_auc") -> float | None:
        """Mean SAR-subset metric (measured actives vs measured inactives of the test folds)."""
        return (self.validation.get("metrics_by_subset", {}).get("sar", {}).get(metric) or {}).get("mean")

    def baseline_sar(self, metric: str = "roc_auc") -> float | None:
        """:meth:`sar` of the similarity baseline on the same folds."""
        return ((self.baseline.get("metrics_by_subset") or {}).get("sar", {}).get(metric) or {}).get("mean")

    def to_markdown(self) -> str:
        """The card as Markdown for people."""
        return "\n".join(_header(self) + _data_lines(self) + _model_lines(self) + _validation_lines(self)
                         + _plot_lines(self) + _footer(self))


def card_markdown(card: dict) -> str:
    """Render a card dict as Markdown (for :func:`screenkit.model.bundle_write.save_bundle`)."""
    return ModelCard.from_json(card).to_markdown()


def _fmt(value: dict | None, digits: int = 3) -> str:
    if not value or value.get("mean") is None:
        return "n/a"
    return f"{value['mean']:.{digits}f}" + (f" ± {value['sd']:.{digits}f}" if value.get("sd") is not None else "")


def _header(c: ModelCard) -> list[str]:
    t = c.target
    return [f"# Model card: {c.name}", "",
            f"**Target** {t.get('gene')} ({t.get('name')}; ChEMBL {t.get('chembl_id')}, UniProt {t.get('uniprot')}), "
            f"{t.get('family')}, {t.get('category')}. Desired modality: {t.get('modality')}.", "",
            f"**Task** {c.task}; outputs: {', '.join(c.outputs)}.", "",
            f"**Endpoint** {c.activity_type}: {c.label.get('rule')} ({c.label.get('why')}).", "",
            f"**Intended use** {c.intended_use}", ""]


def _data_lines(c: ModelCard) -> list[str]:
    d = c.data
    lines = ["## Data", "", f"- dataset `{d.get('dataset')}` (sha256 `{str(d.get('dataset_sha256'))[:16]}...`)",
             f"- measured compounds {d.get('n_measured')}: {d.get('n_measured_active')} active, "
             f"{d.get('n_measured_inactive')} inactive; {d.get('n_scaffolds')} scaffolds"
             + (f"; {d['n_censored_used_as_bound']} censored values used as bounds"
                if d.get("n_censored_used_as_bound") else ""),
             f"- putative inactives in the final model {d.get('n_putative_inactives')} from "
             f"`{d.get('putative_inactive_pool')}`",
             f"- held out {d.get('n_rows_held_out')} rows via `{d.get('holdout')}` ({d.get('holdout_rule', '')})",
             f"- censored values: {d.get('censored_values', '')}; dropped {d.get('n_censored_dropped')}"]
    if "n_rows_excluded" in d:
        lines.append(f"- input rows {d['n_input_rows']}, excluded {d['n_rows_excluded']} {d['excluded_reasons']}")
    return lines


def _model_lines(c: ModelCard) -> list[str]:
    est = c.estimator
    lines = ["", "## Model", "", f"- featurizer `{c.featurizer.get('name')}` {c.featurizer.get('params')}",
             f"- estimator `{est.get('name', '')}` {est.get('class')}: " + ", ".join(
                 f"{k}={val}" for k, val in est.get("params", {}).items() if not isinstance(val, (dict, list)))]
    if c.auto_search:
        a = c.auto_search
        lines += ["", f"Chosen by `--auto`: {a.get('reason', '')}", "",
                  f"Selection: {a['selection']}; budget {a['budget_seconds']} s, exhausted: {a['budget_exhausted']}.",
                  "", "| candidate | status | score (SAR ROC-AUC or RMSE) | sd | margin over similarity | p | "
                      "BEDROC(20) | s |", "|---|---|---:|---:|---:|---:|---:|---:|"]

        def num(v):
            return "" if v is None else f"{v:.3f}"

        for x in a["candidates"]:
            main = "roc_auc" if "roc_auc" in x else "rmse"
            lines.append(f"| {x.get('label', x['estimator']['name'])} | {x['status']} | {num(x.get(main))} | "
                         f"{num(x.get(main + '_sd'))} | {num(x.get('margin_roc_auc'))} | "
                         f"{num(x.get('margin_roc_auc_p'))} | {num(x.get('bedroc_20'))} | {x.get('seconds', '')} |")
        if a.get("not_run"):
            lines += ["", f"Not run (budget spent): {', '.join(a['not_run'])}."]
    if c.model_selection:
        lines += _selection_lines(c.model_selection)
    return lines


def _selection_lines(selection: dict) -> list[str]:
    """Why this configuration: the search on this card's own folds, the rule, and what came closest."""
    shipped, best = selection["shipped"], selection.get("best_challenger")
    lines = ["", "### Why this configuration", "",
             f"Searched {selection['n_evaluated']} of {selection['n_candidates']} configurations on this card's own "
             f"{selection['n_folds']} cluster folds ({selection['conditions']}; `{selection['source']}`). "
             f"Rule: {selection['rule']}", "",
             f"- this model ({shipped['label']}): SAR ROC-AUC {shipped['sar_roc_auc']:.3f} ± {shipped['sd']:.3f}"]
    if selection.get("previous"):
        before = selection["previous"]
        lines.append(f"- the configuration before ({before['label']}), against which the search ran: "
                     f"{before['sar_roc_auc']:.3f} ± {before['sd']:.3f}")
    if best:
        lines.append(f"- best challenger {best['label']}: {best['sar_roc_auc']:.3f} ± {best['sd']:.3f}, "
                     f"gain {best['gain']:+.3f} (paired p = {best['gain_p']:.2g})")
    for other in selection.get("other_tasks", []):
        lines.append(f"- {other['what']}: {other['result']}")
    lines += ["", f"**Verdict**: {selection['verdict']}"]
    return lines


def _subset_table(model: dict, baseline: dict) -> list[str]:
    lines = ["| subset | metric | model | similarity baseline |", "|---|---|---:|---:|"]
    for subset in ("sar", "library", "mixed"):
        for metric in ("roc_auc", "pr_auc", "bedroc_20"):
            if subset in model:
                lines.append(f"| {subset} | {metric} | {_fmt(model[subset].get(metric))} | "
                             f"{_fmt(baseline.get(subset, {}).get(metric))} |")
    return lines


def _validation_lines(c: ModelCard) -> list[str]:
    v = c.validation
    lines = ["", "## Validation", "", f"{v.get('split', '')}.", ""]
    diff = v.get("split_difficulty")
    if diff and diff.get("median") is not None:
        lines += [f"**Split difficulty** (test-to-train nearest-neighbour Tanimoto of measured test compounds, "
                  f"n = {diff['n']}): median {diff['median']:.2f} (quartiles {diff['q1']:.2f}-{diff['q3']:.2f}); "
                  f"{diff['share_ge_0_8']:.0%} at >= 0.8.", ""]
    b = v.get("baseline") or {}
    if b:
        lines += [f"**Versus similarity search**: this model {b.get('verdict', '')}. Baseline: {b.get('method')}.", ""]
    if v.get("metrics_by_subset"):
        lines += ["Subsets: *sar* = measured actives vs measured inactives (headline), *library* = measured actives "
                  "vs putative inactives, *mixed* = all. Mean ± sd over folds.", ""]
        lines += _subset_table(v["metrics_by_subset"], b.get("metrics_by_subset", {})) + [""]
    if v.get("metrics"):
        lines += [f"All metrics, {v.get('metrics_scope', 'test folds')}:", "",
                  "| metric | mean | sd | folds |", "|---|---:|---:|---:|"]
        for key, value in v["metrics"].items():
            mean = "n/a" if value["mean"] is None else f"{value['mean']:.3f}"
            sd = "n/a" if value["sd"] is None else f"{value['sd']:.3f}"
            lines.append(f"| {key} | {mean} | {sd} | {value['folds']} |")
    yr = v.get("y_randomisation")
    if yr:
        lines += ["", f"**y-randomisation** ({yr['method']}): {yr['subset']} {yr['metric']} "
                      f"{yr['mean']:.3f} ± {yr['sd']:.3f} over {yr['n_folds']} folds x {yr['n_permutations']} "
                      f"permutations; {'passed' if yr['passed'] else 'FAILED'} ({yr['rule']})."]
    temporal = v.get("temporal")
    if temporal:
        lines += ["", f"**Temporal check**: {temporal.get('summary', temporal.get('why', ''))}"]
    if "calibration" in v:
        cal = v["calibration"]
        lines += ["", f"**Calibration** {cal['method']} (applied: {cal.get('applied')}); on held-out folds Brier "
                      f"{_fmt(cal['held_out_check'].get('brier_uncalibrated'))} uncalibrated, "
                      f"{_fmt(cal['held_out_check'].get('brier_calibrated'))} calibrated."]
    if "calibration" in v and v["calibration"].get("prior_correction"):
        pc = v["calibration"]["prior_correction"]
        lines += ["", f"**Prior correction** to a library base rate of {pc['library_base_rate']:g} (training mix "
                      f"{pc['training_active_rate']:.2f} active): p_active 0.5 means {pc['p_0_5_becomes']:.3f} and 0.9 "
                      f"means {pc['p_0_9_becomes']:.3f} in such a library. {pc['method']}."]
    rel = (v.get("calibration") or {}).get("reliability")
    if rel:
        lines += ["", "Reliability on held-out folds (calibrated p_active):", "",
                  "| p bin | mean predicted | observed active | n |", "|---|---:|---:|---:|"]
        lines += [f"| {r['bin'][0]:.1f}-{r['bin'][1]:.1f} | {r['mean_predicted']:.3f} | {r['observed']:.3f} | "
                  f"{r['n']} |" for r in rel["calibrated"]]
    ebs = v.get("error_by_similarity")
    if ebs and ebs.get("bins"):
        lines += ["", "SAR ROC-AUC by test-to-train similarity (measured test compounds, pooled over folds):", "",
                  "| similarity | n | model | baseline |", "|---|---:|---:|---:|"]
        lines += [f"| {b['similarity'][0]:.2f}-{b['similarity'][1]:.2f} | {b['n']} | {b['model_roc_auc']} | "
                  f"{b['baseline_roc_auc']} |" for b in ebs["bins"]]
    if "conformal" in v:
        conf = v["conformal"]
        checks = "; ".join(f"{k} {_fmt(val)}" for k, val in conf["held_out_check"].items())
        lines += ["", f"**Conformal prediction** {conf['method']}, confidence {conf['confidence']}: {checks} "
                      f"({conf['note']})."]
    return lines


def _plot_lines(c: ModelCard) -> list[str]:
    from .plots import DATA_FILE, PLOT_FILES

    if not c.plots:
        return []
    lines = ["", "## Plots", ""]
    for suffix, title in PLOT_FILES.items():
        if suffix in c.plots:
            lines += [f"![{title}]({c.plots[suffix]})", ""]
    if DATA_FILE in c.plots:
        lines += [f"Drawn from the out-of-fold predictions in `{c.plots[DATA_FILE]}` (fold, measured, truth, model "
                  "score, similarity-baseline score, held-out calibrated probability per test row); "
                  "`scripts/card_plots.py` redraws them."]
    return lines
def _share_text(share: dict) -> str:
    sets = "; ".join(f"{s['library']}: {s['share_in_domain']:.0%} (quantile threshold: {s['share_quantile_threshold']:.0%})"
                     for s in share["sets"])
    return f"share of compounds in domain ({share['threshold_used']}): {sets}"


def _footer(c: ModelCard) -> list[str]:
    ad = c.applicability_domain
    threshold = ad.get("threshold")
    return ["", "## Applicability domain", "",
            f"{ad.get('method')}; in-domain threshold "
            f"{'n/a' if threshold is None else f'{threshold:.3f}'} ({ad.get('why')})."
            + (f" Defined by error instead ({ad.get('threshold_by_error_rule')}): {ad.get('threshold_by_error')}."
               if "threshold_by_error" in ad else "")
            + (f" Scoring uses the error-defined threshold; {_share_text(ad['library_share_in_domain'])}."
               if ad.get("library_share_in_domain") else ""), "",
            "## Versions", "", ", ".join(f"{k} {val}" for k, val in c.versions.items()),
            f"; trained {c.created} in {c.training_seconds} s.", ""]
