"""The flow store's side of the bounded analysis (``bounded``): detection over the store a group of hosts at a time,
the flows the reports show read back from it, and ``--flows-out``'s tables.

All of it is Arrow. ``bounded`` imports this module only once flows leave memory (``bounded.Held`` spills them to
the store, or ``--flows-out`` is given), so a capture whose flows are held never imports pyarrow.
"""
from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from . import groups, memtrim
from .config import Config
from .decide import allowlist
from .detect.base import host_of
from .flows.arrow import from_table
from .flows.evidence import EvidenceFlows
from .flows.parquet import FlowsOut
from .flows.store import FlowStore, bucket_of, stored_table
from .homenet import HomeNet
from .model import CaptureInfo, Flow, HostReport, HostView, Indicator, Report, capture_order
from .report.html import detailed_hosts, host_view


def analyze(store: FlowStore, inputs: list[CaptureInfo], facts: groups.Facts, cfg: Config, home: HomeNet,
            intel_db: object, allow: allowlist.Allowlist, out: FlowsOut | None) -> Report:
    """``bounded.analyze`` once its flows are in ``store`` (closed) and ``facts`` settled: each group of hosts
    loaded and detected (and written to ``out``), then what the reports show read back."""
    pcfg = cfg.pipeline
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
        found, dropped = groups.detect_group(flow_list, [h for b in group for h in hosts_of.get(b, ())], facts,
                                              cfg, home, intel_db, allow)
        reports += found
        suppressed += dropped
        del flow_list, found
        gc.collect()  # the group's detector state, before the next group is loaded
        memtrim.release()
    groups.finish_groups(reports, suppressed, cfg)
    shown, views = shown_flows(store, reports, cfg)
    return Report(inputs=inputs, hosts=reports, flows=shown, notes=[], suppressed=suppressed,
                  flow_count=facts.flows, views=views)


def shown_flows(store: FlowStore, reports: Sequence[HostReport], cfg: Config
                ) -> tuple[EvidenceFlows, dict[str, HostView]]:
    """What the reports show of the stored flows: the evidence flows the writers join (by uid and Community ID),
    kept on disk (flows/evidence.py: the flow each indicator joins made up front), and the views of report.html's
    host sections (``html.host_view``), each made from every flow of its host, one host at a time."""
    keys, _ = groups.report_keys(reports)
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
    index = evidence.flow_index
    index.anchor(_joined_key(ind, index) for r in reports for ind in r.indicators)
    views: dict[str, HostView] = {}
    for b in sorted(set(home.values())):
        table = store.read([b])
        for host in (h for h in shown if home[h.ip] == b):
            ip = pa.scalar(host.ip, pa.string())
            mine = table.filter(pc.or_(pc.equal(table.column("orig_h"), ip), pc.equal(table.column("resp_h"), ip)))
            flow_list = from_table(mine) + away.pop(host.ip, [])
            flow_list.sort(key=capture_order)
            host_keys = list(groups.report_keys([host])[0])
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


def write_flows_out(directory: Path, flow_list: Sequence[Flow], home: HomeNet, rows: int = 200_000) -> None:
    """``--flows-out`` for flows held in memory (the paths that do not use the store: Zeek logs, EVE, Suricata)."""
    out = FlowsOut(directory)
    for start in range(0, len(flow_list), rows):
        out.write(flows_out_table(flow_list[start:start + rows], home))


def flows_out_table(flow_list: Sequence[Flow], home: HomeNet) -> pa.Table:
    """Flows held in memory as the stored table ``--flows-out`` writes."""
    return stored_table(flow_list, [host_of(f, home) for f in flow_list], [0] * len(flow_list))
