"""The provider's own apex and a look-alike registered domain are not dynamic-DNS host names."""
from __future__ import annotations

from craft import CLIENT, Packet, dns_query


def packets() -> list[Packet]:
    return [dns_query(CLIENT, 42001, "duckdns.org"), dns_query(CLIENT, 42002, "www.notduckdns.org"),
            dns_query(CLIENT, 42003, "ddns.net.example.com")]
