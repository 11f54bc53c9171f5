"""`ping -l 1400` (Windows default: 4 echoes): a path-MTU check, not a tunnel."""
from __future__ import annotations

from craft import CLIENT, SERVER, ICMP, IP, Ether, Packet, Raw


def packets() -> list[Packet]:
    out = []
    for seq in range(4):
        out.append(Ether() / IP(src=CLIENT, dst=SERVER) / ICMP(type=8, id=1, seq=seq) / Raw(bytes(1400)))
        out.append(Ether() / IP(src=SERVER, dst=CLIENT) / ICMP(type=0, id=1, seq=seq) / Raw(bytes(1400)))
    return out
