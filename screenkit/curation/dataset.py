"""The curated activity table: one schema for bundled data and ``screenkit fetch`` output.

One row per (standardised parent compound, target, activity type). pActivity is
-log10(molar); ``relation`` is ``=`` for exact values and ``<``/``>`` for censored ones.
ChEMBL provenance columns hold ``;``-joined IDs so a prediction can cite the
measurements behind it; they are empty for sources that do not carry them.

``modality`` is what the measurements say a compound does (``agonist``, ``antagonist``,
``inhibitor``, ``binding``, ..., ``unknown``; :mod:`screenkit.chembl.modality` has the rule),
``;``-joined when a row's records differ. ``curation_issues`` lists the codes of the row's
:class:`Issue` records; ``curation_note`` is the same issues as text for people.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputFileError, UsageError

__all__ = ["DATASET_COLUMNS", "Issue", "render_issues", "read_dataset", "select_targets", "select_modality",
           "KnownMeasurement", "known_compounds"]

DATASET_COLUMNS = [
    "target_chembl_id", "gene", "activity_type", "smiles", "inchikey", "pactivity",
    "pactivity_spread", "n_measurements", "relation", "molecule_chembl_ids", "activity_ids",
    "assay_chembl_ids", "document_chembl_ids", "document_year", "source", "input_smiles",
    "curation_note", "modality", "curation_issues",
]
SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class Issue:
    """One problem found in curation, as data: a stable ``code``, a ``severity`` and a ``message`` for people.

    Code decides on ``code`` and ``severity``; only output renders ``message``
    (:func:`render_issues`). ``severity`` is ``info`` (noted, e.g. a salt removed),
    ``warning`` (kept but flagged, e.g. replicates that disagree) or ``error`` (excluded).

    Examples
    --------
    >>> issue = Issue("replicate_spread", "warning", "replicates disagree: spread 1.30 > 1")
    >>> Issue.from_json(issue.to_json()) == issue
    True
    """

    code: str
    severity: str
    message: str

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise UsageError(f"issue severity {self.severity!r} is not one of {', '.join(SEVERITIES)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Issue:
        return cls(**json.loads(text))


def render_issues(issues: Iterable[Issue]) -> str:
    """The ``curation_note`` text of a row's issues, most severe first.

    >>> render_issues([Issue("censored", "info", "censored (<)"), Issue("replicate_spread", "warning", "spread 1.3")])
    'spread 1.3; censored (<)'
    """
    ordered = sorted(issues, key=lambda i: -SEVERITIES.index(i.severity))
    return "; ".join(i.message for i in ordered if i.message)
_REQUIRED = ["target_chembl_id", "activity_type", "smiles", "inchikey", "pactivity"]


def read_dataset(path: str | Path) -> pd.DataFrame:
    """Read a curated dataset (CSV, optionally gzipped, or Parquet) and check its schema.

    Missing optional columns are added empty, so older or hand-made tables still load.

    Raises
    ------
    InputFileError
        A file that does not exist, or a table without a required column (the message names it).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"dataset {path} does not exist; build one with scripts/build_bundled_data.py "
                             "or screenkit fetch")
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path, dtype={"activity_ids": str, "document_year": str}, keep_default_na=False,
                            na_values={"pactivity": [""], "pactivity_spread": [""]})
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise InputFileError(f"dataset {path} lacks the column(s) {', '.join(missing)}; "
                             f"a screenkit dataset has: {', '.join(DATASET_COLUMNS)}")
    for column in DATASET_COLUMNS:
        if column not in table.columns:
            table[column] = "" if column not in ("pactivity_spread", "n_measurements") else 0
    table.loc[table["modality"] == "", "modality"] = "unknown"  # sources without modality information
    if table["pactivity"].isna().any():
        bad = int(table["pactivity"].isna().idxmax()) + 2
        raise InputFileError(f"dataset {path}: line {bad} has no pactivity value")
    if "relation" in table and (table["relation"] == "").any():
        table.loc[table["relation"] == "", "relation"] = "="
    return table


