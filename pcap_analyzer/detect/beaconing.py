"""beaconing: connections to the same peer and port at regular intervals (a C2 check-in loop)."""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..model import Flow, Indicator
from .base import DetectContext, channel, indicator
from .index import get_index


class Beaconing:
    name = "beaconing"

    def run(self, ctx: DetectContext) -> list[Indicator]:
        bcfg = ctx.cfg["detect"]["beaconing"]
        out: list[Indicator] = []
        for host, flows in get_index(ctx).by_host.items():
            groups: dict[tuple[str, int, str], list[Flow]] = defaultdict(list)
            for flow in flows:
                if flow.service in bcfg["ignore_services"] or flow.expected_service in bcfg["ignore_services"]:
                    continue
                if bcfg["external_only"] and ctx.home.is_internal(flow.resp_h):
                    continue
                groups[channel(flow)].append(flow)
            for group in groups.values():
                if len(group) < bcfg["min_events"]:
                    continue
                starts = np.array([f.ts for f in group], dtype=np.float64)
                gaps = np.diff(starts)
                mean = float(gaps.mean())
                cv = float(gaps.std() / mean) if mean > 0 else float("inf")
                if mean >= bcfg["min_interval"] and cv <= bcfg["max_cv"]:
                    first = group[0]
                    ind = indicator(self.name, host, first, {
                        "connections": len(group), "mean_interval": round(mean, 3), "cv": round(cv, 4),
                        "first_ts": first.ts, "last_ts": group[-1].last_ts, "service": first.service,
                    })
                    ind.uids.extend(f.uid for f in group[1:])
                    out.append(ind)
        return out
