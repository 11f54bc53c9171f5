"""Per-host verdicts: score, escalate / investigate / benign, the four playbook answers, channels, same-pattern hosts.

escalate    a clear fallback pattern (failed_then_fallback: its fallback is anomalous by construction), an intel
            match reached over an alternate channel, an ICMP tunnel, a DNS tunnel that lasts, or evasive
            indicators of several types on several distinct channels;
investigate any other indicator (SSH on 2222, a UDP VPN, a NAS on dynamic DNS, one TLS on an odd port);
benign      nothing.

A host whose every indicator is about a VPN, remote-access or P2P tool ([apps] policy_classes; the indicator's
evidence "app_class", or the class of its fallback's protocol) is at most investigate: using such a tool is a policy
question, and the reasons name the tool class.

Indicators from Suricata and Zeek corroborate the analyzer's: one indicator type counts once per host, each further
source that reports it adds a bonus.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from . import patterns
from ..apps import is_policy_class
from ..config import Config
from ..detect.base import DetectContext
from ..detect.facts import channel, established, family
from ..detect.failed_fallback import failed_channels
from ..detect.index import DetectIndex, get_index
from ..model import Flow, HostReport, Indicator
from ..registry import QUESTIONS as QUESTIONS  # the answers' keys, re-exported
from ..registry import for_question, with_flag
from ..times import iso_time

#: the types each answer lists as evidence, strongest first (data/indicators.toml: question)
PORT_TYPES = for_question("nonstandard_ports")
DNS_TYPES = for_question("unusual_dns")
#: types whose (proto, port, service) is a pattern of its own; for the others only the peer / domain is
SIGNATURE_TYPES = with_flag("signature")


def ref(ind: Indicator) -> str:
    """A short, checkable reference to an indicator."""
    where = f"{ind.proto}/{ind.port} " if ind.port is not None and ind.proto else ""
    cid = f" [{ind.community_id}]" if ind.community_id else ""
    return f"{ind.type} ({ind.source}): {where}{ind.peer}{cid}"


def indicator_channel(ind: Indicator) -> tuple[str, Any, str]:
    """The channel an indicator is about; for a fallback, the fallback channel."""
    pair = fallback_pair(ind)
    if pair is not None:
        fallback = pair[1]
        return (str(fallback.get("peer", ind.peer)), fallback.get("port", ind.port),
                str(fallback.get("proto", ind.proto)))
    return ind.peer, ind.port, ind.proto


def _peers(ind: Indicator) -> set[str]:
    """Addresses and names an indicator points at (for intel corroboration and same-pattern matching)."""
    out = {ind.peer} if ind.peer else set()
    pair = fallback_pair(ind)
    if pair is not None:
        out.update(str(pair[1][k]) for k in ("peer", "domain") if pair[1].get(k))
    return out


def fallback_pair(ind: Indicator) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(primary, fallback) of a failed_then_fallback indicator, when its evidence has them (external ones may not)."""
    p, f = ind.evidence.get("primary"), ind.evidence.get("fallback")
    return (p, f) if ind.type == "failed_then_fallback" and isinstance(p, dict) and isinstance(f, dict) else None


def describe(ind: Indicator) -> str:
    """One line about an indicator, for HostReport.reasons."""
    pair = fallback_pair(ind)
    if pair is not None:
        p, f = pair
        return (f"failed_then_fallback: {p.get('service') or p.get('proto')} to {p.get('peer')}:{p.get('port')} "
                f"failed ({p.get('attempts')} attempts, {p.get('state')}), "
                f"then {f.get('service') or f.get('proto')} to "
                f"{f.get('domain') or f.get('peer')} on {f.get('proto')}/{f.get('port')} "
                f"({', '.join(ind.evidence.get('reasons', []))}){_linked(ind)}")
    return ref(ind)


