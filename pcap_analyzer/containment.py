"""Containment for escalated hosts: block their fallback peers and domains.

Outputs Suricata rules (drop + alert), Zeek Intel framework lines and a plain blocklist. Generated Suricata rules use
SIDs CONTAINMENT_SID_BASE .. CONTAINMENT_SID_BASE + 99 (1008900-1008999), a range the shipped ruleset
(suricata_rules/fallback-channels.rules, 1008001-1008899) does not use.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from .homenet import HomeNet, is_ip
from .model import INDICATOR_TYPES, HostReport, Indicator

CONTAINMENT_SID_BASE = 1008900
CONTAINMENT_SID_COUNT = 100
ZEEK_INTEL_HEADER = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"
SOURCE = "fallback-hunt"


def _targets(ind: Indicator) -> list[str]:
    """The peer addresses / domains an escalated host's indicator says to block."""
    if ind.type == "dns_tunnel":  # block the zone, never the resolver it went through
        return [str(ind.evidence["zone"])] if ind.evidence.get("zone") else []
    fallback = ind.evidence.get("fallback") if ind.type == "failed_then_fallback" else None
    if isinstance(fallback, dict):
        keys = ("domain",) if fallback.get("service") == "dns" else ("peer", "domain")
        return [str(fallback[k]) for k in keys if fallback.get(k)]
    return [ind.peer] if ind.peer else []


def _clean_domain(name: str) -> str | None:
    """A domain safe to put in a rule / intel line (attacker-controlled text: no quotes, spaces or ';')."""
    name = name.lower().rstrip(".")
    ok = name and all(c.isalnum() or c in "-._" for c in name) and "." in name
    return name if ok else None


def collect(hosts: list[HostReport], home: HomeNet | None = None) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """ip -> indicator types, domain -> indicator types, over escalated hosts; internal hosts are never blocked."""
    internal = {h.ip for h in hosts}
    ips: dict[str, set[str]] = {}
    domains: dict[str, set[str]] = {}
    for host in hosts:
        if host.verdict != "escalate":
            continue
        for ind in host.indicators:
            for target in _targets(ind):
                if is_ip(target):
                    if target not in internal and not (home is not None and home.is_internal(target)):
                        ips.setdefault(str(ipaddress.ip_address(target)), set()).add(ind.type)
                elif (name := _clean_domain(target)) is not None:
                    domains.setdefault(name, set()).add(ind.type)
    return ips, domains


def main_type(kinds: set[str]) -> str:
    """The indicator type a block rule stands for: the first in registry order (model.INDICATOR_TYPES)."""
    return min(kinds, key=lambda k: INDICATOR_TYPES.index(k) if k in INDICATOR_TYPES else len(INDICATOR_TYPES))


def suricata_rules(ips: dict[str, set[str]], domains: dict[str, set[str]]) -> list[str]:
    rules: list[str] = []
    sid = CONTAINMENT_SID_BASE

    def add(text: str) -> None:
        nonlocal sid
        if sid < CONTAINMENT_SID_BASE + CONTAINMENT_SID_COUNT:
            rules.append(text.replace("SID", str(sid)))
            sid += 1

    for ip, kinds in sorted(ips.items()):
        meta = f"metadata: fallback_indicator {main_type(kinds)};"
        add(f'drop ip $HOME_NET any -> {ip} any (msg:"fallback-hunt containment: fallback C2 peer {ip}"; '
            f"{meta} classtype:trojan-activity; sid:SID; rev:1;)")
    for name, kinds in sorted(domains.items()):
        meta = f"metadata: fallback_indicator {main_type(kinds)};"
        add(f'alert dns $HOME_NET any -> any any (msg:"fallback-hunt containment: lookup of {name}"; dns.query; '
            f'dotprefix; content:".{name}"; nocase; endswith; {meta} classtype:trojan-activity; sid:SID; rev:1;)')
        add(f'drop tls $HOME_NET any -> any any (msg:"fallback-hunt containment: TLS to {name}"; tls.sni; '
            f'dotprefix; content:".{name}"; nocase; endswith; {meta} classtype:trojan-activity; sid:SID; rev:1;)')
    return rules


def zeek_intel(ips: dict[str, set[str]], domains: dict[str, set[str]]) -> list[str]:
    rows = [ZEEK_INTEL_HEADER]
    rows += [f"{ip}\tIntel::ADDR\t{SOURCE}\t{','.join(sorted(k))}" for ip, k in sorted(ips.items())]
    rows += [f"{name}\tIntel::DOMAIN\t{SOURCE}\t{','.join(sorted(k))}" for name, k in sorted(domains.items())]
    return rows


def containment(hosts: list[HostReport], home: HomeNet | None = None) -> dict[str, Any]:
    """Block rules for escalated hosts' fallback peers and domains (never the hosts themselves, nor --home-net).

    Returns {"hosts": [...], "ips": [...], "domains": [...], "suricata_rules": str, "zeek_intel": str,
    "blocklist": str, "sid_range": [first, last]}.
    """
    ips, domains = collect(hosts, home)
    return {
        "hosts": sorted(h.ip for h in hosts if h.verdict == "escalate"),
        "ips": sorted(ips),
        "domains": sorted(domains),
        "sid_range": [CONTAINMENT_SID_BASE, CONTAINMENT_SID_BASE + CONTAINMENT_SID_COUNT - 1],
        "suricata_rules": "".join(f"{r}\n" for r in suricata_rules(ips, domains)),
        "zeek_intel": "\n".join(zeek_intel(ips, domains)) + "\n",
        "blocklist": "".join(f"{x}\n" for x in [*sorted(ips), *sorted(domains)]),
    }
