"""FlowTable: bidirectional flows with Zeek conn.log semantics, accumulated chunk by chunk (``add``) and handed out
as Flow records (``drain`` / ``finish``).  Each chunk runs the steps of ``_add`` in order: keys and groups, idle
splits, flow segments (ordinary new TCP connections and non-TCP segments vectorised, the other TCP groups by walking
their event packets), counters, D/A letters, sequence ends and retransmissions, payload retention (``retain``), ICMP
errors.  Flows that are over become records in ``records.flow_records``."""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..community_id import ICMP, ICMP6
from ..config import Config
from ..gcpause import gc_paused
from ..model import Flow, PacketBatch
from .chunk import KEY, Chunk, canonical_keys, group_of_pos, group_rows
from .columns import Counters, History, letter_code, letter_codes
from .grouping import grouped_first, mask_at, ranks, run_starts, stable_argsort
from .icmp import ICMP_ERRORS, quoted_key
from .protocol import ACK, CLOSED, ESTABLISHED, FIN, INACTIVE, PORTED, RST, SEQ_SPACE, SYN, SYN_SENT, TCP, UDP
from .records import addr_packed, addr_text, flow_records
from .retain import Retained
from .tcp import (ENDPOINT_FIELDS, Endpoint, Open, attempting, attempting_states, closed_states, rel, starts_new_tcp,
                  tcp_packet)

TOO_LARGE_SEQ_DELTA = 1 << 20  # Zeek ignores SYN/RST sequence numbers this far from what it saw
NEG = -(1 << 33)  # below any relative sequence number
POWERS_OF_TEN = 10 ** np.arange(19, dtype=np.int64)  # retransmission counts that get a T letter


@dataclass(slots=True)
class _Plain:
    """Ordinary new TCP connections of a chunk (see FlowTable._plain_connections): their groups, the position of
    the SYN-ACK, and the position of each key side's FIN (-1: none)."""

    groups: np.ndarray
    p1: np.ndarray
    fins: np.ndarray  # (len(groups), 2)

    def groups_mask(self, c: Chunk) -> np.ndarray:
        return mask_at(c.starts.shape[0], self.groups)


