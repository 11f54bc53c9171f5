"""TLS to an internal service on 9443 (consoles, NAS, hypervisors): not an outbound channel."""
from __future__ import annotations

from craft import CLIENT, INTERNAL_SERVER, Packet, tcp_session, client_hello


def packets() -> list[Packet]:
    return tcp_session(CLIENT, INTERNAL_SERVER, 50502, 9443, [(client_hello("console.corp.example"), b"")])
