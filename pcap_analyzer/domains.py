"""Registered-domain and suffix matching for DNS names (no network, no full Public Suffix List)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

_SUFFIX_FILE = "data/multi_label_suffixes.txt"


@lru_cache(maxsize=1)
def multi_label_suffixes() -> frozenset[str]:
    """The shipped multi-label public suffixes (data/multi_label_suffixes.txt)."""
    text = resources.files("pcap_analyzer").joinpath(_SUFFIX_FILE).read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower().strip(".") for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _normalise(name: str) -> str:
    return name.strip().lower().rstrip(".")


@lru_cache(maxsize=1 << 16)
def base_domain(name: str) -> str:
    """Registered domain: the last two labels, or three under a multi-label public suffix such as co.uk (cached:
    the same names recur across many flows).

    >>> base_domain("a.b.Example.co.uk.")
    'example.co.uk'
    """
    labels = [lab for lab in _normalise(name).split(".") if lab]
    if len(labels) > 2 and ".".join(labels[-2:]) in multi_label_suffixes():
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


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