class FlowTable:
    """Accumulates flows over any number of PacketBatch chunks (and capture files); ``finish`` returns them."""

    def __init__(self, cfg: Config) -> None:
        fc = cfg.flows
        self.timeouts = {TCP: fc.tcp_inactivity, UDP: fc.udp_inactivity,
                         ICMP: fc.icmp_inactivity, ICMP6: fc.icmp_inactivity}
        self.other_timeout = fc.udp_inactivity
        self.dns_timeout = fc.dns_inactivity
        self.attempt_timeout = fc.tcp_attempt_timeout
        self.sample_bytes = fc.sample_bytes
        self.max_datagrams = fc.max_datagrams
        self.later_samples = fc.later_samples
        self.later_sample_bytes = fc.later_sample_bytes
        self.max_dns = fc.max_dns_messages
        self.max_history = fc.max_history
        self.dns_ports = frozenset(fc.dns_ports)
        self.server_ports = frozenset(_server_ports(cfg.ports.expected))
        self.drain_grace = fc.drain_grace
        self._open: dict[bytes, int] = {}  # flow key (KEY) -> slot of the open flow
        self._done: list[int] = []  # slots of flows that are over, not handed out yet
        self._seen = 0  # packets added so far: the global order of history letters
        self._newest = -np.inf  # newest packet time seen: drain's clock
        self._cols = Counters()
        self._history = History()
        # what is not a number, per slot: retained payload (samples, datagrams and their times), ICMP errors quoting
        # the flow
        self._retained = Retained()
        self._icmp_errors: dict[int, list[tuple[float, str, int, int]]] = {}

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
        if self._open:
            keys = list(self._open)
            slots = np.fromiter(self._open.values(), dtype=np.int64, count=len(keys))
            cols = self._cols
            quiet = ref - cols.last_ts[slots]
            idle = quiet > cols.timeout[slots]
            ended = (quiet > self.drain_grace) & self._ended(slots, ref)
            over += [self._open.pop(keys[i]) for i in np.flatnonzero(idle | ended).tolist()]
        return self._flows(np.array(over, dtype=np.int64))

    def unfinished(self) -> int:
        """Flows not handed out yet: open, or over and not drained."""
        return len(self._open) + len(self._done)

    def finish(self) -> list[Flow]:
        """All flows (closed and still open, minus those drained before), sorted by start time."""
        flows = self._flows(np.array([*self._done, *self._open.values()], dtype=np.int64))
        self._done, self._open = [], {}
        return flows

    def open_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Key columns (proto, a_hi, a_lo, b_hi, b_lo, pa, pb as in ``chunk.KEY``) and the one-way mark of the flows
        still open: what a later range of the capture may continue (parallel/stitch.py)."""
        slots = np.fromiter(self._open.values(), dtype=np.int64, count=len(self._open))
        return self._cols.key[slots], self._cols.one_way[slots].astype(bool)

    def _flows(self, slots: np.ndarray) -> list[Flow]:
        """Flow records of the flows at ``slots`` (over), sorted by start time; the slots are freed."""
        with gc_paused():
            flows = flow_records(slots, self._cols, self._history, self._retained, self._icmp_errors)
        self._cols.release(slots)
        return flows

    def _ended(self, slots: np.ndarray, ref: float) -> np.ndarray:
        """TCP connections that ended (closed, or an attempt that timed out): only stragglers could still join them
        (asked once they have been quiet for the grace period)."""
        cols = self._cols
        state = cols.state[slots]
        syn_ts = cols.syn_ts[slots]
        timed_out = (syn_ts >= 0) & attempting_states(state, cols.orig[slots]) & (ref > syn_ts + self.attempt_timeout)
        return (cols.key[slots, 0] == TCP) & (closed_states(state) | timed_out)

    def _add(self, batch: PacketBatch) -> None:
        rows = self._usable_rows(batch)
        base_order = self._seen
        self._seen += len(batch)
        if rows.shape[0] == 0:
            return
        self._newest = max(self._newest, float(batch.ts[rows].max()))
        k = canonical_keys(batch, rows)
        c = Chunk(batch, rows, k, *group_rows(k), base_order)
        ng = len(c.group_keys)
        c.group_timeout, c.group_dns = self._group_timeouts(c)
        flows_at = np.fromiter(map(self._open.get, c.group_keys, itertools.repeat(-1, ng)), dtype=np.int64, count=ng)
        idle = self._idle_splits(c, flows_at)
        seg_starts, slots = self._segments(c, flows_at, idle)
        c.set_segments(seg_starts, slots, self._cols.orig[slots], np.isin(slots, flows_at[flows_at >= 0]))
        self._count(c)
        self._letters_da(c)
        self._tcp_sequence(c)
        self._retained.add(c, self._cols, self.later_samples, self.later_sample_bytes)
        self._icmp_errors_of(c)

    # ---- steps -----------------------------------------------------------------------------------------------------
    @staticmethod
    def _usable_rows(b: PacketBatch) -> np.ndarray:
        """IP rows, minus non-first fragments (no L4 header: no ports, no payload)."""
        non_first = b.frag & (b.sport == 0) & (b.dport == 0) & (b.payload_len == 0) & np.isin(b.proto, (
            *PORTED, ICMP, ICMP6))
        return np.flatnonzero((b.ip_ver != 0) & ~non_first)

    usable_rows = _usable_rows  # the rows a flow counts (parallel/segment.py indexes them)

    def _group_timeouts(self, c: Chunk) -> tuple[np.ndarray, np.ndarray]:
        """Inactivity timeout of each group's flows, and whether they are DNS flows (UDP with a DNS port)."""
        proto, pa, pb = c.group_key_cols[:, 0], c.group_key_cols[:, 5], c.group_key_cols[:, 6]
        timeout = np.full(proto.shape[0], self.other_timeout)
        for p, t in self.timeouts.items():
            timeout[proto == p] = t
        dns_ports = list(self.dns_ports)
        dns = (proto == UDP) & (np.isin(pa, dns_ports) | np.isin(pb, dns_ports))
        timeout[dns] = self.dns_timeout
        return timeout, dns

    def _idle_splits(self, c: Chunk, flows_at: np.ndarray) -> np.ndarray:
        """Sorted positions where the time between a packet and the previous packet of the same key (in capture
        order) exceeds the idle timeout, forwards or backwards (``flows_at``: slot of each group's open flow, -1
        for none).  A packet stamped more than a timeout before its predecessor (a capture clock stepped back, or
        captures concatenated out of order) cannot continue that connection; comparing consecutive packets, not
        the flow's newest time, makes the splits the same however the packets are cut into chunks."""
        ts = c.ts
        prev = np.empty(c.n)
        prev[1:] = ts[:-1]
        prev[c.starts] = np.where(flows_at >= 0, self._cols.prev_ts[flows_at], ts[c.starts])
        return np.flatnonzero(np.abs(ts - prev) > np.repeat(c.group_timeout, np.diff(np.append(c.starts, c.n))))

    def _segments(self, c: Chunk, flows_at: np.ndarray, idle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each flow segment of the chunk starts (sorted position) and its flow's slot: ordinary new TCP
        connections and non-TCP segments vectorised, the other TCP groups by walking their event packets."""
        n = c.n
        boundary = mask_at(n, c.starts)
        boundary[idle] = True
        is_tcp = c.proto == TCP
        idle_set = mask_at(n, idle)
        plain = self._plain_connections(c, flows_at, idle)
        other = np.flatnonzero(boundary & ~is_tcp)  # the only events of other protocols: segment starts
        not_walked = ~is_tcp | np.repeat(plain.groups_mask(c), np.diff(np.append(c.starts, n)))
        walk_starts, walk_slots = self._walk_events(c, flows_at, boundary, idle_set, not_walked)
        starts = np.concatenate([np.array(walk_starts, dtype=np.int64), c.starts[plain.groups], other])
        slots = np.concatenate([np.array(walk_slots, dtype=np.int64), self._open_plain(c, plain),
                                self._other_segments(c, flows_at, other, idle_set[other])])
        order = np.argsort(starts)  # distinct positions
        return starts[order], slots[order]

    def _walk_events(self, c: Chunk, flows_at: np.ndarray, boundary: np.ndarray, idle_set: np.ndarray,
                     skip: np.ndarray) -> tuple[list[int], list[int]]:
        """Run the per-flow TCP logic over the event packets of the positions not in ``skip`` (on working copies of
        the flows, written back at the end); returns segment start positions and their flows' slots."""
        n = c.n
        walked = np.flatnonzero(~skip)  # whole groups (TCP only)
        if walked.shape[0] == 0:
            return [], []
        flags = c.flags[walked]
        # only a side's first packet (after a segment start or a SYN, which may start a new connection) moves an
        # endpoint out of INACTIVE; after that only SYN/FIN/RST change states
        bound_or_syn = boundary[walked] | ((flags & SYN) != 0)
        last_b = np.maximum.accumulate(np.where(bound_or_syn, walked, -1))
        event = boundary[walked] | ((flags & (SYN | FIN | RST)) != 0)
        event[grouped_first(last_b * 2 + c.side[walked])] = True
        ev = walked[event]
        group_of = group_of_pos(c, ev)

        seg_starts: list[int] = []
        seg_flows: list[Open] = []
        cur: Open | None = None
        pending = -1  # position where an unanswered attempt times out before the next event (Zeek's attempt timer)
        group_end = np.append(c.starts[1:], n).tolist()
        starts = c.starts.tolist()
        ts_list: list[float] = []  # c.ts as a list, made when an attempt timer is first needed
        open_at = flows_at.tolist()
        cols = zip(ev.tolist(), group_of.tolist(), boundary[ev].tolist(), idle_set[ev].tolist(),
                   c.side[ev].tolist(), c.flags[ev].tolist(), c.seq[ev].tolist(), c.ack[ev].tolist(),
                   c.seglen[ev].tolist(), c.ts[ev].tolist(), c.orders(ev).tolist())
        for p, g, bound, is_idle, side, flags, seq, ack, length, ts, order in cols:
            if 0 <= pending < p:
                cur = self._split_at(c, seg_starts, seg_flows, cur, pending)
            pending = -1
            fresh = False
            if bound:
                if p == starts[g]:
                    cur = self._load(open_at[g], c.group_keys[g]) if open_at[g] >= 0 else None
                if cur is None or is_idle:
                    if cur is not None:
                        self._close(cur.key, cur.slot)
                    cur, fresh = self._new_flow(c, g, side, flags, ts, order), True
                seg_starts.append(p)
                seg_flows.append(cur)
            if not fresh and starts_new_tcp(cur, side, flags, seq, ts, self.attempt_timeout):  # type: ignore
                cur = self._split(seg_starts, seg_flows, cur, p, self._new_flow(c, g, side, flags, ts, order))
            tcp_packet(cur, side, flags, seq, ack, length, ts, order, self._cols)  # type: ignore[arg-type]
            if cur.syn_ts >= 0 and attempting(cur):  # type: ignore[union-attr]
                ts_list = ts_list or c.ts.tolist()
                q = bisect.bisect_right(ts_list, cur.syn_ts + self.attempt_timeout, p + 1, group_end[g])  # type: ignore
                pending = q if q < group_end[g] else -1
        if pending >= 0:
            self._split_at(c, seg_starts, seg_flows, cur, pending)
        self._store(seg_flows)  # the flows a split replaced before their first packet did not change
        return seg_starts, [o.slot for o in seg_flows]

    def _load(self, slot: int, key: bytes) -> Open:
        """A working copy of the TCP connection at ``slot`` for the walk."""
        cols = self._cols
        values = [getattr(cols, name)[slot].tolist() for name in ENDPOINT_FIELDS]
        o = Open(key, slot, int(cols.orig[slot]), self.max_history, (Endpoint(*[v[0] for v in values]),
                                                                     Endpoint(*[v[1] for v in values])))
        o.syns, o.syn_ts = int(cols.syns[slot]), float(cols.syn_ts[slot])
        o.nhist, o.once = int(cols.nhist[slot]), int(cols.once[slot])
        return o

    def _store(self, walked: list[Open]) -> None:
        """Write the walk's working copies back to their columns; their new letters join the history."""
        if not walked:
            return
        cols = self._cols
        slots = np.array([o.slot for o in walked], dtype=np.int64)
        for name in ENDPOINT_FIELDS:
            getattr(cols, name)[slots] = [(getattr(o.ep[0], name), getattr(o.ep[1], name)) for o in walked]
        cols.syns[slots] = [o.syns for o in walked]
        cols.syn_ts[slots] = [o.syn_ts for o in walked]
        cols.nhist[slots] = [o.nhist for o in walked]
        cols.once[slots] = [o.once for o in walked]
        lens = [len(o.letters) for o in walked]
        self._history.add(np.repeat(slots, lens), np.array(list(itertools.chain.from_iterable(
            o.letters for o in walked)), dtype=np.int64))

    def _other_segments(self, c: Chunk, flows_at: np.ndarray, pos: np.ndarray, idle: np.ndarray) -> np.ndarray:
        """Slots of the segments of non-TCP flows starting at ``pos`` (no state to walk): the open flow continues
        at its group's start unless idle; every other segment start closes the previous flow of its key (in
        position order) and opens a new one."""
        if pos.shape[0] == 0:
            return np.zeros(0, dtype=np.int64)
        g = group_of_pos(c, pos)
        start = pos == c.starts[g]
        existing = flows_at[g]
        fresh = ~(start & (existing >= 0) & ~idle)
        slots = existing.copy()
        slots[fresh] = self._open_other(c, g[fresh], pos[fresh])
        # closed: an open flow its group's first segment replaces, and every segment followed by one of its group
        replaced = start & fresh & (existing >= 0)
        followed = np.append(g[1:] == g[:-1], False)
        closed_at = np.concatenate([pos[replaced], pos[1:][followed[:-1]]])
        closed = np.concatenate([existing[replaced], slots[followed]])
        self._done += closed[np.argsort(closed_at)].tolist()
        self._open.update(zip([c.group_keys[i] for i in g[fresh].tolist()], slots[fresh].tolist()))
        return slots

    def _open_other(self, c: Chunk, g: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Slots of new non-TCP flows of groups ``g`` starting at positions ``pos`` (what _new_flow does,
        vectorised): originator flipped to the sender of a UDP packet from a likely server port; DNS timeouts and
        retention."""
        key = c.group_key_cols[g]
        proto, pa, pb = key[:, 0], key[:, 5], key[:, 6]
        side = c.side[pos]
        sport, dport = np.where(side == 0, pa, pb), np.where(side == 0, pb, pa)
        servers = [port for p, port in self.server_ports if p == UDP]
        flip = (proto == UDP) & np.isin(sport, servers) & ~np.isin(dport, servers)
        dns = c.group_dns[g]
        cols = self._cols
        slots = cols.alloc_many(g.shape[0], c.group_timeout[g], np.where(dns, self.max_dns, self.max_datagrams))
        cols.start[slots] = c.ts[pos]
        cols.orig[slots] = side ^ flip
        cols.ip_ver[slots] = c.group_ipver[g]
        cols.one_way[slots] = c.group_oneway[g]
        cols.nhist[slots[flip]] = 1
        self._history.add(slots[flip], (c.orders(pos[flip]) << 8) | ord("^"))  # letter_code(order, "^", flip=True)
        return slots

    def _plain_connections(self, c: Chunk, flows_at: np.ndarray, idle: np.ndarray) -> _Plain:
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
        ok &= flows_at < 0
        ok &= np.bincount(gid[idle], minlength=ng) == 0
        back = np.flatnonzero(c.ts[1:] < c.ts[:-1]) + 1  # time going backwards inside a group
        ok &= np.bincount(gid[back[gid[back] == gid[back - 1]]], minlength=ng) == 0
        ok &= np.bincount(gid, weights=(kind & SYN) != 0, minlength=ng) == 2
        ok &= np.bincount(gid, weights=(kind & RST) != 0, minlength=ng) == 0
        # the responder's first packet: the SYN-ACK
        other = np.flatnonzero(c.side != side0[gid])
        p1 = np.full(ng, n)
        other_g = gid[other]
        first_other = run_starts(other_g)
        p1[other_g[first_other]] = other[first_other]
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

    def _open_plain(self, c: Chunk, plain: _Plain) -> np.ndarray:
        """Slots of the flows of ordinary connections, in the state the walk would leave them: S and h letters,
        both sides ESTABLISHED (CLOSED after their FIN, with an F letter)."""
        p0, p1 = c.starts[plain.groups], plain.p1
        m = p0.shape[0]
        if m == 0:
            return np.zeros(0, dtype=np.int64)
        cols = self._cols
        slots = cols.alloc_many(m, self.timeouts[TCP], self.sample_bytes)
        side0 = c.side[p0]
        ab = np.stack([side0, 1 - side0], axis=1)  # key side of the originator (a), the responder (b)
        rows = slots[:, None]
        cols.start[slots] = c.ts[p0]
        cols.orig[slots] = side0
        cols.ip_ver[slots] = c.group_ipver[plain.groups]
        cols.syns[slots] = 1
        cols.syn_ts[slots] = c.ts[p0]
        cols.base[rows, ab] = np.stack([c.seq[p0], c.seq[p1]], axis=1)
        cols.last_syn[rows, ab] = cols.base[rows, ab]
        cols.max_end[slots] = 1
        # per side (a, b): its FIN position (-1: none) and that FIN's sequence end
        fin = np.take_along_axis(plain.fins, ab, axis=1)
        has_fin = fin >= 0
        fc = np.maximum(fin, 0)
        cols.fin[rows, ab] = has_fin
        cols.last_fin[rows, ab] = np.where(has_fin, (c.seq[fc].astype(np.int64) + c.seglen[fc]) % SEQ_SPACE, -1)
        cols.state[rows, ab] = np.where(has_fin, CLOSED, ESTABLISHED)
        cols.prev_state[rows, ab] = np.where(has_fin, ESTABLISHED, [[SYN_SENT, INACTIVE]])
        # letters in the walk's order: S, h, then F / f where a side sent its FIN
        codes = np.stack([letter_codes(c.orders(p0), ord("S")), letter_codes(c.orders(p1), ord("h")),
                          letter_codes(c.orders(fc[:, 0]), ord("F")), letter_codes(c.orders(fc[:, 1]), ord("f"))],
                         axis=1)
        given = np.concatenate([np.ones((m, 2), dtype=bool), has_fin], axis=1)
        cols.nhist[slots] = given.sum(axis=1)
        self._history.add(np.broadcast_to(rows, given.shape)[given], codes[given])
        self._open.update(zip([c.group_keys[g] for g in plain.groups.tolist()], slots.tolist()))
        return slots

    def _split_at(self, c: Chunk, seg_starts: list[int], seg_flows: list[Open], cur: Open | None,
                  p: int) -> Open:
        """Split where an unanswered attempt timed out (a position found by time, not an event packet)."""
        side, flags, ts, order = int(c.side[p]), int(c.flags[p]), float(c.ts[p]), c.base_order + int(c.srows[p])
        new = self._split(seg_starts, seg_flows, cur, p, self._new_flow(c, int(group_of_pos(c, p)), side, flags, ts,
                                                                       order))
        tcp_packet(new, side, flags, int(c.seq[p]), int(c.ack[p]), int(c.seglen[p]), ts, order, self._cols)
        return new

    def _split(self, seg_starts: list[int], seg_flows: list[Open], cur: Open | None, p: int, new: Open) -> Open:
        """Close ``cur``; ``new`` (same key) starts at sorted position ``p``."""
        if cur is not None:
            self._close(cur.key, cur.slot)
        if seg_starts and seg_starts[-1] == p:
            seg_flows[-1] = new
        else:
            seg_starts.append(p)
            seg_flows.append(new)
        return new

    def _new_flow(self, c: Chunk, g: int, side: int, flags: int, ts: float, order: int) -> Open:
        """A new flow of group ``g`` whose first packet was sent by key side ``side``."""
        key = c.group_keys[g]
        proto, pa, pb = c.group_key_cols[g, [0, 5, 6]].tolist()
        sport, dport = (pa, pb) if side == 0 else (pb, pa)
        orig = side ^ int(self._flip(proto, sport, dport, flags))
        dns = proto == UDP and (pa in self.dns_ports or pb in self.dns_ports)
        timeout = self.dns_timeout if dns else self.timeouts.get(proto, self.other_timeout)
        max_datagrams = self.max_dns if dns else self.max_datagrams
        cols = self._cols
        slot = cols.alloc(timeout, self.sample_bytes if proto == TCP else max_datagrams)
        cols.start[slot], cols.orig[slot] = ts, orig
        cols.ip_ver[slot], cols.one_way[slot] = c.group_ipver[g], c.group_oneway[g]
        o = Open(key, slot, orig, self.max_history)
        if orig != side:
            o.letters.append(letter_code(order, "^", flip=True))  # before the letters of the same packet
            o.nhist = 1
        self._open[key] = slot
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

    def _close(self, key: bytes, slot: int) -> None:
        self._done.append(slot)
        if self._open.get(key) == slot:
            del self._open[key]

    def _add_letters(self, slots: np.ndarray, codes: np.ndarray) -> None:
        """Give letters (in the order Zeek's code gives them) to the flows at ``slots``, but none to a flow whose
        history is full (MAX_HISTORY)."""
        if slots.shape[0] == 0:
            return
        by_slot = stable_argsort(slots)
        s = slots[by_slot]
        nhist = self._cols.nhist
        kept = by_slot[nhist[s] + ranks(s) < self.max_history]
        np.add.at(nhist, slots[kept], 1)
        kept.sort()
        self._history.add(slots[kept], codes[kept])

    def _count(self, c: Chunk) -> None:
        """Per (flow, side) packets, IP bytes and payload bytes; per flow fragments and last packet time."""
        seg, ss, slots = c.seg, c.seg_side, c.slots
        nseg = slots.shape[0]
        b, r = c.batch, c.srows
        nss = nseg * 2
        cols = self._cols
        # a chunk's segments are distinct flows: plain fancy-index updates
        cols.pkts[slots] += np.bincount(ss, minlength=nss).reshape(nseg, 2)
        cols.ip_bytes[slots] += np.bincount(ss, weights=b.ip_len[r], minlength=nss).astype(np.int64).reshape(nseg, 2)
        cols.payload[slots] += np.bincount(ss, weights=c.seglen, minlength=nss).astype(np.int64).reshape(nseg, 2)
        cols.fragments[slots] += np.bincount(seg, weights=b.frag[r], minlength=nseg).astype(np.int64)
        cols.last_ts[slots] = np.maximum(cols.last_ts[slots], np.maximum.reduceat(c.ts, c.seg_starts))
        cols.prev_ts[slots] = c.ts[np.append(c.seg_starts[1:], c.n) - 1]  # each segment's last packet
        cols.key[slots] = c.group_key_cols[group_of_pos(c, c.seg_starts)]

    def _letters_da(self, c: Chunk) -> None:
        """First data (D) / pure ACK (A) packet per side: TCP without SYN/FIN/RST; every UDP packet is D.  Which of
        D/A/d/a a flow has had is a bit mask column, so only the letters to add are given."""
        flags = c.flags
        plain = (c.proto == TCP) & ((flags & (SYN | FIN | RST)) == 0)
        data = (plain & (c.payload_len > 0)) | (c.proto == UDP)
        pure_ack = plain & (c.payload_len == 0) & ((flags & ACK) != 0)
        found = []
        for mask, letter in ((data, ord("D")), (pure_ack, ord("A"))):
            for side in (0, 1):
                pos = np.flatnonzero(mask & (c.side == side))
                first = pos[run_starts(c.seg[pos])]  # per flow segment
                found.append((first, np.full(first.shape[0], letter)))
        firsts = np.concatenate([f for f, _ in found])
        by_pos = np.argsort(firsts)  # distinct positions: packet order, as Zeek gives the letters
        firsts, char = firsts[by_pos], np.concatenate([ch for _, ch in found])[by_pos]
        seg = c.seg[firsts]
        char += (c.side[firsts] != c.seg_orig[seg]) * (ord("a") - ord("A"))  # the responder's letters
        bit = np.select([char == ord("D"), char == ord("A"), char == ord("d")], [1, 2, 4], 8).astype(np.uint8)
        slots = c.slots[seg]
        new = (self._cols.da[slots] & bit) == 0
        np.bitwise_or.at(self._cols.da, slots[new], bit[new])  # given, or refused by a full history: never again
        self._add_letters(slots[new], letter_codes(c.orders(firsts[new]), char[new]))

    def _tcp_sequence(self, c: Chunk) -> None:
        """Relative sequence ends and acks per side (Zeek's sizes) and retransmissions (T/t letters, samples)."""
        tcp_pos = np.flatnonzero(c.proto == TCP)
        if tcp_pos.shape[0] == 0:
            return
        nss = 2 * c.slots.shape[0]
        cols = self._cols
        base = cols.base[c.slots].reshape(-1)
        prior_end = cols.max_end[c.slots].reshape(-1)
        order = c.by_flow_side(tcp_pos)
        oss = c.seg_side[order]
        rst = (c.flags[order] & RST) != 0
        rel_end = rel(c.seq[order].astype(np.int64) + c.seqlen[order], base[oss])
        # grouped running max of the sequence end of non-RST packets, seeded with the end reached before (earlier
        # chunks, or 1 set by the side's first packet); data ending at or below it is a retransmission (DidRxmit)
        gstart = run_starts(oss)
        seed = prior_end[oss]
        val = np.where(rst, NEG, rel_end)
        shift = np.int64(1 << 36)
        offset = np.cumsum(gstart) * shift + shift // 2  # increasing from group to group: the max restarts
        run = np.maximum.accumulate(offset + np.where(gstart, np.maximum(val, seed), val))
        prev_val = np.empty_like(run)
        prev_val[1:] = run[:-1] - offset[1:]
        prev_val[gstart] = seed[gstart]
        rx = ~rst & (c.payload_len[order] > 0) & (rel_end <= prev_val)
        c.rxmit[order] = rx
        # a RST moves the end too, unless its sequence number is far off (Zeek distrusts those)
        counted = ~rst | (np.abs(rel_end - prev_val) <= TOO_LARGE_SEQ_DELTA)
        runs = np.flatnonzero(gstart)
        end_max = np.full(nss, NEG)
        end_max[oss[runs]] = np.maximum.reduceat(np.where(counted, rel_end, NEG), runs)
        # acks (not in RSTs) sent by one side measure the other side's data
        peer = oss ^ 1
        ack_ok = ~rst & ((c.flags[order] & ACK) != 0) & (base[peer] >= 0)
        ack_max = np.full(nss, NEG)
        ack_max[peer[runs]] = np.maximum.reduceat(np.where(ack_ok, rel(c.ack[order].astype(np.int64), base[peer]),
                                                           NEG), runs)
        slots = c.slots  # distinct flows
        cols.max_end[slots] = np.maximum(cols.max_end[slots], end_max.reshape(-1, 2))
        cols.max_ack[slots] = np.maximum(cols.max_ack[slots], ack_max.reshape(-1, 2))
        self._retransmit_letters(c, order[rx])

    def _retransmit_letters(self, c: Chunk, pos: np.ndarray) -> None:
        """Retransmissions ``pos`` (grouped by flow side, capture order inside) counted per side; T/t letters at the
        1st, 10th, 100th ... retransmission of a side (Zeek's scaled history)."""
        if pos.shape[0] == 0:
            return
        ss = c.seg_side[pos]
        slots, sides = c.slots[ss >> 1], ss & 1
        rxmit = self._cols.rxmit
        count = rxmit[slots, sides] + ranks(ss) + 1
        np.add.at(rxmit, (slots, sides), 1)
        ten = np.isin(count, POWERS_OF_TEN)
        char = np.where(sides == c.seg_orig[ss >> 1], ord("T"), ord("t"))
        self._add_letters(slots[ten], letter_codes(c.orders(pos[ten]), char[ten]))

    def _icmp_errors_of(self, c: Chunk) -> None:
        """ICMP errors quoting a packet: tie them back to the flow of the quoted packet."""
        b = c.batch
        is_err = np.zeros(c.n, dtype=bool)
        for proto, types in ICMP_ERRORS.items():
            is_err |= (c.proto == proto) & np.isin(b.sport[c.srows], list(types))
        for p in np.flatnonzero(is_err).tolist():
            row = int(c.srows[p])
            off, ln = int(b.payload_off[row]), int(b.payload_len[row])
            key = quoted_key(bytes(b.data[off: off + ln]))
            target = self._open.get(KEY.pack(*key), -1) if key else -1
            if target < 0:
                continue
            errors = self._icmp_errors.setdefault(target, [])
            if len(errors) >= self.max_datagrams:
                continue
            reporter = addr_text(addr_packed(int(b.src_hi[row]), int(b.src_lo[row])))
            errors.append((float(c.ts[p]), reporter, int(b.sport[row]), int(b.dport[row])))


def _server_ports(expected: dict[str, Any]) -> list[tuple[int, int]]:
    out = []
    for key in expected:
        name, _, port = str(key).partition("/")
        if name in ("tcp", "udp") and port.isdigit():
            out.append((TCP if name == "tcp" else UDP, int(port)))
    return out
