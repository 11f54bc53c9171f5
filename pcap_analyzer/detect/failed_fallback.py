"""failed_then_fallback: repeated failed attempts on a primary channel, then working communication on another
channel that is itself anomalous (non-standard port, other protocol, tunnel, dynamic DNS, a bare IP nobody resolved,
intel).

Normal client fallbacks are not reported: a fallback to the same server or name, in the same protocol family, on
the same port, standard for what it carries (QUIC blocked -> TLS on 443, IPv6 -> IPv4 happy eyeballs, CDN failover).
A host failing towards many channels is scanning, not falling back.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..apps import same_service
from ..domains import base_domain
from ..model import Flow, Indicator
from .app_context import ordinary_app
from .base import (DetectContext, attempts, channel, family, indicator, is_broadcast, is_failed, port_key,
                   standard_port)
from .index import ADDRESS_TYPES, DetectIndex, get_index
from .protocol_switch import TUNNEL_TYPES, flow_family

#: phase-one indicator types that make a channel anomalous when it is the fallback
ANOMALY_TYPES = ("nonstandard_port_encrypted", "protocol_port_mismatch", "dns_tunnel", "icmp_tunnel",
                 "dynamic_dns", "intel_match")


@dataclass
class Channel:
    """Attempts on one channel, aggregated (the "primary"/"fallback" dicts of the evidence).

    ``attempts`` counts the application's tries (base.attempts): TCP connections, datagrams of unanswered UDP,
    failed lookups of a name; for a fallback, the working connections.
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

    @classmethod
    def of(cls, flow: Flow, domain: str) -> "Channel":
        return cls(flow.resp_h, flow.resp_p, flow.proto, flow.service or flow.expected_service, domain,
                   flow.conn_state, flow.ts, flow.last_ts, flow.community_id)

    def add(self, flow: Flow, count: int) -> None:
        self.attempts += count
        self.first_ts = min(self.first_ts, flow.ts)
        self.last_ts = max(self.last_ts, flow.last_ts)
        self.state = flow.conn_state
        self.uids.append(flow.uid)

    def to_json(self) -> dict[str, Any]:
        return {"peer": self.peer, "port": self.port, "proto": self.proto, "service": self.service,
                "domain": self.domain, "state": self.state, "attempts": self.attempts, "first_ts": self.first_ts,
                "last_ts": self.last_ts, "community_id": self.community_id}


def failed_channels(host: str, flows: list[Flow], index: DetectIndex, ctx: DetectContext) -> list[Channel]:
    """The host's primary candidates: connections that kept failing, and names that kept not resolving."""
    fcfg = ctx.cfg["detect"]["failed_fallback"]
    channels: dict[tuple[str, int, str], Channel] = {}
    for flow in flows:
        if (flow.proto not in ("tcp", "udp") or "dns" in (flow.service, flow.expected_service)
                or is_broadcast(flow.resp_h) or not is_failed(flow, ctx.cfg)):
            continue
        key = channel(flow)
        if key not in channels:
            channels[key] = Channel.of(flow, index.domain_of(flow))
        channels[key].add(flow, attempts(flow))
    names: dict[str, Channel] = {}
    per_qtype: dict[tuple[str, str], int] = defaultdict(int)  # an A + AAAA pair is one attempt, not two
    for lookup in index.lookups.get(host, []):
        if lookup.rcode_name not in fcfg["failed_rcodes"] or lookup.qtype_name not in ADDRESS_TYPES:
            continue
        name = names.setdefault(lookup.qname, Channel(
            lookup.qname, lookup.flow.resp_p, lookup.flow.proto, "dns", lookup.qname, lookup.rcode_name,
            lookup.ts, lookup.ts, lookup.flow.community_id))
        per_qtype[lookup.qname, lookup.qtype_name] += 1
        name.attempts = max(name.attempts, per_qtype[lookup.qname, lookup.qtype_name])
        name.last_ts = lookup.ts
        name.uids.append(lookup.flow.uid)
    found = [c for c in [*channels.values(), *names.values()] if c.attempts >= fcfg["min_attempts"]]
    return found if len(found) <= fcfg["max_failed_channels"] else []  # more is a scan


