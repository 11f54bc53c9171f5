"""The parallel read: ``pipeline.read_flows`` on an engine (``engine``), with the same result.

plan the segments -> one task per segment (flows, tail keys, seen keys; the key index stays on its worker) ->
the keys a boundary cut (``stitch.linked_keys``) -> their packets cut out where each index is (``segment.select``)
-> one replay of them here -> every segment's other flows + the replayed ones, sorted by (start time, uid) as the
serial read sorts them.  The captures' SHA-256s are tasks too.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..capture import digest
from ..config import Config
from ..errors import InputError
from ..model import CaptureInfo, Flow, capture_order
from ..homenet import HomeNet
from ..readcaps import read_serial
from . import partition, plan, sources, stitch
from .engine import Dask, Inline, Session
from .segment import SegmentResult, read_segment, select

Progress = Callable[[str, int], None]


def sha256_of(source: str) -> str:
    """The SHA-256 of a capture given by path or URL."""
    with sources.fetched(source) as path:
        try:
            return digest.file_sha256(path)
        except OSError as exc:
            raise InputError(f"{source}: cannot read for its SHA-256: {exc.strerror or exc}") from None


def read_flows(captures: Sequence[str | Path], cfg: Config, session: Session | None,
               progress: Progress | None = None) -> tuple[list[CaptureInfo], list[Flow]]:
    """``pipeline.read_flows`` on the session's workers or scheduler (in this process without one: captures given
    by URL): one CaptureInfo per capture; the annotated flows sorted by start time.  The embedded cluster starts
    only when there is more than one segment and at least ``[parallel] cluster_min_bytes`` to read."""
    names = checked(captures)
    if session is not None and partition.usable(names, cfg, session.workers):
        if too_small(names, cfg, session):
            return read_serial([Path(n) for n in names], cfg, progress)
        return read_partitioned(session, names, cfg, progress)
    segments = plan.plan(names, cfg, session.workers if session is not None else 1)
    return read_on(engine_for(names, segments, cfg, session) or Inline(), names, segments, cfg, progress)


def read_partitioned(session: Session, names: list[str], cfg: Config, progress: Progress | None = None
                     ) -> tuple[list[CaptureInfo], list[Flow]]:
    """Read the captures by host partitions (``partition``), one per worker: every flow comes back here."""
    with hashing_here(names) as hashed:  # while the cluster starts, if it is still starting
        eng = session.dask
        got = partition.read_partitions(eng, names, cfg, HomeNet(cfg.home_net.cidrs), session.workers, progress,
                                        hashed)
        flows = gathered(eng, got)
        return got.infos(eng), flows


def checked(captures: Sequence[str | Path]) -> list[str]:
    """The captures' names; a URL that names nothing readable fails here, before any task runs."""
    names = [str(c) for c in captures]
    for name in names:
        if sources.is_url(name):
            sources.check(name)
    return names


def too_small(names: list[str], cfg: Config, session: Session) -> bool:
    """Too little to read to gain from the embedded cluster: under ``[parallel] cluster_min_bytes`` (a --scheduler
    always reads on its cluster)."""
    return session.options.scheduler is None and plan.input_bytes(names) < cfg.parallel.cluster_min_bytes


def engine_for(names: list[str], segments: list[plan.Segment], cfg: Config, session: Session | None) -> Dask | None:
    """The session's cluster, or None when there is none or too little to read to gain from one: more than one
    segment and at least ``[parallel] cluster_min_bytes`` (a --scheduler always reads on its cluster)."""
    if session is None or too_small(names, cfg, session) or (session.options.scheduler is None and len(segments) < 2):
        return None
    return session.dask


def read_on(eng: Inline | Dask, names: list[str], segments: list[plan.Segment], cfg: Config,
            progress: Progress | None = None) -> tuple[list[CaptureInfo], list[Flow]]:
    """Read ``segments`` of the captures ``names`` on ``eng``: every flow comes back here."""
    with hashing_here(names) as hashed:
        got = read_segments(eng, names, segments, cfg, progress, hashed)
        flows = gathered(eng, got)
        return got.infos(eng), flows