def _source_ref(ind: Indicator) -> str:
    """How another engine names its finding: "suricata sid N", "zeek notice X" or "zeek fallback.log <type>"."""
    if ind.source == "suricata":
        return f"suricata sid {ind.evidence.get('sid', '?')}"
    zeek = [z for z in ind.evidence.get("zeek", []) if isinstance(z, dict)]
    notes = [str(z["note"]) for z in zeek if z.get("note")]
    if notes:
        return f"zeek notice {notes[0]}"
    return f"zeek fallback.log {ind.type}" if zeek else f"{ind.source} {ind.type}"


def lead(items: list[Indicator]) -> Indicator:
    """The indicator a reason is told from: the analyzer's own (its narrative) before another engine's line."""
    return next((i for i in items if i.source == "analyzer"), items[0])


def told(ind: Indicator, inds: list[Indicator]) -> str:
    """``describe(ind)``, plus the other engines' findings of the same type on the same channel:
    "... (corroborated by suricata sid N, zeek notice X)"."""
    keys = {ind.community_id, *ind.uids, *_peers(ind)} - {""}
    others = sorted({_source_ref(o) for o in inds if o.source != ind.source and o.type == ind.type
                     and ({o.community_id, *o.uids, *_peers(o)} & keys)})
    text = describe(ind)
    return f"{text} (corroborated by {', '.join(others)})" if others else text


def _linked(ind: Indicator) -> str:
    """"; linked by same_peer, fingerprint (confidence 0.96)" when the evidence says why the pair belongs together."""
    found = ind.evidence.get("link")
    if not isinstance(found, list) or not found:
        return ""
    kinds = ", ".join(str(item.get("kind")) for item in found if isinstance(item, dict))
    return f"; linked by {kinds} (confidence {ind.evidence.get('confidence')})"


def distinct_channels(inds: list[Indicator]) -> set[tuple[str, Any, str]]:
    """The channels indicators sit on. A Suricata / Zeek indicator about a channel the analyzer already reported
    (same community ID, uid or peer) corroborates it rather than adding a channel."""
    own = [i for i in inds if i.source == "analyzer"]
    chans = {indicator_channel(i) for i in own}
    known = {i.community_id for i in own if i.community_id} | {u for i in own for u in i.uids} | set().union(
        *(_peers(i) for i in own))
    for ind in inds:
        if ind.source != "analyzer" and not ({ind.community_id, *ind.uids, *_peers(ind)} & known):
            chans.add(indicator_channel(ind))
    return chans


def score_of(by_type: dict[str, list[Indicator]], cfg: Config) -> float:
    vcfg = cfg.verdict
    total = 0.0
    for kind, items in by_type.items():
        sources = {ind.source for ind in items}
        factor = max((ind.evidence["baseline"]["factor"] for ind in items if "baseline" in ind.evidence), default=1.0)
        total += (vcfg.weights[kind] * factor
                  * (1.0 + vcfg.corroboration_bonus * (len(sources) - 1)))
    return round(total, 2)


def escalation_reasons(by_type: dict[str, list[Indicator]], cfg: Config) -> list[str]:
    """Why the host escalates ([] = it does not)."""
    vcfg = cfg.verdict
    reasons = []
    every = [ind for items in by_type.values() for ind in items]
    for kind in vcfg.always_escalate:
        if by_type.get(kind):
            reasons.append(told(lead(by_type[kind]), every))
    for ind in sorted(by_type.get("dns_tunnel", []), key=lambda i: i.source != "analyzer"):
        queries, duration = ind.evidence.get("queries", 0), ind.evidence.get("duration", 0.0)
        if queries >= vcfg.tunnel_min_queries or duration >= vcfg.tunnel_min_duration:
            reasons.append(f"DNS tunnel under {ind.peer} lasts: {queries} queries over {duration:.0f} s")
            break
    evasive = [ind for kind in vcfg.evasive for ind in by_type.get(kind, [])]
    evasive += [ind for kind, items in by_type.items() if kind not in vcfg.evasive for ind in items
                if any(ind.evidence.get(key) is True for key in vcfg.evasive_evidence)]
    evasive_peers = set().union(*(_peers(ind) for ind in evasive)) if evasive else set()
    for ind in by_type.get("intel_match", []):
        if _peers(ind) & evasive_peers or any(set(ind.uids) & set(e.uids) for e in evasive):
            reasons.append(f"intel match {ind.peer} reached over an alternate channel")
            break
    kinds = {ind.type for ind in evasive}
    chans = distinct_channels(evasive)
    if len(kinds) >= vcfg.min_evasive_types and len(chans) >= vcfg.min_evasive_channels:
        reasons.append(f"{len(kinds)} kinds of evasive indicator on {len(chans)} channels: {', '.join(sorted(kinds))}")
    return reasons


