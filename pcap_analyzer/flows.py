"""Bidirectional flows with Zeek conn.log semantics, built chunk by chunk from PacketBatch rows.

Per chunk, everything that touches every packet is vectorised:

1. canonical keys (ordered endpoints; ICMP type/code mapped to ports as Zeek and Community ID do) and one stable
   sort that groups the chunk's packets by key, in capture order inside each group;
2. idle-timeout splits from the time gaps inside each group;
3. a short Python pass over the few "event" packets of each TCP group (SYN/FIN/RST, and the first packet of each
   direction after a segment start or a control packet): Zeek's endpoint state machine, the S/H/F/R/I/Q history
   letters, SYN retransmissions, and new connections on SYN reuse / attempt timeout;
4. per (flow, direction) counters with np.bincount / np.maximum.at, first occurrence of the D/A history letters,
   retransmissions (T/t) from a grouped running maximum of sequence ends;
5. payload retention (bounded), touching only packets of flows whose buffers are not full, and ICMP errors tied
   back to the flow they quote.

Memory grows with flows, never with packets.  Zeek rules followed: originator = SYN sender or first sender,
flipped by the likely-server-port guess (history "^"); idle timeouts per protocol (DNS flows: Zeek's 10 s DNS
session timeout); an unanswered SYN ends after tcp_attempt_timeout; a fresh SYN on a closed connection starts a new
one; ICMP keyed by type/counterpart (one-way types keep their direction).  Known simplifications: no checksum (C),
zero window (W: no window column), content gap (g) letters; no SYN/SYN-ACK reversal flip; no IP reassembly
(non-first fragments are skipped); sequence arithmetic assumes < 2 GB per direction.
"""
from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import ipaddress
import re
import socket
import struct
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from .community_id import ICMP, ICMP4_COUNTERPART, ICMP6, ICMP6_COUNTERPART, community_id_packed
from .config import Config
from .errors import InputError
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
DRAIN_GRACE = 5.0  # default [flows] drain_grace: seconds a closed connection waits for stragglers before drain()
TOO_LARGE_SEQ_DELTA = 1 << 20  # Zeek ignores SYN/RST sequence numbers this far from what it saw
NEG = -(1 << 33)  # below any relative sequence number
# Zeek 7 only calls an originator reset without responder "RSTOS0" when the history is SYN(s) then the RST.
RSTOS0_HISTORY = re.compile(r"\^?S[^HAFGIQ]*R.*")
BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
UID_ALPHABET = bytes(BASE62[i % 62] for i in range(256))  # byte -> base62 digit (translate table)


def _counterpart_table(table: dict[int, int]) -> np.ndarray:
    out = np.full(256, -1, dtype=np.int32)
    for k, v in table.items():
        out[k] = v
    return out


COUNTERPART = {ICMP: _counterpart_table(ICMP4_COUNTERPART), ICMP6: _counterpart_table(ICMP6_COUNTERPART)}


@dataclass(slots=True)
class _Endpoint:
    """One side of a TCP connection: Zeek's endpoint state plus what history and byte counting need."""

    state: int = INACTIVE
    prev_state: int = INACTIVE
    base: int = -1  # sequence number of the SYN (first seq - 1 when no SYN was seen); -1 = no packet yet
    max_end: int = 0  # highest relative sequence end sent
    max_ack: int = 0  # highest relative ack the peer sent for this side's data
    fin: bool = False
    last_syn: int = -1  # raw seq of the last SYN / FIN end / RST, for repeated S/F/R letters
    last_fin: int = -1
    last_rst: int = -1
    rxmit: int = 0

    def set_state(self, state: int) -> None:
        self.prev_state, self.state = self.state, state

    def size(self) -> int:
        """Payload bytes from the sequence space, as Zeek's TCP_Endpoint::Size()."""
        if self.base < 0:
            return 0
        size = max(self.max_end, self.max_ack) - 1
        if self.fin and size > 0:
            size -= 1
        return max(size, 0)


