"""BitTorrent on any port: the peer wire handshake (BEP 3: byte 19, "BitTorrent protocol"), the DHT (BEP 5:
bencoded KRPC dictionaries such as "d1:ad2:id20:..."), and uTP (BEP 29: version 1, types 0-4, a connection id
that stays the same per direction)."""
from __future__ import annotations

import re
from collections import defaultdict

from ..config import Config
from ..model import Flow
from .units import datagrams, units

HANDSHAKE = b"\x13BitTorrent protocol"
_KRPC = re.compile(rb"d1:([aer])d")  # a query's arguments, a response's values, an error
_KRPC_KEYS = (b"1:y1:q", b"1:y1:r", b"1:y1:e", b"2:id20:")
_UTP_HEADER = 20


def is_krpc(data: bytes) -> bool:
    """A DHT message: a bencoded dictionary with KRPC's keys."""
    return bool(_KRPC.match(data)) and data.endswith(b"e") and any(k in data for k in _KRPC_KEYS)


def utp_header(data: bytes) -> tuple[int, int] | None:
    """(type, connection id) of a uTP packet (version 1, type 0-4, known extension), or None."""
    if len(data) < _UTP_HEADER or data[0] & 0x0F != 1 or data[0] >> 4 > 4 or data[1] > 3:
        return None
    return data[0] >> 4, int.from_bytes(data[2:4], "big")


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when a TCP direction opens with the handshake, a datagram is a DHT message, or the datagrams
    are uTP with a SYN (type 4) and one connection id per direction."""
    kinds: set[str] = set()
    for _, data in units(flow):
        if data.startswith(HANDSHAKE):
            kinds.add("handshake")
        elif flow.proto == "udp" and is_krpc(data):
            kinds.add("dht")
    if flow.proto == "udp" and not kinds:
        ids: dict[bool, set[int]] = defaultdict(set)
        types: list[int] = []
        for side, data in datagrams(flow):
            header = utp_header(data)
            if header is None:
                break
            types.append(header[0])
            ids[side].add(header[1])
        else:
            if 4 in types and types and all(len(v) == 1 for v in ids.values()):
                kinds.add("utp")
    if not kinds:
        return False
    flow.app = {"protocol": "bittorrent", "kinds": sorted(kinds)}
    return True
