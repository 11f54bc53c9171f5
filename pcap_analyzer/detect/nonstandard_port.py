"""nonstandard_port_encrypted: encrypted traffic (TLS, SSH, QUIC, or random-looking payload) on a port that does
not imply that protocol - TLS on 80, SSH on 2222, a UDP VPN on a high port.

Real apps are told apart (pcap_analyzer/apps.py): a protocol on a port customary for it (IANA, or the vendor's
documented ports) and an ordinary app protocol (STUN, RTP, DTLS-SRTP...) on a dynamic port are no indicator; a VPN,
remote-access or P2P tool is always reported, with its class in the evidence, for the verdict to cap.
"""
from __future__ import annotations

from collections.abc import Callable

from .. import apps
from ..model import Flow
from .app_context import app_class, app_evidence, by_service, customary, ordinary_app
from .base import DetectContext, FlowDetector
from .facts import established, family, is_encrypted, port_key


def _standard_ports(ctx: DetectContext) -> frozenset[str]:
    """``apps.standard_encrypted_ports``, worked out once per analysis (it reads the whole port data file)."""
    if ctx.standard_encrypted_ports is None:
        ctx.standard_encrypted_ports = apps.standard_encrypted_ports(ctx.cfg)
    return ctx.standard_encrypted_ports


def is_nonstandard_encrypted(flow: Flow, ctx: DetectContext) -> bool:
    """Established encrypted traffic off the well-known ports of encrypted protocols, or on a port that implies a
    protocol of another family (SSH on 443, TLS on 80); any established VPN / remote-access / P2P tool."""
    if flow.proto not in ("tcp", "udp") or not established(flow):
        return False
    if apps.is_policy_class(app_class(flow, ctx), ctx.cfg):
        return True
    if not is_encrypted(flow, ctx.cfg) or ordinary_app(flow, ctx) or customary(flow, ctx) is not None:
        return False
    if port_key(flow) not in _standard_ports(ctx):
        return True
    return bool(flow.service) and family(flow.service, ctx.cfg) != family(flow.expected_service, ctx.cfg)


class NonstandardPort(FlowDetector):
    name = "nonstandard_port_encrypted"

    def matches(self, flow: Flow, ctx: DetectContext) -> bool:
        return is_nonstandard_encrypted(flow, ctx)

    def predicate(self) -> Callable[[Flow, DetectContext], bool]:
        return by_service(is_nonstandard_encrypted)  # a recognised flow's answer follows its port and service

    def evidence(self, flow: Flow, ctx: DetectContext) -> dict:
        return app_evidence(flow, ctx)
