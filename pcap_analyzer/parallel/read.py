"""The parallel read: ``pipeline.read_flows`` on an engine (``engine``), with the same result.

plan the segments -> one task per segment (flows, tail keys, seen keys; the key index stays on its worker) ->
the keys a boundary cut (``stitch.linked_keys``) -> their packets cut out where each index is (``segment.select``)
-> one replay of them here -> every segment's other flows + the replayed ones, sorted by (start time, uid) as the
serial read sorts them.  The captures' SHA-256s are tasks too.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..capture import digest
from ..config import Config
from ..errors import InputError
from ..model import CaptureInfo, Flow
from . import codec, plan, sources, stitch
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
    names = [str(c) for c in captures]
    for name in names:
        if sources.is_url(name):
            sources.check(name)
    segments = plan.plan(names, cfg, session.workers if session is not None else 1)
    if session is None or (session.options.scheduler is None and (
            len(segments) < 2 or plan.input_bytes(names) < cfg.parallel.cluster_min_bytes)):
        return read_on(Inline(), names, segments, cfg, progress)  # too little to read to gain from a cluster
    return read_on(session.dask, names, segments, cfg, progress)


def read_on(eng: Inline | Dask, names: list[str], segments: list[plan.Segment], cfg: Config,
            progress: Progress | None = None) -> tuple[list[CaptureInfo], list[Flow]]:
    """Read ``segments`` of the captures ``names`` on ``eng``."""
    tasks = [eng.submit(read_segment, seg, cfg) for seg in segments]
    digests = [eng.submit(sha256_of, name) for name in names]  # after the reads: they wait on no digest
    parts = [eng.split(t, 2) for t in tasks]
    results: list[SegmentResult] = eng.gather([p[0] for p in parts])
    eng.release(tasks)
    indexes = [p[1] for p in parts]
    if progress is not None:
        read = [0] * len(names)
        for r in results:
            read[r.segment.capture] += r.info.packets
            progress(r.info.path, read[r.segment.capture])
    hashes, cids = stitch.linked_keys(results)
    flows: list[Flow] = []
    for r in results:
        kept = r.flows if not cids else r.flows.filter(_not_in(r.flows, cids))
        flows += codec.from_arrow(kept)
    if cids:
        wanted = [hashes[np.isin(hashes, r.seen)] for r in results]
        picks = [eng.submit(select, ix, cfg, w) for ix, w in zip(indexes, wanted) if len(w)]
        got = iter(eng.gather(picks))
        flows += stitch.replay(results, [next(got) if len(w) else {} for w in wanted], cids, cfg)
    eng.release(indexes)
    flows.sort(key=lambda f: (f.ts, f.uid))
    return infos(names, results, eng.gather(digests)), flows


def _not_in(table, cids: set[str]):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.invert(pc.is_in(table.column("community_id"), value_set=pa.array(sorted(cids), type=pa.string())))


def infos(names: list[str], results: list[SegmentResult], digests: list[str]) -> list[CaptureInfo]:
    """One CaptureInfo per capture, its ranges' merged."""
    out = []
    for i, (name, sha) in enumerate(zip(names, digests)):
        info = plan.merge_infos([r.info for r in results if r.segment.capture == i])
        info.path, info.sha256 = name, sha
        out.append(info)
    return out
