"""Community ID v1 (https://github.com/corelight/community-id-spec), the join key between the three engines.

The ICMP/ICMPv6 type -> port mapping is Zeek's (``ICMP4_counterpart`` / ``ICMP6_counterpart``): request/reply types
map to (type, counterpart type) and are ordered like ports; every other type maps to (type, code) and is "one way",
i.e. its endpoints are never swapped.  ``flows.py`` keys ICMP flows with the same mapping.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import struct

from .errors import InputError

ICMP = 1
ICMP6 = 58
#: protocols whose two 16-bit port fields take part in the hash
PORT_PROTOS = frozenset({6, 17, 132, ICMP, ICMP6})

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
    """Community ID v1 from packed (network order) addresses and mapped ports: the fast path of the flow table."""
    if not one_way and (dst, _port_order(dport, src == dst)) < (src, _port_order(sport, src == dst)):
        src, dst, sport, dport = dst, src, dport, sport
    data = struct.pack("!H", seed & 0xFFFF) + src + dst + struct.pack("!BB", proto, 0)
    if proto in PORT_PROTOS:
        data += struct.pack("!HH", sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")
