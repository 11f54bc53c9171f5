"""The analysis of captures with bounded memory: flows go to a flow store as they end, detection runs per group
of hosts over it.

read + flows (streamed: annotated and compacted as they end) -> flow store (flows/store.py: Arrow files, one per
bucket of hosts) + the cross-host facts (``Facts``, one pass) -> per group of buckets: load its flows, detect,
allowlist, verdict of its hosts -> same-pattern hosts across every host -> the flows the reports show.

Every flow of a host is in its host's bucket, so a group holds whole hosts. What detectors and the verdict read
about other hosts is small and gathered as the flows are stored: the internal hosts seen, what DNS responses
resolved (address -> names), the capture window, and the established flows by port and service (the verdict's
"other hosts use"). Memory then follows the flows still open and the size of a group
(``[pipeline] store_group_flows``), not the capture's length; the results are those of one pass over every flow
(``tests/test_flow_store.py``).

The report writers read ``Report.flows`` for the evidence of indicators (by uid and Community ID) and for the
timeline of the hosts to look at: those flows alone are loaded back at the end (``Report.flow_count`` keeps the
total).
"""
from __future__ import annotations

import gc
import math
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import detect
from .config import Config
from .decide import allowlist, verdict
from .detect.base import DetectContext, host_of
from .detect.index import add_resolved, build_index
from .flows.arrow import from_table
from .flows.parquet import FlowsOut
from .flows.store import FlowStore, bucket_of, stored_table
from .homenet import HomeNet, is_broadcast
from .model import CaptureInfo, Flow, HostReport, Report

#: Reads the captures, handing every batch of ended, annotated and compacted flows to the sink (pipeline).
Reader = Callable[[Callable[[list[Flow]], None]], list[CaptureInfo]]


@dataclass
class Facts:
    """What detection and the verdict need from every flow, gathered batch by batch as the flows are stored."""

    flows: int = 0
    first_ts: float = math.inf
    last_ts: float = -math.inf
    usage: Counter[str] = field(default_factory=Counter)  # verdict.usage of every flow
    hosts: set[str] = field(default_factory=set)  # detect.index: internal hosts seen in any flow, and every host_of
    names_of_ip: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    cnames_of_ip: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, flow_list: list[Flow], home: HomeNet) -> list[str | None]:
        """Account a batch of flows; the host each is about (host_of), in order."""
        out = []
        for flow in flow_list:
            host = host_of(flow, home)
            out.append(host)
            if host is not None:
                self.hosts.add(host)
                if flow.dns:
                    add_resolved(flow, self.names_of_ip, self.cnames_of_ip)
        addresses = {f.orig_h for f in flow_list} | {f.resp_h for f in flow_list}
        self.hosts.update(ip for ip in addresses - self.hosts if home.is_internal(ip) and not is_broadcast(ip))
        self.usage.update(verdict.usage(flow_list))
        if flow_list:
            self.flows += len(flow_list)
            self.first_ts = min(self.first_ts, min(f.ts for f in flow_list))
            self.last_ts = max(self.last_ts, max(f.last_ts for f in flow_list))
        return out

    @property
    def window(self) -> float:
        """detect.beaconing.capture_window of every flow."""
        return self.last_ts - self.first_ts if self.flows else 0.0


def bucket_count(cfg: Config, capture_bytes: int) -> int:
    """Buckets for captures of ``capture_bytes`` bytes: one per ``store_bucket_capture_mb`` (a bucket stays a
    fraction of a group however short the flows), at most ``store_buckets``; 0 MB: always ``store_buckets``."""
    pcfg = cfg.pipeline
    most, per = max(pcfg.store_buckets, 1), pcfg.store_bucket_capture_mb * 2**20
    return most if per <= 0 else max(1, min(most, math.ceil(capture_bytes / per)))


