"""ICMP port unreachable for a UDP (NTP) query and "fragmentation needed" (path MTU discovery) are not failed
connection attempts: a later connection to an uncommon port is no fallback."""
from __future__ import annotations

from craft import CLIENT, SERVER, TCP, UDP, Packet, tcp_session, unreachable

ODD_PORT_SESSION = [(b"\x00" * 64, b"\x01" * 64)]


def packets() -> list[Packet]:
    errors = [unreachable(3, UDP(sport=123, dport=123)), unreachable(4, TCP(sport=50700, dport=443, flags="A"))]
    return errors + tcp_session(CLIENT, SERVER, 50701, 4455, ODD_PORT_SESSION)
