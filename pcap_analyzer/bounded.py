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

The report writers join ``Report.flows`` to the indicators (by uid and Community ID): those evidence flows alone are
loaded back at the end (``Report.flow_count`` keeps the total). report.html also draws, for each host it gives a
section (at most ``[report] html_max_rows``), the host's timeline and its biggest or evidence flows: those are made
from every flow of the host as it is read back, one host at a time, and kept as ``Report.views`` (bounded: the
timeline's own marks and labels, ``html_max_flows`` flows), not as the host's flows.
"""
from __future__ import annotations

import gc
import math
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import detect, memtrim
from .config import Config
from .decide import allowlist, verdict
from .detect.base import DetectContext, host_of
from .detect.facts import established
from .detect.index import add_resolved, build_index
from .flows.arrow import from_table
from .flows.evidence import EvidenceFlows
from .flows.parquet import FlowsOut
from .flows.store import FlowStore, bucket_of, stored_table
from .homenet import HomeNet, is_broadcast
from .model import CaptureInfo, Flow, HostReport, HostView, Indicator, Report, capture_order
from .report.common import flow_index
from .report.html import detailed_hosts, host_view

#: Reads the captures, handing every batch of ended, annotated and compacted flows to the sink (pipeline), and
#: telling the second callable, before each batch, how many flows it still holds unfinished (open).
Reader = Callable[[Callable[[list[Flow]], None], Callable[[int], None]], list[CaptureInfo]]


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
        inputs = read(lambda batch: held.add(batch, facts.add(batch, home)), held.unfinished)
        store.close()
        facts.settle()
        memtrim.release()  # the payload of the flows that were open, freed as they ended (memtrim)
        if held.flows is not None:  # every flow fits one group: detect over them as they are
            return _analyze_held(held.flows, inputs, facts, cfg, home, intel_db, allow)
        hosts_of: dict[int, list[str]] = defaultdict(list)
        for host in facts.hosts:
            hosts_of[bucket_of(host, store.buckets)].append(host)
        reports: list[HostReport] = []
        suppressed: list[dict] = []
        for group in store.groups(pcfg.store_group_flows, also=hosts_of.keys()):
            if out is not None:
                out.write(store.read(group))
            # an eighth of a group at a time: only that part's mapped files and decoded columns beside the Flows
            flow_list = [flow for part in store.parts(group, pcfg.store_group_flows // 8)
                         for flow in from_table(store.read(part))]
            flow_list.sort(key=capture_order)
            found, dropped = detect_group(flow_list, [h for b in group for h in hosts_of.get(b, ())], facts, cfg,
                                          home, intel_db, allow)
            reports += found
            suppressed += dropped
            del flow_list, found
            gc.collect()  # the group's detector state, before the next group is loaded
            memtrim.release()
        finish_groups(reports, suppressed, cfg)
        shown, views = shown_flows(store, reports, cfg)
    return Report(inputs=inputs, hosts=reports, flows=shown, notes=[], suppressed=suppressed,
                  flow_count=facts.flows, views=views)


class Held:
    """The flows of the captures kept as they are (Flow objects) while every flow seen so far fits one detection
    group of ``max_flows``: then detection needs no store, and the store's write and read back (an Arrow table of
    every flow, every Flow made again) are skipped. Once the flows held and those the reader still holds open
    (``unfinished``) are more than ``max_flows``, the held flows go to the store, and so does every later batch:
    a capture that will not fit is found out before it holds a group's worth of flows on top of the open ones (the
    memory those held flows took stays with the process for the rest of the run). ``max_flows`` 0: straight to the
    store (``--flows-out`` writes the stored tables)."""

    SPILL_STEP = 8192  # held flows stored at a time when they no longer fit

    def __init__(self, store: FlowStore, max_flows: int) -> None:
        self.store = store
        self.max_flows = max_flows
        self.flows: list[Flow] | None = []  # None once spilled to the store
        self.hosts: list[str | None] = []
        self.open = 0  # flows the reader holds unfinished

    def unfinished(self, flows: int) -> None:
        """The reader holds ``flows`` flows unfinished (open)."""
        self.open = flows
        if self.flows is not None and len(self.flows) + flows > self.max_flows:
            self._spill()

    def add(self, batch: list[Flow], hosts: list[str | None]) -> None:
        if self.flows is not None and len(self.flows) + len(batch) + self.open <= self.max_flows:
            self.flows += batch
            self.hosts += hosts
            return
        self._spill()
        self.store.add(batch, hosts)

    def _spill(self) -> None:
        held, held_hosts = self.flows or [], self.hosts
        self.flows, self.hosts = None, []
        step = self.SPILL_STEP
        while held:  # a slice at a time, each slice's Flow objects freed once it is stored
            self.store.add(held[:step], held_hosts[:step])
            del held[:step], held_hosts[:step]


def _analyze_held(flow_list: list[Flow], inputs: list[CaptureInfo], facts: Facts, cfg: Config, home: HomeNet,
                  intel_db: object, allow: allowlist.Allowlist) -> Report:
    """``analyze`` when every flow was held (one group, ``Held``): the same detection and reports as over the
    store's one group, with what the reports show picked from memory (``shown_held``)."""
    flow_list.sort(key=capture_order)
    reports, suppressed = detect_group(flow_list, list(facts.hosts), facts, cfg, home, intel_db, allow)
    finish_groups(reports, suppressed, cfg)
    shown, views = shown_held(flow_list, reports, cfg)
    return Report(inputs=inputs, hosts=reports, flows=shown, notes=[], suppressed=suppressed,
                  flow_count=facts.flows, views=views)


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


