"""Allowlists: what an analyst says is known and wanted, applied to indicators (and so verdicts) and containment.

One entry per line, ``ENTRY [indicator=TYPE[,TYPE]] [expires=YYYY-MM-DD] # reason``; the reason is required.
ENTRY is one of

    203.0.113.0/24 or 198.51.100.7   a network or address: the host or the peer of an indicator
    updates.example.com              exactly that name
    *.example.com                    that name and every name under it
    ja3:<md5> / ja4:<fingerprint>    a TLS client fingerprint recorded in an indicator's evidence
    10.0.0.5->203.0.113.7            a host (address or network) -> peer (address, network, name or *.name) pair

``indicator=`` limits an entry to those indicator types (default: all); an entry past its ``expires`` date is not
applied (the report says so). The same parser reads the shipped never-block list (data/never_block.txt).
Suppressed indicators and containment targets are listed with the entry and its reason (report.json ``suppressed``).
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..homenet import is_ip
from ..model import INDICATOR_TYPES, Indicator

DEFAULT_FILE = "data/allowlist_default.txt"
NEVER_BLOCK_FILE = "data/never_block.txt"
KINDS = ("cidr", "domain", "wildcard", "ja3", "ja4", "pair")
_DOMAIN = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_-]{1,63})*$")
_JA3 = re.compile(r"^[0-9a-f]{32}$")
_JA4 = re.compile(r"^[a-z0-9_]{10,80}$")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Entry:
    """One allowlist line."""

    kind: str  # one of KINDS
    value: str  # the entry as normalised text (the peer part of a pair)
    reason: str
    where: str  # "file:line"
    host: str = ""  # a pair's host network
    indicators: frozenset[str] = frozenset()  # scope; empty = every indicator type
    expires: date | None = None

    @property
    def text(self) -> str:
        """The entry as written (normalised), e.g. ``10.0.0.5/32->*.example.com``."""
        fp = f"{self.kind}:" if self.kind in ("ja3", "ja4") else "*." if self.kind == "wildcard" else ""
        return f"{self.host}->{self.value}" if self.kind == "pair" else f"{fp}{self.value}"

    def to_json(self) -> dict[str, Any]:
        return {"entry": self.text, "kind": self.kind, "reason": self.reason, "where": self.where,
                "indicators": sorted(self.indicators), "expires": self.expires.isoformat() if self.expires else None}


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _target(text: str, where: str) -> tuple[str, str]:
    """(kind, normalised value) of an address/network or a name/wildcard; InputError otherwise."""
    if (net := _network(text)) is not None:
        return "cidr", str(net)
    name = text.lower().rstrip(".")
    wild = name.startswith("*.")
    bare = name[2:] if wild else name
    if not _DOMAIN.match(bare) or "." not in bare:
        raise InputError(f"{where}: '{text}' is not an address, network, domain, *.domain, ja3:, ja4: or pair")
    return ("wildcard", bare) if wild else ("domain", bare)


def parse_line(line: str, where: str) -> Entry | None:
    """One line; None for blank and comment lines. InputError (naming ``where``) for anything malformed."""
    body, hashmark, reason = line.partition("#")
    words = body.split()
    if not words:
        return None
    reason = reason.strip()
    if not hashmark or not reason:
        raise InputError(f"{where}: entry '{words[0]}' has no reason (end the line with '# why it is allowed')")
    kind, value, host = _entry_parts(words[0], where)
    options: dict[str, str] = {}
    for word in words[1:]:
        key, eq, setting = word.partition("=")
        if not eq or key not in ("indicator", "expires") or not setting:
            raise InputError(f"{where}: unknown option '{word}' (use indicator=TYPE[,TYPE] or expires=YYYY-MM-DD)")
        options[key] = setting
    scope = frozenset(options["indicator"].split(",")) if "indicator" in options else frozenset()
    if unknown := sorted(scope - set(INDICATOR_TYPES)):
        raise InputError(f"{where}: unknown indicator type {', '.join(unknown)}")
    try:
        expires = date.fromisoformat(options["expires"]) if "expires" in options else None
    except ValueError:
        raise InputError(f"{where}: expires={options['expires']} is not a date (YYYY-MM-DD)") from None
    return Entry(kind, value, reason, where, host=host, indicators=scope, expires=expires)


def _entry_parts(entry: str, where: str) -> tuple[str, str, str]:
    low = entry.lower()
    for fp, pattern in (("ja3", _JA3), ("ja4", _JA4)):
        if low.startswith(f"{fp}:"):
            if not pattern.match(low[4:]):
                raise InputError(f"{where}: '{entry}' is not a {fp.upper()} fingerprint")
            return fp, low[4:], ""
    if "->" in entry:
        host, _, peer = entry.partition("->")
        net = _network(host)
        if net is None:
            raise InputError(f"{where}: the host of pair '{entry}' is not an address or network")
        kind, value = _target(peer, where)
        return "pair", f"*.{value}" if kind == "wildcard" else value, str(net)
    kind, value = _target(entry, where)
    return kind, value, ""


def parse(text: str, name: str) -> list[Entry]:
    return [e for n, line in enumerate(text.splitlines(), 1) if (e := parse_line(line, f"{name}:{n}")) is not None]


def read(path: Path) -> list[Entry]:
    """An allowlist file; InputError when unreadable or malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--allowlist {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    return parse(text, str(path))


def shipped(name: str) -> list[Entry]:
    """A list shipped in package data (DEFAULT_FILE or NEVER_BLOCK_FILE), generated from feeds/ by ``make feeds``:
    its comments are ``<source>; <reason>``, and the reason shown is the note (the source when there is none)."""
    entries = parse(resources.files("pcap_analyzer").joinpath(name).read_text(encoding="utf-8"), name)
    return [replace(e, reason=e.reason.partition(";")[2].strip() or e.reason) for e in entries]


# ------------------------------------------------------------------------------------------------- matching


def name_matches(name: str, pattern: str) -> bool:
    """``pattern`` is a name (exact) or ``*.zone`` (the zone and every name under it)."""
    name = name.lower().rstrip(".")
    if pattern.startswith("*."):
        zone = pattern[2:]
        return name == zone or name.endswith(f".{zone}")
    return name == pattern


def _in(addr: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(addr) in ipaddress.ip_network(network)
    except ValueError:
        return False


def peer_matches(peer: str, pattern: str) -> bool:
    """A peer (address or name) against a pair's peer part (network, name or *.name)."""
    if _network(pattern) is not None:
        return is_ip(peer) and _in(peer, pattern)
    return not is_ip(peer) and name_matches(peer, pattern)


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) of every entry of nested evidence dicts / lists."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k), v
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)


