"""How a channel fails: a host's failed attempts, each with its kind, grouped into primary channels.

Kinds (the primary's ``kind`` in failed_then_fallback evidence):

* transport: ``tcp_timeout`` (S0), ``tcp_refused`` (REJ), ``tcp_handshake`` (other failed TCP states),
  ``udp_unanswered``, ``icmp_unreachable``, ``icmp_prohibited`` (ICMP type 3 code 9/10/13, ICMPv6 type 1 code 1);
* names: ``nxdomain``, ``servfail``, ``dns_refused``, ``sinkhole`` (an answer that is a sinkhole or block page,
  data/sinkholes.txt), ``dga_burst`` (many one-shot random-looking NXDOMAIN names, see ``dga_bursts``);
* policy at the application layer: ``proxy_refused`` (a proxy answers a CONNECT with 403/407; the failed channel is
  the CONNECT target, not the proxy), ``tls_reset`` (ClientHello sent, reset by the responder, no ServerHello),
  ``tls_alert`` (a cleartext fatal alert from the responder instead of a ServerHello).

Out of scope as primaries: multicast/broadcast, internal services (unless ``internal_primaries``), names under
internal zones, and multi-port probe bursts to one peer (NAT-type tests, port scans).
"""
from __future__ import annotations

import ipaddress
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from ..config import Config
from ..measures.domains import base_domain, suffix_match
from ..homenet import is_broadcast, is_ip
from ..model import Flow
from .base import DetectContext
from .facts import attempts, established, is_failed
from .index import ADDRESS_TYPES, DetectIndex, DnsLookup

SINKHOLES_FILE = "data/sinkholes.txt"

#: every primary "kind" (report.schema.json lists the same names)
FAILURE_KINDS = ("tcp_timeout", "tcp_refused", "tcp_handshake", "udp_unanswered", "icmp_unreachable",
                 "icmp_prohibited", "nxdomain", "servfail", "dns_refused", "sinkhole", "dga_burst", "proxy_refused",
                 "tls_reset", "tls_alert")
RCODE_KINDS = {"NXDOMAIN": "nxdomain", "SERVFAIL": "servfail", "REFUSED": "dns_refused"}
#: kinds that say the primary's *name* died or was blocked (a hard-coded address may take over)
NAME_KINDS = frozenset({"nxdomain", "servfail", "dns_refused", "sinkhole", "dga_burst", "proxy_refused",
                        "tls_reset", "tls_alert"})
#: kinds that say the host's DNS failed (encrypted DNS may take over)
DNS_KINDS = frozenset({"nxdomain", "servfail", "dns_refused", "sinkhole", "dga_burst"})


