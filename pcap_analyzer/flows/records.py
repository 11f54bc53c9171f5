"""Slots to Flow records, in batches (``flow_records``): every field of all the flows as a column (the record
constructor, address text once per address, Community IDs, Zeek-looking uids mixed from each flow's Community ID
digest, counters and conn_state, history strings from the letter codes of all flows sorted at once, retained payload
taken out of its stores, conn.log protocol names), then one constructor call per flow, in (start time, uid) order."""
from __future__ import annotations

import dataclasses
import functools
import ipaddress
import itertools
import socket
from typing import Any

import numpy as np

from ..community_id import ICMP, ICMP6, community_ids_batch
from ..model import Flow
from .columns import Counters, History
from .grouping import mix, stable_argsort
from .protocol import TCP, UDP
from .retain import LaterSample, Retained
from .tcp import tcp_sizes, tcp_states, udp_states

PROTO_NAMES = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMP6: "icmp"}
BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
UID_ALPHABET = bytes(BASE62[i % 62] for i in range(256))  # byte -> base62 digit (translate table)
UID_SEEDS = (0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0)  # one per 8 bytes of uid material


#: The Flow fields the records fill, in order: positional construction when model.Flow declares them in this order.
RECORD_FIELDS = ("uid", "ts", "last_ts", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "community_id", "ip_ver",
                 "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "orig_bytes", "resp_bytes",
                 "conn_state", "history", "fragments", "retransmits", "orig_sample", "resp_sample",
                 "orig_datagrams", "resp_datagrams", "datagram_ts", "icmp_errors", "orig_later", "resp_later")


def _flow_by_keywords(*values: Any) -> Flow:
    return Flow(**dict(zip(RECORD_FIELDS, values)))


new_flow_record = Flow if tuple(f.name for f in dataclasses.fields(Flow))[:len(RECORD_FIELDS)] == RECORD_FIELDS \
    else _flow_by_keywords


def start_uid_order(start: np.ndarray, uids: list[str]) -> np.ndarray:
    """The order that sorts flows by (start time, uid); the uids are only compared when start times tie."""
    order = np.argsort(start, kind="stable")
    ordered = start[order]
    if not np.any(ordered[1:] == ordered[:-1]):
        return order
    return np.lexsort((np.array(uids, dtype="S"), start))


def flow_uids(digests: np.ndarray, ts: np.ndarray, flip: np.ndarray) -> list[str]:
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
            h = mix(h, v)
        out[:, i] = h
    text = out.view(np.uint8)[:, :17].tobytes().translate(UID_ALPHABET).decode("ascii")
    return ["C" + text[i: i + 17] for i in range(0, len(text), 17)]


def addr_texts(hi: np.ndarray, lo: np.ndarray) -> list[str]:
    """Canonical text of 128-bit addresses: IPv4 formatted once per distinct address, IPv6 through the cache."""
    out = np.empty(hi.shape[0], dtype=object)
    v4 = np.flatnonzero(hi == 0)
    if v4.shape[0]:
        uniq, inverse = np.unique(lo[v4], return_inverse=True)
        out[v4] = np.array([addr_text(addr_packed(0, x)) for x in uniq.tolist()], dtype=object)[inverse.ravel()]
    for i in np.flatnonzero(hi != 0).tolist():
        out[i] = addr_text(addr_packed(int(hi[i]), int(lo[i])))
    return out.tolist()


def addr_packed(hi: int, lo: int) -> bytes:
    """Network-order bytes of a 128-bit address half pair (4 bytes for IPv4-mapped)."""
    if hi == 0 and (lo >> 32) == 0xFFFF:
        return (lo & 0xFFFFFFFF).to_bytes(4, "big")
    return ((hi << 64) | lo).to_bytes(16, "big")


@functools.lru_cache(maxsize=65536)
def addr_text(packed: bytes) -> str:
    """Canonical text of a packed address (cached: the same hosts recur across many flows)."""
    return socket.inet_ntoa(packed) if len(packed) == 4 else str(ipaddress.IPv6Address(packed))


def history_texts(n: int, index: np.ndarray, codes: np.ndarray) -> list[str]:
    """History strings of ``n`` flows from their letters (flow ``index``, letter code): sorted by flow then code
    (that orders each flow's letters), decoded together, cut per flow."""
    by_code = stable_argsort(codes)
    order = by_code[stable_argsort(index[by_code])]
    text = (codes[order] & 0x7F).astype(np.uint8).tobytes().decode("ascii")
    ends = np.cumsum(np.bincount(index, minlength=n))
    return [text[a:b] for a, b in zip(itertools.chain((0,), ends.tolist()), ends.tolist())]


def flow_records(slots: np.ndarray, cols: Counters, history: History, retained: Retained,
                 icmp_errors: dict[int, list[tuple[float, str, int, int]]]) -> list[Flow]:
    """Flow records of the flows at ``slots`` sorted by (start time, uid): every field of all the flows as a column
    (address text, community id and uid, counters, conn_state, history strings, retained payload), then one
    constructor call per flow.  Their letters, retained payload and ICMP errors are taken out of ``history``,
    ``retained`` and ``icmp_errors``; their columns are left to the caller to release."""
    n = slots.shape[0]
    if n == 0:
        return []
    tcp = cols.key[slots, 0] == TCP
    slots = np.concatenate([slots[tcp], slots[~tcp]])  # TCP flows first (the final sort makes the order)
    n_tcp = int(tcp.sum())
    orig = cols.orig[slots]
    roles = np.stack([orig, 1 - orig], axis=1)  # key side of the originator, of the responder
    start = cols.start[slots]
    uids, identity = _identity(cols, slots, orig.astype(bool), start)
    histories = _histories(cols, history, slots)
    flows = list(map(
        new_flow_record, uids, start.tolist(), cols.last_ts[slots].tolist(), *identity,
        cols.ip_ver[slots].tolist(), *_sizes(cols, slots, roles, n_tcp, histories), histories,
        cols.fragments[slots].tolist(), np.maximum(cols.syns[slots] - 1, 0).tolist(),  # SYN retransmissions
        *_payloads(slots, roles, n_tcp, retained, icmp_errors)))
    return [flows[i] for i in start_uid_order(start, uids).tolist()]


