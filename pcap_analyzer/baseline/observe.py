"""What one analysis shows of each internal host's normal communication: observations to learn or to compare."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..detect.base import DetectContext, is_failed
from ..detect.index import get_index
from ..measures.domains import base_domain
from ..homenet import is_ip
from ..model import Flow

#: observation kinds, in the order a profile lists them
KINDS = ("port", "service", "zone", "ja3", "ssh_client", "user_agent")


@dataclass
class HostObservations:
    """One host's observations in one analysis: (kind, value) -> (first ts, last ts, count), and its attempts."""

    items: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # [first, last, count]
    flows: int = 0
    failed: int = 0
    first_ts: float | None = None
    last_ts: float | None = None

    def add(self, kind: str, value: str, ts: float) -> None:
        if not value:
            return
        entry = self.items.get((kind, value))
        if entry is None:
            self.items[kind, value] = [ts, ts, 1.0]
        else:
            entry[0], entry[1], entry[2] = min(entry[0], ts), max(entry[1], ts), entry[2] + 1

    @property
    def failure_rate(self) -> float:
        return self.failed / self.flows if self.flows else 0.0


def zone_of(name: str) -> str:
    """The registered domain a looked-up name belongs to ("" for addresses and single labels)."""
    name = name.strip().lower().rstrip(".")
    if not name or is_ip(name) or "." not in name or name.endswith((".arpa", ".local")):
        return ""
    return base_domain(name)


def flow_items(flow: Flow) -> list[tuple[str, str]]:
    """(kind, value) observations of one established external flow."""
    items = [("port", f"{flow.proto}/{flow.resp_p}"), ("service", flow.service or flow.expected_service)]
    if flow.tls is not None:
        items.append(("ja3", flow.tls.ja3))
    if flow.ssh_banners:
        items.append(("ssh_client", flow.ssh_banners[0]))
    items += [("user_agent", h.user_agent) for h in flow.http if h.is_request]
    return items


def observe(ctx: DetectContext) -> dict[str, HostObservations]:
    """Per internal host: the external ports, services, fingerprints it used, the zones it resolved, its failure rate.

    Only established flows to external peers teach what a host uses; every attempt counts towards its failure rate.
    """
    index = get_index(ctx)
    out: dict[str, HostObservations] = defaultdict(HostObservations)
    for host, flows in index.by_host.items():
        obs = out[host]
        for flow in flows:
            obs.flows += 1
            obs.first_ts = flow.ts if obs.first_ts is None else min(obs.first_ts, flow.ts)
            obs.last_ts = flow.last_ts if obs.last_ts is None else max(obs.last_ts, flow.last_ts)
            if is_failed(flow, ctx.cfg):
                obs.failed += 1
            elif flow.established and not ctx.home.is_internal(flow.resp_h) and flow.proto in ("tcp", "udp"):
                for kind, value in flow_items(flow):
                    obs.add(kind, value, flow.ts)
        for lookup in index.lookups.get(host, []):
            obs.add("zone", zone_of(lookup.qname), lookup.ts)
    return dict(out)