def analyze(read: Reader, capture_bytes: int, cfg: Config, home: HomeNet, intel_db: object,
            allow: allowlist.Allowlist, workdir: Path | None, flows_out: Path | None) -> Report:
    """The Report of the captures ``read`` reads, ``capture_bytes`` in all (inputs, hosts, the flows the reports
    show, suppressed)."""
    pcfg = cfg.pipeline
    out = FlowsOut(flows_out) if flows_out is not None else None
    with tempfile.TemporaryDirectory(prefix="fallback-hunt-flows-", dir=workdir) as tmp:
        store = FlowStore(Path(tmp), bucket_count(cfg, capture_bytes), pcfg.store_flush_flows)
        facts = Facts()
        held = Held(store, 0 if out is not None else pcfg.store_group_flows)
        inputs = read(lambda batch: held.add(batch, facts.add(batch, home)))
        store.close()
        facts.names_of_ip, facts.cnames_of_ip = dict(facts.names_of_ip), dict(facts.cnames_of_ip)
        if held.flows is not None:  # every flow fits one group: detect over them as they are
            return _analyze_held(held.flows, inputs, facts, cfg, home, intel_db, allow)
        hosts_of: dict[int, list[str]] = defaultdict(list)
        for host in facts.hosts:
            hosts_of[bucket_of(host, store.buckets)].append(host)
        reports: list[HostReport] = []
        suppressed: list[dict] = []
        for group in store.groups(pcfg.store_group_flows, also=hosts_of.keys()):
            table = store.read(group)
            if out is not None:
                out.write(table)
            flow_list = from_table(table)
            del table
            flow_list.sort(key=lambda f: (f.ts, f.uid))  # the order of one pass over every flow
            found, dropped = detect_group(flow_list, [h for b in group for h in hosts_of.get(b, ())], facts, cfg,
                                          home, intel_db, allow)
            reports += found
            suppressed += dropped
            del flow_list, found
            gc.collect()  # the group's detector state, before the next group is loaded
        suppressed.sort(key=lambda s: (s["ts"], s["host"], s["type"]))  # as one sorted list of indicators gives
        reports.sort(key=lambda r: r.ip)
        verdict.assign_patterns(reports, cfg)
        shown = shown_flows(store, reports)
    return Report(inputs=inputs, hosts=reports, flows=shown, notes=[], suppressed=suppressed,
                  flow_count=facts.flows)


class Held:
    """The flows of the captures kept as they are (Flow objects) while they fit one detection group of
    ``max_flows``: then detection needs no store, and the store's write and read back (an Arrow table of every flow,
    every Flow made again) are skipped. Past ``max_flows`` they all go to the store, and so does every later batch.
    ``max_flows`` 0: straight to the store (``--flows-out`` writes the stored tables)."""

    def __init__(self, store: FlowStore, max_flows: int) -> None:
        self.store = store
        self.max_flows = max_flows
        self.flows: list[Flow] | None = []  # None once spilled to the store
        self.hosts: list[str | None] = []

    def add(self, batch: list[Flow], hosts: list[str | None]) -> None:
        if self.flows is not None and len(self.flows) + len(batch) <= self.max_flows:
            self.flows += batch
            self.hosts += hosts
            return
        if self.flows:
            self.store.add(self.flows, self.hosts)
        self.flows, self.hosts = None, []
        self.store.add(batch, hosts)


def _analyze_held(flow_list: list[Flow], inputs: list[CaptureInfo], facts: Facts, cfg: Config, home: HomeNet,
                  intel_db: object, allow: allowlist.Allowlist) -> Report:
    """``analyze`` when every flow was held (one group, ``Held``): the same detection and reports as over the
    store's one group, with the flows the reports show picked from memory (``shown_in_memory``)."""
    flow_list.sort(key=lambda f: (f.ts, f.uid))  # the order of one pass over every flow
    reports, suppressed = detect_group(flow_list, list(facts.hosts), facts, cfg, home, intel_db, allow)
    suppressed.sort(key=lambda s: (s["ts"], s["host"], s["type"]))
    reports.sort(key=lambda r: r.ip)
    verdict.assign_patterns(reports, cfg)
    return Report(inputs=inputs, hosts=reports, flows=shown_in_memory(flow_list, reports), notes=[],
                  suppressed=suppressed, flow_count=facts.flows)


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


def shown_flows(store: FlowStore, reports: Sequence[HostReport]) -> list[Flow]:
    """The stored flows the reports show, sorted as one pass over every flow is."""
    keys, hosts = report_keys(reports)
    key_set, host_set = pa.array(sorted(keys), type=pa.string()), pa.array(sorted(hosts), type=pa.string())
    out: list[Flow] = []
    for table in store.tables():
        mask = pc.or_(pc.or_(pc.is_in(table.column("uid"), key_set), pc.is_in(table.column("community_id"), key_set)),
                      pc.or_(pc.is_in(table.column("orig_h"), host_set), pc.is_in(table.column("resp_h"), host_set)))
        picked = table.filter(mask)
        if picked.num_rows:
            out += from_table(picked)
    out.sort(key=lambda f: (f.ts, f.uid))
    return out


def shown_in_memory(flow_list: Sequence[Flow], reports: Sequence[HostReport]) -> list[Flow]:
    """``shown_flows`` for flows held in memory: the same selection, in the same order."""
    keys, hosts = report_keys(reports)
    return [f for f in flow_list
            if f.uid in keys or f.community_id in keys or f.orig_h in hosts or f.resp_h in hosts]


def write_flows_out(directory: Path, flow_list: Sequence[Flow], home: HomeNet, rows: int = 200_000) -> None:
    """``--flows-out`` for flows held in memory (the paths that do not use the store: Zeek logs, EVE, Suricata)."""
    out = FlowsOut(directory)
    for start in range(0, len(flow_list), rows):
        part = flow_list[start:start + rows]
        out.write(stored_table(part, [host_of(f, home) for f in part], [0] * len(part)))