PEER_KEYS = ("peer", "domain", "zone", "sni")


def peers(ind: Indicator) -> set[str]:
    """The external addresses and names an indicator is about: its peer, and the fallback / new side's peer and
    name (never the failed primary: an allowlisted primary must not hide where the host went instead)."""
    out = {ind.peer} if ind.peer else set()
    ev = ind.evidence
    for side in (ev.get("fallback"), ev.get("to")):
        if isinstance(side, dict):
            out |= {str(side[k]) for k in PEER_KEYS if side.get(k)}
    out |= {str(ev[k]) for k in ("domain", "zone", "sni") if isinstance(ev.get(k), str) and ev.get(k)}
    return {p.lower().rstrip(".") for p in out}


def fingerprints(ind: Indicator) -> set[str]:
    """JA3 / JA4 fingerprints anywhere in the evidence, except the failed primary channel's."""
    rest = {k: v for k, v in ind.evidence.items() if k != "primary"}
    return {str(v).lower() for k, v in _walk(rest) if k in ("ja3", "ja4") and v}


def matches(entry: Entry, ind: Indicator) -> bool:
    if entry.indicators and ind.type not in entry.indicators:
        return False
    if entry.kind == "cidr":
        return any(is_ip(a) and _in(a, entry.value) for a in (ind.host, *peers(ind)))
    if entry.kind in ("domain", "wildcard"):
        pattern = f"*.{entry.value}" if entry.kind == "wildcard" else entry.value
        return any(not is_ip(p) and name_matches(p, pattern) for p in peers(ind))
    if entry.kind in ("ja3", "ja4"):
        return entry.value in fingerprints(ind)
    return _in(ind.host, entry.host) and any(peer_matches(p, entry.value) for p in peers(ind))


def target_match(entry: Entry, target: str) -> bool:
    """Whether a containment target (address or name) is covered by ``entry`` (scope-free entries and pairs are
    for indicators; an address or name entry covers the target whatever its scope)."""
    if entry.kind == "cidr":
        return is_ip(target) and _in(target, entry.value)
    if entry.kind in ("domain", "wildcard"):
        return not is_ip(target) and name_matches(target, f"*.{entry.value}" if entry.kind == "wildcard"
                                                  else entry.value)
    return False


