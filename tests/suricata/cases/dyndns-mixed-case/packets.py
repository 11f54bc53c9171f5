"""A dynamic-DNS host name in mixed case (Home-Lab.DuckDNS.org): the lookup is case-insensitive."""
from __future__ import annotations

from craft import CLIENT, Packet, dns_query


def packets() -> list[Packet]:
    return [dns_query(CLIENT, 42000, "Home-Lab.DuckDNS.org")]
