"""protocol_port_mismatch: a port carries a protocol other than the one it implies (HTTP on 443, TLS on 8080,
raw data on 53)."""
from __future__ import annotations

from collections.abc import Callable

from ..model import Flow
from .app_context import app_evidence, app_service, by_service, customary, ordinary_app
from .base import DetectContext, FlowDetector
from .facts import established, has_payload, looks_random


def is_mismatch(flow: Flow, ctx: DetectContext) -> bool:
    """The port implies a service and the payload is recognisably another one, or is unrecognisable where the
    implied service is one the dissectors always recognise (raw data on tcp/53)."""
    dcfg = ctx.cfg.detect
    expected = flow.expected_service
    if flow.proto not in ("tcp", "udp") or not expected or not established(flow):
        return False
    if customary(flow, ctx) is not None or ordinary_app(flow, ctx):
        return False  # customary there too (DTLS on udp/443, a vendor's port), or an app on a dynamic port
    service = app_service(flow, ctx)
    if service:
        return service != expected
    if expected in dcfg.encrypted_services and looks_random(flow, ctx.cfg):
        return False  # e.g. TLS records or QUIC short headers whose start the capture missed
    # Payload must have been seen (not so from Zeek logs alone), a TCP flow from its handshake (mid-stream, the
    # protocol's first bytes are missing).
    seen_start = flow.proto != "tcp" or flow.history.startswith("S")
    return (expected in dcfg.identifiable_services and seen_start and has_payload(flow)
            and flow.orig_bytes >= dcfg.mismatch_min_bytes)


class PortMismatch(FlowDetector):
    name = "protocol_port_mismatch"

    def matches(self, flow: Flow, ctx: DetectContext) -> bool:
        return is_mismatch(flow, ctx)

    def predicate(self) -> Callable[[Flow, DetectContext], bool]:
        return by_service(is_mismatch)  # a recognised flow's answer follows its port and service

    def evidence(self, flow: Flow, ctx: DetectContext) -> dict:
        return app_evidence(flow, ctx)