def shown_flows(store: FlowStore, reports: Sequence[HostReport], cfg: Config
                ) -> tuple[EvidenceFlows, dict[str, HostView]]:
    """What the reports show of the stored flows: the evidence flows the writers join (by uid and Community ID),
    kept on disk (flows/evidence.py: the flow each indicator joins made up front), and the views of report.html's
    host sections (``html.host_view``), each made from every flow of its host, one host at a time."""
    keys, _ = report_keys(reports)
    shown = detailed_hosts(reports, cfg)
    home = {h.ip: bucket_of(h.ip, store.buckets) for h in shown}
    limit = cfg.report.html_max_flows
    evidence = EvidenceFlows(store.directory.parent)
    away: dict[str, list[Flow]] = defaultdict(list)  # a shown host's flows stored in another host's bucket
    for b in store.filled():
        table = store.read([b])
        named = [u in keys or c in keys  # a Python set: pc.is_in would hash every key again for every bucket
                 for u, c in zip(table.column("uid").to_pylist(), table.column("community_id").to_pylist())]
        evidence.add(table.filter(pa.array(named, type=pa.bool_())))
        _gather_away(table, sorted(ip for ip, hb in home.items() if hb != b), away, limit)
        del table
    evidence.close()
    index = evidence.index
    index.anchor(_joined_key(ind, index) for r in reports for ind in r.indicators)
    views: dict[str, HostView] = {}
    for b in sorted(set(home.values())):
        table = store.read([b])
        for host in (h for h in shown if home[h.ip] == b):
            ip = pa.scalar(host.ip, pa.string())
            mine = table.filter(pc.or_(pc.equal(table.column("orig_h"), ip), pc.equal(table.column("resp_h"), ip)))
            flow_list = from_table(mine) + away.pop(host.ip, [])
            flow_list.sort(key=capture_order)
            host_keys = list(report_keys([host])[0])
            joined = {k: f for k, f in zip(host_keys, index.many(host_keys)) if f is not None}  # its evidence alone
            views[host.ip] = host_view(host, flow_list, joined, cfg)
        del table
    return evidence, views


def _joined_key(ind: Indicator, index: Mapping[str, Flow]) -> str:
    """The key ``report.common.indicator_flow`` joins the indicator on ("" when none is in ``index``)."""
    return next((k for k in (*ind.uids, ind.community_id) if k and k in index), "")