def indicator_app_class(ind: Indicator, cfg: Config) -> str:
    """The tool class an indicator is about: its evidence's app_class, else the class of the protocol it names
    (a fallback's, or the protocol switched to)."""
    if ind.evidence.get("app_class"):
        return str(ind.evidence["app_class"])
    pair = fallback_pair(ind)
    target = pair[1] if pair is not None else ind.evidence.get("to")
    service = target.get("service", "") if isinstance(target, dict) else ""
    return str(cfg.apps.classes.get(service, ""))


def policy_tools(inds: list[Indicator], cfg: Config) -> list[str]:
    """The tool classes of a host's indicators when every one is a VPN / remote-access / P2P tool, else []."""
    classes = [indicator_app_class(ind, cfg) for ind in inds]
    if not inds or not all(is_policy_class(c, cfg) for c in classes):
        return []
    return sorted(set(classes))


def is_lead(ind: Indicator, cfg: Config) -> bool:
    """A hunting lead rather than a reason to investigate: an indicator of a lead type (``verdict.lead_types``, e.g.
    a regular heartbeat: every app has some), or a brief exchange of unidentified encrypted UDP (shorter than
    ``verdict.brief_udp_lead`` seconds: game matchmaking, NAT and relay probes, media set-up), unless its evidence
    makes it more (``verdict.lead_promote_evidence``, e.g. cleartext, a beacon that moved)."""
    vcfg = cfg.verdict
    ev = ind.evidence
    if any(ev.get(key) for key in vcfg.lead_promote_evidence):
        return False
    if ind.type in vcfg.lead_types:
        return True
    if ind.type != "nonstandard_port_encrypted" or ind.proto != "udp" or ind.source != "analyzer":
        return False
    span = (ev.get("first_ts"), ev.get("last_ts"))  # the analyzer's measured flow; other engines' findings lack it
    if ev.get("service") or not all(isinstance(t, (int, float)) for t in span):
        return False
    return span[1] - span[0] < vcfg.brief_udp_lead


def leads_only(by_type: dict[str, list[Indicator]], cfg: Config) -> bool:
    """Every indicator of the host is a lead (``is_lead``)."""
    return all(is_lead(ind, cfg) for items in by_type.values() for ind in items)


def usage(flows: Iterable[Flow]) -> Counter[str]:
    """Established flows by "proto/port service" (the baseline's what-is-normal)."""
    return Counter(usage_key(f) for f in flows if established(f))


def usage_key(flow: Flow) -> str:
    """What ``usage`` counts a flow under."""
    return f"{flow.proto}/{flow.resp_p} {flow.service or flow.expected_service or '?'}"


def baseline(host: str, inds: list[Indicator], index: DetectIndex, capture_usage: Counter[str], cfg: Config) -> str:
    """What is normal for this host and for the other hosts, against the channels the indicators flag."""
    top = cfg.verdict.baseline_top
    flows = index.by_host.get(host, [])
    flagged_uids = {uid for ind in inds for uid in ind.uids}
    if flagged_uids:
        usual = usage([f for f in flows if f.uid not in flagged_uids])
        flagged = usage([f for f in flows if f.uid in flagged_uids])
    else:  # most hosts: nothing flagged, every flow is usual
        usual, flagged = usage(flows), Counter()
    others = capture_usage - (usual + flagged)  # the host's own flows are the usual and the flagged ones

    def fmt(usage: Counter[str]) -> str:
        return ", ".join(f"{k} ({n})" for k, n in usage.most_common(top)) or "nothing"

    marked = ", ".join(f"{k} ({n} flows; {others[k]} from other hosts)" for k, n in flagged.most_common(top))
    return (f"baseline: this host otherwise uses {fmt(usual)}; other hosts use {fmt(others)}; "
            f"flagged: {marked or 'no established flow'}")


