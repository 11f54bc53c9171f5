"""Hosts under zones of three labels (1008019): a Brazilian provider, a .co.uk one and a tool's dyn zone."""
from __future__ import annotations

from craft import CLIENT, IP, Packet, dns_query


def packets() -> list[Packet]:
    return [dns_query(CLIENT, 42010, "casa.ddns.com.br"), dns_query(CLIENT, 42011, "cam1.No-IP.co.uk"),
            dns_query(CLIENT, 42012, "x.dyn.addr.tools")]
