"""OpenVPN on any port, over UDP (one packet per datagram) and TCP (each packet after a 2-byte length).

A packet opens with opcode (high 5 bits) and key id (low 3 bits). A session starts with a client hard reset
(opcode 1, 7 or 10) carrying the client's 8-byte session id; the server answers with a server hard reset (2 or 8)
under its own session id that acknowledges the client's (its session id appears in the reply). A session already
running shows data packets (opcode 6, or 9 with a 3-byte peer id) under one key id.
"""
from __future__ import annotations

from ..config import Config
from ..homenet import is_broadcast
from ..model import Flow
from .units import units

_CLIENT_RESET = frozenset((1, 7, 10))
_SERVER_RESET = frozenset((2, 8))
_CONTROL = frozenset((1, 2, 3, 4, 5, 7, 8, 10, 11))
_DATA = frozenset((6, 9))


def packets(flow: Flow) -> list[tuple[bool, bytes]]:
    """(from originator, OpenVPN packet): UDP datagrams as they are; for TCP the first packet of each direction,
    when its 2-byte length prefix fits the sample."""
    if flow.proto != "tcp":
        return units(flow)
    out = []
    for side, sample in units(flow):
        length = int.from_bytes(sample[:2], "big")
        if 10 <= length <= len(sample) - 2:
            out.append((side, sample[2: 2 + length]))
    return out


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when a flow opens with a client hard reset that the server's reset acknowledges (or that the
    client repeats, unanswered), or carries only distinct data packets of one key id and peer id."""
    found = packets(flow)
    if not found:
        return False
    sessions: dict[bool, set[bytes]] = {True: set(), False: set()}
    opcodes: dict[bool, list[int]] = {True: [], False: []}
    data_heads: set[bytes] = set()
    for side, pkt in found:
        if not pkt:
            return False  # an empty datagram is no OpenVPN packet
        opcode = pkt[0] >> 3
        opcodes[side].append(opcode)
        if opcode in _CONTROL and len(pkt) >= 9:
            sessions[side].add(pkt[1:9])
        elif opcode in _DATA:
            data_heads.add(pkt[:4] if opcode == 9 else pkt[:1])
    client, server = opcodes[True], opcodes[False]
    first_server = next((pkt for side, pkt in found if not side), b"")
    started = (bool(client) and client[0] in _CLIENT_RESET and len(sessions[True]) == 1 and bool(server)
               and server[0] in _SERVER_RESET
               # the reply acknowledges the client's session; with tls-crypt that part is encrypted: then data
               # packets both ways must follow, or over TCP the exact length framing of both resets is enough
               and (flow.proto == "tcp" or next(iter(sessions[True])) in first_server[9:]
                    or (any(op in _DATA for op in client) and any(op in _DATA for op in server))))
    # a client whose resets go unanswered (blocked) repeats them under its one session id, to one server (LAN
    # discovery broadcasts that happen to start with a reset's byte are not a VPN)
    retried = (not server and len(client) >= 2 and all(op in _CLIENT_RESET for op in client)
               and len(sessions[True]) == 1 and not is_broadcast(flow.resp_h))
    all_ops = client + server
    distinct = len({pkt for _, pkt in found}) == len(found)  # encrypted data never repeats (SSDP, keepalives do)
    running = (flow.proto == "udp" and len(all_ops) >= cfg.dissect.openvpn.min_data_packets
               and all(op in _DATA for op in all_ops) and len(data_heads) <= 2 and distinct)
    if not (started or retried or running):
        return False
    flow.app = {"protocol": "openvpn", "handshake": started or retried, "packets": len(all_ops),
                "transport": flow.proto}
    return True
