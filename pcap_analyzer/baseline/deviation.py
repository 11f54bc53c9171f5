"""A new analysis against the baseline: ``baseline_deviation`` indicators for what is new for a host, and weight
factors for the other indicators (a channel new to the host and the network weighs more; one seen for weeks on many
hosts weighs less)."""
from __future__ import annotations

from functools import lru_cache

from ..config import Config
from ..detect.dyndns import provider_zones
from ..measures.domains import suffix_match
from ..model import Indicator
from .observe import HostObservations, zone_of
from .store import BaselineStore

KIND = "baseline_deviation"


@lru_cache(maxsize=4096)
def provider_zone(zone: str) -> str:
    """The dynamic-DNS provider zone a registered domain belongs to ("" when none)."""
    return suffix_match(zone, provider_zones()) or "" if zone else ""


def is_notable(kind: str, value: str) -> bool:
    """New values of these kinds are worth an indicator; a zone only when it belongs to a dynamic-DNS provider
    (a host browsing a new web site every day is no deviation)."""
    return kind != "zone" or bool(provider_zone(value))


def deviations(observed: dict[str, HostObservations], store: BaselineStore, cfg: Config) -> list[Indicator]:
    """One baseline_deviation per host that has a baseline and now shows something new for it."""
    bcfg = cfg.baseline
    out = []
    for host, obs in sorted(observed.items()):
        profile = store.profile(host)
        if profile is None or obs.first_ts is None:
            continue  # a host the baseline has never seen: nothing to deviate from
        known = store.known_items(host)
        new = []
        for (kind, value), (first, _, count) in sorted(obs.items.items(), key=lambda kv: kv[1][0]):
            if kind in bcfg.kinds and (kind, value) not in known and is_notable(kind, value):
                prevalence = store.prevalence(kind, value)
                new.append({"kind": kind, "value": value, "first_ts": first, "count": int(count),
                            "network_hosts": prevalence.hosts if prevalence else 0})
        rate, usual = obs.failure_rate, profile.failure_rate
        failing = (obs.flows >= bcfg.failure_min_flows
                   and rate >= max(usual * bcfg.failure_factor, usual + bcfg.failure_min_delta))
        if not new and not failing:
            continue
        evidence = {"new": new[:cfg.detect.max_examples * 4], "new_count": len(new),
                    "failure_rate": round(rate, 4), "usual_failure_rate": round(usual, 4),
                    "baseline_first_seen": profile.first_seen, "baseline_last_seen": profile.last_seen,
                    "baseline_updates": profile.updates}
        peer = new[0]["value"] if new else ""
        out.append(Indicator(type=KIND, host=host, ts=new[0]["first_ts"] if new else obs.first_ts, peer=peer,
                             evidence=evidence))
    return out


def channel_items(ind: Indicator) -> list[tuple[str, str]]:
    """The (kind, value) observations an indicator's channel stands for: its port and its peer's zone."""
    items = []
    if ind.proto and ind.port is not None:
        items.append(("port", f"{ind.proto}/{ind.port}"))
    zone = zone_of(ind.peer) if ind.peer else ""
    if zone:
        items.append(("zone", zone))
    return items


def weigh(indicators: list[Indicator], store: BaselineStore, cfg: Config) -> None:
    """Record in each indicator's evidence how the baseline moves its weight (``baseline.factor``, read by
    verdict.score_of): new for the host and the network -> new_boost; prevalent (on at least prevalent_hosts hosts
    for at least prevalent_days days) -> prevalent_damp."""
    bcfg = cfg.baseline
    known: dict[str, set[tuple[str, str]]] = {}
    for ind in indicators:
        if ind.type == KIND:
            continue
        items = channel_items(ind)
        if not items:
            continue
        host_known = known.setdefault(ind.host, store.known_items(ind.host))
        prevalences = [store.prevalence(kind, value) for kind, value in items]
        if all(p is not None and p.hosts >= bcfg.prevalent_hosts and p.days >= bcfg.prevalent_days
               for p in prevalences):
            novelty, factor = "prevalent", bcfg.prevalent_damp
        elif all(item not in host_known and p is None for item, p in zip(items, prevalences)):
            novelty, factor = "new", bcfg.new_boost
        else:
            continue
        ind.evidence["baseline"] = {"novelty": novelty, "factor": factor,
                                    "network_hosts": max((p.hosts for p in prevalences if p), default=0)}
