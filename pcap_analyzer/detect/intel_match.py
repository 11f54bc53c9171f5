"""intel_match: a host talks to an address, or looks up / names a domain, listed in the threat-intel file."""
from __future__ import annotations

from ..model import Indicator
from .base import DetectContext, add_connection, indicator
from .index import get_index


class IntelMatch:
    name = "intel_match"

    def run(self, ctx: DetectContext) -> list[Indicator]:
        intel = ctx.intel
        if intel is None:
            return []
        index = get_index(ctx)
        out: list[Indicator] = []
        for host, flows in index.by_host.items():
            found: dict[str, Indicator] = {}
            for flow in flows:
                hits = []
                entry = intel.match_ip(flow.resp_h)
                if entry is not None:
                    hits.append((flow.resp_h, entry))
                for name in sorted(index.names_for(flow) | {m.qname for m in flow.dns if m.qname}):
                    entry = intel.match_domain(name)
                    if entry is not None:
                        hits.append((name, entry))
                for what, entry in hits:
                    if what not in found:
                        found[what] = indicator(self.name, host, flow, {
                            "matched": what, "intel_indicator": entry.indicator, "intel_type": entry.kind,
                            "intel_source": entry.source, "intel_desc": entry.desc,
                            "connection_count": 0, "connections": [],
                        }, peer=what)
                    add_connection(found[what], flow, ctx.cfg.detect.max_examples)
            out.extend(found.values())
        return out
