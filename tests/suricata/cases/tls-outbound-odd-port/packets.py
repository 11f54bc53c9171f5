"""The same ClientHello to an external host on 9443: an encrypted channel on a port that is not TLS's."""
from __future__ import annotations

from craft import CLIENT, SERVER, Packet, tcp_session, client_hello


def packets() -> list[Packet]:
    return tcp_session(CLIENT, SERVER, 50503, 9443, [(client_hello("cdn.example.net"), b"")])
