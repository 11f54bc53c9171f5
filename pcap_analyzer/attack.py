"""MITRE ATT&CK techniques of each indicator type, for SIEM events and the reports.

Every type is evidence of T1008 (Fallback Channels); the other techniques are added where they apply, some from the
indicator's own evidence (a fallback over DNS is also T1071.004 and T1572; one on a port not its own is T1571).
The indicator registry (``data/indicators.toml``), once it exists, is meant to take this table over; this module is
the one place to point at it.
"""
from __future__ import annotations

from typing import Any

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

#: indicator type -> the techniques it always stands for.
BY_TYPE: dict[str, tuple[str, ...]] = {
    "failed_then_fallback": ("T1008",),
    "dynamic_dns": ("T1008", "T1568"),
    "nonstandard_port_encrypted": ("T1008", "T1571"),
    "protocol_switch": ("T1008",),
    "protocol_port_mismatch": ("T1008", "T1571"),
    "dns_tunnel": ("T1008", "T1572", "T1071.004"),
    "icmp_tunnel": ("T1008", "T1572", "T1095"),
    "beaconing": ("T1008",),
    "intel_match": ("T1008",),
}

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
