import tomllib

import pytest

from screenkit.config import bundled_path, load_panel
from screenkit.errors import UsageError

FAMILY_DEFAULT = {"kinase": 7.5, "GPCR": 7.0, "nuclear_receptor": 7.0, "enzyme": 6.0, "other": 6.0}


def panel_entries() -> dict[str, dict]:
    raw = tomllib.loads(bundled_path("data/panel.toml").read_text(encoding="utf-8"))
    return {entry["gene"]: entry for entry in raw["targets"]}


def test_bundled_panel_has_all_targets_and_default_panel(panel):
    assert len(panel.targets) == 31
    assert sum(t.default_panel for t in panel.targets) == 12
    assert panel.get("CHEMBL237").gene == "OPRK1"
    assert panel.get("JAK1").chembl_id == "CHEMBL2835"


def test_tyk2_is_a_full_target_entry(panel):
    tyk2 = panel.get("CHEMBL3553")
    assert (tyk2.gene, tyk2.uniprot, tyk2.family, tyk2.modality) == ("TYK2", "P29597", "kinase", "inhibitor")
    assert tyk2.category == "leukodystrophy-specific" and tyk2.verified_id and not tyk2.default_panel
    assert "Aicardi" in tyk2.rationale and "interferon" in tyk2.rationale
    assert "Velazquez 1992" in tyk2.reference
    assert bundled_path("data/tyk2/tyk2_chembl.csv").is_file()


def test_bundled_data_flags_match_the_eight_moleculeace_targets(panel):
    with_data = {t.gene: set(t.bundled_data) for t in panel.targets if t.bundled_data}
    assert with_data == {"OPRK1": {"Ki", "EC50"}, "HRH3": {"Ki"}, "PPARG": {"EC50"}, "JAK1": {"Ki"},
                         "JAK2": {"Ki"}, "NR3C1": {"Ki"}, "GSK3B": {"Ki"}, "SIGMAR1": {"Ki"}}
    for target in panel.targets:
        assert set(target.bundled_data) <= set(target.activity_types)


def test_every_threshold_has_a_reason_and_departures_say_why(panel):
    entries = panel_entries()
    departures = {}
    for target in panel.targets:
        reason = entries[target.gene]["threshold_reason"]
        assert len(reason) > 40, target.gene
        if target.active_threshold != FAMILY_DEFAULT[target.family]:
            departures[target.gene] = target.active_threshold
            assert reason.startswith(("Lowered from", "Raised from")), target.gene
        else:
            assert "default" in reason.lower(), target.gene
    # the literature revisions of 2026-12-03 (models of PPARG and SIGMAR1 must be retrained)
    assert departures == {"PPARG": 6.0, "SIGMAR1": 7.0, "BTK": 7.0}


def test_pparg_threshold_keeps_the_glitazones_active(panel):
    # pEC50 of rosiglitazone (EC50 ~30-60 nM) and pioglitazone (~0.5-1 uM) as cited in the reason
    pparg = panel.get("PPARG")
    assert all(p >= pparg.active_threshold for p in (7.2, 7.5, 6.0, 6.3))
    assert "pioglitazone" in panel_entries()["PPARG"]["threshold_reason"]


def test_unknown_target_names_the_known_ones(panel):
    with pytest.raises(UsageError, match="CHEMBL237"):
        panel.get("NOPE1")


def test_bad_panel_files_give_clear_errors(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_panel(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[targets]\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_panel(bad)
    incomplete = tmp_path / "incomplete.toml"
    incomplete.write_text('[[targets]]\nchembl_id = "CHEMBL1"\ngene = "X"\n')
    with pytest.raises(UsageError, match="CHEMBL1 lacks the key 'name'"):
        load_panel(incomplete)


def test_public_api_exposes_every_stage():
    import inspect

    import screenkit

    assert len(set(screenkit.__all__)) == len(screenkit.__all__)
    for name in screenkit.__all__:
        obj = getattr(screenkit, name)
        if name == "__version__":
            assert isinstance(obj, str) and obj[0].isdigit()
        elif inspect.isclass(obj) or inspect.isfunction(obj):  # defined in a screenkit stage, under its own name
            assert obj.__module__.startswith("screenkit.") and obj.__name__ == name, name
        else:
            assert isinstance(obj, (tuple, dict, str, frozenset)) and obj, name
    assert callable(screenkit.screen_library) and callable(screenkit.train_models)
