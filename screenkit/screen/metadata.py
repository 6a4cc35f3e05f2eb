"""What a screening run records: its summary, and the provenance written to ``OUT.meta.json``."""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..model.card import ModelCard
from ..profile import Profile
from .options import ScreenConfig
from .rank import objective_columns

__all__ = ["ScreenSummary", "unmodelled_targets", "write_metadata"]


@dataclass
class ScreenSummary:
    """What a run did: counts per status, output files and timing."""

    library: str
    output: str
    metadata: str
    status_file: str
    models: list[str]
    n_records: int = 0
    n_ok: int = 0
    n_warning: int = 0
    n_error: int = 0
    n_written: int = 0
    n_resumed: int = 0
    seconds: float = 0.0
    columns: list[str] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)  # default-panel genes no model covers
    id_source: str = ""  # where IDs came from ("IDs from column 'catalog_id' (guessed)")
    id_problems: dict = field(default_factory=dict)  # blank and duplicated IDs (see runstore.id_problems)
    base_rate: float = 0.0  # library active share that p_active is corrected to

    @property
    def molecules_per_second(self) -> float:
        scored_now = self.n_records - self.n_resumed
        return scored_now / self.seconds if self.seconds else 0.0


def _card_summary(card: ModelCard) -> dict:
    """What a ranked output's metadata records of each model's card."""
    return {"name": card.name, "target": card.target_chembl_id, "gene": card.gene, "activity_type": card.activity_type,
            "label": card.label_rule, "ad_threshold": card.domain_threshold()[0],
            "training_active_rate": card.training_active_rate, "role": card.role or "activity",
            "sar_roc_auc_cluster_cv": card.headline_roc_auc, "beats_similarity_search": card.model_beats_baseline}


def unmodelled_targets(models) -> list[dict]:
    """Default-panel targets that no model of the bundle covers, and how to get one."""
    from ..config import load_panel

    covered = {m.card.target_chembl_id for m in models}
    return [{"gene": t.gene, "chembl_id": t.chembl_id,
             "how": f"screenkit fetch --targets {t.chembl_id or t.gene} -o pull.csv && "
                    "screenkit train pull.csv -o my_models (then --models my_models)"}
            for t in load_panel().uncovered_default_targets(covered)]


def strict_json(value):
    """``value`` with every non-finite float as the string ``"inf"``, ``"-inf"`` or ``"nan"``.

    A profile without a limit holds ``inf`` (e.g. a ``[cns]`` section without ``tpsa_max``);
    ``json.dumps`` would write ``Infinity``, which strict JSON readers refuse.

    >>> strict_json({"tpsa_max": float("inf"), "ramps": [1.0, float("nan")]})
    {'tpsa_max': 'inf', 'ramps': [1.0, 'nan']}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    return value


def write_metadata(summary: ScreenSummary, path: Path, library: Path, signature: dict, models, profile: Profile,
                   config: ScreenConfig) -> None:
    """Write the run's provenance to ``path`` (flushed to disk); ``config`` as resolved, holding ``profile``."""
    import rdkit
    import sklearn

    meta = {
        "screenkit_version": __version__,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": config.command,
        "library": {"path": summary.library, "sha256": signature["library_sha256"],
                    "size_bytes": library.stat().st_size},
        "models": {"manifest_sha256": signature["models"],
                   "cards": [_card_summary(m.card) for m in models],
                   "unmodelled_default_targets": unmodelled_targets(models)},
        "profile": {"name": profile.name, "description": profile.description, "source": profile.source,
                    "sha256": signature["profile_sha256"], "objectives": objective_columns(profile, models),
                    "pareto_only": config.pareto, "pareto_fronts": config.fronts if config.pareto else None},
        "probabilities": {"base_rate": profile.base_rate, "enrichment_full": profile.enrichment_full,
                          "p_active": "probability of activity at the model's threshold in a library with this "
                                      "share of actives: the calibrated probability corrected from the training "
                                      "mix's active rate (cards: calibration.prior_correction)",
                          "enrichment": "odds of activity over a random library compound's (1 = no evidence)",
                          "in_domain": "similarity to the nearest measured training compound >= the card's "
                                       "error-defined threshold (applicability_domain.threshold_by_error)"},
        "ids": {"source": summary.id_source, **summary.id_problems},
        "output": {"path": summary.output, "columns": summary.columns, "rows": summary.n_written,
                   "keep_columns": "all" if signature["keep_columns"] is None else list(signature["keep_columns"])},
        # every effective option, with the sha256 of the files they name: `screenkit score --config
        # THIS_FILE` runs the same again
        "config": {"command": "score", "options": config.cli_options,
                   "sha256": {"library": signature["library_sha256"], "models": signature["models"],
                              "profile": signature["profile_sha256"]}},
        # the run's ScreenConfig whole, the profile resolved (every weight, ramp and filter it ranked by)
        "screen_config": asdict(config),
        "overall_score": "weighted geometric mean of the profile's objective desirabilities (see screenkit.screen.rank)",
        "counts": {k: v for k, v in asdict(summary).items() if k.startswith("n_")},
        "seconds": round(summary.seconds, 2),
        "versions": {"python": platform.python_version(), "rdkit": rdkit.__version__,
                     "scikit-learn": sklearn.__version__},
    }
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(strict_json(meta), indent=2, allow_nan=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
