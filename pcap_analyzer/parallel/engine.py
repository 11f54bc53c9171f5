"""Where tasks run: a Dask client on an embedded LocalCluster (``--workers N``: N worker processes, one thread
each) or on a real scheduler (``--scheduler ADDRESS``), or plain calls in this process (``Inline``: one worker, no
Dask imported).  The reader submits the same tasks to all three."""
from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..config import Config
from ..errors import InputError


@dataclass(frozen=True, slots=True)
class Options:
    """--workers and --scheduler."""

    workers: int = 1
    scheduler: str | None = None

    @property
    def distributed(self) -> bool:
        return self.workers > 1 or self.scheduler is not None


class Done:
    """A finished call of ``Inline`` (what a Dask future is once it is done)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


class Inline:
    """Tasks as plain calls, in this process, in submission order."""

    workers = 1

    def submit(self, fn: Callable[..., Any], *args: Any) -> Done:
        return Done(fn(*(a.value if isinstance(a, Done) else a for a in args)))

    def gather(self, futures: list[Any]) -> list[Any]:
        return [f.value for f in futures]

    def split(self, future: Done, n: int) -> list[Done]:
        return [Done(v) for v in future.value]

    def release(self, futures: list[Any]) -> None:
        pass


class Dask:
    """Tasks on a dask.distributed Client: results stay on the workers until gathered."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(sum(client.nthreads().values()), 1)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def gather(self, futures: list[Any]) -> list[Any]:
        return self.client.gather(futures)

    def split(self, future: Any, n: int) -> list[Any]:
        """The parts of a task's tuple result as futures of their own (the parts stay where the task ran)."""
        return [self.client.submit(operator.getitem, future, i, pure=False) for i in range(n)]

    def release(self, futures: list[Any]) -> None:
        for f in futures:
            f.release()


@contextmanager
def engine(options: Options, cfg: Config) -> Iterator[Inline | Dask]:
    """The engine of ``options``: Inline for one local worker, else a Dask client (closed on the way out)."""
    if not options.distributed:
        yield Inline()
        return
    with client(options, cfg) as c:
        yield Dask(c)


@contextmanager
def client(options: Options, cfg: Config) -> Iterator[Any]:
    """A dask.distributed Client of a LocalCluster of ``options.workers`` processes, or of ``options.scheduler``;
    an unreachable scheduler is one InputError."""
    import dask
    import logging

    from distributed import Client, LocalCluster

    settings = cfg["parallel"]
    timeout = float(settings["connect_timeout"])
    with dask.config.set({"distributed.worker.multiprocessing-method": str(settings["start_method"]),
                          "distributed.comm.timeouts.connect": f"{timeout}s",
                          "distributed.admin.system-monitor.gil.enabled": False}):
        if options.scheduler is not None:
            try:
                c = Client(options.scheduler, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(f"--scheduler {options.scheduler}: cannot connect ({exc})") from None
            with c:
                yield c
            return
        cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, memory_limit=0, silence_logs=logging.ERROR)
        with cluster, Client(cluster, set_as_default=False) as c:
            yield c
