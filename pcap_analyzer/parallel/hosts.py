"""The analysis on the workers: flows shuffled by internal host, detected per group of hosts where they are, and only
the reduced results (host reports, the flows the reports show) brought to the client.

read (a task per segment: flows annotated and compacted, left on its worker) -> the keys a boundary cut, replayed
here (``read.read_segments``) -> ``shard`` (per segment, on its worker: the replayed keys' flows dropped, the
segment's partial ``groups.Facts``, its flows split into groups of hosts by the flow store's bucket function)
-> the Facts merged here and sent to every worker -> ``detect_hosts`` (per group: its flows from every segment,
sorted as one pass sorts them, through ``groups.detect_group``: detection, allowlist, verdict) -> here: the
HostReports sorted, the cross-host step (same-pattern hosts, ``verdict.assign_patterns``) -> ``pick`` (per group:
the flows the reports show, ``groups.report_keys``) -> the Report (containment runs on it, in ``pipeline``).

A group's flows go between processes as Arrow tables (``codec.FlowBatch``) and stay Flow objects on the worker
that made them. The results are those of the serial run over the flow store (``bounded.analyze``): the same hosts,
indicators, verdicts, suppressed entries and shown flows, in the same order.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from .. import bounded, stored
from ..config import Config
from ..decide import allowlist
from ..flows.parquet import FlowsOut
from ..flows.store import bucket_of
from ..gcpause import gc_paused
from ..groups import Facts, detect_group, finish_groups, report_keys
from ..homenet import HomeNet
from ..model import HostReport, Report, capture_order
from . import partition, plan, read, sources
from .codec import FlowBatch
from .engine import Dask, Inline, Session


@dataclass(frozen=True, slots=True)
class Run:
    """Where and what to read: the captures' names, their segments, the engine (or the session whose cluster is
    still starting)."""

    names: list[str]
    segments: list[plan.Segment]
    eng: Inline | Dask | Session
    parts: int = 0  # > 0: read by that many host partitions (``partition``), not by segments


def planned(captures: Sequence[str | Path], cfg: Config, session: Session | None) -> Run | None:
    """The run on the session's workers (or, for captures given by URL and no session, in this process); None when
    the serial run over the flow store is the one to make: no session, or too little to read to gain from a
    cluster (``read.engine_for``), and every capture a local path."""
    if session is None and not any(sources.is_url(c) for c in captures):
        return None
    names = read.checked(captures)
    if session is not None and partition.usable(names, cfg, session.workers):
        if read.too_small(names, cfg, session):
            return None
        return Run(names, [], session, session.workers)
    segments = plan.plan(names, cfg, session.workers if session is not None else 1)
    eng = read.engine_for(names, segments, cfg, session)
    if eng is None and not any(sources.is_url(n) for n in names):
        return None
    return Run(names, segments, eng or Inline())


def group_count(cfg: Config, workers: int, flows: int) -> int:
    """Groups of hosts to detect in: one per worker, more when a group would pass ``store_group_flows`` flows."""
    return max(workers, math.ceil(flows / max(cfg.pipeline.store_group_flows, 1)), 1)


def analyze(run: Run, cfg: Config, home: HomeNet, intel_db: object, allow: allowlist.Allowlist,
            flows_out: Path | None, progress: read.Progress | None = None) -> Report:
    """The Report of ``run``'s captures (inputs, hosts, the flows the reports show, suppressed), as
    ``bounded.analyze`` makes it."""
    out = FlowsOut(flows_out) if flows_out is not None else None  # a bad directory fails before the reading
    with read.hashing_here(run.names) as hashed:  # while the cluster starts, if it is still starting
        eng = run.eng.dask if isinstance(run.eng, Session) else run.eng
        if run.parts:
            got = partition.read_partitions(eng, run.names, cfg, home, run.parts, progress, hashed)
        else:
            got = read.read_segments(eng, run.names, run.segments, cfg, progress, hashed)
        return on_hosts(eng, got, cfg, home, intel_db, allow, out, max(run.parts, 1))


def on_hosts(eng: Inline | Dask, got: read.Segments | partition.Partitions, cfg: Config, home: HomeNet,
             intel_db: object, allow: allowlist.Allowlist, out: FlowsOut | None, parts: int = 1) -> Report:
    """Shuffle, detect, pick: the Report of the segments or partitions read (``got``); with ``parts`` partitions,
    the groups of hosts are a multiple of them, so that group ``g``'s hosts are mostly partition ``g % parts``'s
    (``partition.Partitioner``) and detected where it was read."""
    groups = group_count(cfg, eng.workers, got.flow_count)
    groups = parts * math.ceil(groups / parts)
    cids = frozenset(got.cids)
    sharding = [eng.submit(shard, batch, cids, home, groups, near=at)  # each where its segment's flows are
                for batch, at in zip(got.flows, got.at)]
    shards = eng.split(sharding, groups + 1)
    here = shard(FlowBatch(got.replayed), frozenset(), home, groups)  # the keys a boundary cut, whole
    facts = here[0][0]
    sized = eng.gather([s[0] for s in shards])  # each shard's Facts and flows per group
    for part, _ in sized:
        facts.merge(part)
    eng.release(got.flows)
    facts.settle()
    hosts_of: dict[int, list[str]] = defaultdict(list)
    for host in facts.hosts:
        hosts_of[bucket_of(host, groups)].append(host)
    shared, intel = eng.scatter(facts), eng.scatter(intel_db)
    spread = list(dict.fromkeys(w for at in eng.where(sharding) if at for w in at))
    detecting = [eng.submit(detect_hosts, shared, hosts_of.get(g, []), cfg, home, intel, allow, here[1 + g],
                            *(s[1 + g] for s, (_, sizes) in zip(shards, sized) if sizes[g]),  # none moves empty
                            near=(spread[g % len(spread)],) if spread else None)
                 for g in range(groups)]  # the groups spread over the workers that hold shards
    detects = eng.split(detecting, 3)
    reports: list[HostReport] = [r for found in eng.gather([d[0] for d in detects]) for r in found]
    suppressed: list[dict] = [s for dropped in eng.gather([d[1] for d in detects]) for s in dropped]
    eng.release([f for s in shards for f in s] + sharding + [shared, intel])
    finish_groups(reports, suppressed, cfg)
    keys, looked_at = report_keys(reports)
    at = eng.where(detecting)
    picks = [eng.submit(pick, d[2], keys, looked_at, near=a) for d, a in zip(detects, at)]
    if out is not None:
        for d, a in zip(detects, at):  # one group's table at a time
            out.write(eng.gather([eng.submit(flows_out_table, d[2], home, near=a)])[0])
    shown = [f for batch in eng.gather(picks) for f in batch.flows]
    eng.release([f for d in detects for f in d] + picks + detecting)
    shown.sort(key=capture_order)
    # every flow of the hosts looked at is among them: the evidence and the host views of one pass over every flow
    evidence, views = bounded.shown_held(shown, reports, cfg)
    return Report(inputs=got.infos(eng), hosts=reports, flows=evidence, notes=[], suppressed=suppressed,
                  flow_count=facts.flows, views=views)


def shard(batch: FlowBatch, cids: Collection[str], home: HomeNet, groups: int) -> tuple:
    """A segment's flows but those of the keys ``cids`` (replayed whole elsewhere): (their Facts, how many flows
    each group of hosts has), then the flows of each group (a FlowBatch per group), in their order."""
    with gc_paused():
        flow_list = [f for f in batch.flows if f.community_id not in cids] if cids else batch.flows
        facts = Facts()
        parts: list[list] = [[] for _ in range(groups)]
        group_of: dict[str, int] = {}
        for flow, host in zip(flow_list, facts.add(flow_list, home)):
            key = flow.orig_h if host is None else host
            g = group_of.get(key)
            if g is None:
                g = group_of[key] = bucket_of(key, groups)
            parts[g].append(flow)
    return ((facts, [len(p) for p in parts]), *(FlowBatch(p) for p in parts))


def detect_hosts(facts: Facts, hosts: list[str], cfg: Config, home: HomeNet, intel_db: object,
                 allow: allowlist.Allowlist, *parts: FlowBatch) -> tuple[list[HostReport], list[dict], FlowBatch]:
    """Detection, allowlist and verdict of one group of hosts, from its flows of every segment; and those flows
    (sorted as one pass over every flow sorts them) for ``pick``."""
    with gc_paused():
        flow_list = [f for p in parts for f in p.flows]
        flow_list.sort(key=capture_order)
        found, dropped = detect_group(flow_list, hosts, facts, cfg, home, intel_db, allow)
    return found, dropped, FlowBatch(flow_list)


def pick(batch: FlowBatch, keys: Collection[str], hosts: Collection[str]) -> FlowBatch:
    """The flows of a group that the reports show."""
    return FlowBatch(bounded.pick_shown(batch.flows, keys, hosts))


def flows_out_table(batch: FlowBatch, home: HomeNet) -> pa.Table:
    """A group's flows as ``--flows-out`` writes them."""
    return stored.flows_out_table(batch.flows, home)
