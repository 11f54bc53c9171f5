"""Kerberos 5 (RFC 4120) on any port: messages are DER-encoded ASN.1 under an APPLICATION tag - AS-REQ [10],
AS-REP [11], TGS-REQ [12], TGS-REP [13], KRB-ERROR [30] - whose inner SEQUENCE carries pvno 5. Over TCP each
message follows a 4-byte length."""
from __future__ import annotations

from ..config import Config
from ..model import Flow
from .units import units

_TAGS = {0x6A: "as_req", 0x6B: "as_rep", 0x6C: "tgs_req", 0x6D: "tgs_rep", 0x7E: "krb_error"}


def _length(data: bytes, pos: int) -> tuple[int, int]:
    """DER length at pos -> (length, position after it); raises IndexError."""
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    size = first & 0x7F
    if not 1 <= size <= 4 or pos + 1 + size > len(data):
        raise IndexError
    return int.from_bytes(data[pos + 1: pos + 1 + size], "big"), pos + 1 + size


def message(data: bytes) -> str:
    """The message name when ``data`` is one Kerberos message of the kinds above, else ""."""
    name = _TAGS.get(data[0]) if data else None
    if name is None:
        return ""
    try:
        length, pos = _length(data, 1)
        if pos + length != len(data) or data[pos] != 0x30:
            return ""
        _, pos = _length(data, pos + 1)
        # first element: pvno, INTEGER 5, tagged [1] in requests (KDC-REQ) and [0] in replies and KRB-ERROR
        if data[pos] not in (0xA0, 0xA1):
            return ""
        _, pos = _length(data, pos + 1)
        return name if data[pos: pos + 3] == b"\x02\x01\x05" else ""
    except IndexError:
        return ""


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when a datagram (or a TCP direction after its 4-byte length) is a Kerberos message."""
    seen: set[str] = set()
    for _, data in units(flow):
        if flow.proto == "tcp":
            data = data[4: 4 + int.from_bytes(data[:4], "big")] if len(data) > 4 else b""
        name = message(data)
        if name:
            seen.add(name)
    if not seen:
        return False
    flow.app = {"protocol": "kerberos", "messages": sorted(seen), "transport": flow.proto}
    return True
