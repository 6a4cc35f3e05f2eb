"""Open a library file as text: gzip found by its content, UTF-8 with a Latin-1 fallback,
and a damaged gzip that ends the stream instead of raising."""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from pathlib import Path
from typing import IO

from ..errors import InputFileError

__all__ = ["open_text"]


class _DamageStop(io.RawIOBase):
    """A binary stream that ends, instead of raising, where a gzip file is damaged.

    ``damage`` then holds the one-line reason; the reader turns it into an ``error``
    row, so the records before the damage are scored and a resumed run reads the
    same records again.
    """

    def __init__(self, stream, owns: bool = True):
        self._stream, self.damage, self._owns = stream, "", owns

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.damage:
            return 0
        try:
            data = self._stream.read1(len(buffer))  # read1: nothing decoded before the damage is lost
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
            self.damage = f"the file is damaged here ({type(exc).__name__}: {exc or 'truncated'})"
            return 0
        buffer[:len(data)] = data
        return len(data)

    def close(self):
        if self._owns:
            self._stream.close()
        super().close()


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    """Bytes that are not UTF-8 are read as Latin-1 (vendor files from Windows tools), wherever they are."""
    assert isinstance(error, UnicodeDecodeError)  # registered for decoding only
    return error.object[error.start:error.end].decode("latin-1"), error.end


def open_text(path: Path, opened=None) -> tuple[IO[str], _DamageStop]:
    """Open a text file, gunzipping by content, after checking it is text at all.

    UTF-8 with or without a byte-order mark; bytes that are not UTF-8 are read as Latin-1
    the same way at any place in the file.
    """
    if not path.exists():
        raise InputFileError(f"library file {path} does not exist; check the path")
    if path.is_dir():
        raise InputFileError(f"{path} is a folder; give a library file (SDF, SMILES or CSV)")
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    binary = gzip.open(path, "rb") if gzipped else open(path, "rb")
    probe = io.BufferedReader(_DamageStop(binary, owns=False), 8192)
    head = probe.read(8192)  # a file damaged within its first 8 KB still gives what comes before
    if not head and probe.raw.damage:
        binary.close()
        raise InputFileError(f"{path} is not a readable gzip file: {probe.raw.damage}")
    probe.close()
    if b"\x00" in head:
        binary.close()
        raise InputFileError(f"{path} is binary, not a chemistry text file; expected SDF, SMILES or CSV")
    binary.seek(0)
    if opened is not None:
        opened(getattr(binary, "fileobj", binary))  # the file on disk: its position is the compressed bytes read
    codecs.register_error("screenkit-latin1", _latin1_fallback)
    stream = _DamageStop(binary)
    return io.TextIOWrapper(io.BufferedReader(stream, 1 << 16), encoding="utf-8-sig", errors="screenkit-latin1",
                            newline=""), stream
