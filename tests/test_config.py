import pytest

from screenkit.config import load_panel
from screenkit.errors import UsageError


def test_bundled_panel_has_all_targets_and_default_panel(panel):
    assert len(panel.targets) == 30
    assert sum(t.default_panel for t in panel.targets) == 12
    assert panel.get("CHEMBL237").gene == "OPRK1"
    assert panel.get("JAK1").chembl_id == "CHEMBL2835"


def test_bundled_data_flags_match_the_eight_moleculeace_targets(panel):
    with_data = {t.gene: set(t.bundled_data) for t in panel.targets if t.bundled_data}
    assert with_data == {"OPRK1": {"Ki", "EC50"}, "HRH3": {"Ki"}, "PPARG": {"EC50"}, "JAK1": {"Ki"},
                         "JAK2": {"Ki"}, "NR3C1": {"Ki"}, "GSK3B": {"Ki"}, "SIGMAR1": {"Ki"}}
    for target in panel.targets:
        assert set(target.bundled_data) <= set(target.activity_types)


def test_thresholds_follow_target_family(panel):
    expected = {"kinase": 7.5, "GPCR": 7.0, "nuclear_receptor": 7.0, "enzyme": 6.0, "other": 6.0}
    for target in panel.targets:
        assert target.active_threshold == expected[target.family], target.gene


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
    import screenkit

    for name in screenkit.__all__:
        assert getattr(screenkit, name) is not None
    assert callable(screenkit.screen_library) and callable(screenkit.train_models)
