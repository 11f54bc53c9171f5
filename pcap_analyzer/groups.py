"""Detection of one group of hosts, the same wherever its flows are (held, read back from the flow store, or on a
worker of the parallel engine): the cross-host facts every group reads (``Facts``, gathered in one pass as the
flows end), the group's detection, allowlist and verdict (``detect_group``), what follows once every group is done
(``finish_groups``), and which flows the reports then show (``report_keys``)."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import detect
from .config import Config
from .decide import allowlist, verdict
from .detect.base import DetectContext, host_of
from .detect.facts import established
from .detect.index import add_resolved, build_index
from .homenet import HomeNet, is_broadcast
from .model import Flow, HostReport


@dataclass
class Facts:
    """What detection and the verdict need from every flow, gathered batch by batch as the flows are stored.

    Nothing in it depends on the order the flows come in: the partial facts of several readers (the parallel
    engine's segments) ``merge`` into those of one pass, and ``settle`` orders ``usage`` as one pass over every flow
    sorted by start time counts it (``Counter.most_common`` breaks ties in that order)."""

    flows: int = 0
    first_ts: float = math.inf
    last_ts: float = -math.inf
    usage: Counter[str] = field(default_factory=Counter)  # verdict.usage of every flow
    first_use: dict[str, tuple[float, str]] = field(default_factory=dict)  # usage key -> its first flow (ts, uid)
    hosts: set[str] = field(default_factory=set)  # detect.index: internal hosts seen in any flow, and every host_of
    names_of_ip: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    cnames_of_ip: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, flow_list: list[Flow], home: HomeNet) -> list[str | None]:
        """Account a batch of flows; the host each is about (host_of), in order."""
        out = []
        usage, first_use = self.usage, self.first_use
        for flow in flow_list:
            host = host_of(flow, home)
            out.append(host)
            if host is not None:
                self.hosts.add(host)
                if flow.dns:
                    add_resolved(flow, self.names_of_ip, self.cnames_of_ip)
            if established(flow):
                key, first = verdict.usage_key(flow), (flow.ts, flow.uid)
                usage[key] += 1
                if first < first_use.get(key, (math.inf, "")):
                    first_use[key] = first
        addresses = {f.orig_h for f in flow_list} | {f.resp_h for f in flow_list}
        self.hosts.update(ip for ip in addresses - self.hosts if home.is_internal(ip) and not is_broadcast(ip))
        if flow_list:
            self.flows += len(flow_list)
            self.first_ts = min(self.first_ts, min(f.ts for f in flow_list))
            self.last_ts = max(self.last_ts, max(f.last_ts for f in flow_list))
        return out

    def merge(self, other: Facts) -> None:
        """Add the facts of other flows (``other``, gathered apart)."""
        self.flows += other.flows
        self.first_ts, self.last_ts = min(self.first_ts, other.first_ts), max(self.last_ts, other.last_ts)
        self.usage.update(other.usage)
        for key, first in other.first_use.items():
            if first < self.first_use.get(key, (math.inf, "")):
                self.first_use[key] = first
        self.hosts |= other.hosts
        for mine, theirs in ((self.names_of_ip, other.names_of_ip), (self.cnames_of_ip, other.cnames_of_ip)):
            for ip, names in theirs.items():
                mine.setdefault(ip, set()).update(names)

    def settle(self) -> None:
        """Every flow is in: ``usage`` in the order of each key's first flow, the resolved names as plain dicts."""
        self.usage = Counter({key: self.usage[key] for key in sorted(self.usage, key=self.first_use.__getitem__)})
        self.names_of_ip, self.cnames_of_ip = dict(self.names_of_ip), dict(self.cnames_of_ip)

    @property
    def window(self) -> float:
        """detect.beaconing.capture_window of every flow."""
        return self.last_ts - self.first_ts if self.flows else 0.0


def finish_groups(reports: list[HostReport], suppressed: list[dict], cfg: Config) -> None:
    """After every group of hosts is detected: the host reports and suppressed entries in the order one sorted list
    of indicators gives, and the cross-host step (same-pattern hosts)."""
    suppressed.sort(key=lambda s: (s["ts"], s["host"], s["type"]))
    reports.sort(key=lambda r: r.ip)
    verdict.assign_patterns(reports, cfg)


def detect_group(flow_list: list[Flow], hosts: list[str], facts: Facts, cfg: Config, home: HomeNet,
                 intel_db: object, allow: allowlist.Allowlist) -> tuple[list[HostReport], list[dict]]:
    """Detection, allowlist and verdict for the hosts of one group (``flow_list``: every flow of theirs)."""
    ctx = DetectContext(flow_list, home, cfg, intel_db)
    # this group's hosts; what resolved to what, and the hosts, from every flow
    ctx.index = build_index(ctx, (facts.names_of_ip, facts.cnames_of_ip, sorted(hosts)))
    ctx.capture_window = facts.window
    indicators, suppressed = allow.apply(detect.run_all(ctx))
    return verdict.host_reports(indicators, ctx, hosts, facts.usage), suppressed


def report_keys(reports: Sequence[HostReport]) -> tuple[set[str], set[str]]:
    """(uids and Community IDs the indicators and channels name, the hosts to look at): the flows the report
    writers join (report.common.flow_index) and the timelines they draw (flows_by_host)."""
    keys: set[str] = set()
    for report in reports:
        for ind in report.indicators:
            keys.update(ind.uids)
            keys.add(ind.community_id)
        for pair in report.channels:
            keys.update(side.get("community_id", "") for side in pair.values() if isinstance(side, dict))
    keys.discard("")
    return keys, {r.ip for r in reports if r.verdict != "benign"}
