"""Bounded payload retention (``Retained``): per flow side, the first ``sample_bytes`` of TCP payload (one piece per
chunk, copied once from the capture) or the first datagrams of other protocols (ICMP messages with their header), and
per flow the datagrams' (time, from originator); kept per slot until the flow is handed out (``flows.records``).

Past that head, a sample of the rest of the flow's life (``later``): the payload packets after the head are numbered
per flow side (1, 2, 3 ...), and the first ``later_sample_bytes`` of those whose number is a multiple of a stride are
kept, the stride being the smallest power of two that leaves at most ``later_samples`` of them: when a side's count
outgrows it, the stride doubles and every other kept piece is dropped. The pieces are spread evenly over the flow's
packets after the head whatever its length, memory stays bounded per flow side, and the result does not depend on
how the capture is cut into chunks (the kept numbers depend only on the final count)."""
from __future__ import annotations

import itertools
import mmap
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..community_id import ICMP, ICMP6
from .chunk import Chunk, slot_sides
from .columns import Counters
from .grouping import run_bounds, run_starts
from .icmp import ICMP_HDR
from .protocol import RST, TCP


@dataclass(slots=True)
class LaterSample:
    """One flow side's sample past the head: the kept pieces' numbers (payload packets past the head, 1-based) and
    lengths, their bytes joined one blob per chunk."""

    numbers: list[int]
    lengths: list[int]
    blobs: list[bytes]

    def prune(self, stride: int) -> None:
        """Keep only the pieces whose number is a multiple of ``stride``."""
        data = b"".join(self.blobs)
        numbers, lengths, parts, at = [], [], [], 0
        for n, size in zip(self.numbers, self.lengths):
            if n % stride == 0:
                numbers.append(n)
                lengths.append(size)
                parts.append(data[at: at + size])
            at += size
        self.numbers, self.lengths, self.blobs = numbers, lengths, [b"".join(parts)]

    def data(self) -> bytes:
        return b"".join(self.blobs)


