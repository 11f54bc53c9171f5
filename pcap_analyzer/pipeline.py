"""The analysis, top to bottom.

read + flows (one table across all captures) -> dissect -> measures -> Zeek uid join -> detect
-> Suricata / Zeek indicators -> allowlist -> verdict -> containment.

Streaming: after every chunk the flow table hands over the flows that are over (``FlowTable.drain``); once enough
of them wait, they are dissected and measured together (vectorised histograms over many flows) and their retained
payload is dropped (``compact``). Memory then holds a small record per flow that is over (instead of kilobytes of
payload) plus the payload of the flows still open: it grows with the flows, not with the packets.
``[pipeline] stream = false`` annotates everything after the last chunk instead (the same results, more memory).
"""
from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import bounded, detect, validate
from .decide import allowlist, containment, verdict
from .measures.annotate import annotate
from .sources import intel, sensor, suricata, zeekfindings, zeekflows, zeekjoin, zeeklogs
from .config import Config
from .gcpause import gc_paused
from .baseline.deviation import deviations, weigh
from .baseline.observe import observe
from .baseline.store import open_store
from .detect.base import DetectContext
from .homenet import HomeNet
from .model import CaptureInfo, Flow, Report
from .parallel.engine import Options as ParallelOptions, Session, session as parallel_session
from .parallel.plan import input_bytes
from .parallel.sources import is_url
from .readcaps import Progress, read_serial, stream_flows



def analyze(
    captures: Sequence[Path],
    cfg: Config,
    home: HomeNet,
    intel_path: Path | None = None,
    zeek_dir: Path | None = None,
    eve_path: Path | None = None,
    run_suricata: bool = False,
    workdir: Path | None = None,
    progress: Progress | None = None,
    baseline_path: Path | None = None,
    allowlist_path: Path | None = None,
    use_default_allowlist: bool | None = None,
    sid_base: int | None = None,
    flows_out: Path | None = None,
    parallel: ParallelOptions | None = None,
) -> Report:
    """Analyse captures and/or Zeek logs (and optionally Suricata alerts) into a Report.

    The small inputs (intel, Zeek logs, EVE) are read first, so a bad one fails before the captures are read.
    With no capture, the flows come from the Zeek logs (sensor-only mode). ``flows_out``: a directory to keep
    every flow in as conn.log-like Parquet (flows/parquet.py).
    """
    allow = allowlist.load(allowlist_path, cfg.allowlist.use_default if use_default_allowlist is None
                           else use_default_allowlist)
    with gc_paused(), warnings.catch_warnings(record=True) as caught:  # gc: see gcpause
        warnings.simplefilter("default")  # each library warning once per place, into the notes, not on stderr
        with parallel_session(parallel, cfg) as session:
            report = _analyze(captures, cfg, home, intel_path, zeek_dir, eve_path, run_suricata, workdir, progress,
                              baseline_path, allow, flows_out, session)
        contained = containment.containment(report.hosts, home, cfg, tuple(allow.entries), sid_base)
    report.suppressed += contained.pop("suppressed")
    report.notes += [*contained["notes"], *validate.warning_notes(caught)]
    report.containment = contained
    return report


def _analyze(captures: Sequence[Path], cfg: Config, home: HomeNet, intel_path: Path | None, zeek_dir: Path | None,
             eve_path: Path | None, run_suricata: bool, workdir: Path | None, progress: Progress | None,
             baseline_path: Path | None = None, allow: allowlist.Allowlist | None = None,
             flows_out: Path | None = None, session: Session | None = None) -> Report:
    if session is not None and (session.options.scheduler is not None
                                or input_bytes([str(c) for c in captures]) >= cfg.parallel.cluster_min_bytes):
        session.start_soon()  # the cluster starts while the other inputs are read and the captures planned
    allow = allow or allowlist.Allowlist()
    notes: list[str] = allow.notes()
    intel_db = intel.load_intel(intel_path) if intel_path else None
    logs = zeeklogs.read_logs(zeek_dir, zeek_frames(session)) if zeek_dir else None
    notes += logs.notes if logs is not None else []
    alerts = suricata.read_eve(eve_path, notes, slim=True) if eve_path else []

    alone = logs is None and eve_path is None and not run_suricata and baseline_path is None
    if captures and alone and cfg.pipeline.stream and cfg.pipeline.store:  # per group of hosts, memory bounded
        report = per_host(captures, cfg, home, intel_db, allow, workdir, flows_out, progress, session)
        report.notes[:0] = notes
        return report
    inputs, flow_list = flows_of(captures, logs, cfg, notes, progress, session)
    if flows_out is not None:
        from . import stored  # Arrow (pyarrow): imported only for what needs it (bounded._new_store)

        stored.write_flows_out(flows_out, flow_list, home)
    if eve_path is not None:
        notes.append(sensor.eve_join_note(alerts, flow_list, cfg))
    ctx = DetectContext(flow_list, home, cfg, intel_db)
    indicators = detect.run_all(ctx)
    if baseline_path is not None:
        with open_store(baseline_path) as store:
            indicators += deviations(observe(ctx), store, cfg)
            weigh(indicators, store, cfg)
    if run_suricata:
        alerts += suricata_alerts(captures, cfg, home, workdir, notes)
    if alerts:
        indicators += suricata.alert_indicators(alerts, flow_list, home, cfg)
        alerts.clear()  # merged into indicators: 200,000 alerts need not wait for the reports
    if logs is not None:
        indicators += zeekfindings.zeek_indicators(logs, flow_list, home, cfg)

    indicators, suppressed = allow.apply(indicators)
    hosts = verdict.build_hosts(indicators, ctx)
    if logs is not None and not captures:
        sensor.mark_unmeasurable(hosts, logs)
    # a session's report keeps only the flows the writers show, as the store's does (stored.shown_flows)
    shown = bounded.shown_in_memory(flow_list, hosts) if session is not None else flow_list
    return Report(inputs=inputs, hosts=hosts, flows=shown, notes=notes, suppressed=suppressed,
                  logs=sensor.log_inputs(zeek_dir, eve_path), flow_count=len(flow_list))


