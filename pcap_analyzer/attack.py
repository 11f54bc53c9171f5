"""MITRE ATT&CK techniques of each indicator type, for SIEM events and the reports.

Every type is evidence of T1008 (Fallback Channels); the other techniques are added where they apply, some from the
indicator's own evidence (a fallback over DNS is also T1071.004 and T1572; one on a port not its own is T1571).
Each type's own techniques come from the indicator registry (``data/indicators.toml``: attack).
"""
from __future__ import annotations

from typing import Any

from . import registry
from .model import Indicator

FRAMEWORK = "MITRE ATT&CK"
REFERENCE = "https://attack.mitre.org/techniques/{}/"

#: technique id -> name (ATT&CK Enterprise).
NAMES: dict[str, str] = {
    "T1008": "Fallback Channels",
    "T1071.004": "Application Layer Protocol: DNS",
    "T1095": "Non-Application Layer Protocol",
    "T1568": "Dynamic Resolution",
    "T1571": "Non-Standard Port",
    "T1572": "Protocol Tunneling",
}

#: indicator type -> the techniques it always stands for (the registry's).
BY_TYPE: dict[str, tuple[str, ...]] = {entry.name: entry.attack for entry in registry.indicators()}

#: a fallback channel's service -> the techniques it adds.
BY_FALLBACK_SERVICE: dict[str, tuple[str, ...]] = {
    "dns": ("T1071.004", "T1572"),
    "icmp": ("T1095", "T1572"),
}

#: words in a failed_then_fallback's ``reasons`` that are not indicator types -> the techniques they add (a reason
#: that is an indicator type adds that type's techniques).
BY_REASON: dict[str, tuple[str, ...]] = {
    "nonstandard_port": ("T1571",),
}


def techniques(ind: Indicator) -> list[str]:
    """The technique ids of one indicator: its type's, then those its evidence adds (no duplicates, in order)."""
    ids = list(BY_TYPE.get(ind.type, ("T1008",)))
    fallback: Any = ind.evidence.get("fallback")
    if isinstance(fallback, dict):
        ids += BY_FALLBACK_SERVICE.get(str(fallback.get("service") or ""), ())
    reasons = ind.evidence.get("reasons")
    if isinstance(reasons, (list, tuple)):
        for reason in reasons:
            ids += BY_REASON.get(str(reason), BY_TYPE.get(str(reason), ()))
    return list(dict.fromkeys(ids))


def names(ids: list[str]) -> list[str]:
    return [NAMES.get(i, i) for i in ids]
