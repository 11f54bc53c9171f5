"""The same TLS to 27020 right after the host looked up api.steampowered.com: the Steam client on its vendor's
documented port (the DNS marker 1008024 names the vendor), no alert."""
from __future__ import annotations

from craft import CLIENT, SERVER, Packet, client_hello, dns_query, tcp_session


def packets() -> list[Packet]:
    return [dns_query(CLIENT, 42100, "API.SteamPowered.com")] + tcp_session(
        CLIENT, SERVER, 50801, 27020, [(client_hello("cdn.example.net"), b"")])
