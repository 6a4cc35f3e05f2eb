"""SDF text in: records cut at ``$$$$`` lines, molblocks concatenated without one, data items."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import InputFileError
from .records import MAX_RECORD_CHARS, RawRecord

__all__ = ["sd_properties", "sdf_records"]


def sdf_records(handle: IO[str], path: Path, block_chars: int = 1 << 20) -> Iterator[RawRecord]:
    # Reads big blocks and cuts them at lines starting with "$$$$": twice as fast as a
    # Python loop over every line, and the main process has little CPU to spare.
    position, buffer, reading, skipping = 0, "", True, False
    while reading:
        block = handle.read(block_chars)
        reading = bool(block)
        if position == 0 and len(block) >= 200 and "\r" in block and "\n" not in block:
            raise InputFileError(f"{path} has old Mac line endings (CR only), which RDKit cannot read; "
                                 "convert it first, e.g. with mac2unix")
        buffer += block
        start = 0  # always the beginning of a line: the start of the next record
        while True:
            if buffer.startswith("$$$$", start):
                end = start  # an empty record
            else:
                end = buffer.find("\n$$$$", start) + 1
                if end == 0:
                    break  # no record ends in this buffer yet
            line_end = buffer.find("\n", end)
            if line_end < 0 and reading:
                break  # the $$$$ line goes on in the next block
            if skipping:  # the end of a record too large to keep
                skipping = False
                position += 1
                yield RawRecord(position, "damaged", f"SD record over {MAX_RECORD_CHARS // 1_000_000} MB; not read",
                                "")
            else:
                for text in _split_molblocks(buffer[start:end]):
                    position += 1
                    yield RawRecord(position, "molblock", text, _first_line(text))
            start = len(buffer) if line_end < 0 else line_end + 1
        buffer = buffer[start:]
        if len(buffer) > MAX_RECORD_CHARS:
            skipping = True
            buffer = buffer[-8:]  # enough to find a "\n$$$$" that straddles two blocks
    if skipping:
        if position == 0:
            raise InputFileError(f"{path}: record 1 runs past 10 MB without a '$$$$' line; "
                                 "is this really an SDF file?")
        yield RawRecord(position + 1, "damaged", f"the last SD record runs past {MAX_RECORD_CHARS // 1_000_000} MB "
                        "to the end of the file without a $$$$ line; not read", "")
    elif buffer.strip():  # a last record without its $$$$ terminator
        for text in _split_molblocks(buffer):
            position += 1
            yield RawRecord(position, "molblock", text, _first_line(text))


_COUNTS_LINE = re.compile(r"^.*V[23]000[ \t]*\r?$", re.M)


def _split_molblocks(text: str) -> list[str]:
    """Molblocks concatenated without ``$$$$`` between them (``cat *.mol``), one per record.

    Each molblock starts three lines (title, program, comment) before its counts line.
    """
    if text.count("M  END") < 2:
        return [text]
    starts = []
    for match in _COUNTS_LINE.finditer(text):
        line_start = match.start()
        for _ in range(3):
            line_start = text.rfind("\n", 0, max(line_start - 1, 0)) + 1 if line_start > 0 else 0
        starts.append(line_start)
    if len(starts) < 2 or starts[0] != 0:
        return [text]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def _first_line(text: str) -> str:
    end = text.find("\n")
    return (text if end < 0 else text[:end]).strip()



def sd_properties(record_text: str) -> list[tuple[str, str]]:
    """Data items (``> <NAME>`` blocks) of one SDF record, in file order.

    Examples
    --------
    >>> sd_properties("t\\n\\n\\nM  END\\n> <ID>\\nX1\\n\\n")
    [('ID', 'X1')]
    """
    _, sep, data = record_text.partition("M  END")
    if not sep:
        return []
    props: list[tuple[str, str]] = []
    name: str | None = None
    value: list[str] = []
    for line in data.splitlines():
        if line.startswith(">"):
            if name is not None:
                props.append((name, "\n".join(value).strip()))
            start, end = line.find("<"), line.find(">", line.find("<") + 1)
            name, value = (line[start + 1:end] if start >= 0 and end > start else line[1:].strip()), []
        elif name is not None:
            value.append(line)
    if name is not None:
        props.append((name, "\n".join(value).strip()))
    return props