class _Open:
    """A flow under construction; counters are indexed by key side (0 = the canonical first endpoint).

    A plain slotted class (not a dataclass with default factories): one is made per flow on the hot path.
    """

    __slots__ = ("key", "ts", "last_ts", "orig", "ip_ver", "one_way", "max_datagrams", "max_history", "pkts", "ip_bytes",
                 "payload", "fragments", "history", "seen", "ep", "syns", "syn_ts", "samples", "datagrams",
                 "datagram_ts", "icmp_errors", "timeout")

    def __init__(self, key: tuple[int, ...], ts: float, orig: int, ip_ver: int, one_way: bool, tcp: bool,
                 max_datagrams: int, max_history: int, timeout: float) -> None:
        self.key, self.ts, self.last_ts, self.orig, self.ip_ver, self.one_way = key, ts, ts, orig, ip_ver, one_way
        self.timeout = timeout  # inactivity timeout: a gap longer than this starts a new flow
        self.max_datagrams, self.max_history = max_datagrams, max_history
        self.pkts, self.ip_bytes, self.payload = [0, 0], [0, 0], [0, 0]
        self.fragments = 0
        self.history: list[tuple[float, str]] = []  # (packet order, letter)
        self.seen: set[str] = set()
        self.ep = (_Endpoint(), _Endpoint()) if tcp else None
        self.syns = 0  # originator SYNs (without ACK)
        self.syn_ts = -1.0  # first originator SYN (Zeek's attempt timer)
        self.samples = (bytearray(), bytearray()) if tcp else None
        self.datagrams: tuple[list[bytes], list[bytes]] | None = None if tcp else ([], [])
        self.datagram_ts: list[tuple[float, bool]] = []
        self.icmp_errors: list[tuple[float, str, int, int]] = []

    def letter(self, order: float, side: int, char: str, once: bool = True) -> None:
        """Add a history letter (upper case from the originator); once-letters are recorded once per side.

        Repeatable letters (S/H/F/R with a new sequence number, T at 1, 10, 100...) stop at MAX_HISTORY letters so
        a hostile flow cannot grow the table with its packets."""
        if len(self.history) >= self.max_history:
            return
        char = char.upper() if side == self.orig else char.lower()
        if once:
            if char in self.seen:
                return
            self.seen.add(char)
        self.history.append((order, char))


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


def _uid(community_id: str, ts: float, orig: bytes) -> str:
    """Deterministic Zeek-looking uid: "C" + 17 base62 characters of a hash of the flow's identity."""
    digest = hashlib.sha1(community_id.encode() + struct.pack("!d", ts) + orig).digest()
    return "C" + digest[:17].translate(UID_ALPHABET).decode("ascii")


def _mask(n: int, positions: np.ndarray | list[int]) -> np.ndarray:
    """Boolean array of length ``n``, True at ``positions``."""
    m = np.zeros(n, dtype=bool)
    m[positions] = True
    return m