@dataclass
class Channel:
    """Attempts on one channel, aggregated (the "primary"/"fallback" dicts of the evidence).

    ``attempts`` counts the application's tries (base.attempts): TCP connections, datagrams of unanswered UDP,
    failed lookups of a name; for a fallback, the working connections. ``tries`` are the (start, end, count, flow,
    kind) of each attempt, by time; ``kind`` how the primary failed (the most frequent kind of its attempts).
    """

    peer: str
    port: int
    proto: str
    service: str
    domain: str
    state: str
    first_ts: float
    last_ts: float
    community_id: str
    attempts: int = 0
    uids: list[str] = field(default_factory=list)
    kind: str = ""
    tries: list[tuple[float, float, int, Flow, str]] = field(default_factory=list, repr=False)
    kinds: Counter = field(default_factory=Counter, repr=False)
    details: dict[str, Any] = field(default_factory=dict, repr=False)  # e.g. the DGA burst's measures

    @classmethod
    def of(cls, flow: Flow, domain: str) -> "Channel":
        return cls(flow.resp_h, flow.resp_p, flow.proto, flow.service or flow.expected_service, domain,
                   flow.conn_state, flow.ts, flow.last_ts, flow.community_id)

    def add(self, flow: Flow, count: int, kind: str = "", ts: float | None = None, last_ts: float | None = None,
            state: str = "") -> None:
        start = flow.ts if ts is None else ts
        end = flow.last_ts if last_ts is None else last_ts
        if not self.tries:
            self.first_ts, self.last_ts, self.community_id = start, end, flow.community_id
        self.attempts += count
        self.first_ts = min(self.first_ts, start)
        self.last_ts = max(self.last_ts, end)
        self.state = state or flow.conn_state
        self.uids.append(flow.uid)
        self.tries.append((start, end, count, flow, kind))
        if kind:
            self.kinds[kind] += count
            self.kind = self.kinds.most_common(1)[0][0]

    def until(self, ts: float) -> "Channel | None":
        """The same channel cut to the attempts that were over by ``ts`` (None when none was)."""
        done = [t for t in self.tries if t[1] <= ts]
        if not done:
            return None
        if len(done) == len(self.tries):
            return self
        cut = Channel(self.peer, self.port, self.proto, self.service, self.domain, self.state, done[0][0],
                      done[0][1], done[0][3].community_id, details=self.details)
        for start, end, count, flow, kind in done:
            cut.add(flow, count, kind, start, end, self.state)
        return cut

    def to_json(self) -> dict[str, Any]:
        out = {"peer": self.peer, "port": self.port, "proto": self.proto, "service": self.service,
               "domain": self.domain, "state": self.state, "attempts": self.attempts, "first_ts": self.first_ts,
               "last_ts": self.last_ts, "community_id": self.community_id}
        if self.kind:
            out["kind"] = self.kind
        return out


# -- one flow: did it fail, and how ---------------------------------------------------------------------------------

def _prohibited(flow: Flow, cfg: Config) -> bool:
    fcfg = cfg.detect.failed_fallback
    pairs = fcfg.prohibited_icmp6 if flow.ip_ver == 6 else fcfg.prohibited_icmp
    wanted = {(int(t), int(c)) for t, c in pairs}
    return any((itype, code) in wanted for _, _, itype, code in flow.icmp_errors)


def connect_target(flow: Flow) -> tuple[str, int] | None:
    """(host, port) of the flow's first HTTP CONNECT request, if it has one."""
    for msg in flow.http:
        if msg.is_request and msg.method == "CONNECT":
            host, _, port = msg.uri.rpartition(":")
            if host.startswith("[") and host.endswith("]"):
                host = host[1:-1]
            return (host.lower().rstrip("."), int(port)) if host and port.isdigit() else (msg.uri.lower(), 443)
    return None


def failure_kind(flow: Flow, cfg: Config) -> str:
    """How this flow's attempt failed ("" when it did not)."""
    if not established(flow):
        if flow.icmp_errors:
            return "icmp_prohibited" if _prohibited(flow, cfg) else "icmp_unreachable"
        if not is_failed(flow, cfg):
            return ""
        if flow.proto == "tcp":
            return {"S0": "tcp_timeout", "REJ": "tcp_refused"}.get(flow.conn_state, "tcp_handshake")
        return "udp_unanswered"
    if flow.proto != "tcp":
        return ""
    refusals = cfg.detect.failed_fallback.proxy_refusal_statuses
    if connect_target(flow) is not None and any(not m.is_request and m.status in refusals for m in flow.http):
        return "proxy_refused"
    tls = flow.tls
    if tls is not None and tls.client_hello and not tls.server_hello:
        if tls.server_alert >= 0:
            return "tls_alert"
        if "r" in flow.history and flow.resp_bytes == 0:
            return "tls_reset"
    return ""


# -- scope -----------------------------------------------------------------------------------------------------------

def ignored_service(flow: Flow, cfg: Config) -> bool:
    """Time sync, address configuration: services that fail over by design (``ignore_services``)."""
    return (flow.service or flow.expected_service) in cfg.detect.failed_fallback.ignore_services


