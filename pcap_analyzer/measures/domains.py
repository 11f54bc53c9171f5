"""Registered domains (Public Suffix List, private section included) and label-boundary suffix matching.

The list is the snapshot bundled with the ``publicsuffixlist`` package (no network at run time); its version is
pinned in setup.cfg and updated by moving that pin. The private section splits cloud, CDN and dynamic-DNS zones per
tenant: "a.trafficmanager.net" and "b.trafficmanager.net" are two registered domains, not one.
"""
from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def suffix_list() -> PublicSuffixList:
    """The bundled Public Suffix List, ICANN and private sections; an unknown TLD counts as a public suffix."""
    return PublicSuffixList(accept_unknown=True)


def _normalise(name: str) -> str:
    return name.strip().lower().rstrip(".")


@lru_cache(maxsize=1 << 16)
def base_domain(name: str) -> str:
    """Registered domain: the public suffix plus one label; a name that is itself a public suffix is returned whole
    (cached: the same names recur across many flows).

    >>> base_domain("a.b.Example.co.uk.")
    'example.co.uk'
    >>> base_domain("x.y.tenant.trafficmanager.net")
    'tenant.trafficmanager.net'
    """
    labels = [lab for lab in _normalise(name).split(".") if lab]
    if not labels:
        return ""
    joined = ".".join(labels)
    return suffix_list().privatesuffix(joined) or joined


@lru_cache(maxsize=1 << 12)
def is_public_suffix(name: str) -> bool:
    """True when ``name`` is itself a public suffix ("com", "co.uk", "duckdns.org", "trafficmanager.net"): many
    unrelated owners share it, so it names no one."""
    labels = [lab for lab in _normalise(name).split(".") if lab]
    return bool(labels) and suffix_list().is_public(".".join(labels))


def suffix_match(name: str, suffixes: set[str] | frozenset[str]) -> str | None:
    """The most specific entry of ``suffixes`` that ``name`` equals or ends with at a label boundary, else None.

    "x.duckdns.org" matches "duckdns.org"; "notduckdns.org" does not. ``suffixes`` are lower-case, no trailing dot.
    """
    candidate = _normalise(name)
    while candidate:
        if candidate in suffixes:
            return candidate
        _, dot, candidate = candidate.partition(".")
        if not dot:
            return None
    return None
