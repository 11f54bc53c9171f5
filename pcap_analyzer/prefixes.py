"""Longest-prefix matching of addresses against many CIDRs: O(log n) per address.

The CIDRs (nested or disjoint, as prefixes always are) are flattened once into sorted, disjoint address ranges,
each owned by the most specific CIDR covering it (or by none: the gaps between them).  A lookup is then one binary
search (``numpy.searchsorted`` over the range starts; IPv6 ranges split into 64-bit halves would need a structured
sort, so IPv6 starts are Python ints searched with ``bisect``).  Building sorts the CIDRs once: a million load in
seconds.
"""
from __future__ import annotations

import bisect
import ipaddress
import socket
from collections.abc import Iterable
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


def parse_network(text: str) -> tuple[int, int, int] | None:
    """(IP version, first address as an int, prefix length) of an address or CIDR (host bits cleared), or None.
    IPv4 is parsed without ipaddress objects (a million lines in a second or two)."""
    addr, slash, plen = text.partition("/")
    if ":" not in addr:
        try:
            value = int.from_bytes(socket.inet_pton(socket.AF_INET, addr), "big")
        except OSError:
            return None
        bits = int(plen) if slash and plen.isdigit() and len(plen) <= 2 else (32 if not slash else -1)
        if not 0 <= bits <= 32:
            return None
        return 4, value & ~((1 << (32 - bits)) - 1) & 0xFFFFFFFF, bits
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return net.version, int(net.network_address), net.prefixlen


def network_text(version: int, start: int, plen: int) -> str:
    """Canonical text of a parsed network (``a.b.c.d/n``; the address alone for a single address)."""
    addr = socket.inet_ntop(socket.AF_INET if version == 4 else socket.AF_INET6,
                            start.to_bytes(4 if version == 4 else 16, "big"))
    return addr if plen == (32 if version == 4 else 128) else f"{addr}/{plen}"


class PrefixTable(Generic[T]):
    """Most specific (longest) prefix containing an address, over ``((version, start, prefix length), value)``
    pairs (``parse_network``); the first pair wins among equal networks."""

    def __init__(self, pairs: Iterable[tuple[tuple[int, int, int], T]]) -> None:
        by_version: dict[int, list[tuple[int, int, int, T]]] = {4: [], 6: []}
        seen: set[tuple[int, int, int]] = set()
        for order, (net, value) in enumerate(pairs):
            if net in seen:
                continue
            seen.add(net)
            version, start, plen = net
            by_version[version].append((start, start + (1 << ((32 if version == 4 else 128) - plen)) - 1, order,
                                        value))
        self._starts: dict[int, list[int]] = {}
        self._owners: dict[int, list[T | None]] = {}
        self._v4 = np.zeros(0, dtype=np.uint64)
        for version, ranges in by_version.items():
            starts, owners = _flatten(ranges)
            self._starts[version], self._owners[version] = starts, owners
        self._v4 = np.array(self._starts[4], dtype=np.uint64)

    def __len__(self) -> int:
        return sum(1 for owners in self._owners.values() for o in owners if o is not None)

    def lookup(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> T | None:
        starts = self._starts[addr.version]
        if not starts:
            return None
        value = int(addr)
        if addr.version == 4:
            i = int(np.searchsorted(self._v4, np.uint64(value), side="right")) - 1
        else:
            i = bisect.bisect_right(starts, value) - 1
        return self._owners[addr.version][i] if i >= 0 else None

    def lookup_many(self, v4: np.ndarray) -> list[T | None]:
        """Owners of many IPv4 addresses (uint32/uint64 values) in one vectorised search."""
        owners = self._owners[4]
        if not owners:
            return [None] * len(v4)
        idx = np.searchsorted(self._v4, np.asarray(v4, dtype=np.uint64), side="right") - 1
        return [owners[i] if i >= 0 else None for i in idx.tolist()]


def _flatten(ranges: list[tuple[int, int, int, T]]) -> tuple[list[int], list[T | None]]:
    """Disjoint ranges (start of each, and its owner: the innermost range covering it, None in gaps) from nested or
    disjoint inclusive ranges."""
    ranges.sort(key=lambda r: (r[0], -r[1], r[2]))  # by start, outer before inner, file order among equals
    starts: list[int] = []
    owners: list[T | None] = []
    stack: list[tuple[int, int, int, T]] = []

    def begin(at: int, owner: T | None) -> None:
        if starts and starts[-1] == at:
            owners[-1] = owner
        elif not owners or owners[-1] is not owner:
            starts.append(at)
            owners.append(owner)

    for r in ranges:
        while stack and stack[-1][1] < r[0]:
            top = stack.pop()
            begin(top[1] + 1, stack[-1][3] if stack else None)
        begin(r[0], r[3])
        stack.append(r)
    while stack:
        top = stack.pop()
        begin(top[1] + 1, stack[-1][3] if stack else None)
    return starts, owners
