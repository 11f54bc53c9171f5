"""Indexes several detectors need, built once per run and kept in ``ctx.index``."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from ..measures.domains import base_domain, is_public_suffix
from ..homenet import is_broadcast, is_ip
from ..model import DnsMessage, Flow
from .base import DetectContext, host_of

ADDRESS_TYPES = ("A", "AAAA")


@lru_cache(maxsize=65536)  # SNI and Host values recur
def _host_part(text: str) -> str:
    """The name of a TLS SNI or HTTP Host value: port and IPv6 brackets off, lower case, no trailing dot."""
    text = text.strip().lower()
    if text.startswith("["):
        return text[1:text.find("]")] if "]" in text else text[1:]
    return (text.rsplit(":", 1)[0] if text.count(":") == 1 else text).rstrip(".")


def told_names(flow: Flow) -> list[str]:
    """Names the client gave for its peer (TLS SNI first, then HTTP Host). An address literal is not a name: a
    client that says "Host: 203.0.113.9" still talks to a bare IP."""
    sni = flow.tls.sni if flow.tls is not None else ""
    if not flow.http:
        return list(_told((sni,))) if sni else []  # most flows: nothing told
    return list(_told(((sni,) if sni else ()) + tuple([h.host for h in flow.http if h.host])))


@lru_cache(maxsize=65536)  # the same SNI / Host values recur
def _told(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple([name for name in map(_host_part, values) if name and not is_ip(name)])


@dataclass
class DnsLookup:
    """One question a host asked, with what came back (if anything)."""

    ts: float
    host: str
    resolver: str
    qname: str
    qtype_name: str
    flow: Flow  # the DNS flow it travelled on
    rcode_name: str = ""  # "" when no response was seen
    addresses: list[str] = field(default_factory=list)


@dataclass
class DetectIndex:
    by_host: dict[str, list[Flow]]  # flows each host is responsible for, by start time
    lookups: dict[str, list[DnsLookup]]  # DNS questions per host, by time
    names_of_ip: dict[str, set[str]]  # address -> names a host asked for that resolved to it (its identity)
    hosts: list[str]  # every internal host seen in any flow (not broadcast / multicast addresses)
    # address -> CNAME targets on the way to it: information only (CDN / traffic-manager names that thousands of
    # tenants share), never identity
    cnames_of_ip: dict[str, set[str]] = field(default_factory=dict)
    _names: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)  # names_for() per flow uid
    _resolved: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)  # names_of_ip as frozensets
    _bases: dict[tuple[frozenset[str], frozenset[str]], frozenset[str]] = field(default_factory=dict, repr=False)

    def names_for(self, flow: Flow) -> frozenset[str]:
        """Names a flow's responder is known by: TLS SNI, HTTP Host, and names that resolved to it (worked out once
        per flow: several detectors ask; a flow that told no name shares its responder's set)."""
        names = self._names.get(flow.uid)
        if names is None:
            resolved = self._resolved.get(flow.resp_h)
            if resolved is None:
                resolved = self._resolved[flow.resp_h] = frozenset(self.names_of_ip.get(flow.resp_h, ()))
            told = told_names(flow)
            names = self._names[flow.uid] = resolved.union(told) if told else resolved
        return names

    def domain_of(self, flow: Flow) -> str:
        """One name for the responder ("" for a bare IP), preferring what the client said (SNI, Host)."""
        told = told_names(flow)
        if told:
            return told[0]
        names = self.names_of_ip.get(flow.resp_h)
        return min(names) if names else ""

    def base_domains_for(self, flow: Flow, shared_zones: frozenset[str] = frozenset()) -> frozenset[str]:
        """Registered domains (Public Suffix List, private section included) of the names a flow's responder is
        known by; a public suffix itself or one of ``shared_zones`` (a cloud apex the list does not split) names no
        one and is left out (worked out once per set of names: flows to one responder share it)."""
        names = self.names_for(flow)
        if not names:
            return frozenset()
        key = (names, shared_zones)
        found = self._bases.get(key)
        if found is None:
            domains = {base_domain(n) for n in names}
            found = self._bases[key] = frozenset(
                d for d in domains if d and not is_public_suffix(d) and d not in shared_zones)
        return found


