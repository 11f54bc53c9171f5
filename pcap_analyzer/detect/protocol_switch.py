"""protocol_switch: a host stops talking to a peer (address or registered domain) over one protocol family and
starts over another - e.g. HTTPS to the C2 stops, then raw TCP on 53 or a DNS tunnel to the same domain.

QUIC -> TLS -> HTTP stay inside the "web" family (a browser falling back is not a switch). Ordinary DNS lookups and
pings are not channels to a peer; DNS and ICMP count only when they carry a tunnel. The new protocol must be off
its own port (or a tunnel): SSH on 22 then FTP on 21 to one server is ordinary use of a multi-service host.
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from ..apps import same_service
from ..model import Flow, Indicator
from ..registry import with_flag
from .app_context import app_service, ordinary_app
from .base import DetectContext, indicator
from .facts import family, has_payload, is_failed, port_key
from .index import get_index

TUNNEL_TYPES = with_flag("tunnel")  # data/indicators.toml


def flow_family(flow: Flow, ctx: DetectContext) -> str:
    """The protocol family a flow used ("" when nothing can be said); an unrecognised flow beside a recognised app
    flow on the same channel is that app (app_context.app_service)."""
    service = app_service(flow, ctx)
    if service:
        return family(service, ctx.cfg)
    if has_payload(flow) and not is_failed(flow, ctx.cfg):
        return f"unknown/{flow.proto}"  # payload seen, and no dissector recognised it
    return family(flow.expected_service, ctx.cfg)  # an attempt, or no payload to judge: what the port implies


def tunnel_keys(ctx: DetectContext) -> dict[str, set[str]]:
    """flow uid -> peers (zones, addresses) a phase-one tunnel indicator ties that flow to."""
    keys: dict[str, set[str]] = defaultdict(set)
    for ind in ctx.indicators:
        if ind.type in TUNNEL_TYPES:
            for uid in ind.uids:
                keys[uid].add(ind.peer)
    return keys


def flow_keys(flow: Flow, fam: str, ctx: DetectContext, tunnels: dict[str, set[str]]) -> set[str]:
    """The peers a flow talks to: its address and the registered domains (Public Suffix List, private section
    included) of the names the client asked for or told; never a CNAME target, a public suffix or a shared cloud apex
    (``detect.shared_zones``), which thousands of unrelated tenants have in common."""
    if fam in ("dns", "icmp"):
        return tunnels.get(flow.uid, set())
    return {flow.resp_h} | get_index(ctx).base_domains_for(flow, zone_set(ctx.cfg.detect.shared_zones))


@lru_cache(maxsize=8)
def zone_set(zones: tuple[str, ...]) -> frozenset[str]:
    """A config's zone list as a set (asked per flow)."""
    return frozenset(zones)


def side(flow: Flow, fam: str, last_ts: float) -> dict:
    """One end of a switch: the protocol and the first flow that used it."""
    return {"family": fam, "service": flow.service or flow.expected_service, "peer": flow.resp_h,
            "port": flow.resp_p, "proto": flow.proto, "first_ts": flow.ts, "last_ts": last_ts,
            "community_id": flow.community_id}


class ProtocolSwitch:
    name = "protocol_switch"
    phase = 2  # correlates phase one's indicators (detect/__init__.py)

    def run(self, ctx: DetectContext) -> list[Indicator]:
        window = ctx.cfg.detect.protocol_switch.window
        tunnels = tunnel_keys(ctx)
        out: list[Indicator] = []
        for host, flows in get_index(ctx).by_host.items():
            # key -> family -> [first flow, last_ts]
            seen: dict[str, dict[str, list]] = defaultdict(dict)
            emitted: set[str] = set()  # flow uids already reported as the new protocol
            for flow in flows:
                fam = flow_family(flow, ctx)
                if not fam:
                    continue
                # a service on its own port is ordinary use of a multi-service server (SSH, then FTP on 21)
                ordinary = (bool(flow.expected_service) and fam == family(flow.expected_service, ctx.cfg)
                            and flow.uid not in tunnels)
                for key in sorted(flow_keys(flow, fam, ctx, tunnels)):
                    families = seen[key]
                    if fam in families:
                        families[fam][1] = max(families[fam][1], flow.last_ts)
                        continue
                    # the protocol used last before this one started (the one it replaced)
                    before = [(last, old, first) for old, (first, last) in families.items() if last <= flow.ts]
                    if not ordinary and before and flow.uid not in emitted:
                        old_last, old, old_flow = max(before, key=lambda b: b[0])
                        gap = flow.ts - old_last
                        if gap <= window and not self._one_service(old_flow, flow, ctx):
                            emitted.add(flow.uid)
                            out.append(indicator(self.name, host, flow, {
                                "key": key, "gap": round(gap, 6), "from": side(old_flow, old, old_last),
                                "to": side(flow, fam, flow.last_ts)}, peer=key))
                    families[fam] = [flow, flow.last_ts]
        return out

    @staticmethod
    def _one_service(old: Flow, new: Flow, ctx: DetectContext) -> bool:
        """Not a switch: two ports of one service (apps.same_service: 993 -> 143, 5223 -> 443, TURN UDP -> TLS),
        or an ordinary app protocol on either side (a call's STUN, RTP and DTLS share peers by design)."""
        return same_service(port_key(old), port_key(new)) or ordinary_app(old, ctx) or ordinary_app(new, ctx)
