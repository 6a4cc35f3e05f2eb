"""Progress as one line per step on stderr, for the long stages (``train``, ``fetch``).

``JAK1_Ki (1/11): cross-validation fold 3/5 ... 12 s``. On a terminal a step's text shows
when it starts and its time is added when it ends, so a slow step is never silent; into a
file or pipe (with ``-v``) each line is written whole when the step ends. A disabled
:class:`StepLog` prints nothing, so library code can always call it.
"""

from __future__ import annotations

import sys
import time

__all__ = ["StepLog"]


class StepLog:
    """Per-step progress lines.

    Parameters
    ----------
    enabled : bool, default False
        Print anything at all (the CLI enables it on a terminal, or with ``-v``).
    stream : file, optional
        Where to write (default ``sys.stderr`` at the time of each write).

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> steps = StepLog(enabled=True, stream=out)
    >>> steps.start("JAK1_Ki: fold 1/5")
    >>> steps.end()
    >>> out.getvalue().startswith("JAK1_Ki: fold 1/5 ... ")
    True
    """

    def __init__(self, enabled: bool = False, stream=None):
        self.enabled = enabled
        self._stream = stream
        self._open: tuple[str, float] | None = None

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stderr

    def _live(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def start(self, text: str) -> None:
        """End the open step (if any) and open this one."""
        self.end()
        if not self.enabled:
            return
        self._open = (text, time.perf_counter())
        if self._live():
            print(f"{text} ...", end="", file=self.stream, flush=True)

    def end(self) -> None:
        """Close the open step, printing its time."""
        if self._open is None:
            return
        text, started = self._open
        self._open = None
        seconds = f"{time.perf_counter() - started:.0f} s"
        if self._live():
            print(f" {seconds}", file=self.stream, flush=True)
        else:
            print(f"{text} ... {seconds}", file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """A line of its own (a total, a skipped step), after closing the open step."""
        self.end()
        if self.enabled:
            print(text, file=self.stream, flush=True)
