"""The chunk mapper: every item once, in order, whatever the ramp and the number of workers."""

import pytest

from screenkit.screen.parallel import chunked, map_chunks


def _double(chunk, factor):
    return [x * factor for x in chunk]


@pytest.mark.parametrize("first", [None, 1, 3, 50, 5000])
def test_chunks_cover_every_item_once_in_order(first):
    chunks = list(chunked(range(1234), 100, first))
    assert [x for c in chunks for x in c] == list(range(1234))
    sizes = [len(c) for c in chunks]
    assert max(sizes) <= 100
    if first is not None and first < 100:
        assert sizes[0] == first and sizes[1] == min(100, 2 * first)  # doubling, then the full size
    else:
        assert sizes[:-1] == [100] * (len(sizes) - 1)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_map_chunks_with_a_ramp_gives_the_same_results_as_without(n_jobs):
    plain = [r for _, r in map_chunks(_double, range(500), chunk_size=64, n_jobs=n_jobs, args=(3,))]
    ramped = list(map_chunks(_double, range(500), chunk_size=64, n_jobs=n_jobs, args=(3,), first_chunk=5))
    assert [x for r in plain for x in r] == [x for _, r in ramped for x in r] == [3 * x for x in range(500)]
    assert [len(c) for c, _ in ramped][:5] == [5, 10, 20, 40, 64]
    assert all(r == [3 * x for x in c] for c, r in ramped)  # each result belongs to its own chunk
