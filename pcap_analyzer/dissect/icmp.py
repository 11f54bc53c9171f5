"""ICMP / ICMPv6 messages retained by the flow stage.

Contract with flows/retain.py (``Retained`` keeps ``flows.icmp.ICMP_HDR`` bytes before the payload):
each retained ICMP datagram is the whole ICMP message INCLUDING its 8-byte header (type, code, checksum,
identifier, sequence); the echo payload is what follows it.
"""
from __future__ import annotations

from ..config import Config
from ..model import Flow, IcmpInfo

_ICMP_HEADER = 8
# (echo request, echo reply, destination unreachable) types by IP version
_TYPES = {4: (8, 0, 3), 6: (128, 129, 1)}
_IPV6_NEXT_HEADERS = frozenset({0, 6, 17, 43, 44, 50, 51, 58, 59, 60, 132, 136})
ICMP_PROTO = "icmp"  # Flow.proto of ICMP and ICMPv6 alike (as in Zeek's conn.log); Flow.ip_ver tells them apart


def _ipv4_header_ok(p: bytes) -> bool:
    ihl = (p[0] & 0x0F) * 4
    if p[0] >> 4 != 4 or ihl < 20 or len(p) < ihl or int.from_bytes(p[2:4], "big") < ihl:
        return False
    words = sum(int.from_bytes(p[i: i + 2], "big") for i in range(0, ihl, 2))
    while words >> 16:
        words = (words & 0xFFFF) + (words >> 16)
    return words == 0xFFFF  # the header checksum verifies


def _ipv6_header_ok(p: bytes) -> bool:
    return len(p) >= 40 and p[0] >> 4 == 6 and p[6] in _IPV6_NEXT_HEADERS and p[7] > 0


def starts_with_ip(payload: bytes) -> bool:
    """A plausible IPv4 header (valid checksum) or IPv6 header opens the payload."""
    return len(payload) >= 20 and (_ipv4_header_ok(payload) or _ipv6_header_ok(payload))


def echo_payloads(datagrams: list[bytes], ip_ver: int = 4) -> list[bytes]:
    """Payloads (after the 8-byte header) of the echo requests/replies among retained ICMP messages."""
    request, reply, _ = _TYPES[6 if ip_ver == 6 else 4]
    return [d[_ICMP_HEADER:] for d in datagrams if len(d) >= _ICMP_HEADER and d[0] in (request, reply)]


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.icmp for ICMP flows: echo counts, payload sizes, IP packets inside echo payloads, and echo replies
    that do not mirror their request."""
    if flow.proto != ICMP_PROTO:
        return False
    info = IcmpInfo()
    keep = cfg.dissect.icmp_payload_sizes
    request, reply, unreachable = _TYPES[6 if flow.ip_ver == 6 else 4]
    requests: dict[bytes, bytes] = {}  # (identifier, sequence) -> payload of the echo request
    replies: list[tuple[bytes, bytes]] = []
    for d in (*flow.orig_datagrams, *flow.resp_datagrams):
        if len(d) < _ICMP_HEADER:
            continue
        if d[0] == unreachable:
            info.unreachable += 1
            continue
        payload = d[_ICMP_HEADER:]
        key = d[4:_ICMP_HEADER]  # identifier + sequence
        if d[0] == request:
            info.echo_requests += 1
            requests[key] = payload
        elif d[0] == reply:
            info.echo_replies += 1
            replies.append((key, payload))
        else:
            continue
        if len(info.payload_sizes) < keep:
            info.payload_sizes.append(len(payload))
        info.ip_in_payload += starts_with_ip(payload)
    info.replies_differ = sum(key in requests and requests[key] != payload for key, payload in replies)
    flow.icmp = info
    return True
