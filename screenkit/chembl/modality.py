"""What an activity record says a compound does: agonist, antagonist, inhibitor, ... or unknown.

The rule, in order (the first that applies wins):

1. ChEMBL's curated ``action_type`` of the activity, when present, mapped by
   :data:`ACTION_TYPE_MODALITY` (``PARTIAL AGONIST`` counts as ``agonist``; an action type
   not in the table is ``other``).
2. Otherwise the assay description, read conservatively: only ChEMBL's curated opening
   phrases count, matched at the start of the description (:data:`DESCRIPTION_RULES`):
   "Agonist activity at ...", "Antagonist activity at ...", "Inverse agonist activity ...",
   "Positive/Negative allosteric modulat...", "Displacement of ...", "Binding affinity ..." and
   "Binding constant ..."
   (``binding``: the compound binds, no direction). "Inhibition of X" means ``inhibitor``
   only when the target's gene symbol is among its first six words ("Inhibition of TYK2
   (unknown origin)"), because "Inhibition of forskolin-stimulated cAMP accumulation ..."
   is how agonist-mode assays of Gi-coupled receptors are described.
3. Otherwise ``unknown``. Most Ki/Kd and patent records end here: they say "binds".

Nothing is read from the activity type: an EC50 can be agonist- or antagonist-mode.
"""

from __future__ import annotations

import re

__all__ = ["MODALITIES", "ACTION_TYPE_MODALITY", "DESCRIPTION_RULES", "record_modality"]

#: Every value :func:`record_modality` returns.
MODALITIES = ("agonist", "inverse_agonist", "antagonist", "inhibitor", "activator", "positive_modulator",
              "negative_modulator", "blocker", "opener", "degrader", "binding", "other", "unknown")

#: ChEMBL ``action_type`` (table ``action_type``) -> modality.
ACTION_TYPE_MODALITY = {
    "AGONIST": "agonist", "PARTIAL AGONIST": "agonist", "INVERSE AGONIST": "inverse_agonist",
    "ANTAGONIST": "antagonist", "ALLOSTERIC ANTAGONIST": "antagonist",
    "INHIBITOR": "inhibitor", "ALLOSTERIC INHIBITOR": "inhibitor", "IRREVERSIBLE INHIBITOR": "inhibitor",
    "ACTIVATOR": "activator", "POSITIVE ALLOSTERIC MODULATOR": "positive_modulator",
    "NEGATIVE ALLOSTERIC MODULATOR": "negative_modulator", "BLOCKER": "blocker", "OPENER": "opener",
    "DEGRADER": "degrader", "BINDING AGENT": "binding",
}

#: (pattern at the start of the assay description, modality), tried in order.
DESCRIPTION_RULES = (
    (re.compile(r"inverse agonis(t|tic|m)\b", re.I), "inverse_agonist"),
    (re.compile(r"(partial |full )?agonis(t|tic|m) (activity|effect|response)\b", re.I), "agonist"),
    (re.compile(r"antagonis(t|tic|m) (activity|effect)\b", re.I), "antagonist"),
    (re.compile(r"positive allosteric modulat", re.I), "positive_modulator"),
    (re.compile(r"negative allosteric modulat", re.I), "negative_modulator"),
    (re.compile(r"(displacement of|binding affinity|binding constant)\b", re.I), "binding"),
)
_INHIBITION = re.compile(r"(inhibition of|inhibitory activity (against|at|on|of))\s+", re.I)
_GENE_WINDOW = 6  # words after "Inhibition of" in which the gene symbol must appear


def record_modality(action_type: str | None, description: str | None, gene: str | None = None) -> str:
    """The modality of one activity record (see the module docstring for the rule).

    Parameters
    ----------
    action_type : str or None
        ChEMBL's ``action_type`` of the activity (``"AGONIST"``, ...).
    description : str or None
        The assay description.
    gene : str, optional
        Gene symbol of the target, for "Inhibition of <gene> ..." descriptions.

    Examples
    --------
    >>> record_modality("PARTIAL AGONIST", "Antagonist activity at KOR")
    'agonist'
    >>> record_modality(None, "Antagonist activity at human KOR assessed as inhibition of U50488-induced ...")
    'antagonist'
    >>> record_modality(None, "Inhibition of TYK2 (unknown origin)", gene="TYK2")
    'inhibitor'
    >>> record_modality(None, "Inhibition of forskolin-stimulated cAMP accumulation in CHO cells expressing "
    ...                 "human OPRK1", gene="OPRK1")
    'unknown'
    >>> record_modality(None, None)
    'unknown'
    """
    if action_type and str(action_type).strip():
        return ACTION_TYPE_MODALITY.get(str(action_type).strip().upper(), "other")
    text = " ".join(str(description or "").split())
    if not text:
        return "unknown"
    for pattern, modality in DESCRIPTION_RULES:
        if pattern.match(text):
            return modality
    inhibition = _INHIBITION.match(text)
    if inhibition and gene:
        words = re.split(r"[\s,;()/]+", text[inhibition.end():])[:_GENE_WINDOW]
        if any(w.upper() == gene.upper() for w in words):
            return "inhibitor"
    return "unknown"
