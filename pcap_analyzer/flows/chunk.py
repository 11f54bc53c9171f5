"""A chunk of packets grouped by flow: canonical flow keys (ordered endpoints; ICMP type/code mapped to ports as Zeek
and Community ID do), one stable order that makes each key's packets contiguous in capture order, and the sorted
view of the batch (``Chunk``) the FlowTable steps work on."""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from ..community_id import ICMP, ICMP6
from ..model import PacketBatch
from .grouping import mask_at, mix, run_starts
from .icmp import COUNTERPART
from .protocol import FIN, PORTED, RST, SYN

KEY = struct.Struct("=7Q")  # a flow key as the open-flow dict's key: proto, a_hi, a_lo, b_hi, b_lo, pa, pb
KEY_BYTES = KEY.size


@dataclass(slots=True)
class Keys:
    """Canonical flow key columns of a chunk: endpoint A < endpoint B unless the flow is one-way ICMP."""

    a_hi: np.ndarray
    a_lo: np.ndarray
    b_hi: np.ndarray
    b_lo: np.ndarray
    pa: np.ndarray
    pb: np.ndarray
    proto: np.ndarray
    side: np.ndarray  # 0 when the packet's sender is endpoint A
    one_way: np.ndarray


def canonical_keys(b: PacketBatch, rows: np.ndarray) -> Keys:
    """Flow key of every selected row, vectorised (ICMP type/code become Zeek's port equivalents)."""
    proto = b.proto[rows]
    sp = b.sport[rows].astype(np.int32)
    dp = b.dport[rows].astype(np.int32)
    one_way = np.zeros(rows.shape[0], dtype=bool)
    for icmp in (ICMP, ICMP6):
        m = proto == icmp
        if m.any():
            cp = COUNTERPART[icmp][sp[m] & 0xFF]
            one_way[m] = cp < 0
            dp[m] = np.where(cp < 0, dp[m], cp)
    ported = np.isin(proto, (*PORTED, ICMP, ICMP6))
    sp[~ported] = 0
    dp[~ported] = 0
    s_hi, s_lo, d_hi, d_lo = b.src_hi[rows], b.src_lo[rows], b.dst_hi[rows], b.dst_lo[rows]
    swap = ~one_way & _lexi_gt(s_hi, s_lo, sp, d_hi, d_lo, dp)
    return Keys(np.where(swap, d_hi, s_hi), np.where(swap, d_lo, s_lo), np.where(swap, s_hi, d_hi),
                np.where(swap, s_lo, d_lo), np.where(swap, dp, sp), np.where(swap, sp, dp), proto,
                 swap.astype(np.int64), one_way)


def _lexi_gt(a_hi: np.ndarray, a_lo: np.ndarray, a_p: np.ndarray, b_hi: np.ndarray, b_lo: np.ndarray,
             b_p: np.ndarray) -> np.ndarray:
    return (a_hi > b_hi) | ((a_hi == b_hi) & ((a_lo > b_lo) | ((a_lo == b_lo) & (a_p > b_p))))


def group_rows(k: Keys) -> tuple[np.ndarray, np.ndarray]:
    """(perm, starts): a stable order that makes rows of one key contiguous, and the first position of each group
    (rows sorted by a 64-bit hash of their key, checked against the key columns)."""
    meta = (k.proto.astype(np.uint64) << np.uint64(32)) | (k.pa.astype(np.uint64) << np.uint64(16)) \
        | k.pb.astype(np.uint64)
    cols = (k.a_hi, k.a_lo, k.b_hi, k.b_lo, meta)
    h = np.zeros(k.proto.shape[0], dtype=np.uint64)
    for c in cols:
        h = mix(h, c)
    perm, starts = _hash_order(h)
    inner = ~mask_at(perm.shape[0], starts)[1:]  # a row that is not its group's first must equal the row before
    if not any(np.any((x[1:] != x[:-1]) & inner) for x in (c[perm] for c in cols)):
        return perm, starts
    perm = np.lexsort(cols[::-1])  # hash collision (astronomically rare): exact grouping
    new = np.any(np.stack([run_starts(c[perm]) for c in cols]), axis=0)
    return perm, np.flatnonzero(new)