class Index:
    """Entries by what they can match (name, zone, fingerprint, network), so a list of thousands of entries costs a
    few lookups per indicator or target instead of a scan; the first entry in file order wins."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries = list(entries)
        self.names: dict[str, list[int]] = {}
        self.zones: dict[str, list[int]] = {}
        self.fingerprints: dict[str, list[int]] = {}
        # (IP version, prefix length) -> network address as an int -> entries: one dict lookup per prefix length
        self.nets: dict[tuple[int, int], dict[int, list[int]]] = {}
        self.pairs: list[int] = []
        for i, e in enumerate(self.entries):
            if e.kind == "cidr":
                net = ipaddress.ip_network(e.value)
                by_net = self.nets.setdefault((net.version, net.prefixlen), {})
                by_net.setdefault(int(net.network_address), []).append(i)
            elif e.kind == "pair":
                self.pairs.append(i)
            else:
                table = {"domain": self.names, "wildcard": self.zones}.get(e.kind, self.fingerprints)
                table.setdefault(e.value, []).append(i)

    def candidates(self, addrs: Iterable[str], names: Iterable[str], fps: Iterable[str] = ()) -> list[Entry]:
        """Entries that may match these addresses, names and fingerprints (pairs always), in file order."""
        hits = set(self.pairs)
        for fp in fps:
            hits.update(self.fingerprints.get(fp, ()))
        for name in names:
            hits.update(self.names.get(name, ()))
            zone = name
            while zone:
                hits.update(self.zones.get(zone, ()))
                zone = zone.partition(".")[2]
        for addr in addrs:
            try:
                ip = ipaddress.ip_address(addr)
            except ValueError:
                continue
            bits = ip.max_prefixlen
            for (version, prefix), by_net in self.nets.items():
                if version == ip.version:
                    hits.update(by_net.get(int(ip) >> (bits - prefix) << (bits - prefix), ()))
        return [self.entries[i] for i in sorted(hits)]

    def first_match(self, ind: Indicator) -> Entry | None:
        near = peers(ind)
        addrs = [a for a in (ind.host, *near) if is_ip(a)]
        names = [n for n in near if not is_ip(n)]
        return next((e for e in self.candidates(addrs, names, fingerprints(ind)) if matches(e, ind)), None)

    def target(self, target: str) -> Entry | None:
        """The first address / name entry covering a containment target."""
        ip = is_ip(target)
        found = self.candidates([target] if ip else [], [] if ip else [target])
        return next((e for e in found if target_match(e, target)), None)


@dataclass(slots=True)
class Allowlist:
    """The entries in force (expired ones set aside, with a note)."""

    entries: list[Entry] = field(default_factory=list)
    expired: list[Entry] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, sources: Iterable[tuple[str, list[Entry]]], today: date | None = None) -> Allowlist:
        today = today or datetime.now(timezone.utc).date()
        out = cls()
        for name, entries in sources:
            out.files.append(name)
            for e in entries:
                (out.expired if e.expires is not None and e.expires < today else out.entries).append(e)
        return out

    def notes(self) -> list[str]:
        return [f"allowlist entry {e.text} ({e.where}) expired on {e.expires}; not applied" for e in self.expired]

    def apply(self, indicators: list[Indicator]) -> tuple[list[Indicator], list[dict[str, Any]]]:
        """(kept indicators, one ``suppressed`` record per suppressed indicator)."""
        kept, suppressed = [], []
        index = Index(self.entries)
        for ind in indicators:
            entry = index.first_match(ind)
            if entry is None:
                kept.append(ind)
                continue
            suppressed.append({"what": "indicator", "host": ind.host, "type": ind.type, "source": ind.source,
                               "peer": ind.peer, "ts": ind.ts, "community_id": ind.community_id,
                               **entry.to_json()})
        return kept, suppressed


def load(user: Path | None, use_default: bool = True, today: date | None = None) -> Allowlist:
    """The shipped default allowlist (unless ``use_default`` is off) plus the user's file."""
    sources = [(DEFAULT_FILE, shipped(DEFAULT_FILE))] if use_default else []
    if user is not None:
        sources.append((str(user), read(user)))
    return Allowlist.build(sources, today)


def suppressed_target(target: str, index: Index, what: str) -> dict[str, Any] | None:
    """A ``suppressed`` record when an address / name entry of ``index`` covers a containment target, else None."""
    entry = index.target(target)
    return None if entry is None else {"what": what, "target": target, **entry.to_json()}