def select_targets(table: pd.DataFrame, targets: list[str] | None) -> pd.DataFrame:
    """Rows of the given ChEMBL target IDs or genes (all when ``targets`` is None)."""
    if not targets:
        return table
    keep = table["target_chembl_id"].isin(targets) | table["gene"].isin(targets)
    unknown = [t for t in targets if t not in set(table["target_chembl_id"]) | set(table["gene"])]
    if unknown:
        raise UsageError(f"no rows for target(s) {', '.join(unknown)} in the dataset; it has: "
                         f"{', '.join(sorted(set(table['gene'])))}")
    return table[keep]


def _tokens(value) -> set[str]:
    return {t for t in str(value or "").split(";") if t} or {"unknown"}


def select_modality(table: pd.DataFrame, modalities: str | Iterable[str], *,
                    keep_unknown: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the rows whose measurements are of the wanted modality; return ``(kept, excluded)``.

    A row is kept when every modality in its ``modality`` column is wanted (``unknown``
    counts as wanted only with ``keep_unknown``). A row that mixes a wanted modality with
    another (``agonist;antagonist``) is excluded as a whole: its median mixes both modes.
    To keep its agonist records, curate again with ``--modality agonist``, which filters
    records before they are aggregated. Use the panel target's ``modality`` for agonist
    targets: ``select_modality(rows, "agonist")`` drops the antagonist-mode EC50 values.

    Parameters
    ----------
    table : DataFrame
        Curated rows (:data:`DATASET_COLUMNS`; a missing or empty ``modality`` is ``unknown``).
    modalities : str or iterable of str
        Wanted modalities, e.g. ``"agonist"`` or ``("antagonist", "inverse_agonist")``.
    keep_unknown : bool
        Also keep rows without modality information.

    Returns
    -------
    kept : DataFrame
        The kept rows, index preserved.
    excluded : DataFrame
        One line per excluded row: ``target_chembl_id, activity_type, inchikey, modality,
        activity_ids`` and the :class:`Issue` fields ``code`` (``modality_unknown``,
        ``modality_other`` or ``modality_mixed``), ``severity`` and ``message``.

    Examples
    --------
    >>> rows = pd.DataFrame({"target_chembl_id": "CHEMBL237", "activity_type": "EC50", "inchikey": ["A", "B", "C"],
    ...                      "modality": ["agonist", "antagonist", "agonist;unknown"],
    ...                      "activity_ids": ["1", "2", "3;4"]})
    >>> kept, excluded = select_modality(rows, "agonist")
    >>> kept["inchikey"].tolist(), excluded["code"].tolist()
    (['A'], ['modality_other', 'modality_mixed'])
    """
    wanted = {modalities} if isinstance(modalities, str) else set(modalities)
    if not wanted:
        raise UsageError("select_modality needs at least one modality, e.g. 'agonist'")
    column = table["modality"] if "modality" in table.columns else pd.Series("unknown", index=table.index)
    issues = {index: issue for index, value in column.items()
              if (issue := _modality_issue(_tokens(value), wanted, keep_unknown)) is not None}
    excluded_index = list(issues)
    identity = [c for c in ("target_chembl_id", "activity_type", "inchikey", "modality", "activity_ids")
                if c in table.columns]
    excluded = table.loc[excluded_index, identity].copy()
    for field in ("code", "severity", "message"):
        excluded[field] = [getattr(issues[i], field) for i in excluded_index]
    return table.drop(index=excluded_index), excluded.reset_index(drop=True)


def _modality_issue(found: set, wanted: set, keep_unknown: bool) -> Issue | None:
    """Why a row with modalities ``found`` is excluded (None: it is kept)."""
    known = found - {"unknown"}
    if found <= wanted or (keep_unknown and known <= wanted):
        return None
    if not known:
        return Issue("modality_unknown", "error", f"no modality information; wanted {_list(wanted)}")
    if known & wanted:
        return Issue("modality_mixed", "error", f"measurements mix {_list(found)}; curate with --modality "
                                                f"{_list(wanted, ',')} to keep the wanted records")
    return Issue("modality_other", "error", f"modality {_list(found)}, not {_list(wanted)}")


def _list(values, sep: str = "/") -> str:
    return sep.join(sorted(values))


@dataclass(frozen=True)
class KnownMeasurement:
    """A measured value of a known compound, with the ChEMBL IDs behind it (empty when the source has none)."""

    target_chembl_id: str
    gene: str
    activity_type: str
    pactivity: float
    relation: str
    n_measurements: int
    modality: str
    molecule_chembl_ids: tuple[str, ...]
    assay_chembl_ids: tuple[str, ...]
    document_chembl_ids: tuple[str, ...]
    document_year: str
    source: str

    def describe(self) -> str:
        """One line for a CSV cell or a report: ``JAK1 pKi 8.20 (n=3; CHEMBL1234)``.

        >>> KnownMeasurement("CHEMBL2835", "JAK1", "Ki", 8.2, "=", 3, "unknown", ("CHEMBL1",), (), (), "",
        ...                  "").describe()
        'JAK1 pKi 8.20 (n=3; CHEMBL1)'
        """
        relation = "" if self.relation in ("", "=") else f"{self.relation} "
        ids = ", ".join(self.molecule_chembl_ids[:3])
        extra = f"; {ids}" if ids else ""
        return (f"{self.gene or self.target_chembl_id} p{self.activity_type} {relation}{self.pactivity:.2f} "
                f"(n={self.n_measurements}{extra})")


def _ids(value) -> tuple[str, ...]:
    return tuple(t for t in str(value if value is not None and value == value else "").split(";") if t)


def known_compounds(table: pd.DataFrame, *, key: str = "inchikey") -> Mapping[str, tuple[KnownMeasurement, ...]]:
    """Index a curated dataset by standardised parent: key -> the compound's measured values.

    The dataset's ``inchikey`` and ``smiles`` are those of the standardised parent
    (:mod:`screenkit.chem.standardize`), so a library molecule standardised the same way finds
    its measurements whatever salt or drawing it came as.

    Parameters
    ----------
    table : DataFrame
        A curated dataset (:func:`read_dataset`).
    key : {"inchikey", "smiles"}
        The parent's InChIKey or its canonical SMILES.

    Returns
    -------
    mapping
        Read-only mapping from key to the compound's measurements, one per
        (target, activity type) row, ordered by target, activity type.

    Examples
    --------
    >>> rows = pd.DataFrame({"target_chembl_id": ["CHEMBL2835", "CHEMBL2971"], "gene": ["JAK1", "JAK2"],
    ...                      "activity_type": "Ki", "smiles": "C", "inchikey": "VNWKTOKETHGBQD-UHFFFAOYSA-N",
    ...                      "pactivity": [8.2, 7.1], "n_measurements": [3, 1],
    ...                      "molecule_chembl_ids": ["CHEMBL17564", ""]})
    >>> [m.describe() for m in known_compounds(rows)["VNWKTOKETHGBQD-UHFFFAOYSA-N"]]
    ['JAK1 pKi 8.20 (n=3; CHEMBL17564)', 'JAK2 pKi 7.10 (n=1)']
    """
    from types import MappingProxyType

    if key not in ("inchikey", "smiles"):
        raise UsageError(f"known_compounds key {key!r} must be 'inchikey' or 'smiles'")
    if key not in table.columns:
        raise UsageError(f"the dataset has no {key!r} column; read it with screenkit.curation.dataset.read_dataset")

    def text(row, column, default=""):
        value = row.get(column, default)
        return default if value is None or value != value else str(value)

    index: dict[str, list[KnownMeasurement]] = {}
    for row in table.to_dict("records"):
        parent = text(row, key)
        if not parent:
            continue
        index.setdefault(parent, []).append(KnownMeasurement(
            target_chembl_id=text(row, "target_chembl_id"), gene=text(row, "gene"),
            activity_type=text(row, "activity_type"), pactivity=float(row["pactivity"]),
            relation=text(row, "relation", "=") or "=",
            n_measurements=int(float(text(row, "n_measurements", "1") or 1)),
            modality=text(row, "modality", "unknown") or "unknown",
            molecule_chembl_ids=_ids(row.get("molecule_chembl_ids")),
            assay_chembl_ids=_ids(row.get("assay_chembl_ids")),
            document_chembl_ids=_ids(row.get("document_chembl_ids")), document_year=text(row, "document_year"),
            source=text(row, "source")))
    return MappingProxyType({k: tuple(sorted(v, key=lambda m: (m.target_chembl_id, m.activity_type)))
                             for k, v in index.items()})
