"""Why a fallback belongs to a failure: the evidence that the primary and the fallback are one software's attempts.

Each link is ``{"kind", "detail"}``; the pairing's confidence is ``1 - prod(1 - weight)`` over its links
(``[detect.failed_fallback] link_weights``). Link kinds:

``same_peer``      the fallback talks to the failed primary's address (on another port or protocol);
``same_name``      the fallback's peer is known by the primary's name or registered domain;
``name_lineage``   a backup name: the failed name's registered label under another suffix, or the same label shape;
``adjacent_lookup`` the backup name is the first new name the host resolved right after its lookups of the failed
                   name kept failing (name lineage by time: weaker than by shape);
``hard_coded_ip``  an address no lookup returned, right after the primary's address or name died, on a host that
                   otherwise talks to (almost) no bare addresses;
``fingerprint``    the same JA3 or JA4, HTTP User-Agent or SSH client banner before and after, and rare on the host
                   (the detail names each that matched);
``cadence``        the failed attempts and the fallback's connections repeat at the same interval;
``cycle``          failure -> fallback happened again and again (the primary is retried, fails, the fallback runs);
``payload_shape``  the client's message sizes on the failed attempts recur on the fallback (detect/payload_shape.py);
``dga_survivor``   the fallback's peer is the one name that resolved at the end of a DGA burst;
``doh_takeover``   encrypted DNS to a public resolver (data/doh_resolvers.txt) right after the host's resolver failed
                   (unanswered, refused, SERVFAIL, sinkholed) and not used before.
"""
from __future__ import annotations

import ipaddress
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..config import Config
from ..config_schema import FailedFallbackConfig
from .. import feeds
from ..measures.domains import base_domain, suffix_match
from ..homenet import is_ip
from ..model import Flow
from .base import DetectContext
from .failures import DNS_KINDS, NAME_KINDS, Channel, is_sinkhole, registered_label
from .index import DetectIndex, DnsLookup
from .payload_shape import shape_link

ENCRYPTED_DNS_PORTS = (443, 853)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _doh_table(extra: tuple[str, ...]) -> tuple[frozenset[str], tuple[Network, ...]]:
    """(resolver names, resolver networks) of the DoH / DoT feed (data/doh_resolvers.txt, generated from
    feeds/doh_resolvers.txt) plus ``extra_doh_resolvers``."""
    values = [e.value for e in feeds.load("doh_resolvers")] + [x.lower().strip().rstrip(".") for x in extra]
    names, nets = set(), []
    for value in values:
        try:
            nets.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            names.add(value.removeprefix("*."))
    return frozenset(names), tuple(nets)


def doh_resolver(address: str, names: frozenset[str], cfg: Config) -> str:
    """The public resolver a connection goes to, by address or by name ("" when it is none)."""
    zones, nets = _doh_table(cfg.detect.failed_fallback.extra_doh_resolvers)
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        addr = None
    if addr is not None and any(addr.version == net.version and addr in net for net in nets):
        return address
    for name in sorted(names):
        if suffix_match(name, zones) is not None:
            return name
    return ""


FINGERPRINT_LABELS = {"ja3": "JA3", "ja4": "JA4", "ua": "User-Agent", "ssh": "SSH client banner"}


def fingerprints(flow: Flow) -> set[str]:
    """The client's fingerprints on a flow: "ja3:<md5>", "ja4:<JA4>", "ua:<User-Agent>", "ssh:<client banner>"."""
    out = set()
    if flow.tls is not None and flow.tls.ja3:
        out.add(f"ja3:{flow.tls.ja3}")
    if flow.tls is not None and flow.tls.ja4:
        out.add(f"ja4:{flow.tls.ja4}")
    if flow.app is not None and flow.app.get("ja4"):
        out.add(f"ja4:{flow.app['ja4']}")  # a DTLS client (dissect/dtls.py)
    out.update(f"ua:{m.user_agent}" for m in flow.http if m.is_request and m.user_agent)
    if flow.ssh_banners and (len(flow.ssh_banners) == 2 or flow.resp_bytes == 0):
        out.add(f"ssh:{flow.ssh_banners[0]}")
    return out


