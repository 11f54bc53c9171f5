"""Community ID v1 (https://github.com/corelight/community-id-spec), the join key between the three engines.

The ICMP/ICMPv6 type -> port mapping is Zeek's (``ICMP4_counterpart`` / ``ICMP6_counterpart``): request/reply types
map to (type, counterpart type) and are ordered like ports; every other type maps to (type, code) and is "one way",
i.e. its endpoints are never swapped.  ``flows/chunk.py`` keys ICMP flows with the same mapping.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import struct

import numpy as np

from .errors import InputError

ICMP = 1
ICMP6 = 58
#: protocols whose two 16-bit port fields take part in the hash
PORT_PROTOS = frozenset({6, 17, 132, ICMP, ICMP6})

DIGEST = 20  # SHA-1 bytes

# echo, timestamp, information, router solicitation/advertisement, address mask
ICMP4_COUNTERPART = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
# echo, router sol/adv, neighbour sol/adv, MLD query/report, node information, home agent address discovery
ICMP6_COUNTERPART = {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130,
                     139: 140, 140: 139, 144: 145, 145: 144}


def icmp_ports(proto: int, icmp_type: int, icmp_code: int) -> tuple[int, int, bool]:
    """(sport, dport, one_way) equivalents of an ICMP/ICMPv6 type and code, as Zeek and the spec define them."""
    table = ICMP4_COUNTERPART if proto == ICMP else ICMP6_COUNTERPART
    counterpart = table.get(icmp_type)
    if counterpart is None:
        return icmp_type, icmp_code, True
    return icmp_type, counterpart, False


def _packed(addr: str) -> bytes:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        raise InputError(f"community id: '{addr}' is not an IP address") from None
    return ip.packed


def _port_order(port: int, same_addr: bool) -> int:
    """Sort value of a port. Between two equal addresses Zeek and Suricata compare the ports as the little-endian
    reading of their network-order bytes (the spec's reference compares numerically); the engines we join with
    win, so a flow from 127.0.0.1 to itself carries the same ID in all three."""
    return ((port & 0xFF) << 8 | port >> 8) if same_addr else port


def community_id_v1(proto: int, saddr: str, daddr: str, sport: int, dport: int, seed: int = 0) -> str:
    """Community ID v1 of one packet's (or one flow's) tuple; direction does not matter (except one-way ICMP).

    For ICMP/ICMPv6 pass the type as ``sport`` and the code as ``dport``.
    """
    one_way = False
    if proto in (ICMP, ICMP6):
        sport, dport, one_way = icmp_ports(proto, sport, dport)
    return community_id_mapped(proto, saddr, daddr, sport, dport, one_way, seed)


def community_id_mapped(proto: int, saddr: str, daddr: str, sport: int, dport: int, one_way: bool = False,
                        seed: int = 0) -> str:
    """Community ID v1 of a tuple whose ICMP type/code are already mapped to ports (see ``icmp_ports``)."""
    src, dst = _packed(saddr), _packed(daddr)
    if len(src) != len(dst):
        raise InputError(f"community id: {saddr} and {daddr} are not the same address family")
    return community_id_packed(proto, src, dst, sport, dport, one_way, seed)


def community_id_packed(proto: int, src: bytes, dst: bytes, sport: int, dport: int, one_way: bool = False,
                        seed: int = 0) -> str:
    """Community ID v1 from packed (network order) addresses and mapped ports (the flow table uses the batch form,
    ``community_ids_batch``)."""
    return "1:" + base64.b64encode(_digest_packed(proto, src, dst, sport, dport, one_way, seed)).decode("ascii")


def _digest_packed(proto: int, src: bytes, dst: bytes, sport: int, dport: int, one_way: bool, seed: int) -> bytes:
    """SHA-1 of the spec's hash input: seed, the ordered endpoints, protocol, padding, ports."""
    if not one_way and (dst, _port_order(dport, src == dst)) < (src, _port_order(sport, src == dst)):
        src, dst, sport, dport = dst, src, dport, sport
    data = struct.pack("!H", seed & 0xFFFF) + src + dst + struct.pack("!BB", proto, 0)
    if proto in PORT_PROTOS:
        data += struct.pack("!HH", sport, dport)
    return hashlib.sha1(data).digest()