class FailedFallback:
    name = "failed_then_fallback"

    def run(self, ctx: DetectContext) -> list[Indicator]:
        index = get_index(ctx)
        by_uid: dict[str, list[Indicator]] = defaultdict(list)
        for ind in ctx.extra.get("indicators", []):
            if ind.type in ANOMALY_TYPES:
                for uid in ind.uids:
                    by_uid[uid].append(ind)
        out: list[Indicator] = []
        for host, flows in index.by_host.items():
            for primary in failed_channels(host, flows, index, ctx):
                found = self._fallback(primary, flows, index, by_uid, ctx)
                if found is None:
                    continue
                fallback, reasons, anchor = found
                evidence = {"primary": primary.to_json(), "fallback": fallback.to_json(), "reasons": reasons,
                            "gap": round(fallback.first_ts - primary.last_ts, 6)}
                ind = indicator(self.name, host, anchor, evidence, peer=fallback.domain or fallback.peer)
                ind.uids = [*fallback.uids, *primary.uids]
                out.append(ind)
        return out

    def _fallback(self, primary: Channel, flows: list[Flow], index: DetectIndex,
                  by_uid: dict[str, list[Indicator]], ctx: DetectContext) -> tuple[Channel, list[str], Flow] | None:
        """The first anomalous channel that worked after the primary failed, aggregated over its flows."""
        window = ctx.cfg["detect"]["failed_fallback"]["window"]
        primary_key = (primary.peer, primary.port, primary.proto)
        primary_domains = {base_domain(primary.domain)} if primary.domain else set()
        chosen: Channel | None = None
        reasons: list[str] = []
        anchor: Flow | None = None
        for flow in flows:
            if flow.ts < primary.first_ts or flow.ts > primary.last_ts + window or not flow.established:
                continue
            key = channel(flow)
            if key == primary_key:
                continue
            if chosen is not None:
                if key == (chosen.peer, chosen.port, chosen.proto):
                    chosen.add(flow, 1)
                continue
            why = self._anomalies(flow, primary, primary_domains, index, by_uid, ctx)
            if why:
                chosen, reasons, anchor = Channel.of(flow, self._domain(flow, index, by_uid)), why, flow
                chosen.add(flow, 1)
        return (chosen, reasons, anchor) if chosen is not None and anchor is not None else None

    @staticmethod
    def _domain(flow: Flow, index: DetectIndex, by_uid: dict[str, list[Indicator]]) -> str:
        for ind in by_uid.get(flow.uid, []):
            if ind.type in ("dns_tunnel", "dynamic_dns") and ind.peer:
                return ind.peer
        return index.domain_of(flow)

    @staticmethod
    def _anomalies(flow: Flow, primary: Channel, primary_domains: set[str], index: DetectIndex,
                   by_uid: dict[str, list[Indicator]], ctx: DetectContext) -> list[str]:
        """Why this working channel is not an ordinary continuation of the failed one ([] = it is ordinary)."""
        tagged = sorted({ind.type for ind in by_uid.get(flow.uid, [])})
        fam = flow_family(flow, ctx)
        if fam in ("dns", "icmp") and not set(tagged) & set(TUNNEL_TYPES):
            return []  # lookups and pings are not a channel of their own
        if not tagged and ordinary_app(flow, ctx):
            return []  # calls, games, time sync: ICE tries candidates until one works (apps.ordinary_app)
        domains = index.base_domains_for(flow)
        same_target = flow.resp_h == primary.peer or bool(domains & primary_domains)
        same_family = fam == family(primary.service, ctx.cfg)
        if same_target and same_family and flow.resp_p == primary.port and standard_port(flow) and not tagged:
            return []  # the same service again: QUIC -> TLS on 443, happy eyeballs, CDN failover
        tool_only = all(ind.evidence.get("app_class") for ind in by_uid.get(flow.uid, []))  # a VPN reported as such
        if same_target and tool_only and same_service(f"{primary.proto}/{primary.port}", port_key(flow)):
            return []  # one service on its other port: IMAPS -> IMAP STARTTLS, APNs 5223 -> 443, OpenVPN UDP -> TCP
        why = list(tagged)
        direct = not ctx.home.is_internal(flow.resp_h) and fam not in ("dns", "icmp")  # not via a resolver / ping
        if direct and not flow.expected_service:
            why.append("nonstandard_port")
        if same_target and not same_family and primary.service:
            why.append("other_protocol")
        if direct and not domains and (not primary.domain or primary.service == "dns"):
            why.append("bare_ip")  # hard-coded addresses: the failed primary was one too, or a name that died
        return why
