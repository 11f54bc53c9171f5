"""icmp_tunnel: data carried in ICMP echo payloads (IP packets inside echoes, or large, varying, random payloads
where ping sends a fixed pattern)."""
from __future__ import annotations

from ..config import Config
from ..model import Flow, Indicator
from .base import DetectContext, host_of, indicator, is_icmp, looks_random


def tunnel_reasons(flow: Flow, cfg: Config) -> list[str]:
    icfg = cfg.detect.icmp_tunnel
    info = flow.icmp
    if info is None:
        return []
    reasons = []
    if info.ip_in_payload >= icfg.min_ip_in_payload:
        reasons.append(f"{info.ip_in_payload} echo payloads carry an IP header")
    echoes = info.echo_requests + info.echo_replies
    sizes = set(info.payload_sizes)
    odd_sizes = bool(sizes) and (max(sizes) > icfg.max_normal_payload or len(sizes) > icfg.max_sizes)
    if echoes >= icfg.min_echoes and odd_sizes and looks_random(flow, cfg):
        reasons.append(f"{echoes} echoes with {len(sizes)} payload sizes up to {max(sizes)} bytes, random-looking")
    if info.replies_differ >= icfg.min_replies_differ:
        reasons.append(f"{info.replies_differ} echo replies carry other data than their requests (ping mirrors them)")
    return reasons


class IcmpTunnel:
    name = "icmp_tunnel"

    def run(self, ctx: DetectContext) -> list[Indicator]:
        out: list[Indicator] = []
        for flow in ctx.flows:
            if not is_icmp(flow):
                continue
            host = host_of(flow, ctx.home)
            reasons = tunnel_reasons(flow, ctx.cfg) if host is not None else []
            if not reasons:
                continue
            info = flow.icmp
            peer = flow.resp_h if host == flow.orig_h else flow.orig_h
            sizes = info.payload_sizes
            out.append(indicator(self.name, host, flow, {
                "reasons": reasons, "echo_requests": info.echo_requests, "echo_replies": info.echo_replies,
                "ip_in_payload": info.ip_in_payload,
                "replies_differ": info.replies_differ, "payload_sizes": sorted(set(sizes)),
                "orig_bytes": flow.orig_bytes, "resp_bytes": flow.resp_bytes,
                "first_ts": flow.ts, "last_ts": flow.last_ts, "duration": flow.duration,
                "community_id": flow.community_id,
            }, peer=peer))
        return out
