"""A BitTorrent DHT ping (BEP 5, bencoded) to an external node: a P2P POLICY alert, nothing else."""
from __future__ import annotations

from craft import CLIENT, IP, SERVER, UDP, Ether, Packet, Raw

PING = b"d1:ad2:id20:" + bytes(range(20)) + b"e1:q4:ping1:t2:aa1:y1:qe"
PONG = b"d1:rd2:id20:" + bytes(20) + b"e1:t2:aa1:y1:re"


def packets() -> list[Packet]:
    return [Ether() / IP(src=CLIENT, dst=SERVER) / UDP(sport=6881, dport=6881) / Raw(PING),
            Ether() / IP(src=SERVER, dst=CLIENT) / UDP(sport=6881, dport=6881) / Raw(PONG)]