def answers_for(host: str, by_type: dict[str, list[Indicator]], base: str, ctx: DetectContext,
                index: DetectIndex) -> dict[str, dict[str, Any]]:
    """The four playbook questions, each {"answer": bool, "evidence": [...]}; the baseline backs the port and
    protocol answers."""
    fallbacks = [(i, pair) for i in by_type.get("failed_then_fallback", []) if (pair := fallback_pair(i)) is not None]
    pairs = [pair for _, pair in fallbacks]
    port_ev = [ref(i) for t in PORT_TYPES for i in by_type.get(t, [])]
    port_ev += [f"fallback on {f.get('proto')}/{f.get('port')} ({', '.join(i.evidence.get('reasons', []))})"
                for i, (_, f) in fallbacks if "nonstandard_port" in i.evidence.get("reasons", [])]
    switch_ev = [ref(i) for i in by_type.get("protocol_switch", [])]
    for p, f in pairs:
        name_failed = p.get("peer") == p.get("domain")  # a name that did not resolve is not a protocol
        if not name_failed and family(p.get("service", ""), ctx.cfg) != family(f.get("service", ""), ctx.cfg):
            switch_ev.append(f"{p.get('service') or p.get('proto')} on {p.get('proto')}/{p.get('port')} failed, then "
                             f"{f.get('service') or f.get('proto')} on {f.get('proto')}/{f.get('port')}")
    dns_ev = [ref(i) for t in DNS_TYPES for i in by_type.get(t, [])]
    for i in by_type.get("dynamic_dns", []):
        if i.evidence.get("connection_count"):
            dns_ev.append(f"{i.peer} resolved to {', '.join(i.evidence.get('addresses', [])) or '?'}, then "
                          f"{i.evidence['connection_count']} connection(s) to it")
    for p, _ in pairs:
        if p.get("service") == "dns":
            dns_ev.append(f"{p.get('domain')} failed to resolve ({p.get('state')}) {p.get('attempts')}x "
                          "before the fallback")
    resume_ev = [f"{p.get('attempts')} failed attempts on {p.get('peer')}:{p.get('port')}, then {f.get('attempts')} "
                 f"working on {f.get('peer')}:{f.get('port')}" for p, f in pairs]
    resume_ev += resumed_same_channel(host, index, ctx)
    resume_ev += [f"beacon on {i.proto}/{i.port} {i.peer} every {i.evidence.get('median_interval')} s stopped, then "
                  f"reappeared on {r.get('proto')}/{r.get('port')} {r.get('peer')} after {r.get('gap')} s"
                  for i in by_type.get("beaconing", []) if isinstance(r := i.evidence.get("reappeared_on"), dict)]
    return {
        "nonstandard_ports": {"answer": bool(port_ev), "evidence": port_ev + ([base] if port_ev else [])},
        "protocol_switch": {"answer": bool(switch_ev), "evidence": switch_ev + ([base] if switch_ev else [])},
        "unusual_dns": {"answer": bool(dns_ev), "evidence": dns_ev},
        "fail_then_resume": {"answer": bool(resume_ev), "evidence": resume_ev},
    }


def resumed_same_channel(host: str, index: DetectIndex, ctx: DetectContext) -> list[str]:
    """Channels that failed repeatedly and later worked again (communication resumed on the same channel)."""
    flows = index.by_host.get(host, [])
    out = []
    for primary in failed_channels(host, flows, index, ctx):
        key = (primary.peer, primary.port, primary.proto)
        later = [f for f in flows if channel(f) == key and f.ts > primary.first_ts and established(f)]
        if later:
            out.append(f"{primary.attempts} failed attempts on {primary.proto}/{primary.port} {primary.peer}, "
                       f"resumed at {iso_time(later[0].ts)}")
    return out


