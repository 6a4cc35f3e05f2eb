import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screenkit.errors import UsageError
from screenkit.model.card import ModelCard
from screenkit.profile import load_profile
from screenkit.screen.pareto import ParetoFront
from screenkit.screen.rank import cns_desirability, objective_columns, rank_key, score_rows


class Model:
    def __init__(self, name, gene, ad_threshold=0.4, role="activity"):
        self.name, self.ad_threshold = name, ad_threshold
        self.card = ModelCard(name, target={"gene": gene}, role=role)


BBB = Model("BBB_B3DB", "BBB", ad_threshold=0.3, role="property")


MODELS = [Model("OPRK1_EC50", "OPRK1"), Model("JAK1_Ki", "JAK1")]
CNS_OK = {"cns_mpo": 5.0, "qed": 0.7, "alerts": "", "mw": 350.0, "lipinski_violations": 0}


def row(p_oprk1, p_jak1, ad=0.6, position=1, **props):
    return {"input_position": position, "OPRK1_EC50_p_active": p_oprk1, "OPRK1_EC50_ad": ad,
            "JAK1_Ki_p_active": p_jak1, "JAK1_Ki_ad": ad, **CNS_OK, **props}


def test_activity_profile_is_the_best_model_times_its_domain_factor():
    profile = load_profile("activity")
    inside, outside = score_rows([row(0.9, 0.2), row(0.9, 0.2, ad=0.2)], MODELS, profile)
    assert inside["overall_score"] == 0.9 and inside["best_model"] == "OPRK1_EC50"
    assert outside["overall_score"] == pytest.approx(0.9 * 0.2 / 0.4)
    assert "outside its domain" in outside["rank_reason"]


def test_leukodystrophy_profile_is_a_weighted_geometric_mean():
    profile = load_profile("leukodystrophy")
    (r,) = score_rows([row(0.8, 0.1, cns_mpo=3.0)], MODELS, profile)
    d_cns = 0.1 + 0.9 * 0.5  # halfway between low=2 and full=4
    expected = math.exp((profile.activity_weight * math.log(0.8) + profile.cns.weight * math.log(d_cns))
                        / (profile.activity_weight + profile.cns.weight + profile.qed.weight + profile.alerts_weight))
    assert r["overall_score"] == pytest.approx(expected, rel=1e-4)
    assert r["d_cns"] == pytest.approx(d_cns) and "penalty: CNS MPO 3.0" in r["rank_reason"]


def test_cns_objective_blends_the_bbb_model_and_mpo_under_hard_limits():
    profile = load_profile("leukodystrophy")
    cns = profile.cns
    assert cns.model == "BBB_B3DB" and 0 < cns.bbb_share < 1
    base = {**CNS_OK, "tpsa": 60.0, "hbd": 1, "ion_class": "base", "cns_mpo": 3.0}

    def d(**values):
        return cns_desirability({**base, **values}, cns, BBB)[0]

    r_mpo = 0.5  # MPO 3.0 is halfway between mpo_low=2 and mpo_full=4
    r_bbb = (0.55 - cns.bbb.low) / (cns.bbb.full - cns.bbb.low)
    s = cns.bbb_share
    assert d(BBB_B3DB_p_active=0.55, BBB_B3DB_ad=0.6) == pytest.approx(
        cns.floor + (1 - cns.floor) * (s * r_bbb + (1 - s) * r_mpo))
    # outside the BBB model's domain its share shrinks by ad / threshold
    a = 0.15 / 0.3
    assert d(BBB_B3DB_p_active=0.55, BBB_B3DB_ad=0.15) == pytest.approx(
        cns.floor + (1 - cns.floor) * (s * a * r_bbb + (1 - s) * r_mpo) / (s * a + 1 - s))
    # the model moves the score both ways; the hard limits cap it whatever the model says
    assert d(BBB_B3DB_p_active=0.95, BBB_B3DB_ad=0.6) > d(BBB_B3DB_p_active=0.1, BBB_B3DB_ad=0.6)
    full = d(BBB_B3DB_p_active=0.95, BBB_B3DB_ad=0.6, cns_mpo=5.0)
    assert full == 1.0
    # between the soft and the hard limit the credit shrinks linearly, beyond the hard limit it is gone
    assert cns.tpsa_soft == 90 and cns.tpsa_max == 120 and cns.hbd_soft == 3 and cns.hbd_max == 5
    assert d(BBB_B3DB_p_active=0.95, BBB_B3DB_ad=0.6, cns_mpo=5.0, tpsa=110.0) == pytest.approx(
        cns.floor + (1 - cns.floor) * (120 - 110) / 30)
    assert d(BBB_B3DB_p_active=0.95, BBB_B3DB_ad=0.6, cns_mpo=5.0, hbd=4, tpsa=105.0) == pytest.approx(
        cns.floor + (1 - cns.floor) * 0.5 * 0.5)
    assert d(BBB_B3DB_p_active=0.95, BBB_B3DB_ad=0.6, tpsa=121.0) == cns.floor
    assert d(BBB_B3DB_p_active=0.95, BBB_B3DB_ad=0.6, hbd=6) == cns.floor
    assert d(BBB_B3DB_p_active=0.95, BBB_B3DB_ad=0.6, ion_class="permanent cation") == cns.floor
    # without a BBB model in the bundle: the MPO ramp alone, and the reason says so
    value, text, _ = cns_desirability(base, cns, None)
    assert value == pytest.approx(cns.floor + (1 - cns.floor) * r_mpo) and "MPO only" in text


