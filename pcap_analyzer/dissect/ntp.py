"""NTP (RFC 5905) on any UDP port: a 48-byte header, version 1-4, a mode of client (3), server (4), symmetric (1, 2)
or broadcast (5), a server's stratum 0-16; after the header only whole extension fields (RFC 7822) and an optional
MAC; and a server's reply echoes the transmit timestamp of a request it answers."""
from __future__ import annotations

from ..config import Config
from ..model import Flow
from .units import datagrams

_HEADER = 48
_MODES = {1: "symmetric_active", 2: "symmetric_passive", 3: "client", 4: "server", 5: "broadcast"}
_MAC_LENGTHS = (0, 20, 24)  # none, or a key id with an MD5 or SHA-1 digest
_FIELD_MIN = 16  # RFC 7822: type, length, and at least 12 bytes of value and padding
_ORIGIN, _TRANSMIT = slice(24, 32), slice(40, 48)


def _tail_fits(tail: bytes) -> bool:
    """The bytes after the header are extension fields (each a length of at least 16, a multiple of 4) and then
    nothing or a MAC."""
    pos = 0
    while len(tail) - pos not in _MAC_LENGTHS:
        length = int.from_bytes(tail[pos + 2:pos + 4], "big")
        if len(tail) - pos < _FIELD_MIN or length < _FIELD_MIN or length % 4 or pos + length > len(tail):
            return False
        pos += length
    return True


def header(data: bytes) -> tuple[int, int] | None:
    """(version, mode) of an NTP packet, or None."""
    if len(data) < _HEADER or not _tail_fits(data[_HEADER:]):
        return None
    version, mode = (data[0] >> 3) & 0x7, data[0] & 0x7
    if not 1 <= version <= 4 or mode not in _MODES or (mode in (4, 5) and data[1] > 16):
        return None
    return version, mode


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when every datagram is an NTP packet and a client request is answered by a server reply that
    echoes it (or, one-way, at least two requests)."""
    found = datagrams(flow)
    if flow.proto != "udp" or not found:
        return False
    headers = [header(d) for _, d in found]
    if any(h is None for h in headers):
        return False
    modes = {_MODES[h[1]] for h in headers if h is not None}
    if modes <= {"client"} and len(found) < 2:
        return False
    sent = {d[_TRANSMIT] for (_, d), h in zip(found, headers) if h and _MODES[h[1]] == "client"}
    replies = [d[_ORIGIN] for (_, d), h in zip(found, headers) if h and _MODES[h[1]] == "server"]
    if sent and replies and sent.isdisjoint(replies):
        return False
    flow.app = {"protocol": "ntp", "versions": sorted({h[0] for h in headers if h}), "modes": sorted(modes)}
    return True
