"""Random bytes both ways on 53/udp to an external host: not DNS."""
from __future__ import annotations

from craft import CLIENT, SERVER, IP, UDP, Ether, Packet, Raw


def packets() -> list[Packet]:
    blobs = [bytes((i * 37 + j * 11) % 256 for j in range(96)) for i in range(6)]
    out = []
    for i, blob in enumerate(blobs):
        out.append(Ether() / IP(src=CLIENT, dst=SERVER) / UDP(sport=41000, dport=53) / Raw(blob))
        out.append(Ether() / IP(src=SERVER, dst=CLIENT) / UDP(sport=53, dport=41000) / Raw(blob[::-1]))
    return out
