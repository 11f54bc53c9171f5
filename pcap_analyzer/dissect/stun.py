"""STUN and TURN (RFC 8489, RFC 8656; classic STUN of RFC 3489) on any port: ICE connectivity checks, NAT
discovery and relays of calls and conferencing.

A message has a 20-byte header: two zero bits, a 14-bit type, a length (a multiple of 4) that covers exactly the
attributes, and, since RFC 5389, the magic cookie 0x2112A442. Classic STUN has no cookie: its type must be one of
RFC 3489's and its attributes must fill the length exactly. TURN ChannelData (RFC 8656 12.4) starts with a channel
number 0x4000-0x7FFF and a length the datagram covers.
"""
from __future__ import annotations

from ..config import Config
from ..model import Flow
from .units import media_packets, units

MAGIC_COOKIE = 0x2112A442
_HEADER = 20
#: RFC 3489 message types (Binding / Shared Secret request, response, error response)
_CLASSIC_TYPES = frozenset((0x0001, 0x0101, 0x0111, 0x0002, 0x0102, 0x0112))
#: method -> name (RFC 8489, RFC 8656 TURN, RFC 6062 TURN-TCP)
_METHODS = {0x001: "binding", 0x003: "allocate", 0x004: "refresh", 0x006: "send", 0x007: "data",
            0x008: "create_permission", 0x009: "channel_bind", 0x00A: "connect", 0x00B: "connection_bind",
            0x00C: "connection_attempt"}
_TURN_METHODS = frozenset(range(0x003, 0x00D))


def _attributes_fill(body: bytes) -> bool:
    """The attributes (type, length, value padded to 4) end exactly where the message does."""
    pos = 0
    while pos < len(body):
        if pos + 4 > len(body):
            return False
        length = int.from_bytes(body[pos + 2: pos + 4], "big")
        pos += 4 + (length + 3) // 4 * 4
    return pos == len(body)


def message(data: bytes) -> tuple[int, bool] | None:
    """(method, classic) of a STUN message that fills ``data``, or None."""
    if len(data) < _HEADER or data[0] & 0xC0:
        return None
    mtype = int.from_bytes(data[0:2], "big")
    length = int.from_bytes(data[2:4], "big")
    if length % 4 or _HEADER + length != len(data):
        return None
    method = (mtype & 0x000F) | ((mtype & 0x00E0) >> 1) | ((mtype & 0x3E00) >> 2)
    if int.from_bytes(data[4:8], "big") == MAGIC_COOKIE:
        return method, False
    if mtype in _CLASSIC_TYPES and length and _attributes_fill(data[_HEADER:]):
        return method, True
    return None


def channel_data(data: bytes) -> bool:
    """A TURN ChannelData message: channel 0x4000-0x7FFF, its length within the datagram (padding allowed)."""
    if len(data) < 4 or data[0] & 0xC0 != 0x40:
        return False
    length = int.from_bytes(data[2:4], "big")
    return 4 + length <= len(data) <= 4 + (length + 3) // 4 * 4


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when a flow carries STUN messages with the magic cookie, or at least two classic ones."""
    modern = classic = channels = 0
    methods: set[str] = set()
    candidates = units(flow)
    if flow.proto == "tcp":  # STUN over TCP (TURN): messages back to back; ICE-TCP: RFC 4571 framing
        candidates = [(side, d[: _HEADER + int.from_bytes(d[2:4], "big")]) for side, d in candidates if len(d) > 4]
        candidates += media_packets(flow, 8)
    for _, data in candidates:
        found = message(data)
        if found is not None:
            method, is_classic = found
            classic += is_classic
            modern += not is_classic
            methods.add(_METHODS.get(method, f"0x{method:03x}"))
        elif channel_data(data):
            channels += 1
    if not modern and classic < 2:
        return False
    turn = bool(channels) or any(m in methods for m in (_METHODS[k] for k in _TURN_METHODS if k in _METHODS))
    flow.app = {"protocol": "stun", "messages": modern + classic, "classic": classic, "channel_data": channels,
                "methods": sorted(methods), "turn": turn}
    return True
