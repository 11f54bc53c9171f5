"""Hosts that share a pattern, for reports at scale: "57 hosts, DNS tunnel under example.net" as one group.

A host's pattern is its verdict, its main indicator type (the most telling one it has) and that indicator's target
(the tunnel's zone, the fallback's name or address, the port of an odd-port channel). Names are kept whole: hosts
on two names of one dynamic-DNS provider are two patterns, not one.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import HostReport, Indicator

#: most telling first: a host's main indicator is the first of these it has.
MAIN_ORDER: tuple[str, ...] = ("dns_tunnel", "icmp_tunnel", "failed_then_fallback", "intel_match", "dynamic_dns",
                               "protocol_switch", "nonstandard_port_encrypted", "protocol_port_mismatch", "beaconing")
LABELS: dict[str, str] = {
    "dns_tunnel": "DNS tunnel under {}",
    "icmp_tunnel": "ICMP tunnel to {}",
    "failed_then_fallback": "fallback to {}",
    "intel_match": "intel match {}",
    "dynamic_dns": "dynamic DNS name {}",
    "protocol_switch": "protocol switch to {}",
    "nonstandard_port_encrypted": "encrypted traffic on {}",
    "protocol_port_mismatch": "unexpected protocol on {}",
    "beaconing": "beaconing to {}",
}


@dataclass(slots=True)
class Pattern:
    verdict: str
    kind: str
    target: str
    hosts: list[HostReport] = field(default_factory=list)

    @property
    def label(self) -> str:
        if not self.kind:
            return "no indicator"
        return LABELS.get(self.kind, self.kind + " {}").format(self.target or "?")


def _target(ind: Indicator) -> str:
    if ind.type == "dns_tunnel":
        return str(ind.evidence.get("zone") or ind.peer)
    fallback = ind.evidence.get("fallback")
    if ind.type == "failed_then_fallback" and isinstance(fallback, dict):
        return str(fallback.get("domain") or fallback.get("peer") or ind.peer)
    if ind.type in ("nonstandard_port_encrypted", "protocol_port_mismatch") and ind.port is not None:
        return f"{ind.proto}/{ind.port}"
    return ind.peer


def main_indicator(host: HostReport) -> Indicator | None:
    rank = {kind: i for i, kind in enumerate(MAIN_ORDER)}
    return min(host.indicators, key=lambda i: (rank.get(i.type, len(rank)), i.ts), default=None)


def pattern_key(host: HostReport) -> tuple[str, str, str]:
    main = main_indicator(host)
    return (host.verdict, main.type, _target(main)) if main is not None else (host.verdict, "", "")


def group_hosts(hosts: Iterable[HostReport]) -> list[Pattern]:
    """The hosts by pattern, in the order of each pattern's first host (hosts come ordered: escalate first)."""
    groups: dict[tuple[str, str, str], Pattern] = {}
    for host in hosts:
        key = pattern_key(host)
        groups.setdefault(key, Pattern(*key)).hosts.append(host)
    return list(groups.values())
