"""WireGuard on any port: four message types, each a type byte 1-4 and three reserved zero bytes, with fixed sizes
for the handshake (initiation 148 bytes, response 92, cookie reply 64) and transport data of at least 32 bytes whose
receiver index stays the same for a session's direction."""
from __future__ import annotations

from collections import defaultdict

from ..config import Config
from ..model import Flow
from .units import datagrams

_SIZES = {1: 148, 2: 92, 3: 64}
_NAMES = {1: "handshake_initiation", 2: "handshake_response", 3: "cookie_reply", 4: "transport_data"}


def message_type(data: bytes) -> int:
    """1-4 when ``data`` has a WireGuard message's header and size, else 0."""
    if len(data) < 32 or data[0] not in _NAMES or data[1:4] != b"\0\0\0":
        return 0
    if data[0] == 4:
        return 4  # padded to 16 bytes, except where the padding would pass the tunnel MTU
    return data[0] if len(data) == _SIZES[data[0]] else 0


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when there is a handshake message, or transport data with one receiver index per direction
    over at least ``[dissect.wireguard] min_transport`` datagrams."""
    if flow.proto != "udp":
        return False
    counts: dict[str, int] = defaultdict(int)
    receivers: dict[bool, set[bytes]] = defaultdict(set)
    transport = 0
    for from_orig, data in datagrams(flow):
        kind = message_type(data)
        if not kind:
            return False  # every datagram of a WireGuard flow is a WireGuard message
        counts[_NAMES[kind]] += 1
        if kind == 4:
            transport += 1
            receivers[from_orig].add(data[4:8])
    handshake = any(counts[_NAMES[k]] for k in (1, 2, 3))
    steady = transport >= cfg.dissect.wireguard.min_transport and all(len(r) == 1 for r in receivers.values())
    if not (handshake or steady):
        return False
    flow.app = {"protocol": "wireguard", **dict(sorted(counts.items()))}
    return True