def label_shape(label: str) -> tuple[tuple[str, int], ...]:
    """Runs of letters (a), digits (d) and other characters (-) with their lengths: "upd-7k2" -> a3 -1 d1 a1 d1."""
    runs: list[list[Any]] = []
    for ch in label:
        cls = "a" if ch.isalpha() else "d" if ch.isdigit() else "-"
        if runs and runs[-1][0] == cls:
            runs[-1][1] += 1
        else:
            runs.append([cls, 1])
    return tuple((c, n) for c, n in runs)


@dataclass
class HostView:
    """What the links need to know about one host's whole capture, worked out once."""

    bare_ip_peers: set[str] = field(default_factory=set)  # external addresses it talked to that no name points at
    fingerprint_peers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    first_use: dict[tuple[str, int, str], float] = field(default_factory=dict)  # channel -> first working flow
    lookups: list[DnsLookup] = field(default_factory=list)  # the host's DNS questions, by time

    @classmethod
    def build(cls, host: str, flows: list[Flow], index: DetectIndex, ctx: DetectContext) -> "HostView":
        view = cls(lookups=index.lookups.get(host, []))
        for flow in flows:
            if not flow.established:
                continue
            key = (flow.resp_h, flow.resp_p, flow.proto)
            view.first_use.setdefault(key, flow.ts)
            for fp in fingerprints(flow):
                view.fingerprint_peers[fp].add(flow.resp_h)
            if (flow.proto in ("tcp", "udp") and not ctx.home.is_internal(flow.resp_h) and not flow.dns
                    and not index.names_for(flow)):
                view.bare_ip_peers.add(flow.resp_h)
        return view


def bare(flow: Flow, index: DetectIndex, ctx: DetectContext) -> bool:
    """A direct connection to an address that no lookup returned and the client named nothing for."""
    return (flow.proto in ("tcp", "udp") and not flow.dns and flow.service != "dns"
            and not ctx.home.is_internal(flow.resp_h) and not index.names_for(flow))


def _median_interval(times: list[float]) -> tuple[float, int]:
    times = sorted(set(times))
    gaps = [b - a for a, b in zip(times, times[1:]) if b - a > 0]
    return (statistics.median(gaps), len(gaps)) if gaps else (0.0, 0)


