"""QUIC long-header packets (RFC 9000 17.2, RFC 9369 for v2): version and connection-ID lengths of Initials.

Nothing is decrypted; a datagram counts as QUIC when its long header is well formed for a known version.
"""
from __future__ import annotations

from typing import Any

from ..config import Config
from ..model import Flow

_V1, _V2 = 0x00000001, 0x6B3343CF
_MAX_CID = 20


def _known_version(version: int) -> bool:
    return (
        version in (_V1, _V2)
        or version >> 8 == 0xFF0000  # IETF drafts
        or version >> 4 == 0xFACEB00  # mvfst
        or version >> 24 == 0x51  # Google QUIC "Q0xx"
        or version & 0x0F0F0F0F == 0x0A0A0A0A  # version-negotiation GREASE
    )


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """RFC 9000 16 variable-length integer at pos -> (value, next pos); raises IndexError past the end."""
    first = data[pos]
    size = 1 << (first >> 6)
    if pos + size > len(data):
        raise IndexError
    return int.from_bytes(bytes([first & 0x3F]) + data[pos + 1: pos + size], "big"), pos + size


def _is_initial(first: int, version: int) -> bool:
    ptype = (first >> 4) & 0x3
    return ptype == (1 if version == _V2 else 0)


def parse_long_header(datagram: bytes) -> dict[str, Any] | None:
    """{"version", "dcid_len", "scid_len", "initial"} of a long-header packet, or None when it is not one."""
    if len(datagram) < 7 or datagram[0] & 0xC0 != 0xC0:
        return None
    version = int.from_bytes(datagram[1:5], "big")
    if not _known_version(version) and version != 0:
        return None
    dcid_len = datagram[5]
    pos = 6 + dcid_len
    if dcid_len > _MAX_CID or pos >= len(datagram):
        return None
    scid_len = datagram[pos]
    pos += 1 + scid_len
    if scid_len > _MAX_CID or pos > len(datagram):
        return None
    initial = version != 0 and _is_initial(datagram[0], version)
    if initial:
        try:
            token_len, pos = _varint(datagram, pos)
            length, pos = _varint(datagram, pos + token_len)
        except IndexError:
            return None
        if length > len(datagram) - pos:
            return None
    return {"version": version, "dcid_len": dcid_len, "scid_len": scid_len, "initial": initial}


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.quic when a UDP flow opens with QUIC long headers (the first Initial's fields, and counts)."""
    if flow.proto != "udp" or not any(parse_long_header(d[0]) for d in (flow.orig_datagrams, flow.resp_datagrams) if d):
        return False  # a QUIC connection opens with long-header packets: the first datagrams decide cheaply
    summary: dict[str, Any] | None = None
    counts = {"initial_orig": 0, "initial_resp": 0, "long_header_packets": 0}
    for datagrams, key in ((flow.orig_datagrams, "initial_orig"), (flow.resp_datagrams, "initial_resp")):
        for datagram in datagrams:
            header = parse_long_header(datagram)
            if header is None:
                continue
            counts["long_header_packets"] += 1
            counts[key] += header["initial"]
            if summary is None or (header["initial"] and not summary["initial"]):
                summary = header
    if summary is None:
        return False
    flow.quic = {**summary, "version_hex": f"0x{summary['version']:08x}", **counts}
    return True
