"""sslh-style SSH on 443 of an internal server: an admin practice, not an outbound channel."""
from __future__ import annotations

from craft import CLIENT, INTERNAL_SERVER, Packet, tcp_session

SSH_EXCHANGE = [(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n")]


def packets() -> list[Packet]:
    return tcp_session(CLIENT, INTERNAL_SERVER, 50501, 443, SSH_EXCHANGE)
