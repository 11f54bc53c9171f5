"""Flows a segment boundary may have cut, put back together exactly as the serial read makes them.

A key is *linked* when a segment ended with a flow of it still open and a later segment saw it again (its packets,
or an ICMP error quoting it).  Every other key's flows are exactly the serial read's: until a linked key shows up
the serial flow table held nothing of it at the segment's start, each segment reads the serial read's own chunks
and drains at the same times, and no flow depends on another key's packets but for the ICMP errors quoting it.
The flows of the linked keys are dropped from every segment and made again: all their packets (with the ICMP
errors quoting them), cut out of each segment by ``segment.select`` on the worker that holds its index, go
through one flow table, chunk by chunk in the serial order, drained at each chunk's time; then annotated.
"""
from __future__ import annotations

import numpy as np

from ..measures.annotate import annotate
from ..config import Config
from ..flows import FlowTable
from ..model import Flow, PacketBatch
from .segment import SegmentResult


def linked_keys(results: list[SegmentResult]) -> tuple[np.ndarray, set[str]]:
    """(hashes, Community IDs) of the keys open at the end of a segment and seen by a later one."""
    carried: dict[int, str] = {}
    linked: dict[int, str] = {}
    for r in results:
        if carried:
            open_before = np.fromiter(carried, dtype=np.uint64, count=len(carried))
            for h in open_before[np.isin(open_before, r.seen)].tolist():
                linked[h] = carried[h]
        carried.update(zip(r.tail_hashes.tolist(), r.tail_cids))
    return np.fromiter(linked, dtype=np.uint64, count=len(linked)), set(linked.values())


def replay(results: list[SegmentResult], parts: list[dict[int, PacketBatch]], cids: set[str], cfg: Config
           ) -> list[Flow]:
    """The flows of the linked keys (``cids``) from their packets ``parts`` (per segment: chunk number -> batch),
    annotated as the serial read annotates them."""
    stream = cfg.pipeline.stream
    table = FlowTable(cfg)
    made: list[Flow] = []
    for r, chunks in zip(results, parts):
        for n, now in enumerate(r.nows):
            if n in chunks:
                table.add(chunks[n])
            if stream:
                made += table.drain(now)
    made += table.finish()
    return annotate([f for f in made if f.community_id in cids], cfg, compact_after=stream)