def _hash_order(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(perm, starts) of rows ordered by hash, by row number among equal hashes: one plain sort of the hash's high
    bits packed with the row number (numpy's stable argsort of 64-bit values is many times slower).  Hashes equal
    in their high bits only share a group: the caller's check finds it."""
    n = h.shape[0]
    bits = max(n - 1, 1).bit_length()  # the low bits of the hash make room for the row number
    if bits > 32:
        perm = np.argsort(h, kind="stable")
        return perm, np.flatnonzero(run_starts(h[perm]))
    shift = np.uint64(bits)
    packed = np.sort((h >> shift << shift) | np.arange(n, dtype=np.uint64))
    return (packed & np.uint64((1 << bits) - 1)).astype(np.int64), np.flatnonzero(run_starts(packed >> shift))


class Chunk:
    """One batch with its rows sorted by flow key: every column is indexed by sorted position."""

    def __init__(self, batch: PacketBatch, rows: np.ndarray, k: Keys, perm: np.ndarray, starts: np.ndarray,
                 base_order: int) -> None:
        r = rows[perm]
        self.batch, self.srows, self.k, self.perm, self.starts, self.base_order = batch, r, k, perm, starts, base_order
        self.n = int(r.shape[0])
        self.ts = batch.ts[r]
        self.proto = k.proto[perm]
        self.side = k.side[perm]
        self.flags = batch.tcp_flags[r].astype(np.int64)
        self.seq = batch.tcp_seq[r]
        self.ack = batch.tcp_ack[r]
        self.payload_len = batch.payload_len[r].astype(np.int64)
        # payload length on the wire (a snap length may have cut the capture): Zeek's "len"
        self.seglen = self.payload_len + np.maximum(batch.wirelen[r].astype(np.int64) - batch.caplen[r], 0)
        # sequence space a segment uses: payload (not for RST) + SYN + FIN
        self.seqlen = np.where((self.flags & RST) != 0, 0, self.seglen) + ((self.flags & SYN) != 0) \
            + ((self.flags & FIN) != 0)
        self.rxmit = np.zeros(self.n, dtype=bool)  # set by _tcp_sequence
        fp = perm[starts]  # per group (key): its key columns and bytes, IP version, one-way flag
        self.group_key_cols = np.stack([k.proto[fp].astype(np.uint64), k.a_hi[fp], k.a_lo[fp], k.b_hi[fp],
                                        k.b_lo[fp], k.pa[fp].astype(np.uint64), k.pb[fp].astype(np.uint64)], axis=1)
        # each row's bytes (KEY's layout) as one bytes object: a void view's tolist, not a slice per group
        self.group_keys = self.group_key_cols.view(f"V{KEY_BYTES}").ravel().tolist()
        self.group_ipver: np.ndarray = batch.ip_ver[rows[fp]]
        self.group_oneway: np.ndarray = k.one_way[fp]
        self.group_timeout = np.zeros(0)  # inactivity timeout of each group's flows (FlowTable._group_timeouts)
        self.group_dns = np.zeros(0, dtype=bool)  # each group's flows are DNS flows
        self.seg = np.zeros(0, dtype=np.int64)  # flow segment of every position, set once segments are known
        self.seg_side = self.seg  # segment * 2 + key side
        self.seg_starts = self.seg  # sorted position where each segment starts
        self.slots = self.seg  # counter slot of each segment's flow
        self.seg_orig = self.seg  # key side of each segment's originator
        self.continued = np.zeros(0, dtype=bool)  # per segment: its flow was open before this chunk

    def set_segments(self, seg_starts: np.ndarray, slots: np.ndarray, orig: np.ndarray, continued: np.ndarray
                     ) -> None:
        self.seg_starts, self.slots, self.seg_orig, self.continued = seg_starts, slots, orig, continued
        self.seg = np.cumsum(mask_at(self.n, seg_starts)) - 1
        self.seg_side = self.seg * 2 + self.side

    def by_flow_side(self, pos: np.ndarray) -> np.ndarray:
        """Sorted positions ``pos`` grouped by (flow segment, side), capture order kept inside each group: key side
        0's positions, then side 1's (each already grouped by segment; the groups are contiguous, not sorted)."""
        side = self.side[pos]
        return np.concatenate([pos[side == 0], pos[side == 1]])

    def orders(self, pos: np.ndarray) -> np.ndarray:
        """Global packet order (across chunks and files) of sorted positions: history letter order."""
        return self.base_order + self.srows[pos]


def group_of_pos(c: Chunk, pos: np.ndarray | int) -> np.ndarray:
    """Group index of sorted positions."""
    return np.searchsorted(c.starts, pos, side="right") - 1


def slot_sides(c: Chunk, pos: np.ndarray) -> np.ndarray:
    """slot * 2 + key side of the flows of positions ``pos``: the key of per flow side Python data."""
    return c.slots[c.seg[pos]] * 2 + c.side[pos]
