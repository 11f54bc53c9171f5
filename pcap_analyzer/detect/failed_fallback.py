"""failed_then_fallback: a primary channel failed (detect/failures.py says how), then the same software worked over
another channel (detect/linkage.py says why the two belong together).

Pairing is causal:

* order - the fallback's first working flow starts after at least ``min_attempts`` failures of the primary were
  over; the primary in the evidence is cut to those failures, so ``gap`` (fallback start - last failure) is never
  negative; a channel the host already used before the primary failed is no fallback;
* linkage - the pair needs a link (same peer, same name, name lineage by shape or by time, hard-coded IP, client
  fingerprint, cadence, repeated cycle, DGA survivor, DoH takeover). The evidence lists them (``link``) and
  ``confidence`` follows them;
* anomaly - a fallback that looks odd (non-standard port, other protocol, bare IP after a name died, tunnel,
  dynamic DNS, intel) needs any link; a fallback on a standard port with nothing odd about it (a backup name on
  443, DoH, the same client on a new server) needs a strong link (confidence >= ``strong_link``) and gets the
  reason ``standard_port_strong_link``;
* no link at all - only a strongly anomalous fallback (``strong_anomalies``: tunnel, intel, dynamic DNS) that starts
  at most ``unlinked_max_gap`` seconds after the last failure counts, with the link ``follows_failure``.

Normal client fallbacks are not reported: the same server or name, the same protocol family, the same standard
port (QUIC blocked -> TLS on 443, IPv6 -> IPv4 happy eyeballs, CDN failover). A host failing towards many channels
is scanning; many ports of one peer failing within seconds is a probe burst (detect/failures.py).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..apps import same_service
from ..measures.domains import base_domain
from ..model import Flow, Indicator
from ..registry import with_flag
from .app_context import ordinary_app
from .base import DetectContext, family, indicator, port_key, standard_port
from .failures import NAME_KINDS, Channel, dga_bursts, failed_channels, ignored_service
from .index import DetectIndex, get_index
from .linkage import HostView, confidence, links
from .protocol_switch import TUNNEL_TYPES, flow_family

__all__ = ["FailedFallback", "Channel", "failed_channels", "ANOMALY_TYPES"]

#: phase-one indicator types that make a channel anomalous when it is the fallback
ANOMALY_TYPES = with_flag("anomaly")  # data/indicators.toml


class FailedFallback:
    name = "failed_then_fallback"
    phase = 2  # correlates phase one's indicators (detect/__init__.py)

    def run(self, ctx: DetectContext) -> list[Indicator]:
        index = get_index(ctx)
        by_uid: dict[str, list[Indicator]] = defaultdict(list)
        for ind in ctx.extra.get("indicators", []):
            if ind.type in ANOMALY_TYPES:
                for uid in ind.uids:
                    by_uid[uid].append(ind)
        out: list[Indicator] = []
        for host, flows in index.by_host.items():
            primaries = failed_channels(host, flows, index, ctx) + dga_bursts(host, flows, index, ctx)
            if not primaries:
                continue
            view = HostView.build(host, flows, index, ctx)
            candidates = fallback_candidates(flows, by_uid, ctx)
            for primary in primaries:
                found = self._fallback(primary, candidates, view, index, by_uid, ctx)
                if found is not None:
                    out.append(self._indicator(host, *found))
        return out

    @staticmethod
    def _indicator(host: str, primary: Channel, fallback: Channel, anchor: Flow, reasons: list[str],
                   found: list[dict[str, str]], conf: float) -> Indicator:
        evidence: dict[str, Any] = {"primary": primary.to_json(), "fallback": fallback.to_json(), "reasons": reasons,
                                    "link": found, "confidence": conf,
                                    "gap": round(fallback.first_ts - primary.last_ts, 6)}
        if "dga" in primary.details:
            evidence["dga"] = primary.details["dga"]
        ind = indicator(FailedFallback.name, host, anchor, evidence, peer=fallback.domain or fallback.peer)
        ind.uids = [*fallback.uids, *primary.uids]
        return ind

    def _fallback(self, whole: Channel, candidates: dict[tuple, list[Flow]], view: HostView, index: DetectIndex,
                  by_uid: dict[str, list[Indicator]], ctx: DetectContext
                  ) -> tuple[Channel, Channel, Flow, list[str], list[dict[str, str]], float] | None:
        """The best-linked channel that started working after the primary failed, aggregated over its flows."""
        fcfg = ctx.cfg.detect.failed_fallback
        primary_key = (whole.peer, whole.port, whole.proto)
        best: tuple[Any, ...] | None = None
        for key, flows in candidates.items():
            first = flows[0]
            if key == primary_key or first.ts < whole.first_ts:
                continue  # the primary itself, or a channel already in use before the primary failed
            primary = whole.until(first.ts)
            if primary is None or primary.attempts < fcfg.min_attempts:
                continue
            gap = first.ts - primary.last_ts
            if gap > fcfg.window:
                continue
            reasons = anomalies(first, primary, index, by_uid, ctx)
            if reasons is None:
                continue  # an ordinary continuation of the failed channel
            found = links(primary, whole, flows, view, index, ctx)
            tagged = {ind.type for ind in by_uid.get(first.uid, [])}
            if not found and tagged & set(fcfg.strong_anomalies) and gap <= fcfg.unlinked_max_gap:
                found = [{"kind": "follows_failure", "detail": f"{', '.join(sorted(tagged))} started {gap:.1f} s "
                                                               f"after the last failure ({primary.kind})"}]
            conf = confidence(found, ctx.cfg)
            if not found or (not reasons and conf < fcfg.strong_link):
                continue
            rank = (-first.ts, conf)  # the first linked channel that worked after the failure
            if best is None or rank > best[0]:
                best = (rank, primary, key, flows, reasons or ["standard_port_strong_link"], found, conf)
        if best is None:
            return None
        _, primary, key, flows, reasons, found, conf = best
        fallback = Channel.of(flows[0], _domain(flows[0], index, by_uid))
        for flow in flows:
            fallback.add(flow, 1)
        fallback.kind = ""
        return primary, fallback, flows[0], reasons, found, conf


def fallback_candidates(flows: list[Flow], by_uid: dict[str, list[Indicator]], ctx: DetectContext
                        ) -> dict[tuple, list[Flow]]:
    """Working channels of a host, each with its flows by time: external (peer, port, proto) channels, and tunnels
    keyed by the zone or peer their tunnel indicator names (a DNS tunnel rides the resolver with ordinary lookups).
    Internal services are not fallbacks (a proxy's CONNECT tunnels, the PBX, the file server), nor are the
    ``ignore_services`` (time sync)."""
    out: dict[tuple, list[Flow]] = defaultdict(list)
    for flow in flows:
        if not flow.established:
            continue
        tagged = by_uid.get(flow.uid, [])
        tunnels = sorted(ind.peer for ind in tagged if ind.type in TUNNEL_TYPES)
        if tunnels:
            out[("tunnel", tunnels[0], flow.proto)].append(flow)
        elif not ctx.home.is_internal(flow.resp_h) and (tagged or not ignored_service(flow, ctx.cfg)):
            out[(flow.resp_h, flow.resp_p, flow.proto)].append(flow)
    return out


def _domain(flow: Flow, index: DetectIndex, by_uid: dict[str, list[Indicator]]) -> str:
    for ind in by_uid.get(flow.uid, []):
        if ind.type in ("dns_tunnel", "dynamic_dns") and ind.peer:
            return ind.peer
    return index.domain_of(flow)


def anomalies(flow: Flow, primary: Channel, index: DetectIndex, by_uid: dict[str, list[Indicator]],
              ctx: DetectContext) -> list[str] | None:
    """Why this working channel is odd ([] = it looks ordinary; None = it is the failed channel's ordinary
    continuation, or no channel at all)."""
    tagged = sorted({ind.type for ind in by_uid.get(flow.uid, [])})
    fam = flow_family(flow, ctx)
    if fam in ("dns", "icmp") and not set(tagged) & set(TUNNEL_TYPES):
        return None  # lookups and pings are not a channel of their own
    if not tagged and ordinary_app(flow, ctx):
        return None  # calls, games, time sync: ICE tries candidates until one works (apps.ordinary_app)
    domains = index.base_domains_for(flow)
    primary_domains = {base_domain(primary.domain)} if primary.domain else set()
    same_target = flow.resp_h == primary.peer or bool(domains & primary_domains)
    same_family = fam == family(primary.service, ctx.cfg)
    if same_target and same_family and flow.resp_p == primary.port and standard_port(flow) and not tagged:
        return None  # the same service again: QUIC -> TLS on 443, happy eyeballs, CDN failover
    tool_only = all(ind.evidence.get("app_class") for ind in by_uid.get(flow.uid, []))  # a VPN reported as such
    if same_target and tool_only and same_service(f"{primary.proto}/{primary.port}", port_key(flow)):
        return None  # one service on its other port: IMAPS -> IMAP STARTTLS, APNs 5223 -> 443, OpenVPN UDP -> TCP
    why = list(tagged)
    direct = not ctx.home.is_internal(flow.resp_h) and fam not in ("dns", "icmp")  # not via a resolver / ping
    if direct and not flow.expected_service:
        why.append("nonstandard_port")
    if same_target and not same_family and primary.service and primary.service != "dns":
        why.append("other_protocol")
    name_died = not primary.domain or primary.kind in NAME_KINDS
    if direct and not domains and name_died:
        why.append("bare_ip")  # a hard-coded address: the failed primary was one too, or its name died
    return why
