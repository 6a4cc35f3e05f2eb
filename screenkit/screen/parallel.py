"""The one way screenkit runs work in parallel: ordered chunks mapped with joblib.

Any joblib backend works (``loky`` processes locally; ``dask`` on a cluster once a
``distributed.Client`` exists). Results come back in input order whatever the number
of workers, and the input iterator is consumed lazily, a few chunks ahead of the
workers, so a library is never read into memory whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import TypeVar

from joblib import Parallel, delayed, parallel_config

__all__ = ["chunked", "map_chunks"]

T = TypeVar("T")
R = TypeVar("R")


def chunked(items: Iterable[T], size: int, first: int | None = None) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter).

    With ``first``, the chunks start at ``first`` items and double up to ``size``: the
    first results come back after a few dozen records instead of a whole chunk, at the
    cost of a handful of extra chunks.

    Examples
    --------
    >>> list(chunked(range(5), 2))
    [[0, 1], [2, 3], [4]]
    >>> [len(c) for c in chunked(range(20), 8, first=2)]
    [2, 4, 8, 6]
    """
    iterator = iter(items)
    step = size if first is None else max(1, min(first, size))
    while chunk := list(islice(iterator, step)):
        yield chunk
        step = min(size, step * 2)


def map_chunks(func: Callable[..., R], items: Iterable[T], *, chunk_size: int, n_jobs: int = 1,
               backend: str = "loky", args: tuple = (), first_chunk: int | None = None) -> Iterator[tuple[list[T], R]]:
    """Yield ``(chunk, func(chunk, *args))`` for consecutive chunks, in order.

    With ``n_jobs == 1`` on the local backend everything runs in this process (no
    pickling, easy to debug). ``first_chunk`` ramps the chunk size up from that many
    items (:func:`chunked`).
    """
    chunks = chunked(items, chunk_size, first_chunk)
    if n_jobs == 1 and backend == "loky":
        for chunk in chunks:
            yield chunk, func(chunk, *args)
        return
    # Keep the chunk itself on this side: zip the (lazy) chunk stream with the ordered
    # results. pre_dispatch bounds how far reading runs ahead of the workers.
    pending: list[list[T]] = []

    def remember(stream):
        for chunk in stream:
            pending.append(chunk)
            yield delayed(func)(chunk, *args)

    # parallel_config (not Parallel(backend=...)) is what registers joblib's "dask" backend.
    with parallel_config(backend=backend, n_jobs=n_jobs):
        parallel = Parallel(return_as="generator", pre_dispatch="2*n_jobs")
        for result in parallel(remember(chunks)):
            yield pending.pop(0), result