def get_index(ctx: DetectContext) -> DetectIndex:
    """The shared index for this run (built on first use)."""
    if ctx.index is None:
        ctx.index = build_index(ctx)
    return ctx.index


def _lookups_of(flow: Flow, host: str) -> list[DnsLookup]:
    """Pair each query of a DNS flow with its response by (transaction id, name)."""
    pending: dict[tuple[int, str], DnsLookup] = {}
    out: list[DnsLookup] = []
    for msg in flow.dns:
        key = (msg.trans_id, msg.qname)
        if not msg.is_response:
            lookup = DnsLookup(msg.ts, host, flow.resp_h, msg.qname, msg.qtype_name, flow)
            pending[key] = lookup
            out.append(lookup)
            continue
        lookup = pending.pop(key, None)
        if lookup is None:  # response whose query was not captured
            lookup = DnsLookup(msg.ts, host, flow.resp_h, msg.qname, msg.qtype_name, flow)
            out.append(lookup)
        lookup.rcode_name = msg.rcode_name
        lookup.addresses = [rdata for _, rtype, rdata in msg.answers if rtype in ADDRESS_TYPES]
    return out


def _resolved_names(msg: DnsMessage) -> tuple[set[str], set[str], set[str]]:
    """From one response: the addresses it gave, the queried name (the identity the client asked for) and the CNAME
    targets on the way (information only)."""
    qname = msg.qname.lower().rstrip(".")
    addresses = {rdata for _, rtype, rdata in msg.answers if rtype in ADDRESS_TYPES}
    targets = {rdata.lower().rstrip(".") for _, rtype, rdata in msg.answers if rtype == "CNAME"} - {qname}
    return addresses, ({qname} if qname else set()), targets


def add_resolved(flow: Flow, names_of_ip: dict[str, set[str]], cnames_of_ip: dict[str, set[str]]) -> None:
    """Add what the DNS responses of ``flow`` resolved (address -> names asked for, address -> CNAME targets)."""
    for msg in flow.dns:
        if msg.is_response:
            addresses, names, targets = _resolved_names(msg)
            for ip in addresses:
                names_of_ip[ip].update(names)
                if targets:
                    cnames_of_ip[ip].update(targets)


def build_index(ctx: DetectContext, known: tuple[dict[str, set[str]], dict[str, set[str]], list[str]] | None = None
                ) -> DetectIndex:
    """The index of ``ctx.flows``. ``known``: (names_of_ip, cnames_of_ip, hosts) already gathered over every flow of
    the captures (``groups.Facts``, when ``ctx.flows`` are one group's): only the flows by host and the lookups are
    then worked out here."""
    by_host: dict[str, list[Flow]] = defaultdict(list)
    lookups: dict[str, list[DnsLookup]] = defaultdict(list)
    names_of_ip: dict[str, set[str]] = defaultdict(set)
    cnames_of_ip: dict[str, set[str]] = defaultdict(set)
    for flow in ctx.flows:
        host = host_of(flow, ctx.home)
        if host is None:
            continue
        by_host[host].append(flow)
        if flow.dns:
            lookups[host].extend(_lookups_of(flow, host))
            if known is None:
                add_resolved(flow, names_of_ip, cnames_of_ip)
    for flows in by_host.values():
        flows.sort(key=lambda f: f.ts)
    for items in lookups.values():
        items.sort(key=lambda lk: lk.ts)
    if known is not None:
        return DetectIndex(dict(by_host), dict(lookups), known[0], known[2], known[1])
    addresses = {f.orig_h for f in ctx.flows} | {f.resp_h for f in ctx.flows}
    hosts = {ip for ip in addresses if ctx.home.is_internal(ip) and not is_broadcast(ip)} | by_host.keys()
    return DetectIndex(dict(by_host), dict(lookups), dict(names_of_ip), sorted(hosts), dict(cnames_of_ip))
