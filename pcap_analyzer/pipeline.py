"""The analysis, top to bottom.

read + flows (one table across all captures) -> dissect -> measures -> Zeek uid join -> detect
-> Suricata / Zeek indicators -> verdict -> containment.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import containment, detect, dissect, flows, intel, measures, reader, suricata, verdict, zeeklogs
from .config import Config
from .detect.base import DetectContext
from .homenet import HomeNet
from .model import CaptureInfo, Flow, Report

#: Called with (capture path, packets read from it so far) after every chunk.
Progress = Callable[[str, int], None]


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
) -> Report:
    """Analyse captures and/or Zeek logs (and optionally Suricata alerts) into a Report.

    The small inputs (intel, Zeek logs, EVE) are read first, so a bad one fails before the captures are read.
    With no capture, the flows come from the Zeek logs (sensor-only mode).
    """
    notes: list[str] = []
    intel_db = intel.load_intel(intel_path) if intel_path else None
    logs = zeeklogs.read_logs(zeek_dir) if zeek_dir else None
    alerts = suricata.read_eve(eve_path) if eve_path else []

    inputs, flow_list = read_flows(captures, cfg, progress)
    if logs is not None and not captures:
        flow_list = zeeklogs.flows_from_logs(logs, cfg)
        notes.append(f"sensor-only mode: {len(flow_list)} connections from the Zeek logs in {zeek_dir}")
    dissect.annotate_all(flow_list, cfg)
    measures.annotate_all(flow_list, cfg)
    if logs is not None and captures:
        zeeklogs.attach_uids(flow_list, logs)

    ctx = DetectContext(flow_list, home, cfg, intel_db)
    indicators = detect.run_all(ctx)
    if run_suricata:
        alerts += suricata_alerts(captures, cfg, home, workdir, notes)
    if alerts:
        indicators += suricata.alert_indicators(alerts, flow_list, home, cfg)
    if logs is not None:
        indicators += zeeklogs.zeek_indicators(logs, flow_list, home, cfg)

    hosts = verdict.build_hosts(indicators, ctx)
    return Report(inputs=inputs, hosts=hosts, flows=flow_list, notes=notes,
                  containment=containment.containment(hosts, home))


def read_flows(captures: Sequence[Path], cfg: Config, progress: Progress | None = None
               ) -> tuple[list[CaptureInfo], list[Flow]]:
    """Read every capture into one flow table (a connection may span files); one CaptureInfo per capture."""
    table = flows.FlowTable(cfg)
    inputs = []
    for path in captures:
        info = CaptureInfo(path=str(path))
        seen = 0
        for batch in reader.read_capture(path, cfg, info):
            table.add(batch)
            seen += len(batch)
            if progress is not None:
                progress(str(path), seen)
        inputs.append(info)
    return inputs, table.finish()


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
        return suricata.read_eve(suricata.run_suricata(list(captures), workdir, cfg, home))
    with tempfile.TemporaryDirectory(prefix="fallback-hunt-suricata-") as tmp:
        return suricata.read_eve(suricata.run_suricata(list(captures), Path(tmp), cfg, home))