def links(primary: Channel, whole: Channel, fallback: list[Flow], view: HostView, index: DetectIndex,
          ctx: DetectContext) -> list[dict[str, str]]:
    """The links between a primary (cut to the attempts over before the fallback began; ``whole`` is every attempt)
    and a candidate fallback (its working flows, by time)."""
    fcfg = ctx.cfg.detect.failed_fallback
    first = fallback[0]
    gap = first.ts - primary.last_ts
    out: list[dict[str, str]] = []

    def link(kind: str, detail: str) -> None:
        out.append({"kind": kind, "detail": detail})

    names = index.names_for(first)
    bases = {base_domain(n) for n in names}
    if primary.peer == first.resp_h:
        link("same_peer", f"{first.resp_h} again, on {first.proto}/{first.resp_p} after {primary.proto}/"
                          f"{primary.port} failed ({primary.kind})")
    if primary.domain and (primary.domain in names or base_domain(primary.domain) in bases):
        link("same_name", f"{first.resp_h} is known as {primary.domain} (or its registered domain), the name whose "
                          f"channel failed")
    elif primary.domain and not is_ip(primary.domain):
        lineage = _lineage(primary.domain, names, fcfg.lineage_min_label)
        if lineage:
            link("name_lineage", lineage)
    adjacent = _adjacent_lookup(primary, first, names, view, ctx)
    if adjacent and not any(item["kind"] in ("same_name", "name_lineage") for item in out):
        link("adjacent_lookup", adjacent)
    if (primary.kind == "dga_burst" and (first.resp_h in primary.details.get("survivor_addresses", ())
                                         or primary.details.get("survivor") in names)):
        dga = primary.details["dga"]
        link("dga_survivor", f"{dga['survivor']} resolved right after {dga['count']} one-shot NXDOMAIN names "
                             f"(mean label entropy {dga['mean_label_entropy']} bits, {dga['ratio_to_usual']}x the "
                             f"host's usual misses)")
    primary_bare = not primary.domain and is_ip(primary.peer)
    retried = primary.last_ts - primary.first_ts >= fcfg.hard_ip_min_span
    if (first.resp_h != primary.peer and bare(first, index, ctx) and (primary_bare or primary.kind in NAME_KINDS)
            and retried and gap <= fcfg.hard_ip_max_gap and len(view.bare_ip_peers) <= fcfg.max_bare_ip_peers):
        near = ""
        if primary_bare and _same_slash24(primary.peer, first.resp_h):
            near = ", in the same /24"
        died = "address" if primary_bare else f"name {primary.domain or primary.peer}"
        link("hard_coded_ip", f"{first.resp_h} (no lookup returned it) {gap:.1f} s after the {died} died "
                              f"({primary.kind}){near}; the host talks to {len(view.bare_ip_peers)} such address(es)")
    fingerprint = _fingerprint(primary, first, fallback, view, fcfg)
    if fingerprint:
        link("fingerprint", fingerprint)
    cadence = _cadence(whole, fallback, fcfg)
    if cadence:
        link("cadence", cadence)
    cycles = _cycles(whole, fallback)
    if cycles >= fcfg.min_cycles:
        link("cycle", f"failure then fallback {cycles} times: the primary is retried, fails, the fallback runs")
    shape = shape_link(primary, fallback, fcfg)
    if shape:
        link("payload_shape", shape)
    doh = _doh(primary, first, names, gap, view, ctx)
    if doh:
        link("doh_takeover", doh)
    return out


def confidence(found: list[dict[str, str]], cfg: Config) -> float:
    weights = cfg.detect.failed_fallback.link_weights
    miss = 1.0
    for item in found:
        miss *= 1.0 - weights[item["kind"]]  # every link kind has its weight (a closed table)
    return round(1.0 - miss, 3)


def _same_slash24(a: str, b: str) -> bool:
    try:
        x, y = ipaddress.ip_address(a), ipaddress.ip_address(b)
    except ValueError:
        return False
    return x.version == y.version == 4 and int(x) >> 8 == int(y) >> 8


def _lineage(failed: str, names: frozenset[str], min_label: int) -> str:
    """How one of ``names`` descends from the failed name ("" when none does)."""
    label = registered_label(failed)
    suffix = base_domain(failed).partition(".")[2]
    for name in sorted(names):
        other = registered_label(name)
        other_suffix = base_domain(name).partition(".")[2]
        if other == label and other_suffix != suffix and len(label) >= min_label:
            return f"{name}: the failed name's label '{label}' under .{other_suffix} instead of .{suffix}"
        if (other != label and len(other) >= min_label and len(label) >= min_label
                and label_shape(other) == label_shape(label) and len(label_shape(label)) > 1):
            return f"{name}: label '{other}' has the failed name's label shape ('{label}')"
    return ""


def _adjacent_lookup(primary: Channel, first: Flow, names: frozenset[str], view: HostView, ctx: DetectContext) -> str:
    """The first new name the host resolved after its lookups of the failed name stopped, when it is the fallback's
    and came at most lineage_adjacent seconds later ("" otherwise)."""
    if primary.kind not in ("nxdomain", "servfail", "dns_refused", "sinkhole"):
        return ""
    limit = primary.last_ts + ctx.cfg.detect.failed_fallback.lineage_adjacent
    known = {lk.qname for lk in view.lookups if lk.ts < primary.first_ts}
    for lk in view.lookups:
        if lk.ts <= primary.last_ts or lk.qname == primary.peer or lk.qname in known or not lk.addresses:
            continue
        if lk.ts > limit or any(is_sinkhole(a, ctx.cfg) for a in lk.addresses):
            return ""
        if lk.qname in names or first.resp_h in lk.addresses:
            return (f"{lk.qname} resolved {lk.ts - primary.last_ts:.1f} s after the last failed lookup of "
                    f"{primary.peer} ({primary.kind}), the first new name after it")
        return ""
    return ""


