"""protocol_port_mismatch: a port carries a protocol other than the one it implies (HTTP on 443, TLS on 8080,
raw data on 53)."""
from __future__ import annotations

from ..model import Flow, Indicator
from .base import DetectContext, has_payload, host_of, indicator, looks_random
from .nonstandard_port import flow_evidence


def is_mismatch(flow: Flow, ctx: DetectContext) -> bool:
    """The port implies a service and the payload is recognisably another one, or is unrecognisable where the
    implied service is one the dissectors always recognise (raw data on tcp/53)."""
    dcfg = ctx.cfg["detect"]
    expected = flow.expected_service
    if flow.proto not in ("tcp", "udp") or not expected or not flow.established:
        return False
    if flow.service:
        return flow.service != expected
    if expected in dcfg["encrypted_services"] and looks_random(flow, ctx.cfg):
        return False  # e.g. TLS records or QUIC short headers whose start the capture missed
    # Payload must have been seen (not so from Zeek logs alone), a TCP flow from its handshake (mid-stream, the
    # protocol's first bytes are missing).
    seen_start = flow.proto != "tcp" or flow.history.startswith("S")
    return (expected in dcfg["identifiable_services"] and seen_start and has_payload(flow)
            and flow.orig_bytes >= dcfg["mismatch_min_bytes"])


class PortMismatch:
    name = "protocol_port_mismatch"

    def run(self, ctx: DetectContext) -> list[Indicator]:
        out: list[Indicator] = []
        for flow in ctx.flows:
            host = host_of(flow, ctx.home)
            if host is not None and is_mismatch(flow, ctx):
                out.append(indicator(self.name, host, flow, flow_evidence(flow)))
        return out
