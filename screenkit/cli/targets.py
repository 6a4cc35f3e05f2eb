"""``screenkit targets``: show the target panel and which targets have models."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ..config import bundled_path, load_panel
from ..model.bundle import load_bundle
from ..model.card import ModelCard


def add_parser(sub) -> None:
    p = sub.add_parser("targets", help="list the target panel and the models available for it",
                       description="List the leukodystrophy target panel: gene, ChEMBL ID, category, desired "
                                   "modality, active threshold, bundled data and trained models.")
    p.add_argument("--panel", metavar="FILE", help="panel TOML file (default: the bundled data/panel.toml)")
    p.add_argument("--models", metavar="DIR", help="model folder to report on (default: the bundled models)")
    p.add_argument("--default-only", action="store_true", help="only the 12-target default panel")
    p.add_argument("--details", action="store_true", help="also print each target's rationale and reference")
    p.add_argument("--where", action="store_true",
                   help="print where the bundled panel, profiles, models and example library are, and stop")
    p.set_defaults(run=run)


_WHERE = (("panel", "data/panel.toml"), ("ranking profiles", "data/profiles"), ("models", "models"),
          ("example library", "data/examples/example_library.sdf"), ("bundled ChEMBL data", "data/chembl_bundled.csv"))


def run(args) -> int:
    if args.where:
        for label, name in _WHERE:
            path = bundled_path(name)
            print(f"{label + ':':<21} {path}{'' if path.exists() else '  (missing: reinstall screenkit)'}")
        return 0
    panel = load_panel(args.panel)
    models_dir = bundled_path("models") if args.models is None else Path(args.models)
    trained: dict[str, list[str]] = {}
    versus: dict[str, list[str]] = {}
    verdicts: dict[str, list[str]] = {}
    # Through the bundle API: every file's sha256 and the cards are checked, as scoring would.
    for model in load_bundle(models_dir, with_estimators=False):
        card = model.card
        kind = str(card.activity_type or model.name)
        chembl_id = card.target_chembl_id or ""
        trained.setdefault(chembl_id, []).append(kind)
        versus.setdefault(chembl_id, []).append(f"{kind}: {_versus_similarity(card)}")
        if card.verdict:
            verdicts.setdefault(chembl_id, []).append(f"{model.name} {card.verdict}")
    header = ("gene", "ChEMBL ID", "category", "modality", "family", "active if", "default", "data", "models",
              "vs similarity search")
    rows = []
    for t in panel.targets:
        if args.default_only and not t.default_panel:
            continue
        rows.append((t.gene, t.chembl_id or "(unresolved)", t.category, t.modality, t.family,
                     f"pX >= {t.active_threshold:g}", "yes" if t.default_panel else "",
                     ",".join(t.bundled_data) or "-", ",".join(trained.get(t.chembl_id or "", [])) or "-",
                     "; ".join(versus.get(t.chembl_id or "", [])) or "-"))
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print(f"panel {panel.name} ({len(panel.targets)} targets; models from {models_dir})")
    for row in [header] + rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
        if args.details and row is not header:
            target = panel.get(row[1] if row[1] != "(unresolved)" else row[0])
            for line in textwrap.wrap(f"why: {target.rationale} [{target.reference}]", 100):
                print("    " + line)
            if target.threshold_reason:
                for line in textwrap.wrap(f"threshold: {target.threshold_reason}", 100):
                    print("    " + line)
            for verdict in verdicts.get(target.chembl_id or "", []):
                for line in textwrap.wrap(f"model: {verdict}", 100):
                    print("    " + line)
    return 0


def _versus_similarity(card: ModelCard) -> str:
    """Whether a model beats max-Tanimoto search on its cluster-split SAR test ('yes', 'no', 'not shown')."""
    if card.model_beats_baseline is None:
        return "not in card"
    if card.model_beats_baseline:
        return "yes"
    sar = card.baseline.get("paired_test", {}).get("mean_difference")
    return "no" if sar is not None and sar <= 0 else "not shown"