def gathered(eng: Inline | Dask, got: Segments | partition.Partitions) -> list[Flow]:
    """Every flow of the segments or partitions read (``got``), here, sorted by start time: each one's flows but
    those of the keys a boundary cut, and those keys' flows made again here (``replayed``)."""
    flows = list(got.replayed)
    for batch in eng.gather(got.flows):
        flows += [f for f in batch.flows if f.community_id not in got.cids] if got.cids else batch.flows
    eng.release(got.flows)
    flows.sort(key=capture_order)
    return flows


@contextmanager
def hashing_here(names: list[str]) -> Iterator[list[Future[str] | None]]:
    """The SHA-256 of each capture that is a file here, on a thread of this process (``digest.hashing``: it waits
    for the disk and releases the GIL, so it costs no worker time); None for the others (a task hashes them)."""
    here = [sources.local_path(name) for name in names]
    here = [p if p is not None and p.is_file() else None for p in here]
    with digest.hashing([p for p in here if p is not None]) as started:
        futures = iter(started)
        yield [next(futures) if p is not None else None for p in here]


@dataclass
class Segments:
    """The segments read: what each told the client (``results``), its flows (futures of ``codec.FlowBatch``, left
    where they were made: on the workers ``at``), the Community IDs of the keys a boundary cut (their flows are
    dropped from every segment's) and those keys' flows made again here (``replayed``); the captures' SHA-256s
    (futures)."""

    names: list[str]
    results: list[SegmentResult]
    flows: list[Any]
    at: list[Any]
    cids: set[str]
    replayed: list[Flow]
    digests: list[Any]

    @property
    def flow_count(self) -> int:
        return sum(r.flows for r in self.results) + len(self.replayed)

    def infos(self, eng: Inline | Dask) -> list[CaptureInfo]:
        """One CaptureInfo per capture."""
        tasks = iter(eng.gather([d for d in self.digests if not isinstance(d, Future)]))
        return infos(self.names, self.results, [digest.result(d, name) if isinstance(d, Future) else next(tasks)
                                                for d, name in zip(self.digests, self.names)])


def read_segments(eng: Inline | Dask, names: list[str], segments: list[plan.Segment], cfg: Config,
                  progress: Progress | None, hashed: list[Future[str] | None]) -> Segments:
    """One task per segment (its flows stay where it ran); the keys a boundary cut replayed here; the SHA-256 of
    the captures not ``hashed`` here, as tasks."""
    tasks = [eng.submit(read_segment, seg, cfg) for seg in segments]
    # after the reads: they wait on no digest
    digests = [eng.submit(sha256_of, name) if h is None else h for name, h in zip(names, hashed)]
    parts = eng.split(tasks, 3)
    results: list[SegmentResult] = eng.gather([p[0] for p in parts])
    at = eng.where(tasks)
    eng.release(tasks)
    indexes = [p[2] for p in parts]
    if progress is not None:
        read = [0] * len(names)
        for r in results:
            read[r.segment.capture] += r.info.packets
            progress(r.info.path, read[r.segment.capture])
    hashes, cids = stitch.linked_keys(results)
    replayed: list[Flow] = []
    if cids:
        wanted = [hashes[np.isin(hashes, r.seen)] for r in results]
        picks = [eng.submit(select, ix, cfg, w) for ix, w in zip(indexes, wanted) if len(w)]
        got = iter(eng.gather(picks))
        replayed = stitch.replay(results, [next(got) if len(w) else {} for w in wanted], cids, cfg)
    eng.release(indexes)
    return Segments(names, results, [p[1] for p in parts], at, cids, replayed, digests)


def infos(names: list[str], results: list[SegmentResult], digests: list[str]) -> list[CaptureInfo]:
    """One CaptureInfo per capture, its ranges' merged."""
    out = []
    for i, (name, sha) in enumerate(zip(names, digests)):
        info = plan.merge_infos([r.info for r in results if r.segment.capture == i])
        info.path, info.sha256 = name, sha
        out.append(info)
    return out
