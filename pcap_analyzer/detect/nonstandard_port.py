"""nonstandard_port_encrypted: encrypted traffic (TLS, SSH, QUIC, or random-looking payload) on a port that does
not imply that protocol - TLS on 80, SSH on 2222, a UDP VPN on a high port."""
from __future__ import annotations

from ..model import Flow, Indicator
from .base import DetectContext, family, host_of, indicator, is_encrypted, port_key


def flow_evidence(flow: Flow) -> dict:
    """The measured facts about one flow that the port detectors report."""
    ev: dict = {
        "service": flow.service, "expected_service": flow.expected_service, "port": flow.resp_p, "proto": flow.proto,
        "state": flow.conn_state, "orig_bytes": flow.orig_bytes, "resp_bytes": flow.resp_bytes,
        "first_ts": flow.ts, "last_ts": flow.last_ts, "community_id": flow.community_id,
    }
    for side, m in (("orig", flow.orig_measures), ("resp", flow.resp_measures)):
        if m is not None:
            ev[f"{side}_entropy"] = round(m.entropy, 3)
            ev[f"{side}_chi2_p"] = round(m.chi2_p, 4)
    if flow.tls is not None:
        ev["sni"] = flow.tls.sni
        ev["ja3"] = flow.tls.ja3
    if flow.ssh_banners:
        ev["ssh_banners"] = list(flow.ssh_banners)
    return ev


def is_nonstandard_encrypted(flow: Flow, ctx: DetectContext) -> bool:
    """Established encrypted traffic off the well-known ports of encrypted protocols, or on a port that implies a
    protocol of another family (SSH on 443, TLS on 80)."""
    if flow.proto not in ("tcp", "udp") or not flow.established or not is_encrypted(flow, ctx.cfg):
        return False
    if port_key(flow) not in ctx.cfg["detect"]["standard_encrypted_ports"]:
        return True
    return bool(flow.service) and family(flow.service, ctx.cfg) != family(flow.expected_service, ctx.cfg)


class NonstandardPort:
    name = "nonstandard_port_encrypted"

    def run(self, ctx: DetectContext) -> list[Indicator]:
        out: list[Indicator] = []
        for flow in ctx.flows:
            host = host_of(flow, ctx.home)
            if host is not None and is_nonstandard_encrypted(flow, ctx):
                out.append(indicator(self.name, host, flow, flow_evidence(flow)))
        return out
