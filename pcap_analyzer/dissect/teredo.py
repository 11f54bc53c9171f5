"""Teredo (RFC 4380): IPv6 packets in UDP datagrams, optionally after an authentication (0x0001) or origin
indication (0x0000) header. The inner IPv6 header's payload length must match the datagram."""
from __future__ import annotations

from ..config import Config
from ..model import Flow
from .units import datagrams


def inner_ipv6(data: bytes) -> bool:
    """``data`` is a Teredo datagram: headers, then exactly one IPv6 packet."""
    pos = 0
    if data[:2] == b"\0\x01" and len(data) >= 13:  # authentication: id length, auth length, nonce 8, confirmation 1
        pos = 4 + data[2] + data[3] + 9
    if data[pos: pos + 2] == b"\0\0":  # origin indication: port and address, 8 bytes
        pos += 8
    packet = data[pos:]
    return len(packet) >= 40 and packet[0] >> 4 == 6 and 40 + int.from_bytes(packet[4:6], "big") == len(packet)


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when every datagram (at least one) carries an IPv6 packet."""
    found = datagrams(flow)
    if flow.proto != "udp" or not found or not all(inner_ipv6(d) for _, d in found):
        return False
    flow.app = {"protocol": "teredo", "packets": len(found)}
    return True
