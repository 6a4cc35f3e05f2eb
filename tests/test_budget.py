"""The --auto time budget: first-fold cost estimates, the 10 % tolerance, thread caps."""

from __future__ import annotations

import numpy as np

from screenkit.model import search as search_module
from screenkit.model.crossval import FoldPrediction
from screenkit.model.search import BUDGET_TOLERANCE, auto_candidates, search, thread_limit
from screenkit.model.trainconfig import TrainConfig

CONFIG = TrainConfig(n_folds=3, n_estimators=30, y_randomisation_permutations=0, n_jobs=1)


class FakeClock:
    """Seconds advance only when a (fake) fold is fitted: the budget logic, without timing noise."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _fake_cv(clock, seconds_per_fold: dict[str, float]):
    def cross_validate(problem, X, build, folds=None, permute_seed=None):
        estimator = build()
        name = type(estimator).__name__
        clock.now += seconds_per_fold.get(name, 1.0)
        rng = np.random.default_rng(0)
        return [FoldPrediction(f.test, rng.random(len(f.test))) for f in folds]
    return cross_validate


def test_a_candidate_that_would_overrun_is_stopped_after_its_first_fold(jak1_problem, monkeypatch):
    clock = FakeClock()
    # forests cost 2 s a fold, the Tanimoto SVM 40 s, anything else 1 s; budget 20 s over 3 folds
    monkeypatch.setattr(search_module, "cross_validate",
                        _fake_cv(clock, {"RandomForestClassifier": 2.0, "TanimotoSVC": 40.0}))
    candidates = auto_candidates("classification", 30)[:3]  # rf, svm (bits), svm (counts)
    result = search(jak1_problem, candidates, CONFIG, budget=20.0, ensemble_sizes=(), clock=clock)
    rf, svm = result.candidates[0], result.candidates[1]
    assert rf["status"] == "done" and rf["fold_seconds"] == [2.0, 2.0, 2.0]
    assert svm["status"].startswith("stopped after 1 fold") and svm["fold_seconds"] == [40.0]
    assert result.not_run == ["morgan(counts)+svm_tanimoto(C=1.0)"]  # the budget was spent when it came up
    assert result.exhausted and result.estimator["name"] == "rf"
    # what the rule promises: within budget + 10 % + one fold
    assert clock.now <= 20.0 * (1 + BUDGET_TOLERANCE) + 40.0


def test_cheap_candidates_all_run_when_they_fit(jak1_problem, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(search_module, "cross_validate", _fake_cv(clock, {}))  # 1 s a fold each
    candidates = auto_candidates("classification", 30)[:4]
    result = search(jak1_problem, candidates, CONFIG, budget=12.5, clock=clock)
    assert [r["status"] for r in result.candidates[:4]] == ["done"] * 4 and not result.exhausted
    assert len(result.candidates) == 6  # plus the ensembles of the best two and three, at no cost
    assert clock.now == 12.0


def test_real_search_holds_its_budget_within_the_tolerance(jak1_problem):
    """Real fits on real data: the search ends within budget * 1.1 + one fold and one featurization."""
    candidates = auto_candidates("classification", 30)
    first = search(jak1_problem, candidates[:1], CONFIG, budget=0.0, ensemble_sizes=())
    budget = 2.0 * first.seconds  # room for more than the first candidate, however loaded the machine is
    result = search(jak1_problem, candidates, CONFIG, budget=budget)
    ran = [r for r in result.candidates if "fold_seconds" in r]
    assert len(ran) >= 2 and (result.exhausted or not result.not_run)
    slowest_fold = max(max(r["fold_seconds"]) for r in ran)
    slowest_featurize = max(r["featurize_seconds"] for r in ran)
    first = ran[0]["seconds"]  # the first candidate always finishes, whatever the budget
    assert result.seconds <= max(budget * (1 + BUDGET_TOLERANCE) + slowest_fold + slowest_featurize,
                                 first + slowest_fold) + 0.5, result.candidates
    assert result.exhausted  # 12 candidates, among them slow forests, cannot fit in twice one forest's time


def test_thread_pools_are_capped_at_n_jobs():
    from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: F401  (loads the OpenMP runtime)
    from threadpoolctl import threadpool_info

    with thread_limit(1):
        pools = threadpool_info()
        assert pools and all(p["num_threads"] == 1 for p in pools)


def test_train_auto_records_a_search_within_its_time_budget(small_dataset, small_pool, panel, tmp_path):
    """``train --auto --time-budget S``: the card's search took at most S * 1.1 plus one fold and one featurization."""
    from screenkit.model.train import train_models

    budget = 3.0
    config = TrainConfig(n_folds=3, n_estimators=30, y_randomisation_permutations=0, auto=True, time_budget=budget,
                         auto_folds=3)
    card = train_models(small_dataset, tmp_path / "m", panel, targets=["JAK1"], pool=small_pool,
                        config=config)[0].card.to_json()
    search = card["auto_search"]
    ran = [c for c in search["candidates"] if "fold_seconds" in c]
    slack = max(max(c["fold_seconds"]) for c in ran) + max(c["featurize_seconds"] for c in ran)
    assert search["search_seconds"] <= max(budget * (1 + BUDGET_TOLERANCE) + slack, ran[0]["seconds"] + slack) + 0.5
    assert search["budget_exhausted"] and search["not_run"]
    assert card["estimator"]["name"] in {c["estimator"]["name"] for c in search["candidates"] if c.get("score")}
    assert search["winner"] and search["reason"].startswith(search["winner"])
