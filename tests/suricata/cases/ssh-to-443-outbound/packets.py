"""An SSH client talking to 443 of an external host: SSH on another service's port."""
from __future__ import annotations

from craft import CLIENT, SERVER, Packet, tcp_session

SSH_EXCHANGE = [(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n")]


def packets() -> list[Packet]:
    return tcp_session(CLIENT, SERVER, 50500, 443, SSH_EXCHANGE)