def test_sucrose_and_metformin_get_no_cns_credit():
    from rdkit import Chem

    from screenkit.chem.properties import compute_properties

    cns = load_profile("leukodystrophy").cns
    sucrose, metformin = (compute_properties(Chem.MolFromSmiles(s)) for s in (
        "OC[C@H]1O[C@@](CO)(O[C@H]2O[C@H](CO)[C@@H](O)[C@H](O)[C@H]2O)[C@@H](O)[C@@H]1O", "CN(C)C(=N)NC(=N)N"))
    assert sucrose["cns_mpo"] >= 4.0 and metformin["cns_mpo"] >= 4.0  # CNS MPO alone gives both full credit
    # even a BBB model fooled into p = 1 cannot lift them: sucrose is past the hard limits, and
    # metformin's four donors halve whatever credit it gets
    fooled = {"BBB_B3DB_p_active": 1.0, "BBB_B3DB_ad": 1.0}
    d_cns, text, good = cns_desirability({**sucrose, **fooled}, cns, BBB)
    assert d_cns == cns.floor and not good and text.startswith("CNS limit")
    d_cns, text, good = cns_desirability({**metformin, **fooled}, cns, BBB)
    assert d_cns == pytest.approx(cns.floor + (1 - cns.floor) * 0.5) and not good and "HBD 4 > 3" in text


def test_a_property_model_never_counts_as_activity():
    profile = load_profile("leukodystrophy")
    models = [BBB] + MODELS
    assert "d_anti" not in objective_columns(profile, models)
    (r,) = score_rows([row(0.3, 0.1, tpsa=50.0, hbd=1, ion_class="base", BBB_B3DB_p_active=0.99, BBB_B3DB_ad=0.9)],
                      models, profile)
    assert r["best_model"] == "OPRK1_EC50" and r["d_activity"] == pytest.approx(0.3)
    assert "BBB p=0.99" in r["rank_reason"]


def test_peripheral_profile_does_not_demote_for_cns():
    profile = load_profile("peripheral")
    assert profile.cns is None and "d_cns" not in objective_columns(profile, MODELS)
    brain, blood = score_rows([row(0.1, 0.8, cns_mpo=5.5, tpsa=40.0), row(0.1, 0.8, cns_mpo=1.0, tpsa=140.0,
                                                                          position=2)], MODELS, profile)
    assert brain["overall_score"] == blood["overall_score"] and brain["best_model"] == "JAK1_Ki"
    # CNS-only targets carry no weight here
    (remyelinating,) = score_rows([row(0.9, 0.0)], MODELS, profile)
    assert remyelinating["d_activity"] == 0.0


def test_waived_alerts_are_listed_but_not_penalised():
    profile = load_profile("leukodystrophy")
    assert set(profile.alert_waivers) == {"Brenk:thioester", "Brenk:Aliphatic_long_chain"}
    assert all(len(reason) > 40 for reason in profile.alert_waivers.values())
    tzd, other = score_rows([row(0.8, 0, alerts="Brenk:thioester"), row(0.8, 0, alerts="Brenk:Michael_acceptor_1",
                                                                        position=2)], MODELS, profile)
    assert tzd["d_alerts"] == 1.0 and "alert waived by the profile: Brenk:thioester" in tzd["rank_reason"]
    assert other["d_alerts"] == 0.7 and "penalty" in other["rank_reason"]