def signatures(inds: list[Indicator]) -> set[tuple[Any, ...]]:
    """What makes two hosts "the same pattern": a shared peer (fallback address, fallback or tunnel domain, dynamic-DNS
    name), or the same indicator signature (type, proto, port, service)."""
    out: set[tuple[Any, ...]] = set()
    for ind in inds:
        out.update(("peer", peer) for peer in _peers(ind))
        _, port, proto = indicator_channel(ind)
        if ind.type in SIGNATURE_TYPES:
            pair = fallback_pair(ind)
            service = pair[1].get("service", "") if pair is not None else ind.evidence.get("service", "")
            out.add(("signature", ind.type, proto, port, service))
    return out


def judge(report: HostReport, cfg: Config) -> HostReport:
    """Score, verdict and reasons of a host from its indicators (also re-run on a saved report after an allowlist)."""
    by_type: dict[str, list[Indicator]] = defaultdict(list)
    inds = sorted(report.indicators, key=lambda i: i.ts)
    for ind in inds:
        if ind.evidence.get("in_verdict", True):  # informational evidence (e.g. an internal beacon) is shown only
            by_type[ind.type].append(ind)
    report.score = score_of(by_type, cfg)
    escalate = escalation_reasons(by_type, cfg)
    every = [ind for items in by_type.values() for ind in items]
    tools = policy_tools(inds, cfg)
    if tools:
        report.verdict = "investigate"
        report.reasons = [f"{' / '.join(tools)} tool in use (a policy question, not a fallback): "
                          f"{told(lead(items), every)}" for items in by_type.values()]
    elif escalate:
        report.verdict, report.reasons = "escalate", escalate
    elif by_type and not leads_only(by_type, cfg):
        report.verdict = "investigate"
        report.reasons = [f"no fallback pattern, but {told(lead(items), every)}" for items in by_type.values()]
    elif inds:
        report.verdict, report.reasons = "benign", [f"no indicator for the verdict; informational: {describe(inds[0])}"]
    else:
        report.verdict, report.reasons = "benign", ["no indicator"]
    return report


def build_hosts(indicators: list[Indicator], ctx: DetectContext) -> list[HostReport]:
    """One HostReport per internal host seen in any flow (and per host any indicator is about)."""
    reports = host_reports(indicators, ctx, get_index(ctx).hosts, usage(ctx.flows))
    assign_patterns(reports, ctx.cfg)
    return reports


def host_reports(indicators: list[Indicator], ctx: DetectContext, hosts: Iterable[str],
                 capture_usage: Counter[str]) -> list[HostReport]:
    """The HostReports of ``hosts`` and of the hosts the indicators are about, by address (no patterns yet): the
    host's flows come from ``ctx`` (its index), what other hosts use from ``capture_usage`` (``usage`` of every
    flow)."""
    index = get_index(ctx)
    by_host: dict[str, list[Indicator]] = defaultdict(list)
    for ind in indicators:
        by_host[ind.host].append(ind)
    reports: list[HostReport] = []
    for host in sorted(set(hosts) | set(by_host)):
        inds = sorted(by_host.get(host, []), key=lambda i: i.ts)
        by_type: dict[str, list[Indicator]] = defaultdict(list)
        for ind in inds:
            if ind.evidence.get("in_verdict", True):  # informational evidence (e.g. an internal beacon) is shown only
                by_type[ind.type].append(ind)
        report = judge(HostReport(ip=host, indicators=inds), ctx.cfg)
        base = baseline(host, inds, index, capture_usage, ctx.cfg)
        report.answers = answers_for(host, by_type, base, ctx, index)
        for ind in by_type.get("failed_then_fallback", []):
            pair = fallback_pair(ind)
            entry = {"primary": pair[0], "fallback": pair[1]} if pair is not None else None
            if entry is not None and entry not in report.channels:
                report.channels.append(entry)
        reports.append(report)
    return reports


def assign_patterns(reports: list[HostReport], cfg: Config) -> None:
    """Same-pattern hosts across every report (a cross-host step over the reduced results)."""
    sigs = {r.ip: signatures(r.indicators) for r in reports if r.indicators}
    patterns.assign(reports, sigs, cfg.report.max_same_pattern_hosts)
