"""Where tasks run: a Dask client on an embedded LocalCluster (``--workers N``: N worker processes, one thread
each) or on a real scheduler (``--scheduler ADDRESS``), or plain calls in this process (``Inline``: one worker, no
Dask imported).  The reader submits the same tasks to all three."""
from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
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


class Session:
    """The engine of one analysis for ``options``: the Dask client is made on first use (``dask``), so a run that
    finds one segment to read starts no cluster, and closed when the analysis ends."""

    def __init__(self, options: Options, cfg: Config, stack: ExitStack) -> None:
        self.options, self.cfg, self._stack = options, cfg, stack
        self._dask: Dask | None = None

    @property
    def dask(self) -> Dask:
        if self._dask is None:
            self._dask = Dask(self._stack.enter_context(client(self.options, self.cfg)))
        return self._dask

    @property
    def workers(self) -> int:
        return self.dask.workers if self.options.scheduler is not None else self.options.workers


@contextmanager
def session(options: Options | None, cfg: Config) -> Iterator[Session | None]:
    """A Session for ``options`` with workers or a scheduler; None for the serial run."""
    if options is None or not options.distributed:
        yield None
        return
    # the cluster's own warnings (sockets it leaves to the collector, its modules' notices) are no finding: kept out
    # of the report's notes, which record the analysis' warnings (the analysis restores the filters at its end)
    warnings.filterwarnings("ignore", category=ResourceWarning)
    warnings.filterwarnings("ignore", module=r"(dask|distributed|tornado|bokeh)(\.|$)")
    with ExitStack() as stack:
        yield Session(options, cfg, stack)


@contextmanager
def client(options: Options, cfg: Config) -> Iterator[Any]:
    """A dask.distributed Client of a LocalCluster of ``options.workers`` processes, or of ``options.scheduler``;
    an unreachable scheduler is one InputError."""
    import dask
    import logging

    from distributed import Client, LocalCluster

    settings = cfg.parallel
    timeout = settings.connect_timeout
    with dask.config.set({"distributed.worker.multiprocessing-method": settings.start_method,
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