class Retained:
    """What is kept of the flows' payload, per slot * 2 + key side (samples, datagrams) or per slot (datagram times);
    the room left per flow side is the ``room`` column of the flows' Counters."""

    def __init__(self) -> None:
        # TCP payload pieces (one per chunk) and retained datagrams per slot * 2 + key side, datagram (time, from
        # originator) per slot
        self.samples: dict[int, list[bytes]] = {}
        self.datagrams: dict[int, list[bytes]] = {}
        self.datagram_ts: dict[int, list[tuple[float, bool]]] = {}
        # per slot * 2 + key side: the sample of the payload past the head
        self.later: dict[int, LaterSample] = {}

    def add(self, c: Chunk, cols: Counters, later_samples: int = 0, later_bytes: int = 0) -> None:
        """Bounded payload: TCP first sample_bytes per side, other protocols first datagrams per side; then at most
        ``later_samples`` pieces of ``later_bytes`` spread over the rest of each side's payload packets."""
        tcp = c.proto == TCP
        eligible = np.where(tcp, (c.payload_len > 0) & ~c.rxmit & ((c.flags & RST) == 0), True)
        head = self._add_head(c, cols, tcp, eligible)
        if later_samples > 0 and later_bytes > 0:
            later = eligible & (c.payload_len > 0)
            if head is not None:
                later[head] = False
            self._add_later(c, cols, np.flatnonzero(later), later_samples, later_bytes)

    def _add_head(self, c: Chunk, cols: Counters, tcp: np.ndarray, eligible: np.ndarray) -> np.ndarray | None:
        """The head: positions kept (whole or cut), None when none."""
        room = cols.room[c.slots].reshape(-1)
        ss = c.seg_side
        cand = np.flatnonzero((room[ss] > 0) & eligible)
        if cand.shape[0] == 0:
            return None
        # amount used before each candidate within its (flow, side): payload bytes for TCP, datagrams otherwise
        order = c.by_flow_side(cand)
        cost_o = np.where(tcp[order], c.payload_len[order], 1)
        cum = np.cumsum(cost_o)
        oss = ss[order]
        starts_idx = np.flatnonzero(run_starts(oss))
        before = cum - cost_o - np.repeat(cum[starts_idx] - cost_o[starts_idx],
                                          np.diff(np.append(starts_idx, order.shape[0])))
        kept = before < room[oss]
        take = np.minimum(cost_o, room[oss] - before)
        used = np.bincount(oss[kept], weights=take[kept], minlength=room.shape[0]).astype(np.int64)
        cols.room[c.slots] -= used.reshape(-1, 2)  # distinct flows
        sample = kept & tcp[order]
        self._add_samples(c, order[sample], take[sample])
        self._add_datagrams(c, np.sort(order[kept & ~tcp[order]]))
        return order[kept]

    def _add_later(self, c: Chunk, cols: Counters, pos: np.ndarray, limit: int, piece: int) -> None:
        """Number the payload packets ``pos`` past the head per flow side, keep the pieces whose number is a multiple
        of the side's stride (``later_stride``) and drop the kept pieces a grown stride no longer covers; one joined
        copy per flow side and chunk."""
        if pos.shape[0] == 0:
            return
        order = c.by_flow_side(pos)
        first, ends = run_bounds(c.seg_side[order])  # runs of one flow side, capture order inside
        sizes = ends - first
        run_keys = slot_sides(c, order[first])
        flat = cols.later_n.reshape(-1)
        before = flat[run_keys]
        after = before + sizes
        flat[run_keys] = after
        stride_now = later_stride(after, limit)
        # number past the head of every packet: its rank in the run + the side's count before this chunk + 1
        number = np.arange(order.shape[0], dtype=np.int64) + np.repeat(before - first + 1, sizes)
        keep = (number & np.repeat(stride_now - 1, sizes)) == 0  # strides are powers of two
        store = self.later
        grown = np.flatnonzero(stride_now > later_stride(before, limit))
        for key, stride in zip(run_keys[grown].tolist(), stride_now[grown].tolist()):
            got = store.get(key)
            if got is not None:
                got.prune(stride)
        if not keep.any():
            return
        kept = order[keep]
        kkeys = slot_sides(c, kept)
        start = c.batch.payload_off[c.srows[kept]]
        length = np.minimum(c.payload_len[kept], piece)
        mv = memoryview(c.batch.data).cast("B")
        views = [mv[a:b] for a, b in zip(start.tolist(), (start + length).tolist())]
        numbers, lengths = number[keep].tolist(), length.tolist()
        kfirst, kends = run_bounds(kkeys)
        for key, a, b in zip(kkeys[kfirst].tolist(), kfirst.tolist(), kends.tolist()):
            blob = b"".join(views[a:b])
            got = store.get(key)
            if got is None:
                store[key] = LaterSample(numbers[a:b], lengths[a:b], [blob])
            else:
                got.numbers += numbers[a:b]
                got.lengths += lengths[a:b]
                got.blobs.append(blob)

    def _add_samples(self, c: Chunk, pos: np.ndarray, take: np.ndarray) -> None:
        """Append the first ``take`` payload bytes of TCP packets ``pos`` (grouped by flow side, capture order inside)
        to their flow side's sample: one piece per flow side and chunk, copied once from the capture."""
        mv = memoryview(c.batch.data).cast("B")
        start = c.batch.payload_off[c.srows[pos]]
        views = [mv[a:b] for a, b in zip(start.tolist(), (start + take).tolist())]
        keys = slot_sides(c, pos)
        first, ends = run_bounds(keys)
        pieces = [[b"".join(views[a:b])] for a, b in zip(first.tolist(), ends.tolist())]  # one copy per flow side
        _extend_stored(self.samples, keys[first], c.continued[c.seg[pos[first]]], pieces)

    def _add_datagrams(self, c: Chunk, pos: np.ndarray) -> None:
        """Keep whole datagrams (ICMP messages with their header) of ``pos`` (in position order: by flow, then
        capture order) per flow side, and their times and directions per flow."""
        if pos.shape[0] == 0:
            return
        seg = c.seg[pos]
        stamps = list(zip(c.ts[pos].tolist(), (c.side[pos] == c.seg_orig[seg]).tolist()))  # (time, from originator)
        first, ends = run_bounds(seg)
        _extend_stored(self.datagram_ts, c.slots[seg[first]], c.continued[seg[first]],
                       [stamps[a:b] for a, b in zip(first.tolist(), ends.tolist())])
        pos = c.by_flow_side(pos)
        b = c.batch
        rows = c.srows[pos]
        start = b.payload_off[rows] - np.isin(c.proto[pos], (ICMP, ICMP6)) * ICMP_HDR
        end = b.payload_off[rows] + b.payload_len[rows]
        blobs = list(map(_byte_source(b.data).__getitem__, map(slice, start.tolist(), end.tolist())))
        keys = slot_sides(c, pos)
        first, ends = run_bounds(keys)
        _extend_stored(self.datagrams, keys[first], c.continued[c.seg[pos[first]]],
                       [blobs[a:b] for a, b in zip(first.tolist(), ends.tolist())])


def _extend_stored(store: dict[int, list[Any]], keys: np.ndarray, old: np.ndarray, values: list[list[Any]]) -> None:
    """``store[keys[i]]`` extended by the new list ``values[i]``; ``old``: the key's flow existed before this chunk
    (the keys of flows new in the chunk are not in ``store`` yet: their lists are stored as they are)."""
    new = ~old
    store.update(zip(keys[new].tolist(), itertools.compress(values, new.tolist())))
    for k, more in zip(keys[old].tolist(), itertools.compress(values, old.tolist())):
        got = store.get(k)
        if got is None:
            store[k] = more
        else:
            got.extend(more)


class _BytesOf:
    """Slices of a buffer as bytes."""

    def __init__(self, data: Any) -> None:
        self.view = memoryview(data).cast("B")

    def __getitem__(self, span: slice) -> bytes:
        return bytes(self.view[span])


def _byte_source(data: Any) -> Any:
    """What to slice for payload bytes at ``payload_off`` offsets: the mapped file itself when ``data`` is the
    reader's whole-file array over it (an mmap slice is bytes in one step), ``data`` when it is bytes."""
    if isinstance(data, bytes):
        return data
    base = getattr(data, "base", None)  # np.frombuffer(mmap): a memoryview of the mmap
    owner = base.obj if isinstance(base, memoryview) else base
    if isinstance(owner, mmap.mmap) and getattr(data, "nbytes", -1) == len(owner):  # the whole map, from byte 0
        return owner
    return _BytesOf(data)


def later_stride(count: np.ndarray, limit: int) -> np.ndarray:
    """Smallest power of two s with count // s <= limit (1 while count <= limit)."""
    need = np.maximum(count // (limit + 1), 0)  # s must exceed this
    return np.where(need == 0, 1, np.left_shift(1, np.floor(np.log2(np.maximum(need, 1))).astype(np.int64) + 1))
