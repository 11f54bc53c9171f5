"""Ctrl-C (SIGINT) and SIGTERM end a run with one line and exit code 2, never a traceback, and never leave a
temporary file behind.

Two phases.  While the program starts (the imports of numpy and friends take a few hundred milliseconds) nothing
needs cleaning up, so ``exit_quietly`` makes either signal print the line and leave at once.  Once the command runs,
``raise_on_signals`` turns SIGINT into KeyboardInterrupt and SIGTERM into ``Terminated``: both unwind the stack, so
every ``finally`` (the gzip temporary file, atomic.write_all's partial reports, Suricata's work directory) runs
before ``cli.main`` prints the line.  Only the standard library is imported here.
"""
from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import Any

PROG = "fallback-hunt"
EXIT_ERROR = 2


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, like KeyboardInterrupt: no ``except Exception`` swallows it)."""


def _name(signum: int) -> str:
    return "interrupted" if signum == signal.SIGINT else "terminated"


def _exit_now(signum: int, _frame: FrameType | None) -> None:
    try:
        os.write(sys.stderr.fileno(), f"{PROG}: error: {_name(signum)}\n".encode())
    except (OSError, ValueError):
        pass
    os._exit(EXIT_ERROR)


def _raise(signum: int, _frame: FrameType | None) -> None:
    for other in (signal.SIGINT, signal.SIGTERM):  # a second signal must not interrupt the cleanups
        signal.signal(other, signal.SIG_IGN)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated


def exit_quietly() -> None:
    """Until ``raise_on_signals``: SIGINT / SIGTERM print one line and exit 2 at once (nothing to clean up yet)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_now)


Handlers = dict[int, Any]


def raise_on_signals() -> Handlers:
    """From now on SIGINT raises KeyboardInterrupt and SIGTERM raises Terminated (so cleanups run); further
    signals are ignored while they do.  Returns the handlers before, for ``restore``."""
    return {signum: signal.signal(signum, _raise) for signum in (signal.SIGINT, signal.SIGTERM)}


def restore(handlers: Handlers) -> None:
    for signum, handler in handlers.items():
        signal.signal(signum, handler)