def internal_name(name: str, cfg: Config) -> bool:
    """A single-label name, or one under an internal zone (local, lan, corp, home.arpa, ...)."""
    return _internal_name(name, cfg.detect.failed_fallback.internal_zones)


@lru_cache(maxsize=8)
def _zones(zones: tuple[str, ...]) -> frozenset[str]:
    return frozenset(z.lower().strip(".") for z in zones)


@lru_cache(maxsize=1 << 16)
def _internal_name(name: str, zones: tuple[str, ...]) -> bool:  # cached: names recur
    return "." not in name.strip(".") or suffix_match(name, _zones(zones)) is not None


def probed_peers(failures: list[tuple[str, Flow]], cfg: Config) -> set[str]:
    """Peers that got a multi-port probe burst: failures towards at least probe_min_ports distinct ports whose
    attempts start within probe_window seconds (NAT-type tests, port scans)."""
    fcfg = cfg.detect.failed_fallback
    need, span = fcfg.probe_min_ports, fcfg.probe_window
    by_peer: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for _, flow in failures:
        by_peer[flow.resp_h].append((flow.ts, flow.resp_p))
    out: set[str] = set()
    for peer, items in by_peer.items():
        if len({port for _, port in items}) < need:
            continue
        items.sort()
        lo = 0
        for hi in range(len(items)):
            while items[hi][0] - items[lo][0] > span:
                lo += 1
            if len({port for _, port in items[lo: hi + 1]}) >= need:
                out.add(peer)
                break
    return out


# -- sinkholes -------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def shipped_sinkholes() -> tuple[str, ...]:
    text = resources.files("pcap_analyzer").joinpath(SINKHOLES_FILE).read_text(encoding="utf-8")
    return tuple(ln.split("#", 1)[0].strip() for ln in text.splitlines() if ln.split("#", 1)[0].strip())


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(e, strict=False) for e in entries)


def is_sinkhole(address: str, cfg: Config) -> bool:
    """A sinkhole or block-page answer (data/sinkholes.txt, extra_sinkholes); IPv4-mapped IPv6 counts as IPv4."""
    return _is_sinkhole(address, cfg.detect.failed_fallback.extra_sinkholes)


@lru_cache(maxsize=1 << 16)
def _is_sinkhole(address: str, extra: tuple[str, ...]) -> bool:  # cached: answers recur
    nets = _networks(shipped_sinkholes() + extra)
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)
    return any((net.version == addr.version and addr in net) or (mapped is not None and net.version == 4
                                                                and mapped in net) for net in nets)


# -- the host's primaries ----------------------------------------------------------------------------------------------

def _name_channel(lookup: DnsLookup, kind: str) -> Channel:
    return Channel(lookup.qname, lookup.flow.resp_p, lookup.flow.proto, "dns", lookup.qname,
                   lookup.rcode_name or kind, lookup.ts, lookup.ts, lookup.flow.community_id)


def failed_channels(host: str, flows: list[Flow], index: DetectIndex, ctx: DetectContext) -> list[Channel]:
    """The host's primary candidates: channels that kept failing (any kind above), and names that kept not
    resolving or kept being sinkholed; probe bursts, internal services and internal names left out (worked out
    once per host and run: the verdict asks again)."""
    known = ctx.failed_channels
    if host not in known:
        known[host] = _failed_channels(host, flows, index, ctx)
    return known[host]


