"""Containment for escalated hosts: block their fallback peers and names, and never anything that would hurt.

Targets are exact: the fallback address, the dynamic-DNS or fallback name the host used, the tunnel zone of a DNS
tunnel; never a peer widened to its registrable domain (a protocol switch keyed on "example.com" blocks the address
the host switched to, not the zone). Internal addresses, the shipped never-block list (data/never_block.txt: major
platforms, CDNs, cloud apexes, public resolvers), dynamic-DNS provider apexes and allowlist entries are never
targets; each one left out is a ``suppressed`` record with its reason.

Outputs: Suricata rules (``drop ip`` per address; ``dns.query`` / ``tls.sni`` / ``http.host`` per name) with SIDs from
a configurable base (``[containment] sid_base`` or ``--sid-base``) so two reports' rules load together, an nftables
set file, Zeek Intel lines and a plain blocklist. When the rule cap is reached the notes say what has no rule.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from . import allowlist, allowlist_export
from ..sources import suricata
from ..config import Config, default_config
from ..errors import InputError
from ..homenet import HomeNet, is_ip
from ..model import INDICATOR_TYPES, HostReport, Indicator

ZEEK_INTEL_HEADER = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc"
SOURCE = "fallback-hunt"
MAX_SID = 2**32 - 1
#: ``--verdict V`` contains the hosts of verdict V and of every stronger verdict.
VERDICT_SCOPE = {"escalate": ("escalate",), "investigate": ("escalate", "investigate")}


@dataclass(slots=True)
class Targets:
    """What to block: address -> indicator types; name -> indicator types; names matched as a zone (tunnels)."""

    ips: dict[str, set[str]] = field(default_factory=dict)
    domains: dict[str, set[str]] = field(default_factory=dict)
    zones: set[str] = field(default_factory=set)
    suppressed: list[dict[str, Any]] = field(default_factory=list)


def _targets(ind: Indicator) -> list[str]:
    """The exact peer addresses / names an escalated host's indicator says to block."""
    ev = ind.evidence
    if ind.type == "dns_tunnel":  # block the zone, never the resolver it went through
        return [str(ev["zone"])] if ev.get("zone") else []
    if ind.type == "protocol_switch":  # the key may be a registrable domain: block the address switched to
        to = ev.get("to")
        return [str(to["peer"])] if isinstance(to, dict) and to.get("peer") else []
    fallback = ev.get("fallback") if ind.type == "failed_then_fallback" else None
    if isinstance(fallback, dict):
        keys = ("domain",) if fallback.get("service") == "dns" else ("peer", "domain")
        return [str(fallback[k]) for k in keys if fallback.get(k)]
    return [ind.peer] if ind.peer else []


def _clean_domain(name: str) -> str | None:
    """A domain safe to put in a rule / intel line (attacker-controlled text: no quotes, spaces or ';')."""
    name = name.lower().rstrip(".")
    ok = name and all(c.isalnum() or c in "-._" for c in name) and "." in name
    return name if ok else None


@lru_cache(maxsize=1)
def never_block() -> tuple[allowlist.Entry, ...]:
    """The shipped never-block list."""
    return tuple(allowlist.shipped(allowlist.NEVER_BLOCK_FILE))


@lru_cache(maxsize=1)
def _never_block_index() -> allowlist.Index:
    return allowlist.Index(never_block())


