"""dynamic_dns: a host looks up, or talks to, a name under a dynamic-DNS provider zone."""
from __future__ import annotations

from functools import lru_cache, partial
from importlib import resources

from ..measures.domains import suffix_match
from ..model import Flow, Indicator
from .base import DetectContext, add_connection, indicator
from .index import get_index

PROVIDERS_FILE = "data/dyndns_providers.txt"


@lru_cache(maxsize=1)
def provider_zones() -> frozenset[str]:
    """The shipped provider zones (data/dyndns_providers.txt)."""
    text = resources.files("pcap_analyzer").joinpath(PROVIDERS_FILE).read_text(encoding="utf-8")
    return frozenset(ln.strip().lower().strip(".") for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


def dyndns_zones(ctx: DetectContext) -> frozenset[str]:
    return provider_zones() | {z.lower().strip(".") for z in ctx.cfg.detect.dyndns.extra_zones}


class DynDns:
    name = "dynamic_dns"

    def run(self, ctx: DetectContext) -> list[Indicator]:
        index = get_index(ctx)
        zone_of = lru_cache(maxsize=None)(partial(suffix_match, suffixes=dyndns_zones(ctx)))  # names recur
        out: list[Indicator] = []
        for host, flows in index.by_host.items():
            found: dict[str, Indicator] = {}

            def note(name: str, flow: Flow, ts: float) -> Indicator | None:
                zone = zone_of(name)
                if zone is None:
                    return None
                if name not in found:
                    found[name] = indicator(self.name, host, flow, {
                        "name": name, "zone": zone, "lookups": 0, "addresses": [],
                        "connection_count": 0, "connections": [],
                    }, peer=name, ts=ts)
                return found[name]

            for lookup in index.lookups.get(host, []):
                ind = note(lookup.qname, lookup.flow, lookup.ts)
                if ind is not None:
                    ind.evidence["lookups"] += 1
                    ind.evidence["addresses"] = sorted(set(ind.evidence["addresses"]) | set(lookup.addresses))
            for flow in flows:
                for name in sorted(index.names_for(flow)):
                    ind = note(name, flow, flow.ts)
                    if ind is not None:
                        add_connection(ind, flow, ctx.cfg.detect.max_examples)
            out.extend(found.values())
        return out
