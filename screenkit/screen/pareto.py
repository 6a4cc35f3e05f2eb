"""Non-dominated fronts over a profile's objectives (``--pareto``), kept streaming as ranked rows arrive."""

from __future__ import annotations

__all__ = ["ParetoFront", "ParetoFronts"]


def _dominates(a: tuple, b: tuple) -> bool:
    """``a`` is at least as good as ``b`` on every objective and not identical (all maximised)."""
    return a != b and all(x >= y for x, y in zip(a, b))


class ParetoFronts:
    """The first ``k`` non-dominated fronts over a profile's objectives (all maximised), kept streaming.

    Front 1 is the set no row beats on every objective; front 2 is front 1 of the rest, and so
    on. Only rows of the first ``k`` fronts are kept: a row whose rank is above ``k`` can never
    come back into them, since whatever it dominates is also dominated by its own dominators.
    Rows with identical objective values share a front. Unscored (NaN) and filtered (score 0)
    rows never enter.

    Examples
    --------
    >>> fronts = ParetoFronts(["a", "b"], 2)
    >>> for a, b, position in [(1, 0, 1), (0, 1, 2), (0.5, 0, 3), (0.2, 0, 4)]:
    ...     fronts.add_point(1.0, [a, b], position)
    >>> sorted(fronts.ranks().items())
    [(1, 1), (2, 1), (3, 2)]
    """

    def __init__(self, objectives: list[str], k: int = 1):
        self.objectives, self.k = objectives, k
        self._fronts: list[list[tuple[tuple[float, ...], int]]] = []

    def add_point(self, score: float, objectives: list[float], position: int) -> None:
        """Offer one row by its overall score, objective values (in :attr:`objectives` order) and position."""
        if score != score or score == 0:
            return
        point = tuple(objectives)
        level = 0
        while level < len(self._fronts) and any(_dominates(other, point) for other, _ in self._fronts[level]):
            level += 1
        moving = [(point, position)]
        # rows the newcomer dominates move one front down, and push what they dominate further
        while moving and level < self.k:
            if level == len(self._fronts):
                self._fronts.append([])
            front = self._fronts[level]
            demoted = [m for m in front if any(_dominates(p, m[0]) for p, _ in moving)]
            if demoted:
                front[:] = [m for m in front if not any(_dominates(p, m[0]) for p, _ in moving)]
            front.extend(moving)
            moving, level = demoted, level + 1

    def ranks(self) -> dict[int, int]:
        """Input position -> front number (1 = non-dominated) for the rows of the first ``k`` fronts."""
        return {position: level + 1 for level, front in enumerate(self._fronts) for _, position in front}


class ParetoFront(ParetoFronts):
    """The non-dominated rows over a profile's objectives (all to be maximised), kept streaming.

    Examples
    --------
    >>> front = ParetoFront(["a", "b"])
    >>> front.add([{"a": 1, "b": 0, "input_position": 1}, {"a": 0, "b": 1, "input_position": 2},
    ...            {"a": 0.5, "b": 0, "input_position": 3}])
    >>> sorted(front.positions())
    [1, 2]
    """

    def __init__(self, objectives: list[str]):
        super().__init__(objectives, 1)

    def add(self, rows: list[dict]) -> None:
        for row in rows:
            self.add_point(row.get("overall_score", 1.0), [row[o] for o in self.objectives], row["input_position"])

    def positions(self) -> set[int]:
        return set(self.ranks())
