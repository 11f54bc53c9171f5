"""TLS to 27020 of an external host (inside Steam's documented range) from a host that named no Steam domain: TLS on
a port that is not TLS's (1008023), not the vendor's client."""
from __future__ import annotations

from craft import CLIENT, SERVER, Packet, client_hello, tcp_session


def packets() -> list[Packet]:
    return tcp_session(CLIENT, SERVER, 50800, 27020, [(client_hello("cdn.example.net"), b"")])
