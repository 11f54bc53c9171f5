"""Bidirectional flows with Zeek conn.log semantics, built chunk by chunk from PacketBatch rows.

Per chunk, everything that touches every packet is vectorised:

1. canonical keys (ordered endpoints; ICMP type/code mapped to ports as Zeek and Community ID do) and one stable
   sort that groups the chunk's packets by key, in capture order inside each group;
2. idle-timeout splits from the time gaps inside each group;
3. flow segments: groups that are one whole ordinary new TCP connection (pure SYN, SYN-ACK, no RST, at most a FIN
   per side) and every non-TCP segment start get their flows in one vectorised step; a short Python pass walks the
   few "event" packets of the other TCP groups (SYN/FIN/RST, and the first packet of each direction after a
   segment start or a SYN): Zeek's endpoint state machine, the S/H/F/R/I/Q history letters, SYN retransmissions,
   and new connections on SYN reuse / attempt timeout;
4. per (flow, direction) counters with np.bincount / np.maximum.at into the table's numpy columns (``_Counters``,
   one slot per flow), first occurrence of the D/A history letters, retransmissions (T/t) from a grouped running
   maximum of sequence ends;
5. payload retention (bounded), touching only packets of flows whose buffers are not full, and ICMP errors tied
   back to the flow they quote.

Flow records are made in batches (``drain`` / ``finish``): address text once per address, Community IDs with one
SHA-1 call per flow on inputs packed by numpy, uids mixed from the Community ID digest, history letters (kept as
sortable ints) sorted for all flows at once.

Memory grows with flows, never with packets; ``drain`` hands out flows that are over, so it stays bounded by the
concurrent flows.  Zeek rules followed: originator = SYN sender or first sender,
flipped by the likely-server-port guess (history "^"); idle timeouts per protocol (DNS flows: Zeek's 10 s DNS
session timeout); an unanswered SYN ends after tcp_attempt_timeout; a fresh SYN on a closed connection starts a new
one; ICMP keyed by type/counterpart (one-way types keep their direction).  Known simplifications: no checksum (C),
zero window (W: no window column), content gap (g) letters; no SYN/SYN-ACK reversal flip; no IP reassembly
(non-first fragments are skipped); sequence arithmetic assumes < 2 GB per direction.
"""
from __future__ import annotations

import bisect
import dataclasses
import functools
import ipaddress
import itertools
import mmap
import re
import socket
import struct
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from .community_id import ICMP, ICMP4_COUNTERPART, ICMP6, ICMP6_COUNTERPART, community_ids_batch
from .config import Config
from .errors import InputError
from .gcpause import gc_paused
from .model import Flow, PacketBatch

TCP, UDP = 6, 17
PORTED = (TCP, UDP, 132)
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET = range(7)
PROTO_NAMES = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMP6: "icmp"}
IPV4_MAPPED = 0x0000FFFF00000000
# ICMP errors that quote the offending packet (IP header + at least 8 bytes): unreachable, source quench, redirect,
# time exceeded, parameter problem; ICMPv6 unreachable, packet too big, time exceeded, parameter problem.
ICMP_ERRORS = {ICMP: frozenset({3, 4, 5, 11, 12}), ICMP6: frozenset({1, 2, 3, 4})}
ICMP_HDR = 8
SEQ_SPACE = 1 << 32
HALF_SEQ = 1 << 31
TOO_LARGE_SEQ_DELTA = 1 << 20  # Zeek ignores SYN/RST sequence numbers this far from what it saw
LETTER = 0x80  # bit of a letter code that sorts a packet's letters after its flip mark "^"
NEG = -(1 << 33)  # below any relative sequence number
# Zeek 7 only calls an originator reset without responder "RSTOS0" when the history is SYN(s) then the RST.
RSTOS0_HISTORY = re.compile(r"\^?S[^HAFGIQ]*R.*")
BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
UID_ALPHABET = bytes(BASE62[i % 62] for i in range(256))  # byte -> base62 digit (translate table)
UID_SEEDS = (0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0)  # one per 8 bytes of uid material


def _counterpart_table(table: dict[int, int]) -> np.ndarray:
    out = np.full(256, -1, dtype=np.int32)
    for k, v in table.items():
        out[k] = v
    return out


COUNTERPART = {ICMP: _counterpart_table(ICMP4_COUNTERPART), ICMP6: _counterpart_table(ICMP6_COUNTERPART)}


@dataclass(slots=True)
class _Endpoint:
    """One side of a TCP connection: Zeek's endpoint state plus what history needs (the sequence ends and acks that
    measure its size are _Counters columns)."""

    state: int = INACTIVE
    prev_state: int = INACTIVE
    base: int = -1  # sequence number of the SYN (first seq - 1 when no SYN was seen); -1 = no packet yet
    fin: bool = False
    last_syn: int = -1  # raw seq of the last SYN / FIN end / RST, for repeated S/F/R letters
    last_fin: int = -1
    last_rst: int = -1
    rxmit: int = 0

    def set_state(self, state: int) -> None:
        self.prev_state, self.state = self.state, state


def _tcp_size(extent: int, fin: bool) -> int:
    """Payload bytes from the sequence space, as Zeek's TCP_Endpoint::Size(): ``extent`` is the highest relative
    sequence end or peer ack, minus 1 (0 for a side without packets); a FIN takes one sequence number."""
    if fin and extent > 0:
        extent -= 1
    return max(extent, 0)


class _Open:
    """A flow under construction: what needs Python objects (history, TCP endpoints, retained payload); its counters
    live in the table's ``_Counters`` columns at ``slot``.  Per side values are indexed by key side (0 = the
    canonical first endpoint).

    A plain slotted class (not a dataclass with default factories): one is made per flow on the hot path.
    """

    __slots__ = ("key", "slot", "ts", "orig", "ip_ver", "one_way", "max_history", "history", "seen",
                 "ep", "syns", "syn_ts", "samples", "datagrams", "datagram_ts", "icmp_errors")

    def __init__(self, key: tuple[int, ...], slot: int, ts: float, orig: int, ip_ver: int, one_way: bool, tcp: bool,
                 max_history: int, ep: tuple[_Endpoint, _Endpoint] | None = None) -> None:
        self.key, self.slot, self.ts, self.orig, self.ip_ver, self.one_way = key, slot, ts, orig, ip_ver, one_way
        self.max_history = max_history
        self.history: list[int] = []  # letters as _letter_code: sorting them sorts by packet order
        self.seen: set[str] | None = None  # once-letters I/Q given (D/A: _Counters.da), made when first needed
        self.ep = ep or ((_Endpoint(), _Endpoint()) if tcp else None)
        self.syns = 0  # originator SYNs (without ACK)
        self.syn_ts = -1.0  # first originator SYN (Zeek's attempt timer)
        # TCP payload retained per side, one piece per chunk (joined once, at the end)
        self.samples: tuple[list[bytes], list[bytes]] | None = ([], []) if tcp else None
        self.datagrams: tuple[list[bytes], list[bytes]] | None = None if tcp else ([], [])
        self.datagram_ts: list[tuple[float, bool]] | None = None if tcp else []
        self.icmp_errors: list[tuple[float, str, int, int]] | None = None  # made by the first ICMP error

    def letter(self, order: int, side: int, char: str, once: bool = True) -> None:
        """Add history letter ``char`` (given upper case; lower case when ``side`` is the responder) of the packet
        of global ``order``; once-letters are recorded once per side.

        Repeatable letters (S/H/F/R with a new sequence number, T at 1, 10, 100...) stop at MAX_HISTORY letters so
        a hostile flow cannot grow the table with its packets."""
        history = self.history
        if len(history) >= self.max_history:
            return
        if side != self.orig:
            char = char.lower()
        if once:
            seen = self.seen
            if seen is None:
                seen = self.seen = set()
            elif char in seen:
                return
            seen.add(char)
        history.append(order << 8 | LETTER | ord(char))  # _letter_code(order, char), inlined: the hot path


def _letter_code(order: int, char: str, flip: bool = False) -> int:
    """A history letter as one sortable int: packet order, then the flip mark "^" before that packet's letters, then
    the letter itself."""
    return order << 8 | (0 if flip else LETTER) | ord(char)


