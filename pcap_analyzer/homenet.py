"""Which addresses are internal (--home-net)."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from .errors import InputError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=65536)
def is_broadcast(ip: str) -> bool:
    """Multicast and broadcast destinations: never a host, never a server that fails to answer (DHCP, NetBIOS, mDNS)."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return addr.is_multicast or (addr.version == 4 and (ip == "255.255.255.255" or ip.endswith(".255")))


@lru_cache(maxsize=1 << 16)
def is_ip(text: str) -> bool:
    """Whether ``text`` is an IPv4 or IPv6 address (not a name, not a CIDR); cached: the same names (SNI, Host)
    recur across many flows."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class HomeNet:
    """A set of CIDRs; ``is_internal`` answers for IPv4 and IPv6 text addresses."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        nets: list[Network] = []
        for text in cidrs:
            text = text.strip()
            if not text:
                continue
            try:
                nets.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                raise InputError(f"--home-net: '{text}' is not a CIDR") from None
        if not nets:
            raise InputError("--home-net: no CIDR given")
        self.networks: tuple[Network, ...] = tuple(nets)
        self._cache: dict[str, bool] = {}

    @classmethod
    def parse(cls, spec: str) -> "HomeNet":
        """From a comma-separated list as given on the command line."""
        return cls(spec.split(","))

    def is_internal(self, ip: str) -> bool:
        hit = self._cache.get(ip)
        if hit is None:
            try:
                addr = ipaddress.ip_address(ip)
            except ValueError:
                hit = False
            else:
                hit = any(addr.version == net.version and addr in net for net in self.networks)
            self._cache[ip] = hit
        return hit