def _identity(cols: Counters, slots: np.ndarray, flip: np.ndarray, start: np.ndarray
              ) -> tuple[list[str], list[list[Any]]]:
    """uids, and the columns proto, orig_h, orig_p, resp_h, resp_p, community_id (``flip``: key side 1 is the
    originator)."""
    proto, a_hi, a_lo, b_hi, b_lo, pa, pb = cols.key[slots].T
    o_hi, o_lo, o_p = np.where(flip, b_hi, a_hi), np.where(flip, b_lo, a_lo), np.where(flip, pb, pa)
    r_hi, r_lo, r_p = np.where(flip, a_hi, b_hi), np.where(flip, a_lo, b_lo), np.where(flip, pa, pb)
    cids, digests = community_ids_batch(proto, o_hi, o_lo, r_hi, r_lo, o_p, r_p, cols.one_way[slots])
    names = [PROTO_NAMES.get(p) or str(p) for p in proto.tolist()]
    return flow_uids(digests, start, flip), [names, addr_texts(o_hi, o_lo), o_p.tolist(), addr_texts(r_hi, r_lo),
                                             r_p.tolist(), cids]


def _sizes(cols: Counters, slots: np.ndarray, roles: np.ndarray, n_tcp: int, histories: list[str]
           ) -> list[list[Any]]:
    """The columns orig_pkts, resp_pkts, orig_ip_bytes, resp_ip_bytes, orig_bytes, resp_bytes, conn_state of
    flows whose first ``n_tcp`` are TCP: TCP payload bytes from the sequence space and conn_state from the
    endpoint states; other protocols' payload byte counts, UDP conn_state from who sent."""

    def by_role(col: np.ndarray) -> np.ndarray:
        """(n, 2) per key side values -> (originator, responder)."""
        return np.take_along_axis(col[slots], roles, axis=1)

    pkts, ip_bytes = by_role(cols.pkts), by_role(cols.ip_bytes)
    tcp = np.arange(slots.shape[0]) < n_tcp
    extent = np.where(cols.base[slots] < 0, 0, np.maximum(cols.max_end[slots], cols.max_ack[slots]) - 1)
    sizes = np.where(tcp[:, None], tcp_sizes(np.take_along_axis(extent, roles, axis=1), by_role(cols.fin)),
                     by_role(cols.payload))
    state = by_role(cols.state)
    states = np.where(tcp, tcp_states(state[:, 0], state[:, 1], sizes[:, 0], sizes[:, 1], histories),
                      np.where(cols.key[slots, 0] == UDP, udp_states(pkts[:, 0], pkts[:, 1]), "OTH"))
    return [*pkts.T.tolist(), *ip_bytes.T.tolist(), *sizes.T.tolist(), states.tolist()]


def _payloads(slots: np.ndarray, roles: np.ndarray, n_tcp: int, retained: Retained,
              icmp_errors: dict[int, list[tuple[float, str, int, int]]]) -> list[list[Any]]:
    """The columns orig_sample, resp_sample, orig_datagrams, resp_datagrams, datagram_ts, icmp_errors, orig_later,
    resp_later of flows whose first ``n_tcp`` are TCP (byte samples) and the rest other protocols (datagrams), taken
    out of ``retained`` and ``icmp_errors``."""
    o_keys, r_keys = (2 * slots[:, None] + roles).T.tolist()  # key of per flow side Python data of each role
    slot_list = slots.tolist()
    samples, datagrams, stamps, errors = retained.samples, retained.datagrams, retained.datagram_ts, icmp_errors
    tcp, other = range(n_tcp), range(slots.shape[0] - n_tcp)
    return [[b"".join(samples.pop(k, ())) for k in o_keys[:n_tcp]] + [b""] * len(other),
            [b"".join(samples.pop(k, ())) for k in r_keys[:n_tcp]] + [b""] * len(other),
            [[] for _ in tcp] + [datagrams.pop(k, None) or [] for k in o_keys[n_tcp:]],
            [[] for _ in tcp] + [datagrams.pop(k, None) or [] for k in r_keys[n_tcp:]],
            [[] for _ in tcp] + [stamps.pop(s, None) or [] for s in slot_list[n_tcp:]],
            [errors.pop(s, None) or [] for s in slot_list] if errors else [[] for _ in slot_list],
            *_later_pieces(retained.later, o_keys, r_keys)]


def _later_pieces(later: dict[int, LaterSample], o_keys: list[int], r_keys: list[int]) -> list[list[bytes]]:
    """The columns orig_later, resp_later (the sampled pieces joined, in flow order), taken out of ``later``."""
    if not later:
        return [[b""] * len(o_keys), [b""] * len(r_keys)]
    return [[got.data() if (got := later.pop(k, None)) else b"" for k in keys] for keys in (o_keys, r_keys)]


def _histories(cols: Counters, history: History, slots: np.ndarray) -> list[str]:
    """History strings of the flows at ``slots``, their letters taken out of ``history``."""
    handed = np.zeros(cols.capacity, dtype=bool)
    handed[slots] = True
    letter_slots, codes = history.take(handed)
    index = np.empty(cols.capacity, dtype=np.int64)
    index[slots] = np.arange(slots.shape[0])
    return history_texts(slots.shape[0], index[letter_slots], codes)