def _failed_channels(host: str, flows: list[Flow], index: DetectIndex, ctx: DetectContext) -> list[Channel]:
    cfg = ctx.cfg
    fcfg = cfg.detect.failed_fallback
    internal_ok = fcfg.internal_primaries
    failures: list[tuple[str, Flow]] = []
    for flow in flows:
        if flow.proto not in ("tcp", "udp") or (established(flow) and flow.tls is None and not flow.http):
            continue  # the common case first: working, and nothing at the application layer that could refuse
        if is_broadcast(flow.resp_h):
            continue
        kind = failure_kind(flow, cfg)
        if kind and not ignored_service(flow, cfg):
            failures.append((kind, flow))
    probed = probed_peers([(k, f) for k, f in failures if k != "proxy_refused"], cfg)
    # a target the proxy let through at some point was refused for authentication (the 407 dance), not by policy
    let_through = {connect_target(f) for f in flows if f.http and any(
        not m.is_request and 200 <= m.status < 300 for m in f.http)} - {None}
    channels: dict[tuple[str, int, str], Channel] = {}
    for kind, flow in failures:
        if kind == "proxy_refused":
            target, port = connect_target(flow) or ("", 0)
            internal = ctx.home.is_internal(target) if is_ip(target) else internal_name(target, cfg)
            if not target or (internal and not internal_ok) or (target, port) in let_through:
                continue
            key = (target, port, "tcp")
            if key not in channels:
                channels[key] = Channel(target, port, "tcp", "http", "" if is_ip(target) else target, "",
                                        flow.ts, flow.last_ts, flow.community_id)
            channels[key].add(flow, 1, kind, state=f"HTTP {next(m.status for m in flow.http if not m.is_request)}")
            continue
        if flow.resp_h in probed or (ctx.home.is_internal(flow.resp_h) and not internal_ok):
            continue
        key = (flow.resp_h, flow.resp_p, flow.proto)
        if key not in channels:
            channels[key] = Channel.of(flow, index.domain_of(flow))
        channels[key].add(flow, attempts(flow), kind)
    names: dict[str, Channel] = {}
    per_qtype: dict[tuple[str, str], int] = defaultdict(int)  # an A + AAAA pair is one attempt, not two
    for lookup in index.lookups.get(host, []):
        if lookup.qtype_name not in ADDRESS_TYPES or internal_name(lookup.qname, cfg):
            continue
        if lookup.rcode_name in fcfg.failed_rcodes:
            kind = RCODE_KINDS.get(lookup.rcode_name, lookup.rcode_name.lower())
        elif lookup.addresses and all(is_sinkhole(a, cfg) for a in lookup.addresses):
            kind = "sinkhole"
        else:
            continue
        name = names.setdefault(lookup.qname, _name_channel(lookup, kind))
        per_qtype[lookup.qname, lookup.qtype_name] += 1
        grown = max(0, per_qtype[lookup.qname, lookup.qtype_name] - name.attempts)
        state = "SINKHOLE" if kind == "sinkhole" else lookup.rcode_name
        name.add(lookup.flow, grown, kind, lookup.ts, lookup.ts, state)
    found = [c for c in [*channels.values(), *names.values()] if c.attempts >= fcfg.min_attempts]
    return found if len(found) <= fcfg.max_failed_channels else []  # more is a scan


# -- DGA bursts --------------------------------------------------------------------------------------------------------

def registered_label(name: str) -> str:
    """The label just left of the public suffix: "update-cdn-sync" of "a.update-cdn-sync.com"."""
    return base_domain(name).split(".", 1)[0]


def label_entropy(label: str) -> float:
    """Shannon entropy of a label's characters, bits per character."""
    if not label:
        return 0.0
    counts = Counter(label)
    return -sum(n / len(label) * math.log2(n / len(label)) for n in counts.values())


