"""A crash-safe external sort: scored rows go to disk chunk by chunk, come back ranked.

Why: a million-molecule library must neither sit in memory nor be rescored after a
crash. Rows of each finished chunk are appended to ``pending.jsonl``; once it holds
``run_size`` rows it is sorted into an immutable ``runNNNNN.jsonl``. After every chunk,
``state.json`` is replaced atomically with the number of records done and the byte
length of every file that counts, so a run killed at any instant (even ``kill -9``)
resumes from its last completed chunk: bytes past the recorded lengths are cut off and
files the state does not name are deleted. The final order is a k-way merge of the runs.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import UsageError

__all__ = ["RunStore", "encode_rows", "id_problems"]

STATE = "state.json"
PENDING = "pending.jsonl"
STATUS = "status.csv"
STATUS_HEADER = "input_position,id,status,reason\n"


def _fsync_append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _csv_field(value) -> str:
    text = "" if value is None else str(value)
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def encode_rows(rows: list[dict], key: Callable[[dict], list], value: Callable[[dict], object]
                ) -> list[tuple[str, str, str]]:
    """Rows as ``(key JSON + tab + value JSON line, status CSV line, status)`` for :meth:`RunStore.add`.

    Runs where the rows are made (in the workers), so the main process never formats a
    wide row: it appends lines, sorting decodes only the short key before the tab, and
    the value is whatever the final writer needs (for screening, the row's output text).
    """
    out = []
    for row in rows:
        line = json.dumps(key(row)) + "\t" + json.dumps(value(row)) + "\n"
        status = ",".join(_csv_field(row.get(k)) for k in ("input_position", "id", "status", "reason")) + "\n"
        out.append((line, status, row["status"]))
    return out


class RunStore:
    """Sorted runs of scored rows in a work folder, with a resumable state.

    Rows arrive encoded by :func:`encode_rows` with their sort key (a total order, so
    the output is byte-identical however the rows were chunked or interrupted).

    Parameters
    ----------
    workdir : Path
        Folder for state, pending rows and runs (created if needed).
    signature : dict or callable
        What must match for a resume to be valid (input hash, models, options); a callable
        is asked for it when first needed (a fresh run's first commit), so hashing a large
        library runs beside the first chunks.
    run_size : int
        Rows per sorted run (the most rows ever held in memory at once).
    """

    def __init__(self, workdir: Path, signature: dict | Callable[[], dict], run_size: int):
        self.workdir = Path(workdir)
        self._signature = signature
        self.run_size = run_size
        self.records_done = 0
        self.runs: list[str] = []
        self.pending_rows = 0
        self.counts: dict[str, int] = {}
        # input columns seen so far (SD data items vary per record), in first-seen order;
        # committed with the next chunk, so a resumed run writes the same header
        self.input_columns: list[str] = []
        self._known_columns: set[str] = set()

    @property
    def signature(self) -> dict:
        """What the run was made from (:class:`RunStore`'s ``signature``, resolved on first use)."""
        if callable(self._signature):
            self._signature = self._signature()
        return self._signature

    # -- lifecycle ---------------------------------------------------------------
    def start(self, resume: bool) -> int:
        """Create a fresh store, or reopen an interrupted one; return records already done."""
        state_path = self.workdir / STATE
        if state_path.is_file():
            if not resume:
                raise UsageError(f"{self.workdir} holds an interrupted run; add --resume to continue it, "
                                 "or delete that folder to start again")
            state = json.loads(state_path.read_text())
            if state["signature"] != self.signature:
                changed = sorted(k for k in set(state["signature"]) | set(self.signature)
                                 if state["signature"].get(k) != self.signature.get(k))
                raise UsageError(f"cannot resume {self.workdir}: {', '.join(changed)} changed since the "
                                 "interrupted run; delete that folder to start again")
            self._restore(state)
        else:
            if self.workdir.exists():
                shutil.rmtree(self.workdir)  # a work folder without state holds nothing committed
            self.workdir.mkdir(parents=True)
            (self.workdir / PENDING).touch()
            (self.workdir / STATUS).write_text(STATUS_HEADER)  # the state comes with the first commit
        return self.records_done

    def _restore(self, state: dict) -> None:
        self.records_done = state["records_done"]
        self.runs = state["runs"]
        self.pending_rows = state["pending_rows"]
        self.counts = state["counts"]
        self.input_columns = state.get("input_columns", [])
        self._known_columns = set(self.input_columns)
        for name, size in state["sizes"].items():
            with open(self.workdir / name, "r+b") as fh:
                fh.truncate(size)  # drop what a killed process wrote after its last commit
        keep = {STATE, PENDING, STATUS, *self.runs}
        for path in self.workdir.iterdir():
            if path.name not in keep:
                path.unlink()

    def _save(self, pending_size: int | None = None) -> None:
        """Replace the state atomically; ``pending_size`` overrides the pending file's length."""
        sizes = {name: (self.workdir / name).stat().st_size for name in (PENDING, STATUS)}
        if pending_size is not None:
            sizes[PENDING] = pending_size
        state = {"signature": self.signature, "records_done": self.records_done, "runs": self.runs,
                 "pending_rows": self.pending_rows, "counts": self.counts, "sizes": sizes,
                 "input_columns": self.input_columns}
        _atomic_write(self.workdir / STATE, json.dumps(state))

    # -- writing -----------------------------------------------------------------
    def note_columns(self, names) -> None:
        """Remember input column names of the next chunk (saved by :meth:`add`)."""
        for name in names:
            if name not in self._known_columns:
                self._known_columns.add(name)
                self.input_columns.append(name)

    def add(self, entries: list[tuple[str, str, str]]) -> None:
        """Commit one finished chunk, as made by :func:`encode_rows` (in input order)."""
        _fsync_append(self.workdir / PENDING, "".join(line for line, _, _ in entries))
        _fsync_append(self.workdir / STATUS, "".join(status_line for _, status_line, _ in entries))
        self.records_done += len(entries)
        self.pending_rows += len(entries)
        for _, _, status in entries:
            self.counts[status] = self.counts.get(status, 0) + 1
        if self.pending_rows >= self.run_size:
            self._spill()  # saves the state itself
        else:
            self._save()

    def _spill(self) -> None:
        with open(self.workdir / PENDING, encoding="utf-8") as fh:
            lines = sorted(fh, key=lambda line: json.loads(line.partition("\t")[0]))
        name = f"run{len(self.runs):05d}.jsonl"
        _atomic_write(self.workdir / name, "".join(lines))
        self.runs.append(name)
        self.pending_rows = 0
        # The state is saved before the pending file is emptied; a crash in between is
        # repaired on resume by truncating pending to the size the state records (0).
        self._save(pending_size=0)
        with open(self.workdir / PENDING, "r+b") as fh:
            fh.truncate(0)

    # -- reading -----------------------------------------------------------------
    @staticmethod
    def _read(path: Path) -> Iterator[tuple[list, str]]:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition("\t")
                yield json.loads(key), value

    def ranked(self) -> Iterator[tuple[list, object]]:
        """All committed ``(key, value)`` pairs in key order (streaming merge of the sorted runs)."""
        if self.pending_rows:
            self._spill()
        merged = heapq.merge(*(self._read(self.workdir / run) for run in self.runs), key=lambda pair: pair[0])
        return ((key, json.loads(value)) for key, value in merged)

    def status_file(self) -> Path:
        return self.workdir / STATUS

    def remove(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def id_problems(status_file: Path, examples: int = 5) -> dict:
    """Blank and duplicated compound IDs in a status file: counts and the first few examples.

    One streaming pass; memory is 8 bytes per record (a hash per ID), not the IDs themselves.
    """
    import numpy as np

    blank, hashes = 0, []
    blank_at: list[int] = []
    with open(status_file, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["id"]
            if not name.strip():
                blank += 1
                if len(blank_at) < examples:
                    blank_at.append(int(row["input_position"]))
            else:
                hashes.append(int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little"))
    values, counts = np.unique(np.array(hashes, dtype=np.uint64), return_counts=True)
    repeated = set(values[counts > 1].tolist())
    duplicated, shown = int((counts[counts > 1]).sum()), []
    if repeated:
        with open(status_file, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                name = row["id"]
                if (name.strip() and name not in shown and int.from_bytes(
                        hashlib.blake2b(name.encode(), digest_size=8).digest(), "little") in repeated):
                    shown.append(name)
                    if len(shown) == examples:
                        break
    return {"blank": blank, "blank_positions": blank_at, "duplicated": duplicated, "duplicated_ids": shown}
