"""nonstandard_port_encrypted: encrypted traffic (TLS, SSH, QUIC, or random-looking payload) on a port that does
not imply that protocol - TLS on 80, SSH on 2222, a UDP VPN on a high port."""
from __future__ import annotations

from ..model import Flow
from .base import DetectContext, FlowDetector, family, is_encrypted, port_key


def is_nonstandard_encrypted(flow: Flow, ctx: DetectContext) -> bool:
    """Established encrypted traffic off the well-known ports of encrypted protocols, or on a port that implies a
    protocol of another family (SSH on 443, TLS on 80)."""
    if flow.proto not in ("tcp", "udp") or not flow.established or not is_encrypted(flow, ctx.cfg):
        return False
    if port_key(flow) not in ctx.cfg["detect"]["standard_encrypted_ports"]:
        return True
    return bool(flow.service) and family(flow.service, ctx.cfg) != family(flow.expected_service, ctx.cfg)


class NonstandardPort(FlowDetector):
    name = "nonstandard_port_encrypted"

    def matches(self, flow: Flow, ctx: DetectContext) -> bool:
        return is_nonstandard_encrypted(flow, ctx)
