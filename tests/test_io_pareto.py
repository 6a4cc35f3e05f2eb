"""--pareto --fronts K: the first K non-dominated fronts, checked against a brute-force sort."""

import csv
import random

import pytest

from screenkit.screen.pareto import ParetoFront, ParetoFronts
from screenkit.screen.run import screen_library


def brute_force_ranks(points: dict[int, tuple]) -> dict[int, int]:
    """Non-dominated sorting by peeling: front 1, remove it, front 2 of the rest, ..."""
    def dominates(a, b):
        return a != b and all(x >= y for x, y in zip(a, b))

    left, ranks, level = dict(points), {}, 1
    while left:
        front = [p for p, v in left.items() if not any(dominates(w, v) for w in left.values())]
        for p in front:
            ranks[p] = level
            del left[p]
        level += 1
    return ranks


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [1, 2, 5])
def test_streaming_fronts_match_non_dominated_sorting(seed, k):
    rng = random.Random(seed)
    # coarse values make ties and identical points common, as with rounded desirabilities
    points = {i: tuple(rng.choice([0.1, 0.3, 0.5, 0.7, 0.9]) for _ in range(3)) for i in range(1, 160)}
    fronts = ParetoFronts(["a", "b", "c"], k)
    for position, point in points.items():
        fronts.add_point(0.5, list(point), position)
    expected = {p: r for p, r in brute_force_ranks(points).items() if r <= k}
    assert fronts.ranks() == expected


def test_unscored_and_filtered_rows_never_enter_and_front_one_is_the_old_pareto_front():
    fronts, old = ParetoFronts(["a", "b"], 3), ParetoFront(["a", "b"])
    rows = [(0.5, [0.9, 0.1], 1), (0.5, [0.1, 0.9], 2), (float("nan"), [1.0, 1.0], 3), (0.0, [1.0, 1.0], 4),
            (0.5, [0.5, 0.05], 5), (0.5, [0.05, 0.05], 6)]
    for score, values, position in rows:
        fronts.add_point(score, values, position)
        old.add_point(score, values, position)
    assert fronts.ranks() == {1: 1, 2: 1, 5: 2, 6: 3}
    assert old.positions() == {p for p, r in fronts.ranks().items() if r == 1}


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_fronts_in_the_ranked_output(tmp_path, small_models):
    import pandas as pd

    from screenkit.config import bundled_path

    pool = pd.read_csv(bundled_path("data/putative_inactive_pool.csv.gz")).iloc[4000:4150]
    library = tmp_path / "lib.smi"
    library.write_text("\n".join(f"{s} Q{i}" for i, s in enumerate(pool["smiles"])) + "\n")
    one, three, full = tmp_path / "one.csv", tmp_path / "three.csv", tmp_path / "full.csv"
    screen_library(library, one, models_dir=small_models, pareto=True)
    screen_library(library, three, models_dir=small_models, pareto=True, fronts=3)
    screen_library(library, full, models_dir=small_models)
    first, top3, everything = read_csv(one), read_csv(three), read_csv(full)
    assert list(first[0])[:2] == ["rank", "pareto_rank"] and "pareto_rank" not in everything[0]
    assert {r["pareto_rank"] for r in first} == {"1"}
    assert {r["pareto_rank"] for r in top3} == {"1", "2", "3"}
    assert [r["id"] for r in top3 if r["pareto_rank"] == "1"] == [r["id"] for r in first]
    assert len(first) < len(top3) < len(everything)
    # still in score order, and the same rows as a brute-force sort of the full output's objectives
    scores = [float(r["overall_score"]) for r in top3]
    assert scores == sorted(scores, reverse=True)
    objectives = [c for c in everything[0] if c.startswith("d_")]
    points = {r["id"]: tuple(float(r[c]) for c in objectives) for r in everything
              if r["status"] != "error" and float(r["overall_score"]) > 0}
    expected = {i: rank for i, rank in brute_force_ranks(points).items() if rank <= 3}
    assert {r["id"]: int(r["pareto_rank"]) for r in top3} == expected
