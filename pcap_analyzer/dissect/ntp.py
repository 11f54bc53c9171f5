"""NTP (RFC 5905) on any UDP port: 48-byte headers (more with extension fields or a MAC), version 1-4, a mode of
client (3), server (4), symmetric (1, 2) or broadcast (5); a server's stratum is 0-16."""
from __future__ import annotations

from ..config import Config
from ..model import Flow
from .units import datagrams

_HEADER = 48
_MODES = {1: "symmetric_active", 2: "symmetric_passive", 3: "client", 4: "server", 5: "broadcast"}


def header(data: bytes) -> tuple[int, int] | None:
    """(version, mode) of an NTP packet, or None."""
    if len(data) < _HEADER or (len(data) - _HEADER) % 4:
        return None
    version, mode = (data[0] >> 3) & 0x7, data[0] & 0x7
    if not 1 <= version <= 4 or mode not in _MODES or (mode in (4, 5) and data[1] > 16):
        return None
    return version, mode


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when every datagram is an NTP packet and a client request is answered by a server reply (or,
    one-way, at least two requests)."""
    found = datagrams(flow)
    if flow.proto != "udp" or not found:
        return False
    headers = [header(d) for _, d in found]
    if any(h is None for h in headers):
        return False
    modes = {_MODES[h[1]] for h in headers if h is not None}
    if modes <= {"client"} and len(found) < 2:
        return False
    flow.app = {"protocol": "ntp", "versions": sorted({h[0] for h in headers if h}), "modes": sorted(modes)}
    return True