@lru_cache(maxsize=1)
def _dyndns_apexes() -> frozenset[str]:
    text = resources.files("pcap_analyzer").joinpath("data/dyndns_providers.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def guard(target: str, allowed: allowlist.Index, cfg: Config) -> dict[str, Any] | None:
    """A ``suppressed`` record when ``target`` must never be blocked, else None."""
    hit = allowlist.suppressed_target(target, _never_block_index(), "containment")
    if hit is not None:
        return {**hit, "list": "never-block"}
    apexes = _dyndns_apexes() | set(cfg.detect.dyndns.extra_zones)
    if target in apexes:
        return {"what": "containment", "target": target, "entry": target, "kind": "domain", "list": "never-block",
                "reason": "dynamic-DNS provider apex (block the exact customer name, never the zone)",
                "where": "data/dyndns_providers.txt", "indicators": [], "expires": None}
    hit = allowlist.suppressed_target(target, allowed, "containment")
    return None if hit is None else {**hit, "list": "allowlist"}


def collect(hosts: list[HostReport], home: HomeNet | None = None, entries: tuple[allowlist.Entry, ...] = (),
            cfg: Config | None = None, verdicts: tuple[str, ...] = ("escalate",)) -> Targets:
    """The targets of the hosts with one of ``verdicts``; internal hosts, never-block and allowlisted are left out."""
    cfg = cfg or default_config()
    internal = {h.ip for h in hosts}
    allowed = allowlist.Index(entries)
    out = Targets()
    seen: set[str] = set()
    for host in hosts:
        if host.verdict not in verdicts:
            continue
        for ind in host.indicators:
            for raw in _targets(ind):
                if is_ip(raw):
                    target = str(ipaddress.ip_address(raw))
                    if target in internal or (home is not None and home.is_internal(target)):
                        continue
                    bucket = out.ips
                elif (name := _clean_domain(raw)) is not None:
                    target, bucket = name, out.domains
                else:
                    continue
                if target in seen:
                    bucket.get(target, set()).add(ind.type)
                    continue
                seen.add(target)
                record = guard(target, allowed, cfg)
                if record is not None:
                    out.suppressed.append({**record, "host": host.ip, "type": ind.type})
                    continue
                bucket[target] = {ind.type}
                if ind.type == "dns_tunnel" and bucket is out.domains:
                    out.zones.add(target)
    return out


def main_type(kinds: set[str]) -> str:
    """The indicator type a block rule stands for: the first in registry order (model.INDICATOR_TYPES)."""
    return min(kinds, key=lambda k: INDICATOR_TYPES.index(k) if k in INDICATOR_TYPES else len(INDICATOR_TYPES))


def _name_match(name: str, zone: bool) -> str:
    """Suricata content options matching exactly ``name`` (a tunnel zone: the zone and every name under it)."""
    return f'dotprefix; content:".{name}"; endswith;' if zone else f'content:"{name}"; startswith; endswith;'


def _domain_rules(name: str, kinds: set[str], zone: bool) -> list[str]:
    meta = f"metadata: fallback_indicator {main_type(kinds)};"
    what = f"zone {name}" if zone else name
    match = _name_match(name, zone)
    nocase = match.replace("endswith;", "nocase; endswith;")
    return [
        f'alert dns $HOME_NET any -> any any (msg:"fallback-hunt containment: lookup of {what}"; dns.query; '
        f"{nocase} {meta} classtype:trojan-activity; sid:SID; rev:1;)",
        f'drop tls $HOME_NET any -> any any (msg:"fallback-hunt containment: TLS to {what}"; tls.sni; '
        f"{nocase} {meta} classtype:trojan-activity; sid:SID; rev:1;)",
        f'drop http $HOME_NET any -> any any (msg:"fallback-hunt containment: HTTP to {what}"; http.host; '
        f"{match} {meta} classtype:trojan-activity; sid:SID; rev:1;)",
    ]


def _ip_rule(ip: str, kinds: set[str]) -> str:
    return (f'drop ip $HOME_NET any -> [{ip}] any (msg:"fallback-hunt containment: fallback C2 peer {ip}"; '
            f"metadata: fallback_indicator {main_type(kinds)}; classtype:trojan-activity; sid:SID; rev:1;)")


def suricata_rules(targets: Targets, sid_base: int, max_rules: int) -> tuple[list[str], list[str]]:
    """(rules numbered from ``sid_base``, notes). At most ``max_rules``: names and addresses share the budget
    (each gets half, and what one side leaves over goes to the other), and a note says what got no rule."""
    name_rules = [_domain_rules(n, k, n in targets.zones) for n, k in sorted(targets.domains.items())]
    ip_rules = [_ip_rule(ip, k) for ip, k in sorted(targets.ips.items())]
    per_name = 3
    name_budget = min(len(name_rules) * per_name, max(max_rules - len(ip_rules), max_rules // 2))
    names_kept = name_budget // per_name
    ips_kept = min(len(ip_rules), max_rules - names_kept * per_name)
    chosen = [*ip_rules[:ips_kept], *(r for group in name_rules[:names_kept] for r in group)]
    rules = [r.replace("sid:SID;", f"sid:{sid_base + i};") for i, r in enumerate(chosen)]
    notes = []
    if ips_kept < len(ip_rules) or names_kept < len(name_rules):
        notes.append(f"containment: the Suricata rule cap ([containment] max_rules = {max_rules}) was reached: "
                     f"{len(ip_rules) - ips_kept} of {len(ip_rules)} addresses and {len(name_rules) - names_kept} of "
                     f"{len(name_rules)} names have no rule (they are in the blocklist, the Zeek Intel lines and, for "
                     "addresses, the nftables set); raise max_rules with a free --sid-base range to rule them all")
    return rules, notes


def nftables(targets: Targets, table: str) -> str:
    """An nftables file (``nft -f``) with one set per address family and chains dropping traffic to them."""
    v4 = sorted((ip for ip in targets.ips if ipaddress.ip_address(ip).version == 4), key=ipaddress.ip_address)
    v6 = sorted((ip for ip in targets.ips if ipaddress.ip_address(ip).version == 6), key=ipaddress.ip_address)

    def elements(items: list[str]) -> str:
        return f"\t\telements = {{ {', '.join(items)} }}\n" if items else ""

    return (f"# fallback-hunt containment: {len(v4) + len(v6)} addresses of escalated hosts' fallback peers.\n"
            f"# Check with `nft -c -f FILE`, load with `nft -f FILE`.\n"
            f"table inet {table} {{\n"
            f"\tset block_v4 {{\n\t\ttype ipv4_addr\n{elements(v4)}\t}}\n"
            f"\tset block_v6 {{\n\t\ttype ipv6_addr\n{elements(v6)}\t}}\n"
            "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n"
            "\t\tip daddr @block_v4 counter drop\n\t\tip6 daddr @block_v6 counter drop\n\t}\n"
            "\tchain output {\n\t\ttype filter hook output priority filter; policy accept;\n"
            "\t\tip daddr @block_v4 counter drop\n\t\tip6 daddr @block_v6 counter drop\n\t}\n"
            "}\n")


def zeek_intel(targets: Targets) -> list[str]:
    rows = [ZEEK_INTEL_HEADER]
    rows += [f"{ip}\tIntel::ADDR\t{SOURCE}\t{','.join(sorted(k))}" for ip, k in sorted(targets.ips.items())]
    rows += [f"{name}\tIntel::DOMAIN\t{SOURCE}\t{','.join(sorted(k))}" for name, k in sorted(targets.domains.items())]
    return rows


@lru_cache(maxsize=1)
def shipped_sids() -> frozenset[int]:
    """The SIDs of the shipped ruleset (empty when it cannot be found)."""
    try:
        return frozenset(sid for sid, _ in allowlist_export.ruleset_sids(suricata.rules_path()))
    except (OSError, InputError):
        return frozenset()


def sid_base_of(cfg: Config, sid_base: int | None) -> tuple[int, int]:
    """(first SID, rule cap); InputError when the range does not fit Suricata's 32-bit SIDs or overlaps the shipped
    ruleset (its rules and these must load together)."""
    ccfg = cfg.containment
    base = int(ccfg.sid_base if sid_base is None else sid_base)
    cap = ccfg.max_rules
    last = base + cap - 1
    if base < 1 or cap < 0 or last > MAX_SID:
        raise InputError(f"--sid-base {base}: the range {base}..{last} is not within 1..{MAX_SID}")
    clash = sorted(sid for sid in shipped_sids() if base <= sid <= last)
    if clash:
        raise InputError(f"--sid-base {base}: the range {base}..{last} holds SID {clash[0]} of the shipped ruleset; "
                         "choose a free range")
    return base, cap


def containment(hosts: list[HostReport], home: HomeNet | None = None, cfg: Config | None = None,
                entries: tuple[allowlist.Entry, ...] = (), sid_base: int | None = None,
                verdict: str = "escalate") -> dict[str, Any]:
    """Block artifacts for the peers of the hosts with ``verdict`` (or stronger); never the hosts, --home-net, the
    never-block list or the allowlist.

    Returns {"hosts", "ips", "domains", "sid_range", "notes", "suppressed", "suricata_rules", "nftables",
    "zeek_intel", "blocklist"}.
    """
    cfg = cfg or default_config()
    base, cap = sid_base_of(cfg, sid_base)
    scope = VERDICT_SCOPE[verdict]
    targets = collect(hosts, home, entries, cfg, scope)
    rules, notes = suricata_rules(targets, base, cap)
    if targets.suppressed:
        notes.append(f"containment: {len(targets.suppressed)} target(s) left out by the never-block list or the "
                     "allowlist (see suppressed)")
    return {
        "hosts": sorted(h.ip for h in hosts if h.verdict in scope),
        "ips": sorted(targets.ips),
        "domains": sorted(targets.domains),
        "sid_range": [base, base + cap - 1],
        "notes": notes,
        "suppressed": targets.suppressed,
        "suricata_rules": "".join(f"{r}\n" for r in rules),
        "nftables": nftables(targets, cfg.containment.nft_table),
        "zeek_intel": "\n".join(zeek_intel(targets)) + "\n",
        "blocklist": "".join(f"{x}\n" for x in [*sorted(targets.ips), *sorted(targets.domains)]),
    }