def _fingerprint(primary: Channel, first: Flow, fallback: list[Flow], view: HostView,
                 fcfg: FailedFallbackConfig) -> str:
    """The client fingerprints (JA3, JA4, User-Agent, SSH banner) seen on the failed attempts and on the fallback
    that the host uses with at most fingerprint_max_peers other peers; either TLS fingerprint counts (JA4 survives
    the extension-order shuffling that changes JA3). "" when none."""
    shared = _fingerprints_of(primary) & set().union(*(fingerprints(f) for f in fallback))
    rare: list[tuple[str, str, int]] = []
    for fp in sorted(shared):
        others = view.fingerprint_peers.get(fp, set()) - {primary.peer, first.resp_h}
        if len(others) <= fcfg.fingerprint_max_peers:
            kind, _, value = fp.partition(":")
            rare.append((FINGERPRINT_LABELS[kind], value, len(others)))
    if not rare:
        return ""
    named = " and ".join(f"{label} {value}" for label, value, _ in rare)
    return (f"{named} on the failed attempts and on the fallback ({max(n for *_, n in rare)} other peer(s) of the "
            f"host)")


def _fingerprints_of(primary: Channel) -> set[str]:
    return set().union(*(fingerprints(flow) for _, _, _, flow, _ in primary.tries)) if primary.tries else set()


def _cadence(whole: Channel, fallback: list[Flow], fcfg: FailedFallbackConfig) -> str:
    before, n_before = _median_interval([start for start, *_ in whole.tries])
    after, n_after = _median_interval([f.ts for f in fallback])
    need = fcfg.cadence_min_intervals
    if n_before < need or n_after < need or min(before, after) < fcfg.cadence_min_interval:
        return ""
    if abs(before - after) > fcfg.cadence_tolerance * max(before, after):
        return ""
    return f"attempts every {before:.1f} s before, connections every {after:.1f} s after"


def _cycles(whole: Channel, fallback: list[Flow]) -> int:
    """Times a run of failures was followed by the fallback starting again."""
    events = sorted([(start, 0) for start, *_ in whole.tries] + [(f.ts, 1) for f in fallback])
    cycles, failing = 0, False
    for _, is_fallback in events:
        if not is_fallback:
            failing = True
        elif failing:
            cycles += 1
            failing = False
    return cycles


def _doh(primary: Channel, first: Flow, names: frozenset[str], gap: float, view: HostView,
         ctx: DetectContext) -> str:
    fcfg = ctx.cfg.detect.failed_fallback
    resolver_failed = primary.service == "dns" and primary.kind not in DNS_KINDS  # queries unanswered / refused
    dns_failed = primary.kind in fcfg.doh_triggers or resolver_failed
    if not dns_failed or first.proto != "tcp" or first.resp_p not in ENCRYPTED_DNS_PORTS or gap > fcfg.doh_window:
        return ""
    resolver = doh_resolver(first.resp_h, names, ctx.cfg)
    if not resolver:
        return ""
    if view.first_use.get((first.resp_h, first.resp_p, first.proto), first.ts) < primary.first_ts:
        return ""  # the host used this resolver before its DNS failed: no takeover
    how = "DNS-over-TLS" if first.resp_p == 853 else "DNS-over-HTTPS"
    return (f"{how} to the public resolver {resolver} {gap:.1f} s after the host's DNS failed "
            f"({primary.kind}, {primary.peer}); not used before")
