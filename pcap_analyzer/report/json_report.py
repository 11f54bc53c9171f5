"""OUTDIR/report.json: the whole result as one JSON document, described by data/report.schema.json."""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..model import CaptureInfo, Flow, HostReport, LogInfo, Report
from ..decide.patterns import pattern_groups
from ..pivot import evidence_flows, evidence_keys, pivot
from . import json_stream
from .common import QUESTIONS, answer, atomic_write, flow_index, ordered_hosts, verdict_counts
from .patterns import group_hosts  # the one host grouping of every report

SCHEMA_ID = "fallback-hunt/report/1"
MAX_HOST_DETAILS = 1000  # [report] max_host_details


def plain(value: Any) -> Any:
    """``value`` as plain JSON data: numpy scalars unwrapped, tuples/sets as lists, bytes as hex, NaN/inf as null."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, json_stream.Lazy)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=str)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


def input_json(info: CaptureInfo) -> dict[str, Any]:
    return {
        "path": info.path,
        "sha256": info.sha256,
        "packets": info.packets,
        "first_ts": info.first_ts,
        "last_ts": info.last_ts,
        "warnings": list(info.warnings),
    }


def log_json(info: LogInfo) -> dict[str, Any]:
    return {"path": info.path, "kind": info.kind, "lines": info.lines}


def host_json(host: HostReport, index: dict[str, Flow] | None = None, pattern_ids: dict[str, str] | None = None
              ) -> dict[str, Any]:
    """A host as report.json has it; with the flow index, also its evidence flows and their packet filters;
    ``pattern_ids`` maps pattern text to its group id (report.json's "patterns")."""
    ids = pattern_ids or {}
    doc = {
        "ip": host.ip,
        "verdict": host.verdict,
        "score": host.score,
        "indicators": [ind.to_json() for ind in sorted(host.indicators, key=lambda i: (i.ts, i.type))],
        "answers": {q: answer(host, q) for q in QUESTIONS},
        "channels": host.channels,
        "reasons": host.reasons,
        "same_pattern_hosts": host.same_pattern_hosts,
        "patterns": [ids.get(text, text) for text in host.patterns],
    }
    if index is not None:
        doc["evidence_flows"] = [pivot(f) for f in evidence_flows(evidence_keys(doc), index)]
    return doc


def host_groups(hosts: Iterable[HostReport], pattern_ids: Mapping[str, str]) -> list[dict[str, Any]]:
    """Hosts beyond the detailed ones, grouped as the HTML and the terminal group them (report.patterns: verdict,
    main indicator and its target), each member listed once (in the order given: escalate first, then by score):
    a few bytes per host instead of a full entry."""
    return [{"verdict": g.verdict, "label": g.label, "indicator": g.kind, "target": g.target,
             "patterns": sorted({pattern_ids.get(t, t) for h in g.hosts for t in h.patterns}),
             "max_score": max(h.score for h in g.hosts), "count": len(g.hosts), "members": [h.ip for h in g.hosts]}
            for g in group_hosts(hosts)]


def report_doc(report: Report, generated: datetime | None = None, max_hosts: int = MAX_HOST_DETAILS,
               index: dict[str, Flow] | None = None) -> dict[str, Any]:
    """The report.json document as it is built (hosts escalate first then by score), before ``plain``: values may
    still be tuples, sets, numpy scalars... ``json_stream`` makes them plain as it writes them. The hosts are made as
    they are written (``json_stream.Lazy``): one host with its evidence flows at a time.

    The first ``max_hosts`` hosts get a full entry; the rest are grouped (``host_groups``: members listed once per
    verdict, indicator types and patterns), so the document grows by a few bytes per host. ``index``: the report's
    ``flow_index`` when the caller has it already.
    """
    generated = generated or datetime.now(timezone.utc)
    index = flow_index(report.flows) if index is None else index
    groups = pattern_groups(report.hosts)
    ids = {g.signature: g.id for g in groups}
    ordered = ordered_hosts(report.hosts)
    return {
        "schema": SCHEMA_ID,
        "generated": generated.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "version": __version__,
        "inputs": [*(input_json(info) for info in report.inputs), *(log_json(info) for info in report.logs)],
        "hosts": json_stream.Lazy(min(len(ordered), max_hosts), lambda k: host_json(ordered[k], index, ids)),
        "host_groups": host_groups(ordered[max_hosts:], ids),
        "patterns": [g.to_json() for g in groups],
        "summary": verdict_counts(report.hosts),
        "notes": report.notes,
        "containment": report.containment,
        "suppressed": report.suppressed,
    }


def report_json(report: Report, generated: datetime | None = None, max_hosts: int = MAX_HOST_DETAILS
                ) -> dict[str, Any]:
    """The report.json document as plain JSON data (see ``report_doc``)."""
    return plain(report_doc(report, generated, max_hosts))


def report_text(report: Report, generated: datetime | None = None, max_hosts: int = MAX_HOST_DETAILS,
                index: dict[str, Flow] | None = None) -> Iterator[str]:
    """report.json's text in pieces: the document is built once and encoded as it is walked (``json_stream``),
    the same bytes as ``json.dumps(report_json(...), indent=2)`` and a newline."""
    return json_stream.chunks(report_doc(report, generated, max_hosts, index), plain)


def write_json(report: Report, path: Path, max_hosts: int = MAX_HOST_DETAILS,
               index: dict[str, Flow] | None = None) -> None:
    atomic_write(path, report_text(report, max_hosts=max_hosts, index=index))
