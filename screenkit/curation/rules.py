"""The exclusion rules and the aggregation that :func:`screenkit.curation.records.curate_records` applies.

Record rules (each a mask with the reason it gives), structure standardisation, the censored-value
resolution per compound and the aggregation into one row per (compound, target, activity type) with
its :class:`~screenkit.curation.dataset.Issue` records. The rule table is in :mod:`screenkit.curation.records`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd
from rdkit import Chem

from ..chem.standardize import muted_rdkit_log, standardize_smiles
from .dataset import DATASET_COLUMNS, Issue, render_issues

if TYPE_CHECKING:  # annotations only: records imports this module
    from .records import CurationConfig

__all__ = ["EXACT", "CENSORED", "record_rules", "structure_rule", "aggregate"]

EXACT = "="
CENSORED = {">": "<", ">=": "<", "<": ">", "<=": ">"}  # nM relation -> pActivity relation


def record_rules(raw: pd.DataFrame, config: CurationConfig,
                 activity_types: Mapping[str, Sequence[str]] | None) -> list[tuple[str, pd.Series, pd.Series]]:
    """(rule, mask of excluded records, detail text) in order of application."""
    def text(column):
        return raw[column].astype(object).where(raw[column].notna(), None).map(lambda v: "" if v is None else str(v))

    relation = raw["standard_relation"].fillna("")
    allowed_relations = {EXACT, *(CENSORED if config.keep_censored else ())}
    if activity_types:
        wanted = raw["target_chembl_id"].map(lambda t: tuple(activity_types.get(t, ())))
        other_type = pd.Series([bool(w) and t not in w for t, w in zip(raw["standard_type"], wanted)], index=raw.index)
        type_detail = "standard type " + text("standard_type") + " (target asks for " + wanted.map("/".join) + ")"
    else:
        other_type, type_detail = pd.Series(False, index=raw.index), ""
    return [
        ("record", raw["record_error"].notna() | raw["activity_id"].isna(),
         text("record_error").where(raw["record_error"].notna(), "no activity_id")),
        ("target_organism", raw["target_tax_id"].isna() | (raw["target_tax_id"] != config.organism_tax_id),
         "tax_id " + text("target_tax_id") + " (" + text("target_organism") + ")"),
        ("target_type", raw["target_type"].isna() | (raw["target_type"] != config.target_type),
         "target type " + text("target_type")),
        ("activity_type", other_type, type_detail),
        ("assay_type", ~raw["assay_type"].isin(config.assay_types), "assay type " + text("assay_type")),
        ("confidence_score", raw["confidence_score"].isna() | (raw["confidence_score"] < config.min_confidence_score),
         "confidence score " + text("confidence_score")),
        ("mutant", raw["assay_variant_mutation"].notna() & config.drop_mutants,
         "variant " + text("assay_variant_mutation")),
        ("data_validity_comment",
         raw["data_validity_comment"].notna() & ~raw["data_validity_comment"].isin(config.allowed_validity_comments),
         text("data_validity_comment")),
        ("potential_duplicate", (raw["potential_duplicate"] == 1).fillna(False) & config.drop_potential_duplicates,
         "potential_duplicate = 1"),
        ("units", raw["standard_units"] != "nM", "units " + text("standard_units").replace("", "(none)")),
        ("value", raw["standard_value"].isna() | ~(raw["standard_value"] > 0), "value " + text("standard_value")),
        ("relation", ~relation.isin(allowed_relations), "relation " + relation.astype(str)),
        ("pchembl_missing", (relation == EXACT) & raw["pchembl_value"].isna() & config.require_pchembl,
         "exact value without pchembl_value"),
        ("modality",
         ~raw["modality"].isin(config.modalities) if config.modalities else pd.Series(False, index=raw.index),
         "modality " + raw["modality"] + " (kept: " + "/".join(config.modalities) + ")"),
    ]


def _standardise(smiles_values) -> dict[str, tuple[str, str, str, str]]:
    """SMILES -> (standardised SMILES, InChIKey, note, error) for each distinct input."""
    out = {}
    for smiles in smiles_values:
        result = standardize_smiles(smiles)
        if result.mol is None:
            out[smiles] = ("", "", "", result.reason or "standardisation failed")
            continue
        with muted_rdkit_log():
            inchikey = Chem.MolToInchiKey(result.mol)
        out[smiles] = (result.smiles, inchikey, result.reason, "" if inchikey else "no InChIKey")
    return out


def structure_rule(raw: pd.DataFrame, rule: pd.Series, detail: pd.Series) -> dict[str, tuple[str, str, str, str]]:
    """Standardise the structures of the records no rule excluded; log those without one or that fail."""
    alive = rule.isna()
    no_smiles = alive & raw["canonical_smiles"].isna()
    rule[no_smiles], detail[no_smiles] = "structure", "no structure in ChEMBL"
    alive &= ~no_smiles
    structures = _standardise(raw.loc[alive, "canonical_smiles"].unique())
    std = raw.loc[alive, "canonical_smiles"].map(structures)
    failed = std.map(lambda s: bool(s[3]))
    failed_idx = failed[failed].index
    rule[failed_idx] = "structure"
    detail[failed_idx] = std[failed_idx].map(lambda s: s[3])
    return structures


def _joined(values) -> str:
    return ";".join(sorted({str(v) for v in values if v is not None and v == v and str(v) != ""}))


def _number(value: float) -> float:
    return round(float(value), 3) + 0.0  # + 0.0 turns -0.0 into 0.0


# -- curation -----------------------------------------------------------------------------------------------

def _resolve_censored(kept: pd.DataFrame, keys: list[str], rule: pd.Series, detail: pd.Series) -> pd.DataFrame:
    """The records to aggregate: logs censored values superseded by an exact value of the same
    compound, and censored values of one compound that point both ways."""
    kept = kept.sort_values("activity_id", kind="stable")
    kept["exact"] = kept["relation"] == EXACT
    grouped = kept.groupby(keys, sort=False)
    has_exact = grouped["exact"].transform("any")
    superseded = ~kept["exact"] & has_exact
    if superseded.any():
        exact_ids = kept[kept["exact"]].groupby(keys)["activity_id"].agg(
            lambda ids: ";".join(str(int(a)) for a in ids)).rename("exact_ids")
        ids = kept.loc[superseded, keys].join(exact_ids, on=keys)["exact_ids"]
        rule[ids.index] = "censored_superseded"
        detail[ids.index] = "exact value(s) exist for this compound: " + ids
    conflict = ~has_exact & (grouped["relation"].transform("nunique") > 1)
    if conflict.any():
        text = kept[conflict].groupby(keys)[["relation", "pactivity"]].apply(
            lambda g: ", ".join(f"{r} {p:.2f}" for r, p in zip(g["relation"], g["pactivity"]))).rename("text")
        texts = kept.loc[conflict, keys].join(text, on=keys)["text"]
        rule[texts.index] = "censored_conflict"
        detail[texts.index] = "censored values point both ways: " + texts
    return kept[~superseded & ~conflict].copy()


def aggregate(kept: pd.DataFrame, rule: pd.Series, detail: pd.Series, config: CurationConfig,
              genes: dict, source: str) -> pd.DataFrame:
    """One row per (target, activity type, InChIKey); logs superseded, conflicting and (optionally)
    discordant records into ``rule``/``detail`` (indexed like ``kept``). Vectorised: a real
    pull has tens of thousands of groups."""
    keys = ["target_chembl_id", "standard_type", "inchikey"]
    used = _resolve_censored(kept.sort_values("activity_id", kind="stable"), keys, rule, detail)
    if used.empty:
        return pd.DataFrame(columns=DATASET_COLUMNS)
    used["parent"] = used["parent_molecule_chembl_id"].where(used["parent_molecule_chembl_id"].notna(),
                                                             used["molecule_chembl_id"])
    agg = used.groupby(keys, sort=True).agg(
        pactivity=("pactivity", "median"), high=("pactivity", "max"), low=("pactivity", "min"),
        n_measurements=("activity_id", "size"), relation=("relation", "first"), smiles=("smiles", "first"),
        input_smiles=("canonical_smiles", "first"), document_year=("document_year", "min"),
        activity_ids=("activity_id", lambda ids: ";".join(str(int(a)) for a in ids)),
        molecule_chembl_ids=("parent", _joined), assay_chembl_ids=("assay_chembl_id", _joined),
        document_chembl_ids=("document_chembl_id", _joined),
        notes=("std_note", lambda notes: sorted({n for n in notes if n})),
        modality=("modality", _joined),
    ).reset_index()
    agg["pactivity_spread"] = agg["high"] - agg["low"]
    discordant = (agg["n_measurements"] > 1) & (agg["pactivity_spread"] > config.max_replicate_spread + 1e-9)
    if config.drop_discordant and discordant.any():
        bad = agg.loc[discordant, keys + ["pactivity_spread"]]
        hit = used[keys].join(bad.set_index(keys)["pactivity_spread"], on=keys)["pactivity_spread"].dropna()
        rule[hit.index] = "replicate_spread"
        detail[hit.index] = hit.map(lambda s: f"spread {s:.2f} > {config.max_replicate_spread:g} log units")
        agg = agg[~discordant]
        discordant = discordant[~discordant]

    row_issues = [_row_issues(line, flagged, config.max_replicate_spread)
                  for line, flagged in zip(agg.itertuples(), discordant)]
    agg["curation_note"] = [render_issues(found) for found in row_issues]
    agg["curation_issues"] = [";".join(dict.fromkeys(i.code for i in found)) for found in row_issues]
    agg["pactivity"] = agg["pactivity"].map(_number)
    agg["pactivity_spread"] = agg["pactivity_spread"].map(_number)
    agg["document_year"] = agg["document_year"].map(lambda y: "" if pd.isna(y) else str(int(y)))
    agg["gene"] = agg["target_chembl_id"].map(lambda t: genes.get(t, ""))
    agg["source"] = source
    agg = agg.rename(columns={"standard_type": "activity_type"})
    return agg.reindex(columns=DATASET_COLUMNS).reset_index(drop=True)


def _row_issues(line, flagged: bool, max_spread: float) -> list[Issue]:
    """The findings of one aggregated row, as data."""
    found = [Issue("structure_standardised", "info", note) for note in line.notes]
    if flagged:
        found.append(Issue("replicate_spread", "warning",
                           f"replicates disagree: spread {line.pactivity_spread:.2f} > {max_spread:g}"))
    if line.relation != EXACT:
        found.append(Issue("censored", "info",
                           f"censored ({line.relation}): pActivity bound from {line.n_measurements} value(s)"))
    if len(set(line.modality.split(";")) - {"unknown"}) > 1:
        found.append(Issue("modality_mixed", "warning", f"records of several modalities: {line.modality}"))
    return found


