"""ICMP keying as Zeek and Community ID do it: type -> counterpart type tables (the counterpart stands in for the
responder port; one-way types have none and keep their direction), and the flow key of the packet an ICMP error
quotes, so the error can be tied back to the flow it reports on."""
from __future__ import annotations

import struct

import numpy as np

from ..community_id import ICMP, ICMP4_COUNTERPART, ICMP6, ICMP6_COUNTERPART
from .protocol import PORTED

IPV4_MAPPED = 0x0000FFFF00000000
# ICMP errors that quote the offending packet (IP header + at least 8 bytes): unreachable, source quench, redirect,
# time exceeded, parameter problem; ICMPv6 unreachable, packet too big, time exceeded, parameter problem.
ICMP_ERRORS = {ICMP: frozenset({3, 4, 5, 11, 12}), ICMP6: frozenset({1, 2, 3, 4})}
ICMP_HDR = 8


def _counterpart_table(table: dict[int, int]) -> np.ndarray:
    out = np.full(256, -1, dtype=np.int32)
    for k, v in table.items():
        out[k] = v
    return out


COUNTERPART = {ICMP: _counterpart_table(ICMP4_COUNTERPART), ICMP6: _counterpart_table(ICMP6_COUNTERPART)}


def quoted_key(quoted: bytes) -> tuple[int, ...] | None:
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
