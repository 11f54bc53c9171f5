"""Detectors: one module per indicator type, one interface (``base.Detector``).

Phase one looks at flows and names; phase two correlates (protocol switches, failure then fallback) and reads the
phase-one indicators from ``ctx.indicators``.
"""
from __future__ import annotations

from ..model import Indicator
from .base import DetectContext, Detector
from .beaconing import Beaconing
from .dns_tunnel import DnsTunnel
from .dyndns import DynDns
from .failed_fallback import FailedFallback
from .icmp_tunnel import IcmpTunnel
from .intel_match import IntelMatch
from .nonstandard_port import NonstandardPort
from .port_mismatch import PortMismatch
from .protocol_switch import ProtocolSwitch

__all__ = ["DetectContext", "Detector", "run_all", "PHASE_ONE", "PHASE_TWO"]

PHASE_ONE: tuple[type, ...] = (DynDns, NonstandardPort, PortMismatch, DnsTunnel, IcmpTunnel, Beaconing, IntelMatch)
PHASE_TWO: tuple[type, ...] = (ProtocolSwitch, FailedFallback)


def run_all(ctx: DetectContext) -> list[Indicator]:
    """Every detector's indicators, phase one first; sorted by time."""
    found: list[Indicator] = []
    for phase in (PHASE_ONE, PHASE_TWO):
        for detector_type in phase:
            detector: Detector = detector_type()
            found.extend(detector.run(ctx))
        ctx.indicators = list(found)
    return sorted(found, key=lambda ind: (ind.ts, ind.host, ind.type))
