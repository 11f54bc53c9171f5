"""The contrast: a TCP attempt answered by "host unreachable", then a channel on an uncommon port."""
from __future__ import annotations

from craft import CLIENT, SERVER, TCP, Packet, tcp_session, unreachable

ODD_PORT_SESSION = [(b"\x00" * 64, b"\x01" * 64)]


def packets() -> list[Packet]:
    return [unreachable(1, TCP(sport=50702, dport=443, flags="S"))] + tcp_session(CLIENT, SERVER, 50703, 4455,
                                                                                  ODD_PORT_SESSION)
