"""Dependency-free progress reporting for the long phases of a run.

A :class:`Progress` receives phase events (``features``, ``blocking``, ``comparing``,
``training``, ``scoring``, ``clustering``, ``golden``) and either calls a user callback
``callback(phase, event, seconds)`` (``event`` is ``"start"`` or ``"done"``; ``seconds`` is the
phase's duration on ``"done"``, else ``0.0``) or writes one line per phase to a stream
(stderr by default). Library calls are silent unless asked
(``Resolver(progress=True)`` or a callback); the CLI shows progress when stderr is a terminal
and ``--quiet`` is not given.

>>> events = []
>>> p = Progress.make(lambda phase, event, s: events.append((phase, event)))
>>> with p.phase("blocking"):
...     pass
>>> events
[('blocking', 'start'), ('blocking', 'done')]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Progress", "ProgressCallback", "ProgressOption"]

ProgressCallback = Callable[[str, str, float], None]
#: What ``Resolver(progress=...)`` accepts: off, on (stderr), or a callback.
ProgressOption = bool | ProgressCallback | None


class Progress:
    """Phase timer that reports to a callback or a text stream (or nowhere)."""

    def __init__(
        self,
        callback: ProgressCallback | None = None,
        *,
        stream: TextIO | None = None,
        enabled: bool = True,
        prefix: str = "crmresolve",
    ) -> None:
        self.callback = callback
        self.stream = stream
        self.enabled = enabled
        self.prefix = prefix
        self.timings: dict[str, float] = {}

    @classmethod
    def make(cls, option: ProgressOption) -> Progress:
        """From a ``progress=`` option: ``None``/``False`` silent, ``True`` stderr, a callable."""
        if option is None or option is False:
            return cls(enabled=False)
        if option is True:
            return cls(stream=sys.stderr)
        if callable(option):
            return cls(option)
        raise TypeError("progress must be a bool or a callable(phase, event, seconds)")

    @classmethod
    def for_terminal(cls, *, quiet: bool = False, stream: TextIO | None = None) -> Progress:
        """Shown on ``stream`` (default stderr) only when it is a terminal and not ``quiet``."""
        out = stream if stream is not None else sys.stderr
        tty = bool(getattr(out, "isatty", lambda: False)())
        return cls(stream=out, enabled=tty and not quiet)

    def _emit(self, phase: str, event: str, seconds: float) -> None:
        if not self.enabled:
            return
        if self.callback is not None:
            self.callback(phase, event, seconds)
            return
        out = self.stream if self.stream is not None else sys.stderr
        if event == "start":
            out.write(f"{self.prefix}: {phase} ...")
        else:
            out.write(f" {seconds:.1f}s\n")
        out.flush()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time one phase and report its start and end."""
        self._emit(name, "start", 0.0)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - t0
            self.timings[name] = self.timings.get(name, 0.0) + elapsed
            self._emit(name, "done", elapsed)
