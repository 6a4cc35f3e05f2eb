"""Curate raw ChEMBL activity records into dataset rows, losing nothing silently.

Every raw record ends in exactly one of two places: the dataset (its ``activity_id`` is
listed in the ``activity_ids`` column of the row it was aggregated into) or the curation
log, with the first rule that excluded it. The rules, in the order they are applied
(defaults from the ChEMBL research note, sections 5 and 6):

============================  ===============================================================
rule                          a record is excluded when
============================  ===============================================================
``record``                    a field of the record could not be read (``record_error``, e.g.
                              a value ``"n/a"`` in a web API page)
``target_organism``           the target is not from ``organism_tax_id`` (human)
``target_type``               the target is not a ``target_type`` (SINGLE PROTEIN)
``activity_type``             the standard type is not one the target asks for (a web
                              export holds every type: ``Inhibition``, ``% Control``, ...)
``assay_type``                the assay type is not in ``assay_types`` (B, F)
``confidence_score``          the assay's confidence score is missing or < ``min_confidence_score``
                              (a web export has none: see :mod:`screenkit.chembl.export`)
``mutant``                    the assay used a variant protein (``drop_mutants``)
``data_validity_comment``     ChEMBL flagged the value (unless in ``allowed_validity_comments``)
``potential_duplicate``       ChEMBL marks it a likely re-citation (``drop_potential_duplicates``)
``units``                     ``standard_units`` is not nM
``value``                     ``standard_value`` is missing or <= 0
``relation``                  ``standard_relation`` is not =, <, <=, >, >= (or is censored
                              and ``keep_censored`` is off)
``pchembl_missing``           an exact value without ``pchembl_value``
``modality``                  the record's modality is not in ``modalities`` (only when set;
                              see :mod:`screenkit.chembl.modality`)
``structure``                 no SMILES, or the structure fails standardisation
``censored_superseded``       a censored value of a compound that also has exact values
``censored_conflict``         only censored values, pointing both ways (> and <)
``replicate_spread``          replicates disagree by > ``max_replicate_spread`` (only with
                              ``drop_discordant``; otherwise the row is kept and flagged)
============================  ===============================================================

Aggregation: one row per (standardised parent InChIKey, target, activity type), with the
median pActivity, the spread (max - min), the count of the values used and the modalities
of its records. Row-level findings (salt removed, replicates disagree, censored bound) are
:class:`~screenkit.curation.dataset.Issue` records: ``curation_issues`` lists their codes and
``curation_note`` renders their messages.

Censored values: ``relation`` is on the pActivity scale. ChEMBL's ``IC50 > 10000 nM``
becomes ``pactivity 5.0`` with relation ``<`` (weaker than); ``< 1 nM`` becomes ``> 9.0``.
``screenkit train`` uses a censored row only when it decides the label (``< 5`` is a sure
inactive at a threshold of 6; ``> 5`` says nothing and is left out).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..chembl import RAW_COLUMNS
from ..chembl.modality import MODALITIES, record_modality
from ..errors import UsageError
from .rules import CENSORED, EXACT, aggregate, record_rules, structure_rule

__all__ = ["RULES", "LOG_COLUMNS", "CurationConfig", "curate_records"]

RULES = (
    "record", "target_organism", "target_type", "activity_type", "assay_type", "confidence_score", "mutant",
    "data_validity_comment", "potential_duplicate", "units", "value", "relation", "pchembl_missing", "modality",
    "structure", "censored_superseded", "censored_conflict", "replicate_spread",
)
LOG_COLUMNS = ["activity_id", "target_chembl_id", "activity_type", "molecule_chembl_id", "rule", "detail"]


@dataclass(frozen=True)
class CurationConfig:
    """Curation rules (defaults: the field's lenient consensus, ChEMBL research note 5-6).

    Values are always converted from nM, the only unit kept.

    Examples
    --------
    >>> CurationConfig().min_confidence_score
    8
    >>> CurationConfig(min_confidence_score=9).assay_types
    ('B', 'F')
    """

    organism_tax_id: int = 9606
    target_type: str = "SINGLE PROTEIN"
    min_confidence_score: int = 8
    assay_types: tuple[str, ...] = ("B", "F")
    require_pchembl: bool = True
    allowed_validity_comments: tuple[str, ...] = ()
    drop_potential_duplicates: bool = True
    drop_mutants: bool = True
    keep_censored: bool = True
    max_replicate_spread: float = 1.0
    drop_discordant: bool = False
    min_compounds: int = 50  # fewer dataset rows per (target, type) is reported as too little for a model
    modalities: tuple[str, ...] = ()  # keep only records of these modalities (empty: all)

    def __post_init__(self):
        if not 0 <= self.min_confidence_score <= 9:
            raise UsageError(f"min_confidence_score {self.min_confidence_score} is outside 0..9")
        if self.max_replicate_spread < 0:
            raise UsageError(f"max_replicate_spread {self.max_replicate_spread} must be >= 0 (log units)")
        if self.min_compounds < 0:
            raise UsageError(f"min_compounds {self.min_compounds} must be >= 0")
        object.__setattr__(self, "assay_types", tuple(self.assay_types))
        object.__setattr__(self, "modalities", tuple(self.modalities))
        unknown = [m for m in self.modalities if m not in MODALITIES]
        if unknown:
            raise UsageError(f"unknown modality {', '.join(unknown)}; use one of {', '.join(MODALITIES)}")
        object.__setattr__(self, "allowed_validity_comments", tuple(self.allowed_validity_comments))

def curate_records(raw: pd.DataFrame, config: CurationConfig | None = None, *, genes: dict[str, str] | None = None,
                   source: str = "", targets: Sequence[str] = (),
                   activity_types: Mapping[str, Sequence[str]] | None = None,
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Filter, standardise and aggregate raw records (see the module docstring for the rules).

    Parameters
    ----------
    raw : DataFrame
        Raw records with :data:`screenkit.chembl.RAW_COLUMNS` (from a fetch or :func:`screenkit.chembl.read_raw`).
    config : CurationConfig, optional
        The rules; defaults to :class:`CurationConfig()`.
    genes : dict, optional
        Gene symbol of each target ChEMBL ID, for the ``gene`` column.
    source : str
        Text of the ``source`` column (e.g. the ChEMBL release).
    targets : sequence of str
        Target IDs to list in the summary even when they have no record.
    activity_types : mapping, optional
        Standard types wanted per target ChEMBL ID; records of other types are logged
        (rule ``activity_type``). A web export holds every type; an API or SQL pull only
        the types it asked for. Targets not in the mapping keep every type.

    Returns
    -------
    dataset, log, summary : DataFrame
        The dataset (:data:`screenkit.curation.dataset.DATASET_COLUMNS`), one log line per excluded
        record, and one summary line per target. ``len(raw)`` equals the number of IDs in
        ``dataset.activity_ids`` plus ``len(log)``.

    Examples
    --------
    >>> from screenkit.chembl.records import raw_frame
    >>> base = dict(target_chembl_id="CHEMBL237", target_type="SINGLE PROTEIN", target_tax_id=9606,
    ...             assay_type="B", confidence_score=9, standard_type="Ki", standard_units="nM",
    ...             canonical_smiles="CCN(CC)CCOC(=O)c1ccccc1.Cl", potential_duplicate=0)
    >>> raw = raw_frame([dict(base, activity_id=1, standard_relation="=", standard_value=100, pchembl_value=7.0),
    ...                  dict(base, activity_id=2, standard_relation="=", standard_value=10, pchembl_value=8.0),
    ...                  dict(base, activity_id=3, standard_relation=">", standard_value=10000)])
    >>> data, excluded, summary = curate_records(raw, genes={"CHEMBL237": "OPRK1"})
    >>> data[["smiles", "pactivity", "pactivity_spread", "n_measurements", "activity_ids"]].values.tolist()
    [['CCN(CC)CCOC(=O)c1ccccc1', 7.5, 1.0, 2, '1;2']]
    >>> excluded[["activity_id", "rule"]].values.tolist()
    [[3, 'censored_superseded']]
    """
    config = config or CurationConfig()
    genes = genes or {}
    raw = _with_modality(raw, genes)
    rule = pd.Series([None] * len(raw), index=raw.index, dtype=object)
    detail = pd.Series([""] * len(raw), index=raw.index, dtype=object)
    for name, mask, why in record_rules(raw, config, activity_types):
        hit = mask.fillna(True).astype(bool) & rule.isna()
        rule[hit], detail[hit] = name, why if isinstance(why, str) else why[hit]
    structures = structure_rule(raw, rule, detail)  # marks the records whose structure fails: before `kept`
    kept = _kept_values(raw[rule.isna()].copy(), structures)
    dataset = aggregate(kept, rule, detail, config, genes, source)
    log_table = _log_table(raw, rule, detail)
    return dataset, log_table, _summary(raw, dataset, log_table, config, genes, targets)


def _with_modality(raw: pd.DataFrame, genes: dict[str, str]) -> pd.DataFrame:
    """Every raw column (tables made by hand or by an older screenkit lack some) and each record's modality."""
    raw = raw.reset_index(drop=True).copy()
    for column in RAW_COLUMNS:
        if column not in raw.columns:
            raw[column] = None
    raw["modality"] = pd.Series([record_modality(a, d, genes.get(t)) for a, d, t in
                                 zip(raw["action_type"], raw["assay_description"], raw["target_chembl_id"])],
                                index=raw.index, dtype=object)
    return raw


def _kept_values(kept: pd.DataFrame, structures: dict[str, tuple[str, str, str, str]]) -> pd.DataFrame:
    """Standardised structure, pActivity-scale relation and pActivity of the records no rule excluded."""
    kept["smiles"] = kept["canonical_smiles"].map(lambda s: structures[s][0])
    kept["inchikey"] = kept["canonical_smiles"].map(lambda s: structures[s][1])
    kept["std_note"] = kept["canonical_smiles"].map(lambda s: structures[s][2])
    censored = kept["standard_relation"] != EXACT
    kept["relation"] = kept["standard_relation"].map(lambda r: CENSORED.get(r, EXACT))
    kept["pactivity"] = kept["pchembl_value"].astype(float)
    kept.loc[censored, "pactivity"] = 9.0 - kept.loc[censored, "standard_value"].astype(float).map(math.log10)
    return kept


def _log_table(raw: pd.DataFrame, rule: pd.Series, detail: pd.Series) -> pd.DataFrame:
    """One line per excluded record with the first rule that excluded it."""
    excluded = rule.notna()
    return pd.DataFrame({
        "activity_id": raw.loc[excluded, "activity_id"].astype("Int64"),  # empty for a record without one
        "target_chembl_id": raw.loc[excluded, "target_chembl_id"],
        "activity_type": raw.loc[excluded, "standard_type"],
        "molecule_chembl_id": raw.loc[excluded, "molecule_chembl_id"],
        "rule": rule[excluded], "detail": detail[excluded],
    }, columns=LOG_COLUMNS).sort_values("activity_id", kind="stable").reset_index(drop=True)


def _summary(raw, dataset, log_table, config, genes, targets) -> pd.DataFrame:
    lines = []
    for target in sorted(set(raw["target_chembl_id"].dropna()) | set(targets)):
        records_in = int((raw["target_chembl_id"] == target).sum())
        rows = dataset[dataset["target_chembl_id"] == target]
        rules = log_table.loc[log_table["target_chembl_id"] == target, "rule"].value_counts()
        per_type = rows["activity_type"].value_counts().sort_index()
        thin = [f"{t} ({n})" for t, n in per_type.items() if n < config.min_compounds]
        if per_type.empty:
            thin = ["no data"]
        line = {"target_chembl_id": target, "gene": genes.get(target, ""), "records_in": records_in,
                "records_kept": records_in - int(rules.sum()), "records_excluded": int(rules.sum())}
        line.update({f"excluded_{r}": int(rules.get(r, 0)) for r in RULES})
        line.update({"dataset_rows": len(rows),
                     "rows_per_type": ";".join(f"{t}:{n}" for t, n in per_type.items()),
                     "flagged_spread": sum("replicate_spread" in str(c).split(";") for c in rows["curation_issues"]),
                     "censored_rows": int((rows["relation"] != EXACT).sum()),
                     "too_little_data": ";".join(thin)})
        lines.append(line)
    return pd.DataFrame(lines)