def _grouped_first(keys: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of every value of ``keys`` (kept in position order)."""
    _, idx = np.unique(keys, return_index=True)
    return np.sort(idx)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the table creates its many small, never-cyclic containers (its
    repeated scans of them cost about a third of the flow stage); the previous setting is restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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

    def set_segments(self, seg_starts: np.ndarray) -> None:
        self.seg = np.cumsum(_mask(self.n, seg_starts)) - 1
        self.seg_side = self.seg * 2 + self.side

    def by_flow_side(self, pos: np.ndarray) -> np.ndarray:
        """``pos`` reordered by (flow segment, side), capture order kept inside each."""
        return pos[np.argsort(self.seg_side[pos], kind="stable")]


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
            self.drain_grace = float(fc.get("drain_grace", DRAIN_GRACE))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"config: bad [flows] section ({exc})") from None
        self._open: dict[tuple[int, ...], _Open] = {}
        self._done: list[_Open] = []
        self._seen = 0  # packets added so far: the global order of history letters
        self._newest = -np.inf  # newest packet time seen: drain's clock

    # ---- the pipeline, top to bottom -------------------------------------------------------------------------------
    def add(self, batch: PacketBatch) -> None:
        """Account one chunk of packets (chunks and files in capture order)."""
        with _gc_paused():
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
        ended = [key for key, o in self._open.items() if self._over(o, ref)]
        for key in ended:
            over.append(self._open.pop(key))
        return self._flows(over)

    def finish(self) -> list[Flow]:
        """All flows (closed and still open, minus those drained before), sorted by start time."""
        flows = self._flows([*self._done, *self._open.values()])
        self._done, self._open = [], {}
        return flows

    def _flows(self, opens: list[_Open]) -> list[Flow]:
        with _gc_paused():
            flows = [self._to_flow(o) for o in opens]
            flows.sort(key=lambda f: (f.ts, f.uid))
        return flows

    def _over(self, o: _Open, ref: float) -> bool:
        """Idle past its timeout (no later packet can join), or a TCP connection that ended (closed, or an attempt
        timed out) and has been quiet for the grace period (only stragglers could still join)."""
        quiet = ref - o.last_ts
        if quiet > o.timeout:
            return True
        if o.ep is None or quiet <= self.drain_grace:
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
        seg_starts, seg_flows = self._walk_events(c, flows_at, idle)
        c.set_segments(seg_starts)
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
        prev[c.starts] = [o.last_ts if o is not None else np.inf for o in flows_at]
        timeout = np.full(c.n, self.other_timeout)
        for proto, t in self.timeouts.items():
            timeout[c.proto == proto] = t
        dns = list(self.dns_ports)
        timeout[(c.proto == UDP) & (np.isin(c.k.pa[c.perm], dns) | np.isin(c.k.pb[c.perm], dns))] = self.dns_timeout
        return np.flatnonzero(ts - prev > timeout)

    def _walk_events(self, c: _Chunk, flows_at: list[_Open | None], idle: np.ndarray
                     ) -> tuple[np.ndarray, list[_Open]]:
        """Run the per-flow logic over event packets; returns segment start positions and their flows."""
        n = c.n
        boundary = _mask(n, c.starts)
        boundary[idle] = True
        is_tcp = c.proto == TCP
        control = is_tcp & ((c.flags & (SYN | FIN | RST)) != 0)
        # only a side's first packet (after a segment start or a SYN, which may start a new connection) moves an
        # endpoint out of INACTIVE; after that only SYN/FIN/RST change states
        syn = is_tcp & ((c.flags & SYN) != 0)
        last_b = np.maximum.accumulate(np.where(boundary | syn, np.arange(n), -1))
        firsts = _grouped_first(last_b * 2 + c.side)
        event = boundary | control
        event[firsts[is_tcp[firsts]]] = True
        ev = np.flatnonzero(event)
        group_of = group_of_pos(c, ev)
        idle_set = _mask(n, idle)

        seg_starts: list[int] = []
        seg_flows: list[_Open] = []
        cur: _Open | None = None
        pending = -1  # position where an unanswered attempt times out before the next event (Zeek's attempt timer)
        group_end = np.append(c.starts[1:], n)
        starts = c.starts.tolist()
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
            if cur is None or cur.ep is None:
                continue
            if not fresh and _starts_new_tcp(cur, side, flags, seq, ts, self.attempt_timeout):
                cur = self._split(seg_starts, seg_flows, cur, p, self._new_flow(c, g, side, flags, ts, order))
            _tcp_packet(cur, side, flags, seq, ack, length, ts, order)
            if cur.syn_ts >= 0 and _attempting(cur):
                deadline = cur.syn_ts + self.attempt_timeout
                q = p + 1 + int(np.searchsorted(c.ts[p + 1: group_end[g]], deadline, side="right"))
                pending = q if q < group_end[g] else -1
        if pending >= 0:
            self._split_at(c, seg_starts, seg_flows, cur, pending)
        return np.asarray(seg_starts, dtype=np.int64), seg_flows

    def _split_at(self, c: _Chunk, seg_starts: list[int], seg_flows: list[_Open], cur: _Open | None,
                  p: int) -> _Open:
        """Split where an unanswered attempt timed out (a position found by time, not an event packet)."""
        side, flags, ts, order = int(c.side[p]), int(c.flags[p]), float(c.ts[p]), c.base_order + int(c.srows[p])
        new = self._split(seg_starts, seg_flows, cur, p, self._new_flow(c, int(group_of_pos(c, p)), side, flags, ts,
                                                                       order))
        _tcp_packet(new, side, flags, int(c.seq[p]), int(c.ack[p]), int(c.seglen[p]), ts, order)
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
        o = _Open(key, ts, orig, c.group_ipver[g], c.group_oneway[g], proto == TCP,
                  self.max_dns if dns else self.max_datagrams, self.max_history, timeout)
        if orig != side:
            o.history.append((order - 0.5, "^"))  # before the letters of the same packet
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

    @staticmethod
    def _count(c: _Chunk, seg_flows: list[_Open]) -> None:
        """Per (flow, side) packets, IP bytes and payload bytes; per flow fragments and last packet time."""
        nseg, seg, ss = len(seg_flows), c.seg, c.seg_side
        b, r = c.batch, c.srows
        nss = nseg * 2
        pkts = np.bincount(ss, minlength=nss).tolist()
        ipb = np.bincount(ss, weights=b.ip_len[r], minlength=nss).tolist()
        pay = np.bincount(ss, weights=c.seglen, minlength=nss).tolist()
        frags = np.bincount(seg, weights=b.frag[r], minlength=nseg).tolist()
        last = np.full(nseg, -np.inf)
        np.maximum.at(last, seg, c.ts)
        for i, o in enumerate(seg_flows):
            for s in (0, 1):
                o.pkts[s] += pkts[2 * i + s]
                o.ip_bytes[s] += int(ipb[2 * i + s])
                o.payload[s] += int(pay[2 * i + s])
            o.fragments += int(frags[i])
            o.last_ts = max(o.last_ts, float(last[i]))

    @staticmethod
    def _letters_da(c: _Chunk, seg_flows: list[_Open]) -> None:
        """First data (D) / pure ACK (A) packet per side: TCP without SYN/FIN/RST; every UDP packet is D."""
        flags = c.flags
        is_tcp = c.proto == TCP
        plain = is_tcp & ((flags & (SYN | FIN | RST)) == 0)
        letter = np.full(c.n, -1)
        letter[plain & (c.payload_len > 0)] = 0  # D
        letter[plain & (c.payload_len == 0) & ((flags & ACK) != 0)] = 1  # A
        letter[c.proto == UDP] = 0
        has = letter >= 0
        if not has.any():
            return
        pos = np.flatnonzero(has)
        firsts = pos[_grouped_first(c.seg_side[pos] * 2 + letter[pos])]
        for i, s, l, row in zip(c.seg[firsts].tolist(), c.side[firsts].tolist(), letter[firsts].tolist(),
                                c.srows[firsts].tolist()):
            seg_flows[i].letter(c.base_order + row, s, "DA"[l])

    @staticmethod
    def _tcp_sequence(c: _Chunk, seg_flows: list[_Open]) -> None:
        """Relative sequence ends and acks per side (Zeek's sizes) and retransmissions (T/t letters, samples)."""
        tcp_pos = np.flatnonzero(c.proto == TCP)
        if tcp_pos.shape[0] == 0:
            return
        nss = 2 * len(seg_flows)
        base = np.array([[o.ep[0].base, o.ep[1].base] if o.ep else [-1, -1] for o in seg_flows],  # type: ignore
                        dtype=np.int64).reshape(-1)
        prior_end = np.array([[o.ep[0].max_end, o.ep[1].max_end] if o.ep else [0, 0] for o in seg_flows],  # type: ignore
                             dtype=np.int64).reshape(-1)
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
        end_l, ack_l = end_max.tolist(), ack_max.tolist()
        for i, o in enumerate(seg_flows):
            if o.ep is None:
                continue
            for s in (0, 1):
                e = o.ep[s]
                e.max_end = max(e.max_end, end_l[2 * i + s])
                e.max_ack = max(e.max_ack, ack_l[2 * i + s])
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
        room = np.array([[self.sample_bytes - len(o.samples[0]), self.sample_bytes - len(o.samples[1])]
                         if o.samples is not None else
                         [o.max_datagrams - len(o.datagrams[0]), o.max_datagrams - len(o.datagrams[1])]  # type: ignore
                         for o in seg_flows], dtype=np.int64).reshape(-1)
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
        sample = kept & tcp[order]
        self._retain_samples(c, seg_flows, order[sample], np.minimum(cost_o, room[oss] - before)[sample])
        self._retain_datagrams(c, seg_flows, np.sort(order[kept & ~tcp[order]]))

    @staticmethod
    def _retain_samples(c: _Chunk, seg_flows: list[_Open], pos: np.ndarray, take: np.ndarray) -> None:
        """Append the first ``take`` payload bytes of TCP packets to their flow side's sample."""
        mv = memoryview(c.batch.data).cast("B")
        for ss, off, n in zip(c.seg_side[pos].tolist(), c.batch.payload_off[c.srows[pos]].tolist(), take.tolist()):
            seg_flows[ss >> 1].samples[ss & 1].extend(mv[off: off + n])

    @staticmethod
    def _retain_datagrams(c: _Chunk, seg_flows: list[_Open], pos: np.ndarray) -> None:
        """Keep whole datagrams (ICMP messages with their header) in arrival order."""
        if pos.shape[0] == 0:
            return
        b = c.batch
        rows = c.srows[pos]
        icmp = np.isin(c.proto[pos], (ICMP, ICMP6)) * ICMP_HDR
        mv = memoryview(b.data).cast("B")
        for i, s, off, ln, ts in zip(c.seg[pos].tolist(), c.side[pos].tolist(), (b.payload_off[rows] - icmp).tolist(),
                                     (b.payload_len[rows] + icmp).tolist(), c.ts[pos].tolist()):
            o = seg_flows[i]
            o.datagrams[s].append(bytes(mv[off: off + ln]))
            o.datagram_ts.append((ts, s == o.orig))

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
            if target is None or len(target.icmp_errors) >= self.max_datagrams:
                continue
            reporter = _addr_text(_addr_packed(int(b.src_hi[row]), int(b.src_lo[row])))
            target.icmp_errors.append((float(c.ts[p]), reporter, int(b.sport[row]), int(b.dport[row])))

    def _to_flow(self, o: _Open) -> Flow:
        proto, a_hi, a_lo, b_hi, b_lo, pa, pb = o.key
        ends = ((_addr_packed(a_hi, a_lo), pa), (_addr_packed(b_hi, b_lo), pb))
        (o_raw, op), (r_raw, rp) = ends[o.orig], ends[1 - o.orig]
        cid = community_id_packed(proto, o_raw, r_raw, op, rp, o.one_way)
        oh, rh = _addr_text(o_raw), _addr_text(r_raw)
        r = 1 - o.orig
        f = Flow(uid=_uid(cid, o.ts, o_raw), ts=o.ts, last_ts=o.last_ts, proto=PROTO_NAMES.get(proto, str(proto)),
                 orig_h=oh, orig_p=op, resp_h=rh, resp_p=rp, community_id=cid, ip_ver=o.ip_ver,
                 orig_pkts=o.pkts[o.orig], resp_pkts=o.pkts[r], orig_ip_bytes=o.ip_bytes[o.orig],
                 resp_ip_bytes=o.ip_bytes[r], fragments=o.fragments, icmp_errors=o.icmp_errors)
        o.history.sort()
        f.history = "".join([ch for _, ch in o.history])
        if o.ep is not None:
            f.orig_bytes, f.resp_bytes = o.ep[o.orig].size(), o.ep[r].size()
            f.conn_state = _tcp_state(o.ep[o.orig], o.ep[r], f.orig_bytes, f.resp_bytes, f.history)
            f.retransmits = max(o.syns - 1, 0)
            f.orig_sample, f.resp_sample = bytes(o.samples[o.orig]), bytes(o.samples[r])
        else:
            f.orig_bytes, f.resp_bytes = o.payload[o.orig], o.payload[r]
            if proto == UDP:
                f.conn_state = {(True, True): "SF", (True, False): "S0", (False, True): "SHR"}.get(
                    (f.orig_pkts > 0, f.resp_pkts > 0), "OTH")
            f.orig_datagrams, f.resp_datagrams = o.datagrams[o.orig], o.datagrams[r]
            f.datagram_ts = o.datagram_ts
        return f


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


def _tcp_packet(o: _Open, side: int, flags: int, seq: int, ack: int, length: int, ts: float, order: int) -> None:
    """History letters and Zeek's endpoint state machine for one TCP control/first packet."""
    ep, peer = o.ep[side], o.ep[1 - side]  # type: ignore[index]
    is_orig = side == o.orig
    syn, fin, rst, has_ack = bool(flags & SYN), bool(flags & FIN), bool(flags & RST), bool(flags & ACK)
    if ep.base < 0:  # first packet of this side: the sequence origin
        ep.base = seq if syn else (seq - 1) % SEQ_SPACE
        ep.max_end = 1  # the SYN octet, or the virtual one before a partial connection's first byte
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
    """S/H/F/R letters (repeated when the sequence number moves), I (FIN+RST) and Q (other multi-flag)."""
    bits = syn + fin + rst
    if bits > 1:
        o.letter(order, side, "I" if fin and rst else "Q")
        return
    if syn:
        code = "H" if has_ack else "S"
        _repeatable(o, side, "SYN", code, seq != ep.last_syn, order)
        ep.last_syn = seq
    elif fin:
        end = (seq + length) % SEQ_SPACE
        _repeatable(o, side, "FIN", "F", end != ep.last_fin, order)
        ep.last_fin = end
    elif rst:
        _repeatable(o, side, "RST", "R", seq != ep.last_rst, order)
        ep.last_rst = seq


def _repeatable(o: _Open, side: int, kind: str, code: str, moved: bool, order: int) -> None:
    mark = f"{kind}{side}"
    if mark not in o.seen:
        o.seen.add(mark)
        o.letter(order, side, code, once=False)
    elif moved:
        o.letter(order, side, code, once=False)


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
