"""beaconing: connections to one channel (peer, port, proto) at regular intervals - a C2 check-in loop.

Per host and channel, and per name served from several addresses, working connections and failed attempts are two
series, scored apart (``beacon_score``): a dead C2's retry loop does not blur the timing of the channel that works.
A series fires when its intervals are
regular enough on their own (``min_dispersion``) and its combined score reaches ``min_score``. Channels to known
periodic services (data/periodic_services.txt: time sync, connectivity checks, push, update pollers, EDR) never
count. Internal-to-internal channels are reported with ``in_verdict: false`` unless configured otherwise.

A beacon that stops and a regular series on another channel that starts after it, at a comparable interval, is a
beacon that moved: fallback evidence (``reappeared_on`` / ``reappeared_from``). An unidentified printable protocol
beaconing on a port that implies no service is cleartext C2 (``cleartext: true``, with its printable ratio).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib import resources
from typing import Any

import numpy as np

from ..config_schema import BeaconingConfig
from ..homenet import is_broadcast
from ..measures.domains import suffix_match
from ..model import Flow, Indicator
from .base import DetectContext, indicator
from .facts import channel, is_failed
from .beacon_score import BeaconScore, score_series
from .index import DetectIndex, get_index

PERIODIC_FILE = "data/periodic_services.txt"


@lru_cache(maxsize=1)
def shipped_periodic() -> frozenset[str]:
    """The shipped known periodic services (zones and "proto/port" entries)."""
    text = resources.files("pcap_analyzer").joinpath(PERIODIC_FILE).read_text(encoding="utf-8")
    return frozenset(ln.strip().lower().strip(".") for ln in text.splitlines()
                     if ln.strip() and not ln.lstrip().startswith("#"))


@dataclass
class Series:
    """One host's connections on one channel (or to one name across several addresses: ``name``), working or
    failed, and how beacon-like they are."""

    host: str
    flows: list[Flow]
    failed: bool
    internal: bool
    score: BeaconScore
    name: str = ""

    @property
    def key(self) -> tuple[str, int, str]:
        peer, port, proto = channel(self.flows[0])
        return (self.name or peer), port, proto

    @property
    def first_ts(self) -> float:
        return self.flows[0].ts

    @property
    def last_ts(self) -> float:
        return self.flows[-1].ts


class Beaconing:
    name = "beaconing"

    def run(self, ctx: DetectContext) -> list[Indicator]:
        bcfg = ctx.cfg.detect.beaconing
        beacons = beacon_series(ctx)
        out: list[Indicator] = []
        for series in beacons:
            out.append(self._indicator(series, ctx, bcfg))
        _link_reappearances(beacons, out, bcfg, _same_service(ctx))
        return out

    def _indicator(self, series: Series, ctx: DetectContext, bcfg: BeaconingConfig) -> Indicator:
        first, last = series.flows[0], series.flows[-1]
        evidence: dict[str, Any] = {
            "connections": len(series.flows), "outcome": "failed" if series.failed else "working",
            **series.score.evidence(), "threshold": bcfg.min_score,
            "first_ts": first.ts, "last_ts": last.last_ts, "service": first.service, "port": first.resp_p,
            "internal": series.internal,
        }
        if series.name:
            peers = sorted({f.resp_h for f in series.flows})
            evidence["name"] = series.name
            evidence["peers"] = peers[:ctx.cfg.detect.max_examples]
            evidence["peer_count"] = len(peers)
        if series.internal and not bcfg.internal_in_verdict:
            evidence["in_verdict"] = False
        printable = cleartext_ratio(series.flows, ctx)
        if printable is not None:
            evidence["cleartext"] = True
            evidence["printable"] = round(printable, 3)
        ind = indicator(self.name, series.host, first, evidence, peer=series.name)
        ind.uids.extend(f.uid for f in series.flows[1:])
        return ind


def beacon_series(ctx: DetectContext) -> list[Series]:
    """Every series that scores as a beacon, by host and start (worked out once per run, kept in the context)."""
    if ctx.beacon_series is None:
        ctx.beacon_series = _find_series(ctx)
    return ctx.beacon_series


def _find_series(ctx: DetectContext) -> list[Series]:
    bcfg = ctx.cfg.detect.beaconing
    index = get_index(ctx)
    periodic = shipped_periodic() | {e.lower().strip(".") for e in bcfg.extra_periodic}
    periodic_zone = lru_cache(maxsize=1 << 16)(partial(suffix_match, suffixes=periodic))  # names recur
    window = capture_window(ctx.flows) if ctx.capture_window is None else ctx.capture_window
    out: list[Series] = []
    for host, flows in index.by_host.items():
        groups: dict[tuple[str, int, str, bool], list[Flow]] = defaultdict(list)
        by_name: dict[tuple[str, int, str, bool], list[Flow]] = defaultdict(list)
        for flow in flows:
            if flow.service in bcfg.ignore_services or flow.expected_service in bcfg.ignore_services:
                continue
            if is_broadcast(flow.resp_h) or _is_periodic(flow, index, periodic, periodic_zone):
                continue
            failed = is_failed(flow, ctx.cfg)
            groups[(*channel(flow), failed)].append(flow)
            name = index.domain_of(flow)
            if name:
                by_name[(name, flow.resp_p, flow.proto, failed)].append(flow)
        candidates = [("", key[3], group) for key, group in groups.items()]
        # a name served from several addresses (a C2 domain rotating its IPs): one series across them
        candidates += [(key[0], key[3], group) for key, group in by_name.items()
                       if len({f.resp_h for f in group}) > 1]
        for name, failed, group in candidates:
            if len(group) < bcfg.min_events:
                continue
            internal = ctx.home.is_internal(group[0].resp_h)
            if internal and not bcfg.include_internal:
                continue
            group.sort(key=lambda f: f.ts)
            starts = np.fromiter((f.ts for f in group), dtype=np.float64, count=len(group))
            sizes = np.fromiter((f.orig_bytes + f.resp_bytes for f in group), dtype=np.float64, count=len(group))
            score = score_series(starts, sizes, window, bcfg)
            if (bcfg.min_interval <= score.median_interval <= bcfg.max_interval
                    and score.components["dispersion"] >= bcfg.min_dispersion and score.score >= bcfg.min_score):
                out.append(Series(host, group, failed, internal, score, name))
    return sorted(out, key=lambda s: (s.host, s.first_ts, s.name))


def capture_window(flows: list[Flow]) -> float:
    """Seconds from the first flow's start to the last flow's end."""
    if not flows:
        return 0.0
    return max(f.last_ts for f in flows) - min(f.ts for f in flows)


def _is_periodic(flow: Flow, index: DetectIndex, periodic: frozenset[str],
                 zone_of: Callable[[str], str | None] | None = None) -> bool:
    """A channel to a known periodic service: by its port, or by a name the client asked for or told (``zone_of``:
    suffix_match against ``periodic``, possibly remembering its answers)."""
    if f"{flow.proto}/{flow.resp_p}" in periodic:
        return True
    zone_of = zone_of or partial(suffix_match, suffixes=periodic)
    return any(zone_of(name) for name in index.names_for(flow))


def cleartext_ratio(flows: list[Flow], ctx: DetectContext) -> float | None:
    """The printable ratio of a series no dissector recognised, on a port that implies no service, whose measured
    payload is printable text (at least ``cleartext_printable`` in every measured direction); else None."""
    bcfg = ctx.cfg.detect.beaconing
    if any(f.service or f.expected_service for f in flows):
        return None
    measured = [m for f in flows for m in (f.orig_measures, f.resp_measures) if m is not None and m.nbytes > 0]
    if not measured or min(m.printable for m in measured) < bcfg.cleartext_printable:
        return None
    return sum(m.printable * m.nbytes for m in measured) / sum(m.nbytes for m in measured)


def _same_service(ctx: DetectContext) -> Any:
    """Whether two series are one service moving address: the same port and a registered domain in common (a CDN
    or DNS rotation, not another channel)."""
    index = get_index(ctx)
    shared = frozenset(ctx.cfg.detect.shared_zones)

    def same(old: Series, new: Series) -> bool:
        if old.key[1:] != new.key[1:]:
            return False
        return bool(index.base_domains_for(old.flows[-1], shared) & index.base_domains_for(new.flows[0], shared))

    return same


def _link_reappearances(beacons: list[Series], inds: list[Indicator], bcfg: BeaconingConfig, same_service: Any
                        ) -> None:
    """A beacon that stops, and the host's next beacon on another channel (not the same service at a new address:
    ``same_service``) starting after it within ``reappear_window`` seconds at an interval within ``reappear_ratio``
    of the old one: evidence on both."""
    by_host: dict[str, list[tuple[Series, Indicator]]] = defaultdict(list)
    for series, ind in zip(beacons, inds):
        by_host[series.host].append((series, ind))
    for items in by_host.values():
        for old, old_ind in items:
            interval = old.score.median_interval
            later = [(new, new_ind) for new, new_ind in items
                     if new.key != old.key and not new.failed and new.first_ts > old.last_ts
                     and not same_service(old, new)
                     and new.first_ts - old.last_ts <= bcfg.reappear_window
                     and 1.0 / bcfg.reappear_ratio <= new.score.median_interval / interval <= bcfg.reappear_ratio]
            if not later:
                continue
            new, new_ind = min(later, key=lambda pair: pair[0].first_ts)
            gap = round(new.first_ts - old.last_ts, 6)
            old_ind.evidence["reappeared_on"] = {
                "peer": new.key[0], "port": new.key[1], "proto": new.key[2], "first_ts": new.first_ts, "gap": gap,
                "median_interval": round(new.score.median_interval, 3), "community_id": new.flows[0].community_id}
            new_ind.evidence["reappeared_from"] = {
                "peer": old.key[0], "port": old.key[1], "proto": old.key[2], "last_ts": old.last_ts, "gap": gap,
                "outcome": "failed" if old.failed else "working", "median_interval": round(interval, 3)}