def _history_texts(opens: list[_Open]) -> list[str]:
    """History strings of many flows: each flow's few letter codes sorted (that orders its letters), then all of
    them decoded together."""
    lens = np.array([len(o.history) for o in opens], dtype=np.int64)
    codes = np.fromiter(itertools.chain.from_iterable(map(sorted, [o.history for o in opens])), dtype=np.int64,
                        count=int(lens.sum()))
    text = (codes & 0x7F).astype(np.uint8).tobytes().decode("ascii")
    ends = np.cumsum(lens)
    return [text[a:b] for a, b in zip((ends - lens).tolist(), ends.tolist())]


class _Counters:
    """Per-flow state as numpy columns, one slot per flow in the table (slots of flows handed out are reused), so
    the per-chunk steps update every flow at once: counters, last packet time, inactivity timeout, flow key, room
    left for retained payload, TCP sequence extents and the D/A history letters given."""

    def __init__(self, capacity: int = 4096) -> None:
        self.used = 0
        self.free: list[int] = []
        self.pkts = np.zeros((capacity, 2), dtype=np.int64)
        self.ip_bytes = np.zeros((capacity, 2), dtype=np.int64)
        self.payload = np.zeros((capacity, 2), dtype=np.int64)
        self.fragments = np.zeros(capacity, dtype=np.int64)
        self.last_ts = np.full(capacity, -np.inf)
        self.timeout = np.zeros(capacity)
        self.key = np.zeros((capacity, 7), dtype=np.uint64)  # proto, a_hi, a_lo, b_hi, b_lo, pa, pb
        self.room = np.zeros((capacity, 2), dtype=np.int64)  # payload bytes (TCP) or datagrams still to retain
        # TCP per key side: sequence base (the walk sets it with the side's first packet; -1 = none yet), highest
        # relative sequence end sent and highest relative ack received
        self.base = np.full((capacity, 2), -1, dtype=np.int64)
        self.max_end = np.zeros((capacity, 2), dtype=np.int64)
        self.max_ack = np.zeros((capacity, 2), dtype=np.int64)
        self.da = np.zeros(capacity, dtype=np.uint8)  # history letters D, A, d, a given (bits 1, 2, 4, 8)

    def alloc(self, timeout: float, room: int) -> int:
        if self.free:
            slot = self.free.pop()
        else:
            if self.used == self.last_ts.shape[0]:
                self._grow()
            slot, self.used = self.used, self.used + 1
        self.timeout[slot] = timeout
        self.room[slot] = room
        return slot

    def alloc_many(self, n: int, timeout: float | np.ndarray, room: int | np.ndarray) -> np.ndarray:
        """``n`` slots at once (free ones first) with their timeouts and rooms."""
        reuse = min(n, len(self.free))
        taken = self.free[len(self.free) - reuse:]
        del self.free[len(self.free) - reuse:]
        while self.used + n - reuse > self.last_ts.shape[0]:
            self._grow()
        slots = np.array(taken + list(range(self.used, self.used + n - reuse)), dtype=np.int64)
        self.used += n - reuse
        self.timeout[slots] = timeout
        self.room[slots] = np.asarray(room).reshape(-1, 1)
        return slots

    def release(self, slots: np.ndarray) -> None:
        """Zero the slots of flows handed out and make them free."""
        for col in (self.pkts, self.ip_bytes, self.payload, self.fragments, self.room, self.max_end, self.max_ack,
                    self.da):
            col[slots] = 0
        self.last_ts[slots] = -np.inf
        self.base[slots] = -1
        self.free.extend(slots.tolist())

    def _grow(self) -> None:
        for name in ("pkts", "ip_bytes", "payload", "fragments", "last_ts", "timeout", "key", "room", "base", "max_end",
                     "max_ack", "da"):
            col = getattr(self, name)
            more = np.full_like(col, {"last_ts": -np.inf, "base": -1}.get(name, 0))
            setattr(self, name, np.concatenate([col, more]))


def _lexi_gt(a_hi: np.ndarray, a_lo: np.ndarray, a_p: np.ndarray, b_hi: np.ndarray, b_lo: np.ndarray,
             b_p: np.ndarray) -> np.ndarray:
    return (a_hi > b_hi) | ((a_hi == b_hi) & ((a_lo > b_lo) | ((a_lo == b_lo) & (a_p > b_p))))


def _mix(h: np.ndarray, v: np.ndarray) -> np.ndarray:
    h = (h ^ v) * np.uint64(0x9E3779B97F4A7C15)
    return h ^ (h >> np.uint64(29))


@dataclass(slots=True)
class _Keys:
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


def canonical_keys(b: PacketBatch, rows: np.ndarray) -> _Keys:
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
    return _Keys(np.where(swap, d_hi, s_hi), np.where(swap, d_lo, s_lo), np.where(swap, s_hi, d_hi),
                 np.where(swap, s_lo, d_lo), np.where(swap, dp, sp), np.where(swap, sp, dp), proto,
                 swap.astype(np.int64), one_way)


def group_rows(k: _Keys) -> tuple[np.ndarray, np.ndarray]:
    """(perm, starts): a stable order that makes rows of one key contiguous, and the first position of each group."""
    meta = (k.proto.astype(np.uint64) << np.uint64(32)) | (k.pa.astype(np.uint64) << np.uint64(16)) \
        | k.pb.astype(np.uint64)
    cols = (k.a_hi, k.a_lo, k.b_hi, k.b_lo, meta)
    h = np.zeros(k.proto.shape[0], dtype=np.uint64)
    for c in cols:
        h = _mix(h, c)
    perm = np.argsort(h, kind="stable")
    starts = np.flatnonzero(_run_starts(h[perm]))
    first = np.repeat(perm[starts], np.diff(np.append(starts, perm.shape[0])))
    if all(np.array_equal(c[perm], c[first]) for c in cols):
        return perm, starts
    perm = np.lexsort(cols[::-1])  # hash collision (astronomically rare): exact grouping
    new = np.any(np.stack([_run_starts(c[perm]) for c in cols]), axis=0)
    return perm, np.flatnonzero(new)


def _addr_packed(hi: int, lo: int) -> bytes:
    """Network-order bytes of a 128-bit address half pair (4 bytes for IPv4-mapped)."""
    if hi == 0 and (lo >> 32) == 0xFFFF:
        return (lo & 0xFFFFFFFF).to_bytes(4, "big")
    return ((hi << 64) | lo).to_bytes(16, "big")


@functools.lru_cache(maxsize=65536)
def _addr_text(packed: bytes) -> str:
    """Canonical text of a packed address (cached: the same hosts recur across many flows)."""
    return socket.inet_ntoa(packed) if len(packed) == 4 else str(ipaddress.IPv6Address(packed))


def _mask(n: int, positions: np.ndarray | list[int]) -> np.ndarray:
    """Boolean array of length ``n``, True at ``positions``."""
    m = np.zeros(n, dtype=bool)
    m[positions] = True
    return m


