"""The analysis of captures with bounded memory: flows go to a flow store as they end, detection runs per group
of hosts over it.

read + flows (streamed: annotated and compacted as they end) -> flow store (flows/store.py: Arrow files, one per
bucket of hosts) + the cross-host facts (``groups.Facts``, one pass) -> per group of buckets: load its flows, detect,
allowlist, verdict of its hosts (``groups.detect_group``) -> same-pattern hosts across every host -> the flows the
reports show. While every flow fits one group they are held as they are (``Held``) and nothing is stored; the store's
side (``stored``: Arrow) is imported only once flows leave memory.

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

import math
import tempfile
from collections.abc import Callable, Collection, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from . import groups, memtrim
from .config import Config
from .decide import allowlist
from .homenet import HomeNet
from .model import CaptureInfo, Flow, HostReport, HostView, Report, capture_order
from .report.common import flow_index
from .report.html import detailed_hosts, host_view

if TYPE_CHECKING:
    from .flows.parquet import FlowsOut
    from .flows.store import FlowStore

#: Reads the captures, handing every batch of ended, annotated and compacted flows to the sink (pipeline), and
#: telling the second callable, before each batch, how many flows it still holds unfinished (open).
Reader = Callable[[Callable[[list[Flow]], None], Callable[[int], None]], list[CaptureInfo]]


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
    out = _flows_out(flows_out)  # a bad directory fails before the reading
    with tempfile.TemporaryDirectory(prefix="fallback-hunt-flows-", dir=workdir) as tmp:
        facts = groups.Facts()
        held = Held(partial(_new_store, Path(tmp), bucket_count(cfg, capture_bytes), pcfg.store_flush_flows),
                    0 if out is not None else pcfg.store_group_flows)
        inputs = read(lambda batch: held.add(batch, facts.add(batch, home)), held.unfinished)
        if held.store is not None:
            held.store.close()
        facts.settle()
        memtrim.release()  # the payload of the flows that were open, freed as they ended (memtrim)
        if held.store is None:  # every flow fits one group: detect over them as they are
            return _analyze_held(held.flows, inputs, facts, cfg, home, intel_db, allow)
        from . import stored  # Arrow: see _new_store

        return stored.analyze(held.store, inputs, facts, cfg, home, intel_db, allow, out)


def _new_store(directory: Path, buckets: int, flush_rows: int) -> FlowStore:
    """A flow store, made when the first flows leave memory: the store, the flows read back from it and
    ``--flows-out`` are Arrow, and pyarrow (about 70 ms of start-up) is imported only for them."""
    from .flows.store import FlowStore

    return FlowStore(directory, buckets, flush_rows)


def _flows_out(directory: Path | None) -> FlowsOut | None:
    """``--flows-out``'s writer (Arrow: see ``_new_store``); None without it."""
    if directory is None:
        return None
    from .flows.parquet import FlowsOut

    return FlowsOut(directory)


class Held:
    """The flows of the captures kept as they are (Flow objects) while every flow seen so far fits one detection
    group of ``max_flows``: then detection needs no store, and the store's write and read back (an Arrow table of
    every flow, every Flow made again) are skipped. Once the flows held and those the reader still holds open
    (``unfinished``) are more than ``max_flows``, the held flows go to the store, and so does every later batch:
    a capture that will not fit is found out before it holds a group's worth of flows on top of the open ones (the
    memory those held flows took stays with the process for the rest of the run). ``max_flows`` 0: straight to the
    store (``--flows-out`` writes the stored tables). The store is made (``new_store``) when the first flows go
    to it."""

    SPILL_STEP = 8192  # held flows stored at a time when they no longer fit

    def __init__(self, new_store: Callable[[], FlowStore], max_flows: int) -> None:
        self.new_store = new_store
        self.store: FlowStore | None = None  # made on the first spill
        self.max_flows = max_flows
        self.flows: list[Flow] = []  # while there is no store; emptied into it when it is made
        self.hosts: list[str | None] = []
        self.open = 0  # flows the reader holds unfinished

    def unfinished(self, flows: int) -> None:
        """The reader holds ``flows`` flows unfinished (open)."""
        self.open = flows
        if self.store is None and len(self.flows) + flows > self.max_flows:
            self._spill()

    def add(self, batch: list[Flow], hosts: list[str | None]) -> None:
        if self.store is None and len(self.flows) + len(batch) + self.open <= self.max_flows:
            self.flows += batch
            self.hosts += hosts
            return
        self._spill().add(batch, hosts)

    def _spill(self) -> FlowStore:
        """The store; made on the first call, and the held flows moved into it."""
        if self.store is None:
            self.store = self.new_store()
            held, held_hosts, step = self.flows, self.hosts, self.SPILL_STEP
            while held:  # a slice at a time, each slice's Flow objects freed once it is stored
                self.store.add(held[:step], held_hosts[:step])
                del held[:step], held_hosts[:step]
        return self.store


def _analyze_held(flow_list: list[Flow], inputs: list[CaptureInfo], facts: groups.Facts, cfg: Config, home: HomeNet,
                  intel_db: object, allow: allowlist.Allowlist) -> Report:
    """``analyze`` when every flow was held (one group, ``Held``): the same detection and reports as over the
    store's one group, with what the reports show picked from memory (``shown_held``)."""
    flow_list.sort(key=capture_order)
    reports, suppressed = groups.detect_group(flow_list, list(facts.hosts), facts, cfg, home, intel_db, allow)
    groups.finish_groups(reports, suppressed, cfg)
    shown, views = shown_held(flow_list, reports, cfg)
    return Report(inputs=inputs, hosts=reports, flows=shown, notes=[], suppressed=suppressed,
                  flow_count=facts.flows, views=views)


def shown_held(flow_list: Sequence[Flow], reports: Sequence[HostReport], cfg: Config
               ) -> tuple[list[Flow], dict[str, HostView]]:
    """``stored.shown_flows`` for flows held in memory (in pass order): the same evidence flows and views."""
    keys, _ = groups.report_keys(reports)
    evidence = [f for f in flow_list if f.uid in keys or f.community_id in keys] if keys else []
    shown = detailed_hosts(reports, cfg)
    wanted: dict[str, list[Flow]] = {h.ip: [] for h in shown}
    for flow in flow_list if wanted else ():  # no host section: no flow to gather
        for ip in {flow.orig_h, flow.resp_h} & wanted.keys():
            wanted[ip].append(flow)
    index = flow_index(evidence)
    return evidence, {h.ip: host_view(h, wanted[h.ip], index, cfg) for h in shown}


def shown_in_memory(flow_list: Sequence[Flow], reports: Sequence[HostReport]) -> list[Flow]:
    """``stored.shown_flows`` for flows held in memory: its evidence flows and every flow of the hosts to look at, in the
    same order (the writers make the host views from them)."""
    return pick_shown(flow_list, *groups.report_keys(reports))


def pick_shown(flow_list: Sequence[Flow], keys: Collection[str], hosts: Collection[str]) -> list[Flow]:
    """The flows of ``flow_list`` that ``groups.report_keys`` (``keys``, ``hosts``) selects, in their order."""
    return [f for f in flow_list
            if f.uid in keys or f.community_id in keys or f.orig_h in hosts or f.resp_h in hosts]
