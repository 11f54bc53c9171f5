"""A lost SYN retried, then the same HTTPS connection works: transient loss, no fallback."""
from __future__ import annotations

from craft import CLIENT, SERVER, Packet, tcp_session, client_hello


def packets() -> list[Packet]:
    session = tcp_session(CLIENT, SERVER, 50600, 443, [(client_hello("www.example.com"), b"")])
    return [session[0].copy()] + session