def community_ids_batch(proto: np.ndarray, s_hi: np.ndarray, s_lo: np.ndarray, d_hi: np.ndarray, d_lo: np.ndarray,
                        sport: np.ndarray, dport: np.ndarray, one_way: np.ndarray, seed: int = 0
                        ) -> tuple[list[str], np.ndarray]:
    """Community ID v1 of many tuples at once: (ids, SHA-1 digests as an (n, 20) uint8 array).

    Addresses are the flow table's 128-bit halves (IPv4-mapped for IPv4: hashed as 4 bytes), ports already mapped
    (ICMP: ``icmp_ports``).  The hash inputs are built with numpy, one SHA-1 call per tuple, and the base64 text of
    all digests in one call.
    """
    n = proto.shape[0]
    digests = np.zeros((n, DIGEST + 1), dtype=np.uint8)  # one spare zero byte: 21 bytes = 28 base64 characters
    if n == 0:
        return [], digests[:, :DIGEST]
    proto = proto.astype(np.uint64)
    v4 = _is_v4(s_hi, s_lo)
    mixed = v4 != _is_v4(d_hi, d_lo)  # an IPv4-mapped IPv6 address: hashed as 4 bytes beside 16, one by one
    same = (s_hi == d_hi) & (s_lo == d_lo)
    sp, dp = sport.astype(np.uint64), dport.astype(np.uint64)
    low, eight = np.uint64(0xFF), np.uint64(8)
    sp_o = np.where(same, ((sp & low) << eight) | (sp >> eight), sp)  # _port_order, vectorised
    dp_o = np.where(same, ((dp & low) << eight) | (dp >> eight), dp)
    dst_first = (d_hi < s_hi) | ((d_hi == s_hi) & ((d_lo < s_lo) | ((d_lo == s_lo) & (dp_o < sp_o))))
    swap = ~one_way.astype(bool) & dst_first
    a_hi, a_lo, b_hi, b_lo = (np.where(swap, d_hi, s_hi), np.where(swap, d_lo, s_lo), np.where(swap, s_hi, d_hi),
                              np.where(swap, s_lo, d_lo))
    pa, pb = np.where(swap, dp, sp), np.where(swap, sp, dp)
    ported = np.isin(proto, list(PORT_PROTOS))
    for family in (True, False):
        for with_ports in (True, False):
            rows = np.flatnonzero((v4 == family) & (ported == with_ports) & ~mixed)
            if rows.shape[0]:
                _hash_rows(rows, digests, _hash_input(rows, seed, family, with_ports, proto, a_hi, a_lo, b_hi, b_lo,
                                                      pa, pb))
    for i in np.flatnonzero(mixed).tolist():
        digest = _digest_packed(int(proto[i]), _packed_half(int(s_hi[i]), int(s_lo[i])),
                                _packed_half(int(d_hi[i]), int(d_lo[i])), int(sport[i]), int(dport[i]),
                                bool(one_way[i]), seed)
        digests[i, :DIGEST] = np.frombuffer(digest, dtype=np.uint8)
    text = base64.b64encode(digests.tobytes()).decode("ascii")
    ids = ["1:" + text[i: i + 27] + "=" for i in range(0, 28 * n, 28)]
    return ids, digests[:, :DIGEST]


def _is_v4(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    return (hi == 0) & ((lo >> np.uint64(32)) == np.uint64(0xFFFF))


def _packed_half(hi: int, lo: int) -> bytes:
    """Network-order bytes of an address given as 128-bit halves (4 bytes when IPv4-mapped)."""
    if hi == 0 and lo >> 32 == 0xFFFF:
        return (lo & 0xFFFFFFFF).to_bytes(4, "big")
    return (hi << 64 | lo).to_bytes(16, "big")


def _hash_input(rows: np.ndarray, seed: int, v4: bool, with_ports: bool, proto: np.ndarray, a_hi: np.ndarray,
                a_lo: np.ndarray, b_hi: np.ndarray, b_lo: np.ndarray, pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
    """The spec's hash input of ``rows`` as an (len(rows), width) uint8 array: seed, addresses, proto, pad, ports."""
    parts = [np.full((rows.shape[0], 1), seed & 0xFFFF, dtype=">u2").view(np.uint8)]
    for hi, lo in ((a_hi, a_lo), (b_hi, b_lo)):
        if v4:
            parts.append(lo[rows].astype(">u4").reshape(-1, 1).view(np.uint8))
        else:
            parts.append(np.stack([hi[rows], lo[rows]], axis=1).astype(">u8").view(np.uint8))
    parts.append(np.stack([proto[rows], np.zeros(rows.shape[0], dtype=np.uint64)], axis=1).astype(np.uint8))
    if with_ports:
        parts.append(np.stack([pa[rows], pb[rows]], axis=1).astype(">u2").view(np.uint8))
    return np.ascontiguousarray(np.concatenate(parts, axis=1))


def _hash_rows(rows: np.ndarray, digests: np.ndarray, inputs: np.ndarray) -> None:
    width = inputs.shape[1]
    buf = memoryview(inputs.tobytes())
    sha1 = hashlib.sha1
    out = b"".join([sha1(buf[i: i + width]).digest() for i in range(0, len(buf), width)])
    digests[rows, :DIGEST] = np.frombuffer(out, dtype=np.uint8).reshape(-1, DIGEST)
