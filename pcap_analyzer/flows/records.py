"""What turns table slots into Flow records, in batches (``FlowTable._to_flows``): the record constructor, address
text once per address, Zeek-looking uids mixed from each flow's Community ID digest, history strings from the letter
codes of all flows sorted at once, conn.log protocol names, and the (start time, uid) order of the records."""
from __future__ import annotations

import dataclasses
import functools
import ipaddress
import itertools
import socket
from typing import Any

import numpy as np

from ..community_id import ICMP, ICMP6
from ..model import Flow
from .grouping import mix, stable_argsort
from .protocol import TCP, UDP

PROTO_NAMES = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMP6: "icmp"}
BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
UID_ALPHABET = bytes(BASE62[i % 62] for i in range(256))  # byte -> base62 digit (translate table)
UID_SEEDS = (0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0)  # one per 8 bytes of uid material


#: The Flow fields the records fill, in order: positional construction when model.Flow declares them in this order.
RECORD_FIELDS = ("uid", "ts", "last_ts", "proto", "orig_h", "orig_p", "resp_h", "resp_p", "community_id", "ip_ver",
                 "orig_pkts", "resp_pkts", "orig_ip_bytes", "resp_ip_bytes", "orig_bytes", "resp_bytes",
                 "conn_state", "history", "fragments", "retransmits", "orig_sample", "resp_sample",
                 "orig_datagrams", "resp_datagrams", "datagram_ts", "icmp_errors")


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
