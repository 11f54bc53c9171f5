"""Detectors: one module per indicator type, one interface (``base.Detector``).

Which detectors run derives from the indicator registry (``data/indicators.toml``): every entry whose ``detector``
is a module of this package contributes the class there whose ``name`` is the entry's. A class's ``phase`` says
when it runs: phase one (the default) looks at flows and names; phase two (``phase = 2``) correlates (protocol
switches, failure then fallback) and reads the phase-one indicators from ``ctx.extra["indicators"]``. Within a
phase, detectors run in registry order.
"""
from __future__ import annotations

import importlib

from .. import registry
from ..model import Indicator
from .base import DetectContext, Detector

__all__ = ["DetectContext", "Detector", "run_all", "PHASE_ONE", "PHASE_TWO", "detector_class"]


def detector_class(entry: registry.Indicator) -> type | None:
    """The class of ``entry``'s detector module whose ``name`` is the entry's (None: not a detect.* entry, or the
    module has no such class; tests/test_registry.py names the file to fix)."""
    package, _, module_name = entry.detector.partition(".")
    if package != "detect":
        return None
    module = importlib.import_module(f"{__name__}.{module_name}")
    found = [c for c in vars(module).values()
             if isinstance(c, type) and c.__module__ == module.__name__ and getattr(c, "name", None) == entry.name]
    return found[0] if found else None


def _phase(number: int) -> tuple[type, ...]:
    classes = (detector_class(entry) for entry in registry.indicators())
    return tuple(c for c in classes if c is not None and getattr(c, "phase", 1) == number)


PHASE_ONE: tuple[type, ...] = _phase(1)
PHASE_TWO: tuple[type, ...] = _phase(2)


def run_all(ctx: DetectContext) -> list[Indicator]:
    """Every detector's indicators, phase one first; sorted by time."""
    found: list[Indicator] = []
    for phase in (PHASE_ONE, PHASE_TWO):
        for detector_type in phase:
            detector: Detector = detector_type()
            found.extend(detector.run(ctx))
        ctx.extra["indicators"] = list(found)
    return sorted(found, key=lambda ind: (ind.ts, ind.host, ind.type))