def test_alerts_and_filters_penalise_and_explain():
    profile = load_profile("leukodystrophy")
    clean, alerted, heavy = score_rows([row(0.8, 0), row(0.8, 0, alerts="PAINS_A:ene_rhod_A(235)", position=2),
                                        row(0.8, 0, mw=720.0, position=3)], MODELS, profile)
    assert alerted["d_alerts"] == 0.3 and alerted["overall_score"] < clean["overall_score"]
    assert "1 alert (PAINS_A:ene_rhod_A(235))" in alerted["rank_reason"]
    assert heavy["overall_score"] == 0.0 and heavy["rank_reason"].startswith("filtered: mw 720 > 600")
    assert sorted([heavy, alerted, clean], key=rank_key) == [clean, alerted, heavy]


def test_negative_weight_makes_an_anti_target(tmp_path):
    path = tmp_path / "alsp.toml"
    path.write_text('name = "alsp"\nproperties = false\n[activity]\nweight = 1.0\n'
                    '[activity.targets]\nJAK1 = -1.0\n[anti_targets]\nweight = 1.0\n')
    profile = load_profile(path)
    assert objective_columns(profile, MODELS) == ["d_activity", "d_anti"]
    quiet, hits_anti = score_rows([row(0.9, 0.0), row(0.9, 0.8)], MODELS, profile)
    assert quiet["overall_score"] == pytest.approx(math.sqrt(0.9 * 1.0))  # d_anti = 1: no anti-target activity
    assert hits_anti["d_anti"] == pytest.approx(0.2) and "anti-target JAK1_Ki" in hits_anti["rank_reason"]
    assert hits_anti["overall_score"] == pytest.approx(math.sqrt(0.9 * 0.2))


def test_bad_profiles_are_caller_errors(tmp_path):
    with pytest.raises(UsageError, match="bundled profile name"):
        load_profile("no_such_profile")
    bad = tmp_path / "bad.toml"
    bad.write_text('[filters]\nweight_max = 3\n')
    with pytest.raises(UsageError, match="unknown filter"):
        load_profile(bad)
    bad.write_text('[alerts]\nPAINS = 0.5\n')
    with pytest.raises(UsageError, match="unknown alert family PAINS"):
        load_profile(bad)
    bad.write_text('[alerts]\nweight = 1.0\n[alerts.waive]\n"Brenk:thioester" = ""\n')
    with pytest.raises(UsageError, match="needs a reason"):
        load_profile(bad)
    bad.write_text('[alerts]\nweight = 1.0\n[alerts.waive]\n"thioester" = "TZDs"\n')
    with pytest.raises(UsageError, match="Family:alert name"):
        load_profile(bad)
    bad.write_text('[cns]\nweight = 1.0\nmodel = "BBB_B3DB"\nbbb_share = 1.5\n')
    with pytest.raises(UsageError, match="bbb_share"):
        load_profile(bad)
    bad.write_text('[cns]\nweight = 1.0\ntpsa_soft = 130\ntpsa_max = 120\n')
    with pytest.raises(UsageError, match="must not exceed"):
        load_profile(bad)
    bad.write_text('[cns]\nweight = 1.0\ntpsa_limit = 90\n')
    with pytest.raises(UsageError, match="unknown \\[cns\\] key"):
        load_profile(bad)


points = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=25)


@settings(max_examples=100, deadline=None)
@given(points)
def test_pareto_front_matches_brute_force(values):
    rows = [{"a": a, "b": b, "c": c, "input_position": i, "overall_score": 1.0} for i, (a, b, c) in enumerate(values)]
    front = ParetoFront(["a", "b", "c"])
    for chunk in itertools.batched(rows, 4) if hasattr(itertools, "batched") else [rows]:
        front.add(list(chunk))

    def dominated(r):
        return any(all(o[k] >= r[k] for k in "abc") and any(o[k] > r[k] for k in "abc") for o in rows)

    expected_points = {(r["a"], r["b"], r["c"]) for r in rows if not dominated(r)}
    assert {(rows[p]["a"], rows[p]["b"], rows[p]["c"]) for p in front.positions()} == expected_points