def _grouped_first(keys: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of every value of ``keys`` (kept in position order)."""
    _, idx = np.unique(keys, return_index=True)
    return np.sort(idx)


class _Chunk:
    """One batch with its rows sorted by flow key: every column is indexed by sorted position."""

    def __init__(self, batch: PacketBatch, rows: np.ndarray, k: _Keys, perm: np.ndarray, starts: np.ndarray,
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
        fp = perm[starts]  # per group (key): its key tuple, IP version, one-way flag
        self.group_keys: list[tuple[int, ...]] = list(zip(
            k.proto[fp].tolist(), k.a_hi[fp].tolist(), k.a_lo[fp].tolist(), k.b_hi[fp].tolist(),
            k.b_lo[fp].tolist(), k.pa[fp].tolist(), k.pb[fp].tolist()))
        self.group_ipver: list[int] = batch.ip_ver[rows[fp]].tolist()
        self.group_oneway: list[bool] = k.one_way[fp].tolist()
        self.seg = np.zeros(0, dtype=np.int64)  # flow segment of every position, set once segments are known
        self.seg_side = self.seg  # segment * 2 + key side
        self.seg_starts = self.seg  # sorted position where each segment starts
        self.slots = self.seg  # counter slot of each segment's flow
        self.seg_orig = self.seg  # key side of each segment's originator

    def set_segments(self, seg_starts: np.ndarray, seg_flows: list[_Open]) -> None:
        self.seg_starts = seg_starts
        self.slots = np.array([o.slot for o in seg_flows], dtype=np.int64)
        self.seg_orig = np.array([o.orig for o in seg_flows], dtype=np.int64)
        self.seg = np.cumsum(_mask(self.n, seg_starts)) - 1
        self.seg_side = self.seg * 2 + self.side

    def by_flow_side(self, pos: np.ndarray) -> np.ndarray:
        """``pos`` reordered by (flow segment, side), capture order kept inside each."""
        return pos[np.argsort(self.seg_side[pos], kind="stable")]


@dataclass(slots=True)
class _Plain:
    """Ordinary new TCP connections of a chunk (see FlowTable._plain_connections): their groups, the position of
    the SYN-ACK, and the position of each key side's FIN (-1: none)."""

    groups: np.ndarray
    p1: np.ndarray
    fins: np.ndarray  # (len(groups), 2)

    def groups_mask(self, c: _Chunk) -> np.ndarray:
        return _mask(c.starts.shape[0], self.groups)


def _runs(keys: np.ndarray) -> Iterator[tuple[int, int, int]]:
    """(value, start, end) of every run of equal values in ``keys``."""
    starts = np.flatnonzero(_run_starts(keys))
    return zip(keys[starts].tolist(), starts.tolist(), np.append(starts[1:], keys.shape[0]).tolist())


def _run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """True where a run of equal values starts in a sorted array."""
    new = np.ones(sorted_keys.shape[0], dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return new


class FlowTable:
    """Accumulates flows over any number of PacketBatch chunks (and capture files); ``finish`` returns them."""

    def __init__(self, cfg: Config) -> None:
        try:
            fc = cfg["flows"]
            self.timeouts = {TCP: float(fc["tcp_inactivity"]), UDP: float(fc["udp_inactivity"]),
                             ICMP: float(fc["icmp_inactivity"]), ICMP6: float(fc["icmp_inactivity"])}
            self.other_timeout = float(fc["udp_inactivity"])
            self.dns_timeout = float(fc["dns_inactivity"])
            self.attempt_timeout = float(fc["tcp_attempt_timeout"])
            self.sample_bytes = int(fc["sample_bytes"])
            self.max_datagrams = int(fc["max_datagrams"])
            self.max_dns = int(fc["max_dns_messages"])
            self.max_history = int(fc["max_history"])
            self.dns_ports = frozenset(int(p) for p in fc["dns_ports"])
            self.server_ports = frozenset(_server_ports(cfg["ports"]["expected"]))
            self.drain_grace = float(fc["drain_grace"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"config: bad [flows] section ({exc})") from None
        self._open: dict[tuple[int, ...], _Open] = {}
        self._done: list[_Open] = []
        self._seen = 0  # packets added so far: the global order of history letters
        self._newest = -np.inf  # newest packet time seen: drain's clock
        self._cols = _Counters()

    # ---- the pipeline, top to bottom -------------------------------------------------------------------------------
    def add(self, batch: PacketBatch) -> None:
        """Account one chunk of packets (chunks and files in capture order)."""
        with gc_paused():
            self._add(batch)

    def drain(self, now: float | None = None) -> list[Flow]:
        """Remove and return the flows that are over, sorted by start time; they are final.

        Over means: ended by a split (idle, attempt timeout, SYN reuse); idle longer than the flow's inactivity
        timeout at ``now`` (default: the newest packet time seen); a TCP connection closed (RST, or FIN both ways)
        or an unanswered attempt past ``tcp_attempt_timeout``, with no packet for ``drain_grace`` seconds (so late
        retransmissions and ICMP errors still find it).  A later packet of the same 5-tuple starts a new flow, as
        it would after an idle split.  ``finish`` returns the rest.
        """
        ref = self._newest if now is None else float(now)
        over, self._done = self._done, []
        opens = list(self._open.values())
        if opens:
            cols = self._cols
            slots = np.array([o.slot for o in opens], dtype=np.int64)
            quiet = ref - cols.last_ts[slots]
            idle = quiet > cols.timeout[slots]
            for i in np.flatnonzero(idle | (quiet > self.drain_grace)).tolist():
                o = opens[i]
                if idle[i] or self._ended(o, ref):
                    over.append(self._open.pop(o.key))
        return self._flows(over)

    def finish(self) -> list[Flow]:
        """All flows (closed and still open, minus those drained before), sorted by start time."""
        flows = self._flows([*self._done, *self._open.values()])
        self._done, self._open = [], {}
        return flows

    def _flows(self, opens: list[_Open]) -> list[Flow]:
        """Flow records of flows that are over, sorted by start time; their counter slots are freed."""
        with gc_paused():
            flows = self._to_flows(opens)
        self._cols.release(np.array([o.slot for o in opens], dtype=np.int64))
        return flows

    def _ended(self, o: _Open, ref: float) -> bool:
        """A TCP connection that ended (closed, or an attempt that timed out): only stragglers could still join it
        (called once it has been quiet for the grace period)."""
        if o.ep is None:
            return False
        return _closed(o) or (o.syn_ts >= 0 and _attempting(o) and ref > o.syn_ts + self.attempt_timeout)

    def _add(self, batch: PacketBatch) -> None:
        rows = self._usable_rows(batch)
        base_order = self._seen
        self._seen += len(batch)
        if rows.shape[0] == 0:
            return
        self._newest = max(self._newest, float(batch.ts[rows].max()))
        k = canonical_keys(batch, rows)
        c = _Chunk(batch, rows, k, *group_rows(k), base_order)
        flows_at = [self._open.get(key) for key in c.group_keys]
        idle = self._idle_splits(c, flows_at)
        seg_starts, seg_flows = self._segments(c, flows_at, idle)
        c.set_segments(seg_starts, seg_flows)
        self._count(c, seg_flows)
        self._letters_da(c, seg_flows)
        self._tcp_sequence(c, seg_flows)
        self._retain(c, seg_flows)
        self._icmp_errors(c)

    # ---- steps -----------------------------------------------------------------------------------------------------
    @staticmethod
    def _usable_rows(b: PacketBatch) -> np.ndarray:
        """IP rows, minus non-first fragments (no L4 header: no ports, no payload)."""
        non_first = b.frag & (b.sport == 0) & (b.dport == 0) & (b.payload_len == 0) & np.isin(b.proto, (
            *PORTED, ICMP, ICMP6))
        return np.flatnonzero((b.ip_ver != 0) & ~non_first)

    def _idle_splits(self, c: _Chunk, flows_at: list[_Open | None]) -> np.ndarray:
        """Sorted positions where the gap since the previous packet of the same key exceeds the idle timeout."""
        ts = c.ts
        prev = np.empty(c.n)
        prev[1:] = ts[:-1]
        slots = np.array([o.slot if o is not None else -1 for o in flows_at], dtype=np.int64)
        prev[c.starts] = np.where(slots >= 0, self._cols.last_ts[slots], np.inf)
        timeout = np.full(c.n, self.other_timeout)
        for proto, t in self.timeouts.items():
            timeout[c.proto == proto] = t
        dns = list(self.dns_ports)
        timeout[(c.proto == UDP) & (np.isin(c.k.pa[c.perm], dns) | np.isin(c.k.pb[c.perm], dns))] = self.dns_timeout
        return np.flatnonzero(ts - prev > timeout)

    def _segments(self, c: _Chunk, flows_at: list[_Open | None], idle: np.ndarray
                  ) -> tuple[np.ndarray, list[_Open]]:
        """Where each flow segment of the chunk starts (sorted position) and its flow: ordinary new TCP connections
        and non-TCP segments vectorised, the other TCP groups by walking their event packets."""
        n = c.n
        boundary = _mask(n, c.starts)
        boundary[idle] = True
        is_tcp = c.proto == TCP
        idle_set = _mask(n, idle)
        plain = self._plain_connections(c, flows_at, idle)
        other = np.flatnonzero(boundary & ~is_tcp)  # the only events of other protocols: segment starts
        not_walked = ~is_tcp | np.repeat(plain.groups_mask(c), np.diff(np.append(c.starts, n)))
        seg_starts, seg_flows = self._walk_events(c, flows_at, boundary, idle_set, not_walked)
        if plain.groups.shape[0] or other.shape[0]:
            seg_starts += c.starts[plain.groups].tolist() + other.tolist()
            seg_flows += self._open_plain(c, plain) + self._other_segments(c, flows_at, other, idle_set[other])
            order = np.argsort(seg_starts, kind="stable")
            return np.asarray(seg_starts, dtype=np.int64)[order], [seg_flows[i] for i in order.tolist()]
        return np.asarray(seg_starts, dtype=np.int64), seg_flows

    def _walk_events(self, c: _Chunk, flows_at: list[_Open | None], boundary: np.ndarray, idle_set: np.ndarray,
                     skip: np.ndarray) -> tuple[list[int], list[_Open]]:
        """Run the per-flow TCP logic over the event packets of the positions not in ``skip``; returns segment start
        positions and their flows."""
        n = c.n
        is_tcp = c.proto == TCP
        control = is_tcp & ((c.flags & (SYN | FIN | RST)) != 0)
        # only a side's first packet (after a segment start or a SYN, which may start a new connection) moves an
        # endpoint out of INACTIVE; after that only SYN/FIN/RST change states
        syn = is_tcp & ((c.flags & SYN) != 0)
        last_b = np.maximum.accumulate(np.where(boundary | syn, np.arange(n), -1))
        firsts = _grouped_first(last_b * 2 + c.side)
        event = boundary | control
        event[firsts[is_tcp[firsts]]] = True
        ev = np.flatnonzero(event & ~skip)
        group_of = group_of_pos(c, ev)

        seg_starts: list[int] = []
        seg_flows: list[_Open] = []
        cur: _Open | None = None
        pending = -1  # position where an unanswered attempt times out before the next event (Zeek's attempt timer)
        group_end = np.append(c.starts[1:], n).tolist()
        starts = c.starts.tolist()
        ts_list = c.ts.tolist()
        r = c.srows[ev]
        cols = zip(ev.tolist(), group_of.tolist(), boundary[ev].tolist(), idle_set[ev].tolist(),
                   c.side[ev].tolist(), c.flags[ev].tolist(), c.seq[ev].tolist(), c.ack[ev].tolist(),
                   c.seglen[ev].tolist(), c.ts[ev].tolist(), (r + c.base_order).tolist())
        for p, g, bound, is_idle, side, flags, seq, ack, length, ts, order in cols:
            if 0 <= pending < p:
                cur = self._split_at(c, seg_starts, seg_flows, cur, pending)
            pending = -1
            fresh = False
            if bound:
                if p == starts[g]:
                    cur = flows_at[g]
                if cur is None or is_idle:
                    if cur is not None:
                        self._close(cur)
                    cur, fresh = self._new_flow(c, g, side, flags, ts, order), True
                seg_starts.append(p)
                seg_flows.append(cur)
            if not fresh and _starts_new_tcp(cur, side, flags, seq, ts, self.attempt_timeout):  # type: ignore
                cur = self._split(seg_starts, seg_flows, cur, p, self._new_flow(c, g, side, flags, ts, order))
            _tcp_packet(cur, side, flags, seq, ack, length, ts, order, self._cols)  # type: ignore[arg-type]
            if cur.syn_ts >= 0 and _attempting(cur):  # type: ignore[union-attr]
                q = bisect.bisect_right(ts_list, cur.syn_ts + self.attempt_timeout, p + 1, group_end[g])  # type: ignore
                pending = q if q < group_end[g] else -1
        if pending >= 0:
            self._split_at(c, seg_starts, seg_flows, cur, pending)
        return seg_starts, seg_flows

    def _other_segments(self, c: _Chunk, flows_at: list[_Open | None], pos: np.ndarray, idle: np.ndarray
                        ) -> list[_Open]:
        """Segments of non-TCP flows (no state to walk): the open flow continues at its group's start unless idle;
        every other segment start closes the previous flow of its key and opens a new one."""
        g = group_of_pos(c, pos)
        start = pos == c.starts[g]
        existing = np.array([flows_at[x] is not None for x in g.tolist()], dtype=bool)
        fresh = ~(start & existing & ~idle)
        made = iter(self._open_other(c, g[fresh], pos[fresh]))
        out: list[_Open] = []
        cur: _Open | None = None
        for gi, is_start, is_fresh in zip(g.tolist(), start.tolist(), fresh.tolist()):
            if is_start:
                cur = flows_at[gi]
            if is_fresh:
                if cur is not None:
                    self._close(cur)
                cur = next(made)
                self._open[cur.key] = cur
            out.append(cur)  # type: ignore[arg-type]
        return out

    def _open_other(self, c: _Chunk, g: np.ndarray, pos: np.ndarray) -> list[_Open]:
        """New non-TCP flows of groups ``g`` starting at positions ``pos`` (what _new_flow does, vectorised):
        originator flipped to the sender of a UDP packet from a likely server port; DNS timeouts and retention."""
        first = c.perm[c.starts[g]]
        proto, pa, pb = c.k.proto[first], c.k.pa[first], c.k.pb[first]
        side = c.side[pos]
        sport, dport = np.where(side == 0, pa, pb), np.where(side == 0, pb, pa)
        udp = proto == UDP
        servers = [port for p, port in self.server_ports if p == UDP]
        flip = udp & np.isin(sport, servers) & ~np.isin(dport, servers)
        dns = udp & (np.isin(pa, list(self.dns_ports)) | np.isin(pb, list(self.dns_ports)))
        timeout = np.full(g.shape[0], self.other_timeout)
        for p, t in self.timeouts.items():
            timeout[proto == p] = t
        timeout[dns] = self.dns_timeout
        slots = self._cols.alloc_many(g.shape[0], timeout, np.where(dns, self.max_dns, self.max_datagrams))
        caret = ((c.base_order + c.srows[pos]) << 8) | ord("^")  # _letter_code(order, "^", flip=True)
        out = []
        for gi, slot, ts, orig, flipped, code in zip(g.tolist(), slots.tolist(), c.ts[pos].tolist(),
                                                     (side ^ flip).tolist(), flip.tolist(), caret.tolist()):
            o = _Open(c.group_keys[gi], slot, ts, orig, c.group_ipver[gi], c.group_oneway[gi], False,
                      self.max_history)
            if flipped:
                o.history.append(code)
            out.append(o)
        return out

    def _plain_connections(self, c: _Chunk, flows_at: list[_Open | None], idle: np.ndarray) -> _Plain:
        """Groups that are one whole ordinary new TCP connection in this chunk, whose state walk is known without
        walking it: no open flow for the key, no idle gap, times in order; a pure SYN first, the other side's first
        packet a SYN-ACK within the attempt timeout; after that no SYN or RST, at most one FIN per side."""
        n, starts = c.n, c.starts
        ng = starts.shape[0]
        sizes = np.diff(np.append(starts, n))
        gid = np.repeat(np.arange(ng), sizes)
        kind = c.flags & (SYN | ACK | FIN | RST)
        side0 = c.side[starts]
        ok = (c.proto[starts] == TCP) & (kind[starts] == SYN) & (self.max_history >= 4)
        ok &= np.array([o is None for o in flows_at], dtype=bool)
        ok &= np.bincount(gid[idle], minlength=ng) == 0
        back = np.flatnonzero(c.ts[1:] < c.ts[:-1]) + 1  # time going backwards inside a group
        ok &= np.bincount(gid[back[gid[back] == gid[back - 1]]], minlength=ng) == 0
        ok &= np.bincount(gid, weights=(kind & SYN) != 0, minlength=ng) == 2
        ok &= np.bincount(gid, weights=(kind & RST) != 0, minlength=ng) == 0
        # the responder's first packet: the SYN-ACK
        other = np.flatnonzero(c.side != side0[gid])
        p1 = np.full(ng, n)
        np.minimum.at(p1, gid[other], other)
        ok &= p1 < n
        p1c = np.minimum(p1, n - 1)
        ok &= (kind[p1c] == SYN | ACK) & (c.ts[p1c] <= c.ts[starts] + self.attempt_timeout)
        # FINs: after the SYN-ACK, at most one per side
        fins = np.flatnonzero((kind & FIN) != 0)
        fin_side = np.full((ng, 2), -1)
        ok &= np.bincount(gid[fins] * 2 + c.side[fins], minlength=2 * ng).reshape(ng, 2).max(axis=1) <= 1
        fin_side[gid[fins], c.side[fins]] = fins
        ok &= (fin_side.max(axis=1) < 0) | (np.where(fin_side < 0, n, fin_side).min(axis=1) > p1c)
        g = np.flatnonzero(ok)
        return _Plain(g, p1[g], fin_side[g])

    def _open_plain(self, c: _Chunk, plain: _Plain) -> list[_Open]:
        """The flows of ordinary connections, in the state the walk would leave them: S and h letters, both sides
        ESTABLISHED (CLOSED after their FIN, with an F letter)."""
        p0, p1 = c.starts[plain.groups], plain.p1
        side0 = c.side[p0]
        order = c.base_order + c.srows
        # per connection: originator (a) = the SYN's side, responder (b); their FIN position (-1: none)
        fin_a = np.take_along_axis(plain.fins, side0[:, None], axis=1)[:, 0]
        fin_b = np.take_along_axis(plain.fins, 1 - side0[:, None], axis=1)[:, 0]
        letters = [order[p0] << 8 | LETTER | ord("S"), order[p1] << 8 | LETTER | ord("h"),
                   np.where(fin_a >= 0, order[fin_a] << 8 | LETTER | ord("F"), -1),
                   np.where(fin_b >= 0, order[fin_b] << 8 | LETTER | ord("f"), -1)]
        ends = [np.where(f >= 0, (c.seq[f].astype(np.int64) + c.seglen[f]) % SEQ_SPACE, -1) for f in (fin_a, fin_b)]
        slots = self._cols.alloc_many(p0.shape[0], self.timeouts[TCP], self.sample_bytes)
        cols = self._cols
        cols.base[slots, side0] = c.seq[p0]
        cols.base[slots, 1 - side0] = c.seq[p1]
        cols.max_end[slots] = 1
        out = []
        for g, slot, side, ts, seq0, seq1, s_code, h_code, f_code, f_code_b, end_a, end_b in zip(
                plain.groups.tolist(), slots.tolist(), side0.tolist(), c.ts[p0].tolist(), c.seq[p0].tolist(),
                c.seq[p1].tolist(), *[x.tolist() for x in letters], *[x.tolist() for x in ends]):
            a = _Endpoint(CLOSED, ESTABLISHED, seq0, True, seq0, end_a) if end_a >= 0 else \
                _Endpoint(ESTABLISHED, SYN_SENT, seq0, False, seq0)
            b = _Endpoint(CLOSED, ESTABLISHED, seq1, True, seq1, end_b) if end_b >= 0 else \
                _Endpoint(ESTABLISHED, INACTIVE, seq1, False, seq1)
            key = c.group_keys[g]
            o = _Open(key, slot, ts, side, c.group_ipver[g], False, True, self.max_history, (b, a) if side else (a, b))
            o.syns, o.syn_ts = 1, ts
            o.history = [s_code, h_code] + [x for x in (f_code, f_code_b) if x >= 0]
            self._open[key] = o
            out.append(o)
        return out

    def _split_at(self, c: _Chunk, seg_starts: list[int], seg_flows: list[_Open], cur: _Open | None,
                  p: int) -> _Open:
        """Split where an unanswered attempt timed out (a position found by time, not an event packet)."""
        side, flags, ts, order = int(c.side[p]), int(c.flags[p]), float(c.ts[p]), c.base_order + int(c.srows[p])
        new = self._split(seg_starts, seg_flows, cur, p, self._new_flow(c, int(group_of_pos(c, p)), side, flags, ts,
                                                                       order))
        _tcp_packet(new, side, flags, int(c.seq[p]), int(c.ack[p]), int(c.seglen[p]), ts, order, self._cols)
        return new

    def _split(self, seg_starts: list[int], seg_flows: list[_Open], cur: _Open | None, p: int, new: _Open) -> _Open:
        """Close ``cur``; ``new`` (same key) starts at sorted position ``p``."""
        if cur is not None:
            self._close(cur)
        if seg_starts and seg_starts[-1] == p:
            seg_flows[-1] = new
        else:
            seg_starts.append(p)
            seg_flows.append(new)
        return new

    def _new_flow(self, c: _Chunk, g: int, side: int, flags: int, ts: float, order: int) -> _Open:
        """A new flow of group ``g`` whose first packet was sent by key side ``side``."""
        key = c.group_keys[g]
        proto, pa, pb = key[0], key[5], key[6]
        sport, dport = (pa, pb) if side == 0 else (pb, pa)
        orig = side ^ int(self._flip(proto, sport, dport, flags))
        dns = proto == UDP and (pa in self.dns_ports or pb in self.dns_ports)
        timeout = self.dns_timeout if dns else self.timeouts.get(proto, self.other_timeout)
        max_datagrams = self.max_dns if dns else self.max_datagrams
        o = _Open(key, self._cols.alloc(timeout, self.sample_bytes if proto == TCP else max_datagrams), ts, orig,
                  c.group_ipver[g], c.group_oneway[g], proto == TCP, self.max_history)
        if orig != side:
            o.history.append(_letter_code(order, "^", flip=True))  # before the letters of the same packet
        self._open[key] = o
        return o

    def _flip(self, proto: int, sport: int, dport: int, flags: int) -> bool:
        """Zeek's guess that the first packet came from the responder (likely server ports)."""
        if proto == TCP:
            if (flags & SYN) and not (flags & ACK):
                return False
            if (TCP, sport) not in self.server_ports:
                return False
            if (TCP, dport) in self.server_ports:
                return not (flags & SYN) and sport < dport
            return True
        if proto == UDP:
            return (UDP, sport) in self.server_ports and (UDP, dport) not in self.server_ports
        return False

    def _close(self, o: _Open) -> None:
        self._done.append(o)
        if self._open.get(o.key) is o:
            del self._open[o.key]

    def _count(self, c: _Chunk, seg_flows: list[_Open]) -> None:
        """Per (flow, side) packets, IP bytes and payload bytes; per flow fragments and last packet time."""
        nseg, seg, ss = len(seg_flows), c.seg, c.seg_side
        b, r = c.batch, c.srows
        nss = nseg * 2
        slots = c.slots
        cols = self._cols
        np.add.at(cols.pkts, slots, np.bincount(ss, minlength=nss).reshape(nseg, 2))
        np.add.at(cols.ip_bytes, slots, np.bincount(ss, weights=b.ip_len[r], minlength=nss).astype(np.int64)
                  .reshape(nseg, 2))
        np.add.at(cols.payload, slots, np.bincount(ss, weights=c.seglen, minlength=nss).astype(np.int64)
                  .reshape(nseg, 2))
        np.add.at(cols.fragments, slots, np.bincount(seg, weights=b.frag[r], minlength=nseg).astype(np.int64))
        last = np.full(nseg, -np.inf)
        np.maximum.at(last, seg, c.ts)
        np.maximum.at(cols.last_ts, slots, last)
        first = c.perm[c.seg_starts]
        k = c.k
        cols.key[slots] = np.stack([k.proto[first].astype(np.uint64), k.a_hi[first], k.a_lo[first], k.b_hi[first],
                                    k.b_lo[first], k.pa[first].astype(np.uint64), k.pb[first].astype(np.uint64)],
                                   axis=1)

    def _letters_da(self, c: _Chunk, seg_flows: list[_Open]) -> None:
        """First data (D) / pure ACK (A) packet per side: TCP without SYN/FIN/RST; every UDP packet is D.  Which of
        D/A/d/a a flow has had is a bit mask column, so only the letters to add are looked at one by one."""
        flags = c.flags
        is_tcp = c.proto == TCP
        plain = is_tcp & ((flags & (SYN | FIN | RST)) == 0)
        letter = np.full(c.n, -1)
        letter[plain & (c.payload_len > 0)] = ord("D")
        letter[plain & (c.payload_len == 0) & ((flags & ACK) != 0)] = ord("A")
        letter[c.proto == UDP] = ord("D")
        pos = np.flatnonzero(letter >= 0)
        if pos.shape[0] == 0:
            return
        firsts = pos[_grouped_first(c.seg_side[pos] * 2 + (letter[pos] == ord("A")))]
        seg = c.seg[firsts]
        responder = c.side[firsts] != c.seg_orig[seg]
        char = letter[firsts] + responder * (ord("a") - ord("A"))
        codes = ((c.base_order + c.srows[firsts]) << 8) | LETTER | char
        bit = np.select([char == ord("D"), char == ord("A"), char == ord("d")], [1, 2, 4], 8).astype(np.uint8)
        slots = c.slots[seg]
        new = (self._cols.da[slots] & bit) == 0
        np.bitwise_or.at(self._cols.da, slots[new], bit[new])  # given, or refused by a full history: never again
        for i, code in zip(seg[new].tolist(), codes[new].tolist()):
            history = seg_flows[i].history
            if len(history) < self.max_history:
                history.append(code)

    def _tcp_sequence(self, c: _Chunk, seg_flows: list[_Open]) -> None:
        """Relative sequence ends and acks per side (Zeek's sizes) and retransmissions (T/t letters, samples)."""
        tcp_pos = np.flatnonzero(c.proto == TCP)
        if tcp_pos.shape[0] == 0:
            return
        nss = 2 * len(seg_flows)
        cols = self._cols
        base = cols.base[c.slots].reshape(-1)
        prior_end = cols.max_end[c.slots].reshape(-1)
        order = c.by_flow_side(tcp_pos)
        oss = c.seg_side[order]
        rst = (c.flags[order] & RST) != 0
        rel_end = _rel(c.seq[order].astype(np.int64) + c.seqlen[order], base[oss])
        # grouped running max of the sequence end of non-RST packets, seeded with the end reached before (earlier
        # chunks, or 1 set by the side's first packet); data ending at or below it is a retransmission (DidRxmit)
        gstart = _run_starts(oss)
        seed = prior_end[oss]
        val = np.where(rst, NEG, rel_end)
        shift = np.int64(1 << 36)
        offset = oss * shift + shift // 2
        run = np.maximum.accumulate(offset + np.where(gstart, np.maximum(val, seed), val))
        prev_val = np.empty_like(run)
        prev_val[1:] = run[:-1] - offset[1:]
        prev_val[gstart] = seed[gstart]
        rx = ~rst & (c.payload_len[order] > 0) & (rel_end <= prev_val)
        c.rxmit[order] = rx
        # a RST moves the end too, unless its sequence number is far off (Zeek distrusts those)
        counted = ~rst | (np.abs(rel_end - prev_val) <= TOO_LARGE_SEQ_DELTA)
        end_max = np.full(nss, NEG)
        np.maximum.at(end_max, oss[counted], rel_end[counted])
        # acks (not in RSTs) sent by one side measure the other side's data
        peer = oss ^ 1
        ack_ok = ~rst & ((c.flags[order] & ACK) != 0) & (base[peer] >= 0)
        ack_max = np.full(nss, NEG)
        np.maximum.at(ack_max, peer[ack_ok], _rel(c.ack[order[ack_ok]].astype(np.int64), base[peer[ack_ok]]))
        np.maximum.at(cols.max_end, c.slots, end_max.reshape(-1, 2))
        np.maximum.at(cols.max_ack, c.slots, ack_max.reshape(-1, 2))
        # retransmission letters at the 1st, 10th, 100th ... retransmission of a side (Zeek's scaled history)
        rx_pos = order[rx]
        for i, s, row in zip(c.seg[rx_pos].tolist(), c.side[rx_pos].tolist(), c.srows[rx_pos].tolist()):
            o = seg_flows[i]
            e = o.ep[s]  # type: ignore[index]
            e.rxmit += 1
            if _is_power_of_ten(e.rxmit):
                o.letter(c.base_order + row, s, "T", once=False)

    def _retain(self, c: _Chunk, seg_flows: list[_Open]) -> None:
        """Bounded payload: TCP first sample_bytes per side, other protocols first datagrams per side."""
        tcp = c.proto == TCP
        room = self._cols.room[c.slots].reshape(-1)
        ss = c.seg_side
        cand = np.flatnonzero((room[ss] > 0) & np.where(tcp, (c.payload_len > 0) & ~c.rxmit & ((c.flags & RST) == 0),
                                                        True))
        if cand.shape[0] == 0:
            return
        # amount used before each candidate within its (flow, side): payload bytes for TCP, datagrams otherwise
        order = c.by_flow_side(cand)
        cost_o = np.where(tcp[order], c.payload_len[order], 1)
        cum = np.cumsum(cost_o)
        oss = ss[order]
        starts_idx = np.flatnonzero(_run_starts(oss))
        before = cum - cost_o - np.repeat(cum[starts_idx] - cost_o[starts_idx],
                                          np.diff(np.append(starts_idx, order.shape[0])))
        kept = before < room[oss]
        take = np.minimum(cost_o, room[oss] - before)
        used = np.bincount(oss[kept], weights=take[kept], minlength=2 * len(seg_flows)).astype(np.int64)
        np.subtract.at(self._cols.room, c.slots, used.reshape(-1, 2))
        sample = kept & tcp[order]
        self._retain_samples(c, seg_flows, order[sample], take[sample])
        self._retain_datagrams(c, seg_flows, np.sort(order[kept & ~tcp[order]]))

    @staticmethod
    def _retain_samples(c: _Chunk, seg_flows: list[_Open], pos: np.ndarray, take: np.ndarray) -> None:
        """Append the first ``take`` payload bytes of TCP packets ``pos`` (ordered by flow side, then capture order)
        to their flow side's sample: one piece per flow side and chunk, copied once from the capture."""
        mv = memoryview(c.batch.data).cast("B")
        views = [mv[off: off + n] for off, n in zip(c.batch.payload_off[c.srows[pos]].tolist(), take.tolist())]
        for ss, a, b in _runs(c.seg_side[pos]):
            seg_flows[ss >> 1].samples[ss & 1].append(b"".join(views[a:b]))  # one copy per flow side and chunk

    @staticmethod
    def _retain_datagrams(c: _Chunk, seg_flows: list[_Open], pos: np.ndarray) -> None:
        """Keep whole datagrams (ICMP messages with their header) of ``pos`` (in position order: by flow, then
        capture order) per flow side, and their times and directions per flow."""
        if pos.shape[0] == 0:
            return
        b = c.batch
        rows = c.srows[pos]
        icmp = np.isin(c.proto[pos], (ICMP, ICMP6)) * ICMP_HDR
        src = _byte_source(b.data)
        start = b.payload_off[rows] - icmp
        blobs = list(map(src.__getitem__, map(slice, start.tolist(), (start + b.payload_len[rows] + icmp).tolist())))
        seg = c.seg[pos]
        from_orig = c.side[pos] == c.seg_orig[seg]
        stamps = list(zip(c.ts[pos].tolist(), from_orig.tolist()))
        for i, a, e in _runs(seg):
            seg_flows[i].datagram_ts.extend(stamps[a:e])  # type: ignore[union-attr]
        by_side = np.argsort(c.seg_side[pos], kind="stable")
        sided = list(map(blobs.__getitem__, by_side.tolist()))
        for ss, a, e in _runs(c.seg_side[pos][by_side]):
            seg_flows[ss >> 1].datagrams[ss & 1].extend(sided[a:e])  # type: ignore[union-attr]

    def _icmp_errors(self, c: _Chunk) -> None:
        """ICMP errors quoting a packet: tie them back to the flow of the quoted packet."""
        b = c.batch
        is_err = np.zeros(c.n, dtype=bool)
        for proto, types in ICMP_ERRORS.items():
            is_err |= (c.proto == proto) & np.isin(b.sport[c.srows], list(types))
        for p in np.flatnonzero(is_err).tolist():
            row = int(c.srows[p])
            off, ln = int(b.payload_off[row]), int(b.payload_len[row])
            key = _quoted_key(bytes(b.data[off: off + ln]))
            target = self._open.get(key) if key else None
            if target is None:
                continue
            if target.icmp_errors is None:
                target.icmp_errors = []
            if len(target.icmp_errors) >= self.max_datagrams:
                continue
            reporter = _addr_text(_addr_packed(int(b.src_hi[row]), int(b.src_lo[row])))
            target.icmp_errors.append((float(c.ts[p]), reporter, int(b.sport[row]), int(b.dport[row])))

    def _to_flows(self, opens: list[_Open]) -> list[Flow]:
        """Flow records sorted by (start time, uid): the identity columns (address text, community id, uid), counters
        and history strings of all flows in one vectorised pass, then one constructor call per flow."""
        n = len(opens)
        if n == 0:
            return []
        cols, slots = self._cols, np.array([o.slot for o in opens], dtype=np.int64)
        key = cols.key[slots]
        flip = np.array([o.orig for o in opens], dtype=bool)  # key side 1 is the originator
        one_way = np.array([o.one_way for o in opens], dtype=bool)
        proto, a_hi, a_lo, b_hi, b_lo, pa, pb = key.T
        o_hi, o_lo, o_p = np.where(flip, b_hi, a_hi), np.where(flip, b_lo, a_lo), np.where(flip, pb, pa)
        r_hi, r_lo, r_p = np.where(flip, a_hi, b_hi), np.where(flip, a_lo, b_lo), np.where(flip, pa, pb)
        cids, digests = community_ids_batch(proto, o_hi, o_lo, r_hi, r_lo, o_p, r_p, one_way)
        start = np.array([o.ts for o in opens])
        uids = _uids(digests, start, flip)
        extent = np.where(cols.base[slots] < 0, 0, np.maximum(cols.max_end[slots], cols.max_ack[slots]) - 1)
        # per flow, originator then responder: packets, IP bytes, payload bytes, sequence extent (TCP)
        sides = np.stack([col[slots] for col in (cols.pkts, cols.ip_bytes, cols.payload)] + [extent], axis=1)
        sides = np.where(flip[:, None, None], sides[:, :, ::-1], sides)
        ident = list(zip(uids, cids, _addr_texts(o_hi, o_lo), o_p.tolist(), _addr_texts(r_hi, r_lo), r_p.tolist(),
                         cols.last_ts[slots].tolist(), cols.fragments[slots].tolist(), _history_texts(opens)))
        tcp = np.flatnonzero(proto == TCP)
        rest = np.flatnonzero(proto != TCP)
        flows = self._tcp_records([opens[i] for i in tcp.tolist()], [ident[i] for i in tcp.tolist()], sides[tcp]) \
            + self._other_records([opens[i] for i in rest.tolist()], [ident[i] for i in rest.tolist()], sides[rest],
                                  proto[rest])
        at = np.concatenate([tcp, rest])
        return [flows[i] for i in _start_uid_order(start, uids, at).tolist()]

    @staticmethod
    def _tcp_records(opens: list[_Open], ident: list[tuple[Any, ...]], sides: np.ndarray) -> list[Flow]:
        """TCP flows: sizes from the sequence space, Zeek's conn_state, retained byte samples."""
        out = []
        for o, (uid, cid, orig_h, orig_p, resp_h, resp_p, last_ts, fragments, history), \
                ((o_pkts, r_pkts), (o_ipb, r_ipb), _, (o_ext, r_ext)) in zip(opens, ident, sides.tolist()):
            s = o.orig
            orig, resp = o.ep[s], o.ep[1 - s]  # type: ignore[index]
            o_bytes, r_bytes = _tcp_size(o_ext, orig.fin), _tcp_size(r_ext, resp.fin)
            out.append(_new_flow_record(
                uid, o.ts, last_ts, "tcp", orig_h, orig_p, resp_h, resp_p, cid, o.ip_ver, o_pkts, r_pkts, o_ipb, r_ipb,
                o_bytes, r_bytes, _tcp_state(orig, resp, o_bytes, r_bytes, history), history, fragments,
                o.syns - 1 if o.syns > 1 else 0, b"".join(o.samples[s]), b"".join(o.samples[1 - s]),  # type: ignore
                [], [], [], o.icmp_errors if o.icmp_errors is not None else []))
        return out

    @staticmethod
    def _other_records(opens: list[_Open], ident: list[tuple[Any, ...]], sides: np.ndarray, proto: np.ndarray
                       ) -> list[Flow]:
        """UDP, ICMP and other flows: payload byte counts, UDP conn_state from who sent, retained datagrams."""
        o_pkts, r_pkts = sides[:, 0, 0], sides[:, 0, 1]
        states = np.where(proto == UDP, np.select([(o_pkts > 0) & (r_pkts > 0), o_pkts > 0, r_pkts > 0],
                                                  ["SF", "S0", "SHR"], "OTH"), "OTH").tolist()
        names = [PROTO_NAMES.get(p) or str(p) for p in proto.tolist()]
        out = []
        for o, (uid, cid, orig_h, orig_p, resp_h, resp_p, last_ts, fragments, history), \
                ((o_pk, r_pk), (o_ipb, r_ipb), (o_pay, r_pay), _), state, name in zip(
                    opens, ident, sides.tolist(), states, names):
            s = o.orig
            out.append(_new_flow_record(
                uid, o.ts, last_ts, name, orig_h, orig_p, resp_h, resp_p, cid, o.ip_ver, o_pk, r_pk, o_ipb, r_ipb,
                o_pay, r_pay, state, history, fragments, 0, b"", b"", o.datagrams[s], o.datagrams[1 - s],  # type: ignore
                o.datagram_ts, o.icmp_errors if o.icmp_errors is not None else []))
        return out


#: The Flow fields the records fill, in order: positional construction when model.Flow declares them in this order.
RECORD_FIELDS = ("uid", "ts", "last_ts", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "community_id", "ip_ver",
                 "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "orig_bytes", "resp_bytes",
                 "conn_state", "history", "fragments", "retransmits", "orig_sample", "resp_sample",
                 "orig_datagrams", "resp_datagrams", "datagram_ts", "icmp_errors")


def _flow_by_keywords(*values: Any) -> Flow:
    return Flow(**dict(zip(RECORD_FIELDS, values)))


_new_flow_record = Flow if tuple(f.name for f in dataclasses.fields(Flow))[:len(RECORD_FIELDS)] == RECORD_FIELDS \
    else _flow_by_keywords


def _start_uid_order(start: np.ndarray, uids: list[str], at: np.ndarray) -> np.ndarray:
    """The order that sorts flows ``at`` (indexes of ``start`` and ``uids``) by (start time, uid); the uids are only
    compared when start times tie."""
    start = start[at]
    order = np.argsort(start, kind="stable")
    ordered = start[order]
    if not np.any(ordered[1:] == ordered[:-1]):
        return order
    return np.lexsort((np.array(uids, dtype="S")[at], start))


def _uids(digests: np.ndarray, ts: np.ndarray, flip: np.ndarray) -> list[str]:
    """Deterministic Zeek-looking uids, "C" + 17 base62 characters, mixed from each flow's community-id digest,
    start time and direction (flows of one 5-tuple differ in start time)."""
    d = np.zeros((digests.shape[0], 24), dtype=np.uint8)
    d[:, :20] = digests
    words = d.view("<u8")
    last = ts.astype(np.float64).view(np.uint64) ^ flip.astype(np.uint64)
    out = np.empty((digests.shape[0], 3), dtype=np.uint64)
    for i, seed in enumerate(UID_SEEDS):
        h = np.full(digests.shape[0], seed, dtype=np.uint64)
        for v in (words[:, 0], words[:, 1], words[:, 2], last):
            h = _mix(h, v)
        out[:, i] = h
    text = out.view(np.uint8)[:, :17].tobytes().translate(UID_ALPHABET).decode("ascii")
    return ["C" + text[i: i + 17] for i in range(0, len(text), 17)]


def _addr_texts(hi: np.ndarray, lo: np.ndarray) -> list[str]:
    """Canonical text of 128-bit addresses: IPv4 formatted once per distinct address, IPv6 through the cache."""
    out = np.empty(hi.shape[0], dtype=object)
    v4 = np.flatnonzero(hi == 0)
    if v4.shape[0]:
        uniq, inverse = np.unique(lo[v4], return_inverse=True)
        out[v4] = np.array([_addr_text(_addr_packed(0, x)) for x in uniq.tolist()], dtype=object)[inverse.ravel()]
    for i in np.flatnonzero(hi != 0).tolist():
        out[i] = _addr_text(_addr_packed(int(hi[i]), int(lo[i])))
    return out.tolist()


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


def group_of_pos(c: _Chunk, pos: np.ndarray | int) -> np.ndarray:
    """Group index of sorted positions."""
    return np.searchsorted(c.starts, pos, side="right") - 1


def _closed(o: _Open) -> bool:
    """A TCP connection reset by either side, or closed with a FIN both ways."""
    a, b = o.ep  # type: ignore[misc]
    return a.state == RESET or b.state == RESET or (a.state == CLOSED and b.state == CLOSED)


def _attempting(o: _Open) -> bool:
    """Originator sent a SYN and the responder has said nothing yet."""
    return o.ep[o.orig].state in (SYN_SENT, SYN_ACK_SENT) and o.ep[1 - o.orig].state == INACTIVE  # type: ignore


def _rel(x: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Signed 32-bit distance of sequence numbers from a base."""
    return (x - base + HALF_SEQ) % SEQ_SPACE - HALF_SEQ


def _is_power_of_ten(n: int) -> bool:
    while n % 10 == 0 and n > 1:
        n //= 10
    return n == 1


def _server_ports(expected: dict[str, Any]) -> list[tuple[int, int]]:
    out = []
    for key in expected:
        name, _, port = str(key).partition("/")
        if name in ("tcp", "udp") and port.isdigit():
            out.append((TCP if name == "tcp" else UDP, int(port)))
    return out


def _starts_new_tcp(o: _Open, side: int, flags: int, seq: int, ts: float, attempt_timeout: float) -> bool:
    """Zeek's connection reuse: a fresh SYN on a closed connection, or anything after an unanswered attempt."""
    if o.syn_ts >= 0 and _attempting(o) and ts > o.syn_ts + attempt_timeout:
        return True
    if not (flags & SYN) or (flags & ACK):
        return False
    closed = any(e.state in (CLOSED, RESET) for e in o.ep)  # type: ignore[union-attr]
    return closed and seq != o.ep[side].base  # type: ignore[index]


def _tcp_packet(o: _Open, side: int, flags: int, seq: int, ack: int, length: int, ts: float, order: int,
                cols: _Counters) -> None:
    """History letters and Zeek's endpoint state machine for one TCP control/first packet."""
    ep, peer = o.ep[side], o.ep[1 - side]  # type: ignore[index]
    is_orig = side == o.orig
    syn, fin, rst, has_ack = bool(flags & SYN), bool(flags & FIN), bool(flags & RST), bool(flags & ACK)
    if ep.base < 0:  # first packet of this side: the sequence origin
        ep.base = cols.base[o.slot, side] = seq if syn else (seq - 1) % SEQ_SPACE
        cols.max_end[o.slot, side] = 1  # the SYN octet, or the virtual one before a partial connection's first byte
    if syn and not has_ack and is_orig:
        o.syns += 1
        if o.syn_ts < 0:
            o.syn_ts = ts
    _history(o, ep, side, syn, fin, rst, has_ack, seq, length, order)
    if fin:
        ep.fin = True
    st = ep.state
    if st == INACTIVE:
        if syn:
            if is_orig:
                ep.set_state(SYN_ACK_SENT if has_ack else SYN_SENT)
            else:
                if peer.state == SYN_SENT:
                    peer.set_state(ESTABLISHED)
                ep.set_state(ESTABLISHED)
        if fin:
            ep.set_state(CLOSED)
        if rst:
            ep.set_state(RESET)
        if ep.state == INACTIVE:
            orig_ep = o.ep[o.orig]  # type: ignore[index]
            if not is_orig and length == 0 and orig_ep.state == SYN_SENT:
                pass
            elif has_ack and peer.state == ESTABLISHED:
                ep.set_state(ESTABLISHED)
            else:
                ep.set_state(PARTIAL)
    elif st in (SYN_SENT, SYN_ACK_SENT):
        if fin:
            ep.set_state(CLOSED)
        if rst:
            ep.set_state(RESET)
    elif st in (ESTABLISHED, PARTIAL):
        if syn and st == PARTIAL and peer.state == INACTIVE and not has_ack:
            ep.set_state(SYN_SENT)
        if fin and not rst:
            ep.set_state(CLOSED)
            if peer.state == RESET and peer.prev_state == CLOSED:
                peer.set_state(CLOSED)
        if rst:
            ep.set_state(RESET)
    elif st == CLOSED:
        if rst and peer.state != CLOSED:
            ep.set_state(RESET)


def _history(o: _Open, ep: _Endpoint, side: int, syn: bool, fin: bool, rst: bool, has_ack: bool, seq: int,
             length: int, order: int) -> None:
    """S/H/F/R letters (repeated when the sequence number moves: the side's first one always counts, as the
    ``last_*`` numbers start at -1), I (FIN+RST) and Q (other multi-flag)."""
    if syn + fin + rst > 1:
        o.letter(order, side, "I" if fin and rst else "Q")
    elif syn:
        if seq != ep.last_syn:
            o.letter(order, side, "H" if has_ack else "S", once=False)
        ep.last_syn = seq
    elif fin:
        end = (seq + length) % SEQ_SPACE
        if end != ep.last_fin:
            o.letter(order, side, "F", once=False)
        ep.last_fin = end
    elif rst:
        if seq != ep.last_rst:
            o.letter(order, side, "R", once=False)
        ep.last_rst = seq


def _tcp_state(orig: _Endpoint, resp: _Endpoint, orig_size: int, resp_size: int, history: str) -> str:
    """Zeek's conn_state from the two endpoint states (base/protocols/conn/main.zeek)."""
    os_, rs = orig.state, resp.state
    o_inactive = os_ in (INACTIVE, PARTIAL)
    r_inactive = rs in (INACTIVE, PARTIAL)
    if rs == RESET:
        if os_ in (SYN_SENT, SYN_ACK_SENT) or (os_ == RESET and orig_size == 0 and resp_size == 0):
            return "REJ"
        return "RSTRH" if o_inactive else "RSTR"
    if os_ == RESET:
        if not r_inactive:
            return "RSTO"
        return "RSTOS0" if RSTOS0_HISTORY.fullmatch(history) else "OTH"
    if rs == CLOSED and os_ == CLOSED:
        return "SF"
    if os_ == CLOSED:
        return "SH" if r_inactive else "S2"
    if rs == CLOSED:
        return "SHR" if o_inactive else "S3"
    if os_ == SYN_SENT and rs == INACTIVE:
        return "S0"
    if os_ == ESTABLISHED and rs == ESTABLISHED:
        return "S1"
    return "OTH"


def _quoted_key(quoted: bytes) -> tuple[int, ...] | None:
    """Flow key of the packet an ICMP error quotes (its IP header + first 8 bytes), or None if unreadable."""
    if len(quoted) < 1:
        return None
    ver = quoted[0] >> 4
    if ver == 4 and len(quoted) >= 20 and (quoted[0] & 0x0F) >= 5:
        ihl = (quoted[0] & 0x0F) * 4
        proto = quoted[9]
        src = IPV4_MAPPED | struct.unpack_from("!I", quoted, 12)[0]
        dst = IPV4_MAPPED | struct.unpack_from("!I", quoted, 16)[0]
        s_hi = d_hi = 0
        l4 = ihl
    elif ver == 6 and len(quoted) >= 40:
        proto = quoted[6]
        s_hi, src = struct.unpack_from("!QQ", quoted, 8)
        d_hi, dst = struct.unpack_from("!QQ", quoted, 24)
        l4 = 40
    else:
        return None
    sport = dport = 0
    one_way = False
    if proto in (*PORTED, ICMP, ICMP6):
        if len(quoted) < l4 + 4:
            return None
        sport, dport = struct.unpack_from("!HH", quoted, l4)
        if proto in (ICMP, ICMP6):
            sport, dport = quoted[l4], quoted[l4 + 1]
            cp = int(COUNTERPART[proto][sport])
            one_way = cp < 0
            dport = dport if one_way else cp
    if not one_way and (s_hi, src, sport) > (d_hi, dst, dport):
        s_hi, src, sport, d_hi, dst, dport = d_hi, dst, dport, s_hi, src, sport
    return (proto, s_hi, src, d_hi, dst, sport, dport)
