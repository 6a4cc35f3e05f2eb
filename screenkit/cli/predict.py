"""``screenkit predict``: predictions and evidence for a few molecules, as a table or JSON."""

from __future__ import annotations

import json
import sys

from ..errors import UsageError
from ..screen.predict import predict_smiles

# Shown per molecule, in this order, when present in the row.
_PROPERTY_LINE = ("mw", "clogp", "clogd", "tpsa", "hbd", "cns_mpo", "qed")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "predict", help="predict a few molecules given as SMILES, with the evidence behind each",
        description="Score SMILES with every model of a bundle, as `screenkit score` would, and print per molecule: "
                    "the overall score and its reason, each model's prediction with its applicability domain and "
                    "nearest measured training compound (measured value; 'measured' when it is the compound "
                    "itself), and the CNS and alert columns. '-' reads SMILES (optionally followed by a name) "
                    "from standard input, one per line.",
    )
    p.add_argument("smiles", nargs="+", metavar="SMILES", help="one or more SMILES, or - for standard input")
    p.add_argument("--models", metavar="DIR", help="model folder (default: the bundled models)")
    p.add_argument("--profile", metavar="NAME|FILE", help="ranking profile (default: leukodystrophy)")
    p.add_argument("--json", action="store_true", help="print JSON (one object per molecule) for scripts")
    p.set_defaults(run=run)


def _inputs(arguments: list[str]) -> tuple[list[str], list[str]]:
    smiles: list[str] = []
    names: list[str] = []
    for argument in arguments:
        lines = sys.stdin.read().splitlines() if argument == "-" else [argument]
        for line in lines:
            parts = line.split(maxsplit=1)
            if not parts:
                continue
            smiles.append(parts[0])
            names.append(parts[1].strip() if len(parts) > 1 else f"mol{len(names) + 1}")
    if not smiles:
        raise UsageError("no SMILES given (standard input was empty)")
    return smiles, names


def _number(value, digits: int = 2) -> str:
    return "-" if value is None or value != value else f"{value:.{digits}f}"


def _table(prediction) -> list[str]:
    row = prediction.row
    lines = [f"{row['id']}: {row.get('smiles') or prediction.input}", f"  status {row['status']}"
             + (f" ({row['reason']})" if row.get("reason") else "")]
    if row["status"] == "error":
        return lines
    lines.append(f"  overall score {_number(row.get('overall_score'), 3)}: {row.get('rank_reason', '')}")
    shown = [f"{k} {_number(row[k], 1 if k in ('mw', 'tpsa') else 2)}" for k in _PROPERTY_LINE if k in row]
    if shown:
        lines.append("  " + ", ".join(shown) + (f"; alerts: {row['alerts']}" if row.get("alerts") else ""))
    lines.append(f"  {'model':<14} {'p_active':>8} {'AD':>5}  nearest measured compound")
    for n in prediction.neighbours:
        p = row.get(f"{n.model}_p_active")
        value = row.get(f"{n.model}_pactivity")
        predicted = _number(p, 4) if p is not None else f"pX {_number(value, 1)}"  # library p: often < 0.01
        flag = " [measured: this compound]" if n.same_compound else ""
        lines.append(f"  {n.model:<14} {predicted:>8} {_number(row.get(f'{n.model}_ad'), 2):>5}  "
                     f"{n.measured()} at Tanimoto {n.similarity:.2f}: {n.smiles}{flag}")
    return lines


def run(args) -> int:
    smiles, names = _inputs(args.smiles)
    predictions = predict_smiles(smiles, models_dir=args.models, profile=args.profile, names=names)
    if args.json:
        for prediction in predictions:
            print(json.dumps(prediction.to_json()))
    else:
        print("\n\n".join("\n".join(_table(p)) for p in predictions))
    return 0