def per_host(captures: Sequence[Path], cfg: Config, home: HomeNet, intel_db: object, allow: allowlist.Allowlist,
             workdir: Path | None, flows_out: Path | None, progress: Progress | None, session: Session | None
             ) -> Report:
    """Detection per group of hosts: over the flow store in this process (bounded.py), or on the session's workers
    (or for captures given by URL) with the flows shuffled by host between tasks (parallel/hosts.py)."""
    if session is not None or any(is_url(c) for c in captures):
        from .parallel import hosts  # Dask is imported only there

        run = hosts.planned(captures, cfg, session)
        if run is not None:
            return hosts.analyze(run, cfg, home, intel_db, allow, flows_out, progress)
    return bounded.analyze(lambda sink, unfinished: stream_flows(captures, cfg, sink, progress,
                                                                 unfinished=unfinished)[0],
                           sum(p.stat().st_size for p in captures), cfg, home, intel_db, allow, workdir, flows_out)


def zeek_frames(session: Session | None) -> zeeklogs.FrameReader | None:
    """How the Zeek logs are read: in a session, as Dask dataframes on its workers (parallel/zeeklogs.py)."""
    if session is None:
        return None
    from .parallel import zeeklogs as dask_logs

    return dask_logs.frame_reader(session)


def flows_of(captures: Sequence[Path], logs: zeeklogs.ZeekLogs | None, cfg: Config, notes: list[str],
             progress: Progress | None = None, session: Session | None = None
             ) -> tuple[list[CaptureInfo], list[Flow]]:
    """The annotated flows of the captures (Zeek uids attached when logs are given), or, with no capture, of the
    Zeek logs alone (sensor-only mode)."""
    inputs, flow_list = read_flows(captures, cfg, progress, session)
    if logs is not None and not captures:
        flow_list = zeekflows.flows_from_logs(logs, cfg)
        notes.append(f"sensor-only mode: {len(flow_list)} connections from the Zeek logs in {logs.directory}")
        annotate(flow_list, cfg)  # no payload: only expected_service; the Zeek logs' service, DNS, TLS stay
    if logs is not None and captures:
        zeekjoin.attach_uids(flow_list, logs)
        notes.append(sensor.zeek_join_note(flow_list, logs, cfg))
    return inputs, flow_list


def read_flows(captures: Sequence[Path], cfg: Config, progress: Progress | None = None,
               session: Session | None = None) -> tuple[list[CaptureInfo], list[Flow]]:
    """Read every capture into one flow table (a connection may span files); one CaptureInfo per capture.

    The flows come back annotated (dissect + measures), sorted by start time; streamed (the default), each was
    annotated and compacted as soon as it was over.  In a ``session`` of workers or a scheduler (or for a capture
    given by URL), tasks read them, with the same result (parallel/).
    """
    if session is not None or any(is_url(c) for c in captures):
        from .parallel import read  # Dask is imported only there

        return read.read_flows(captures, cfg, session, progress)
    return read_serial(captures, cfg, progress)


def suricata_alerts(captures: Sequence[Path], cfg: Config, home: HomeNet, workdir: Path | None, notes: list[str]
                    ) -> list[dict[str, Any]]:
    """Run Suricata with our rules over the captures; when it cannot run, say why in ``notes`` and go on."""
    if not captures:
        notes.append("--suricata needs a capture to run on; skipped in sensor-only mode")
        return []
    if not suricata.available():
        notes.append("Suricata was requested but is not installed; the report has no Suricata alerts")
        return []
    if workdir is not None:
        return suricata.read_eve(suricata.run_suricata(list(captures), workdir, cfg, home), notes, slim=True)
    with tempfile.TemporaryDirectory(prefix="fallback-hunt-suricata-") as tmp:
        return suricata.read_eve(suricata.run_suricata(list(captures), Path(tmp), cfg, home), notes, slim=True)