def _gather_away(table: pa.Table, hosts: list[str], away: dict[str, list[Flow]], limit: int) -> None:
    """The flows of ``table`` (one bucket) that ``hosts`` (of other buckets) are an endpoint of, into ``away``.

    A flow is stored in the bucket of the host it is about (detect.base.host_of), so a host's flows elsewhere are
    the ones another host is about: connections opened towards it from outside, the echo replies it sent to an
    internal host. The timeline reads the flows a host opened: those are kept whole (they are rare); of the others
    only what ``html._channel_flows`` could pick, the ``limit`` biggest (by bytes, then in pass order)."""
    if not hosts or not table.num_rows:
        return
    wanted = pa.array(hosts, type=pa.string())
    opened = table.filter(pc.is_in(table.column("orig_h"), wanted))
    for flow in from_table(opened):
        away[flow.orig_h].append(flow)
    towards = table.filter(pc.and_(pc.is_in(table.column("resp_h"), wanted),
                                   pc.not_equal(table.column("orig_h"), table.column("resp_h"))))
    if not towards.num_rows:
        return
    towards = towards.append_column("size", pc.add(towards.column("orig_bytes"), towards.column("resp_bytes")))
    order = pc.sort_indices(towards, sort_keys=[("resp_h", "ascending"), ("size", "descending"),
                                                ("ts", "ascending"), ("uid", "ascending")]).to_numpy()
    resp = towards.column("resp_h").take(pa.array(order)).to_pylist()
    keep = [i for k, i in enumerate(order.tolist()) if k < limit or resp[k - limit] != resp[k]]
    for flow in from_table(towards.drop_columns(["size"]).take(pa.array(keep, type=pa.int64()))):
        mine = away[flow.resp_h]
        mine.append(flow)
    for ip in set(resp):
        away[ip] = _biggest_first(away[ip], ip, limit)


def _biggest_first(flow_list: list[Flow], ip: str, limit: int) -> list[Flow]:
    """The flows ``ip`` opened, and the ``limit`` biggest of those opened towards it."""
    opened = [f for f in flow_list if f.orig_h == ip]
    towards = sorted((f for f in flow_list if f.orig_h != ip), key=lambda f: (-(f.orig_bytes + f.resp_bytes),
                                                                               *capture_order(f)))
    return opened + towards[:limit]


def shown_held(flow_list: Sequence[Flow], reports: Sequence[HostReport], cfg: Config
               ) -> tuple[list[Flow], dict[str, HostView]]:
    """``shown_flows`` for flows held in memory (in pass order): the same evidence flows and views."""
    keys, _ = report_keys(reports)
    evidence = [f for f in flow_list if f.uid in keys or f.community_id in keys] if keys else []
    shown = detailed_hosts(reports, cfg)
    wanted: dict[str, list[Flow]] = {h.ip: [] for h in shown}
    for flow in flow_list if wanted else ():  # no host section: no flow to gather
        for ip in {flow.orig_h, flow.resp_h} & wanted.keys():
            wanted[ip].append(flow)
    index = flow_index(evidence)
    return evidence, {h.ip: host_view(h, wanted[h.ip], index, cfg) for h in shown}


def shown_in_memory(flow_list: Sequence[Flow], reports: Sequence[HostReport]) -> list[Flow]:
    """``shown_flows`` for flows held in memory: its evidence flows and every flow of the hosts to look at, in the
    same order (the writers make the host views from them)."""
    return pick_shown(flow_list, *report_keys(reports))


def pick_shown(flow_list: Sequence[Flow], keys: Collection[str], hosts: Collection[str]) -> list[Flow]:
    """The flows of ``flow_list`` that ``report_keys`` (``keys``, ``hosts``) selects, in their order."""
    return [f for f in flow_list
            if f.uid in keys or f.community_id in keys or f.orig_h in hosts or f.resp_h in hosts]


def write_flows_out(directory: Path, flow_list: Sequence[Flow], home: HomeNet, rows: int = 200_000) -> None:
    """``--flows-out`` for flows held in memory (the paths that do not use the store: Zeek logs, EVE, Suricata)."""
    out = FlowsOut(directory)
    for start in range(0, len(flow_list), rows):
        out.write(flows_out_table(flow_list[start:start + rows], home))


def flows_out_table(flow_list: Sequence[Flow], home: HomeNet) -> pa.Table:
    """Flows held in memory as the stored table ``--flows-out`` writes."""
    return stored_table(flow_list, [host_of(f, home) for f in flow_list], [0] * len(flow_list))
