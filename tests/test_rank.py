import itertools
import math

import pytest
from hypothesis import given, settings, strategies as st

from screenkit.config import load_profile
from screenkit.errors import UsageError
from screenkit.rank import ParetoFront, objective_columns, rank_key, score_rows


class Model:
    def __init__(self, name, gene, ad_threshold=0.4):
        self.name, self.ad_threshold, self.card = name, ad_threshold, {"target": {"gene": gene}}


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
