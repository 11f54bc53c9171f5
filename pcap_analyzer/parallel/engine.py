"""Where tasks run: a Dask client on an embedded LocalCluster (``--workers N``: N worker processes, one thread
each) or on a real scheduler (``--scheduler ADDRESS``), or plain calls in this process (``Inline``: one worker, no
Dask imported).  The reader submits the same tasks to all three."""
from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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

    def submit(self, fn: Callable[..., Any], *args: Any, near: Any = None) -> Done:
        return Done(fn(*(a.value if isinstance(a, Done) else a for a in args)))

    def where(self, futures: list[Any]) -> list[Any]:
        return [None] * len(futures)

    def slots(self) -> list[Any]:
        return [None]

    def gather(self, futures: list[Any]) -> list[Any]:
        return [f.value for f in futures]

    def split(self, futures: list[Done], n: int) -> list[list[Done]]:
        return [[Done(v) for v in f.value] for f in futures]

    def scatter(self, value: Any) -> Done:
        return Done(value)

    def release(self, futures: list[Any]) -> None:
        pass


class Dask:
    """Tasks on a dask.distributed Client: results stay on the workers until gathered."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(sum(client.nthreads().values()), 1)

    def submit(self, fn: Callable[..., Any], *args: Any, near: tuple[str, ...] | None = None) -> Any:
        """``fn(*args)`` as a task; ``near``: the workers to run it on while one of them is up (``where``)."""
        if not near:
            return self.client.submit(fn, *args, pure=False)
        return self.client.submit(fn, *args, pure=False, workers=list(near), allow_other_workers=True)

    def slots(self) -> list[str]:
        """A worker's address per thread it runs tasks on, worker by worker (in address order)."""
        threads = self.client.nthreads()
        return [w for w in sorted(threads) for _ in range(max(threads[w], 1))]

    def where(self, futures: list[Any]) -> list[tuple[str, ...]]:
        """The workers that hold each future's result (a task that reads it there moves nothing)."""
        held = self.client.who_has(futures)
        return [tuple(held.get(f.key, ())) for f in futures]

    def gather(self, futures: list[Any]) -> list[Any]:
        return self.client.gather(futures)

    def split(self, futures: list[Any], n: int) -> list[list[Any]]:
        """The ``n`` parts of each task's tuple result as futures of their own, once the tasks are done: each part
        is taken where its task ran (a free ``getitem`` is root-ish for the scheduler: it would run it anywhere,
        moving the whole result)."""
        for f in futures:
            f.exception()  # waits until it is done (a failure is raised by what gathers a part of it)
        return [[self.submit(operator.getitem, f, i, near=at) for i in range(n)]
                for f, at in zip(futures, self.where(futures))]

    def scatter(self, value: Any) -> Any:
        """``value`` sent once to every worker (for many tasks to read), as a future."""
        return self.client.scatter([value], broadcast=True, hash=False)[0]

    def release(self, futures: list[Any]) -> None:
        for f in futures:
            f.release()


class Session:
    """The engine of one analysis for ``options``: the Dask client is made on first use (``dask``), so a run that
    finds one segment to read starts no cluster, and closed when the analysis ends.  ``start_soon`` makes it on a
    thread meanwhile (importing Dask, starting the scheduler and the worker processes, or connecting to one), while
    this thread reads the other inputs and plans the segments."""

    def __init__(self, options: Options, cfg: Config, stack: ExitStack) -> None:
        self.options, self.cfg, self._stack = options, cfg, stack
        self._dask: Dask | None = None
        self._starting: Future[Dask] | None = None

    def start_soon(self) -> None:
        """Start making the client on a thread (the first ``dask`` waits for it)."""
        if self._dask is None and self._starting is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fallback-hunt-cluster")
            self._starting = pool.submit(self._make)
            pool.shutdown(wait=False)
            self._stack.callback(self._settle)  # closed after the client (the stack unwinds in reverse)

    @property
    def dask(self) -> Dask:
        if self._dask is None:
            self._dask = self._starting.result() if self._starting is not None else self._make()
        return self._dask

    @property
    def workers(self) -> int:
        return self.dask.workers if self.options.scheduler is not None else self.options.workers

    def _make(self) -> Dask:
        return Dask(self._stack.enter_context(client(self.options, self.cfg)))

    def _settle(self) -> None:
        """A client still being made when the analysis ends (it failed first) is waited for, then closed."""
        if self._starting is not None:
            self._starting.exception()


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
                          "distributed.admin.system-monitor.gil.enabled": False,
                          # the servers' own monitoring (psutil every 0.5 s, a tick every 20 ms, in each worker and
                          # three times in this process: scheduler and nannies): CPU taken from the analysis
                          "distributed.admin.system-monitor.interval": "60s",
                          "distributed.admin.system-monitor.disk": False,
                          "distributed.admin.tick.interval": "1s",
                          "distributed.worker.profile.enabled": False,  # its sampling thread: CPU and the GIL
                          # a task runs where its input is (``Dask.submit`` near): stolen, it would move a segment
                          "distributed.scheduler.work-stealing": False,
                          # the Facts broadcast to every worker for the detection: the memory manager would drop the
                          # copies no task waits for yet, and the workers would fetch them again
                          "distributed.scheduler.active-memory-manager.start": False}):
        if options.scheduler is not None:
            try:
                c = Client(options.scheduler, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(f"--scheduler {options.scheduler}: cannot connect ({exc})") from None
            with c:
                yield c
            return
        preload()
        with quiet_logs("distributed", "bokeh"):
            cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, memory_limit=0, silence_logs=logging.CRITICAL)
            with cluster, Client(cluster, set_as_default=False) as c:
                yield c


def preload() -> None:
    """Import here, before the embedded cluster forks its workers, what their tasks import on first use (the task
    modules; pandas, which pyarrow loads on its first conversion of Python values): once in this process, instead
    of once in every worker at the start of its first task."""
    import pyarrow as pa

    from . import codec, segment, stitch  # noqa: F401 - the tasks' heavy imports (dpkt with segment's slow path)

    pa.array([0])


@contextmanager
def quiet_logs(*names: str) -> Iterator[None]:
    """The embedded cluster's own logs are no output of the analysis (a failed task raises in it): its loggers make
    no record below CRITICAL while it runs, in this process and in the workers forked from it (which keep that level
    through their shutdown, where a heartbeat racing the scheduler's close would otherwise print a traceback on
    stderr). No record at all, rather than records no handler prints: a handler of the embedding program (a log
    file) would take them from the cluster's threads, and a worker forked while one held that file's lock would hang
    on its first record. Their own stream handlers print nothing below CRITICAL either (a child logger with a level
    of its own, such as ``distributed.client``, still makes records)."""
    import logging

    loggers = [logging.getLogger(name) for name in names]
    handlers = [h for logger in loggers for h in logger.handlers if isinstance(h, logging.StreamHandler)]
    quieted: list[logging.Logger | logging.Handler] = [*loggers, *handlers]
    levels = [q.level for q in quieted]
    for q in quieted:
        q.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for q, level in zip(quieted, levels):
            q.setLevel(level)