def dga_bursts(host: str, flows: list[Flow], index: DetectIndex, ctx: DetectContext) -> list[Channel]:
    """Bursts of one-shot NXDOMAIN names that end in one name that resolves: each a primary of kind dga_burst whose
    ``details`` carry the burst's measures and the surviving name (``details["survivor"]``, its addresses)."""
    cfg = ctx.cfg
    fcfg = cfg.detect.failed_fallback
    lookups = [lk for lk in index.lookups.get(host, []) if lk.qtype_name in ADDRESS_TYPES
               and not internal_name(lk.qname, cfg)]
    asked: Counter = Counter()
    for lk in lookups:
        asked[lk.qname, lk.qtype_name] += 1
    misses: dict[str, DnsLookup] = {}
    for lk in lookups:
        if lk.rcode_name == "NXDOMAIN" and lk.qname not in misses:
            misses[lk.qname] = lk
    one_shot = [lk for name, lk in misses.items()
                if max(asked[name, qt] for qt in ADDRESS_TYPES) <= fcfg.dga_max_repeats]
    runs: list[list[DnsLookup]] = []
    for lk in sorted(one_shot, key=lambda lk: lk.ts):
        if runs and lk.ts - runs[-1][-1].ts <= fcfg.dga_max_spacing:
            runs[-1].append(lk)
        else:
            runs.append([lk])
    span_min: float | None = None  # minutes the host's flows span: worked out for the first run long enough (most hosts: none)
    out: list[Channel] = []
    for run in runs:
        if len(run) < fcfg.dga_min_names:
            continue
        if span_min is None:
            span_min = max((max(f.last_ts for f in flows) - flows[0].ts) / 60.0, 1.0) if flows else 1.0
        labels = [registered_label(lk.qname) for lk in run]
        if len({base_domain(lk.qname) for lk in run}) < fcfg.dga_min_distinct * len(run):
            continue  # one domain again and again: a search-suffix storm, not generated names
        mean_entropy = sum(map(label_entropy, labels)) / len(labels)
        burst_min = max((run[-1].ts - run[0].ts) / 60.0, 1 / 60.0)
        usual = (len(misses) - len(run)) / max(span_min - burst_min, 1.0)  # the host's misses per minute elsewhere
        ratio = (len(run) / burst_min) / max(usual, 1 / 60.0)
        if mean_entropy < fcfg.dga_min_entropy or ratio < fcfg.dga_min_ratio:
            continue
        survivor = _survivor(run, labels, lookups, cfg)
        if survivor is None:
            continue
        first = run[0]
        burst = Channel(first.qname, first.flow.resp_p, first.flow.proto, "dns", "", "NXDOMAIN", first.ts, first.ts,
                        first.flow.community_id)
        for lk in run:
            burst.add(lk.flow, 1, "dga_burst", lk.ts, lk.ts, "NXDOMAIN")
        shown = cfg.detect.max_examples
        burst.details = {
            "dga": {"count": len(run), "names": [lk.qname for lk in run[:shown]],
                    "seconds": round(run[-1].ts - run[0].ts, 3),
                    "mean_label_length": round(sum(map(len, labels)) / len(labels), 2),
                    "mean_label_entropy": round(mean_entropy, 3),
                    "suffixes": sorted({base_domain(lk.qname).split(".", 1)[-1] for lk in run})[:shown],
                    "usual_misses_per_minute": round(usual, 4), "ratio_to_usual": round(ratio, 1),
                    "survivor": survivor.qname},
            "survivor": survivor.qname, "survivor_addresses": set(survivor.addresses)}
        out.append(burst)
    return out


def _survivor(run: list[DnsLookup], labels: list[str], lookups: list[DnsLookup], cfg: Config) -> DnsLookup | None:
    """The first name that resolves right after the burst's last miss and has the burst's shape."""
    fcfg = cfg.detect.failed_fallback
    lo, hi = min(map(len, labels)) - 2, max(map(len, labels)) + 2
    missed = {lk.qname for lk in run}
    end = run[-1].ts
    for lk in lookups:
        if lk.ts < end or lk.qname in missed or not lk.addresses:
            continue
        if lk.ts - end > fcfg.dga_survivor_gap:
            return None
        label = registered_label(lk.qname)
        if lo <= len(label) <= hi and label_entropy(label) >= fcfg.dga_min_entropy - 0.5 and not any(
                is_sinkhole(a, cfg) for a in lk.addresses):
            return lk
    return None
