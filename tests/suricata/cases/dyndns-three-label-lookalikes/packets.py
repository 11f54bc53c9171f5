"""A three-label zone's own apex, a sibling under the same public suffix and a name under a covered zone's
parent only: none is a host under a listed three-label zone; x.y.freedns.afraid.org alerts once (1008010)."""
from __future__ import annotations

from craft import CLIENT, Packet, dns_query


def packets() -> list[Packet]:
    return [dns_query(CLIENT, 42013, "ddns.com.br"), dns_query(CLIENT, 42014, "www.shop.com.br"),
            dns_query(CLIENT, 42015, "a.b.example.co.uk"), dns_query(CLIENT, 42016, "x.y.freedns.afraid.org")]
