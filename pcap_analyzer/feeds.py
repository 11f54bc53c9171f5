"""The feeds' line format (see feeds/README.md) and the analyzer's generated copies of them in ``data/``.

A feed line is ``<value> [indicator=<type>[,<type>...]]  # <source>[; <note>]``: the value is a domain, a
``*.domain`` wildcard, an address or a CIDR; the source is one the file declares in a ``# source <id>: ...``
header line (``psl:*`` declares every ``psl:<submitter>``). ``feeds/generate.py`` (``make feeds``) parses the
feeds with :func:`parse` and writes the engines' copies; :func:`load` reads the analyzer's copies at run time.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .errors import InputError

_LABEL = r"(?:xn--)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})+")
_SOURCE_DECL = re.compile(r"^# source ([a-z0-9:*_.-]+):")
_INDICATORS = re.compile(r"^indicator=([a-z_]+(?:,[a-z_]+)*)$")

#: The analyzer's generated copies (package data), by feed name.
DATA_FILES = {
    "dyndns_zones": "data/dyndns_providers.txt",
    "doh_resolvers": "data/doh_resolvers.txt",
    "never_block": "data/never_block.txt",
    "allowlist_default": "data/allowlist_default.txt",
}


@dataclass(frozen=True)
class Entry:
    """One feed line."""

    value: str  # lower-case domain, "*.domain", address or CIDR (as written)
    source: str  # a source id the file declares
    note: str = ""  # the reason / operator / provider, free text
    indicators: tuple[str, ...] = ()  # allowlist: only these indicator types; () = all

    @property
    def is_network(self) -> bool:
        """An address or CIDR (else a domain or wildcard)."""
        return _network(self.value) is not None

    @property
    def domain(self) -> str:
        """The domain without a leading "*." ("" for an address)."""
        return "" if self.is_network else self.value.removeprefix("*.")


def declared_sources(text: str) -> frozenset[str]:
    """The source ids a feed declares (``# source <id>: <where, licence>`` lines)."""
    return frozenset(m.group(1) for line in text.splitlines() if (m := _SOURCE_DECL.match(line)))


def _source_known(source: str, declared: frozenset[str]) -> bool:
    return source in declared or any(d.endswith(":*") and source.startswith(d[:-1]) for d in declared)


def _network(value: str) -> str | None:
    """``value`` as a normalised address or CIDR, None when it is not one."""
    try:
        return str(ipaddress.ip_network(value, strict=True)) if "/" in value else str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _value(token: str, where: str) -> str:
    value = token.lower()
    network = _network(value)
    if network is not None:
        return network
    if _DOMAIN.fullmatch(value):
        return value
    raise InputError(f"{where}: {token!r} is neither a domain, *.domain, address nor CIDR")


def parse(text: str, name: str) -> list[Entry]:
    """The entries of feed text ``name`` (for messages); one bad line raises InputError naming file and line."""
    declared = declared_sources(text)
    entries: list[Entry] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{name}:{number}"
        body, hash_, comment = line.partition("#")
        if not hash_ or not comment.strip():
            raise InputError(f"{where}: entry without a source comment ('# <source>; <note>')")
        source, _, note = (part.strip() for part in comment.partition(";"))
        if not _source_known(source, declared):
            raise InputError(f"{where}: source {source!r} is not declared ('# source {source}: ...' in the header)")
        tokens = body.split()
        value = _value(tokens[0], where)
        indicators: tuple[str, ...] = ()
        for option in tokens[1:]:
            match = _INDICATORS.match(option)
            if match is None:
                raise InputError(f"{where}: unknown option {option!r} (only indicator=<type>[,<type>...])")
            indicators = tuple(match.group(1).split(","))
        if value in seen:
            raise InputError(f"{where}: {value} is listed twice")
        seen.add(value)
        entries.append(Entry(value, source, note, indicators))
    return entries


@lru_cache(maxsize=None)
def load(feed: str) -> tuple[Entry, ...]:
    """The entries of the analyzer's generated copy of ``feed`` (a key of DATA_FILES)."""
    if feed not in DATA_FILES:
        raise InputError(f"unknown feed {feed!r} (one of {', '.join(DATA_FILES)})")
    text = resources.files("pcap_analyzer").joinpath(DATA_FILES[feed]).read_text(encoding="utf-8")
    if feed == "dyndns_zones":  # plain zone-per-line copy (detect/dyndns.py reads it)
        return tuple(Entry(line.strip(), "feeds/dyndns_zones.txt") for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))
    return tuple(parse(text, DATA_FILES[feed]))
