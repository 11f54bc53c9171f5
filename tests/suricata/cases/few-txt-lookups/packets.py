"""A mail client's SPF / DKIM / DMARC lookups: a few TXT queries are ordinary."""
from __future__ import annotations

from craft import CLIENT, Packet, dns_query


def packets() -> list[Packet]:
    names = ["example.com", "selector1._domainkey.example.com", "_dmarc.example.com", "example.org", "_dmarc.example.org"]
    return [dns_query(CLIENT, 43000 + i, name, "TXT") for i, name in enumerate(names)]
