"""Honesty about sensor inputs: which logs were read (with their record counts), how well each join worked, and which
of the four questions the inputs cannot answer.

- ``log_inputs``: every Zeek log and EVE file read, with its record count (report.json ``inputs``, kind ``zeek_log``
  / ``eve``).
- ``zeek_join_note`` / ``eve_join_note``: "N of M flows matched a conn.log line" (Zeek logs beside a capture) and
  "N of M alerts joined a flow" (EVE); below ``[joins] min_rate`` the note is a warning (logs of another capture).
- ``mark_unmeasurable``: without a capture there is no payload, so the payload questions (non-standard ports,
  protocol switch) cannot be answered "no"; without a dns.log nor a capture, neither can the DNS question. Such an
  answer is None ("not measurable") with the reason, never False. A "yes" with evidence stays a yes.
"""
from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import Config
from ..model import Flow, HostReport, LogInfo
from .suricata import FlowIndex, alert_time
from .zeeklogs import COLUMNS, ZeekLogs, log_files

#: Questions that need payload (entropy, protocol identification from bytes): not measurable from Zeek logs alone.
PAYLOAD_QUESTIONS = ("nonstandard_ports", "protocol_switch")


def _records(path: Path) -> int:
    """Data lines of a log (Zeek ``#`` header / comment lines and blank lines not counted)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    count = 0
    with opener(path, "rb") as lines:
        for line in lines:
            if line.strip() and not line.startswith(b"#"):
                count += 1
    return count


def log_inputs(zeek_dir: Path | None, eve_path: Path | None) -> list[LogInfo]:
    out = []
    if zeek_dir is not None:
        out += [LogInfo(str(p), "zeek_log", _records(p)) for name in COLUMNS for p in log_files(Path(zeek_dir), name)]
    if eve_path is not None:
        out.append(LogInfo(str(eve_path), "eve", _records(Path(eve_path))))
    return out


def _rate_note(what: str, joined: int, total: int, cfg: Config) -> str:
    rate = joined / total if total else 1.0
    text = f"{what}: {joined} of {total} ({rate:.0%})"
    if total and rate < cfg.joins.min_rate:
        return (f"warning: low join rate, {text}, below {cfg.joins.min_rate:.0%}: the logs may be of "
                "another capture or another time")
    return text


def zeek_join_note(flows: Sequence[Flow], logs: ZeekLogs, cfg: Config) -> str:
    """How many of the capture's flows matched a conn.log line (run after ``zeekjoin.attach_uids``)."""
    if logs.conn is None:
        return "warning: --zeek-logs has no conn.log: no flow could be joined to Zeek's connections"
    joined = sum(1 for f in flows if f.zeek_uids)
    return _rate_note("Zeek join: flows that matched a conn.log line", joined, len(flows), cfg)


def eve_join_note(alerts: Sequence[dict[str, Any]], flows: Sequence[Flow], cfg: Config) -> str:
    """How many EVE alerts found their flow (Community ID, else 5-tuple and time)."""
    index = FlowIndex(flows, cfg.suricata.join_slack)
    joined = sum(1 for a in alerts if index.find(a, alert_time(a)) is not None)
    return _rate_note("EVE join: alerts that matched a flow", joined, len(alerts), cfg)


def mark_unmeasurable(hosts: list[HostReport], logs: ZeekLogs) -> None:
    """Sensor-only mode: answers the inputs could not give become None ("not measurable") with the reason."""
    missing = {q: "not measurable from Zeek logs alone: needs payload (a capture)" for q in PAYLOAD_QUESTIONS}
    if logs.dns is None:
        missing["unusual_dns"] = "not measurable: no dns.log among the Zeek logs and no capture"
    for host in hosts:
        for question, why in missing.items():
            got = host.answers.get(question)
            if got is not None and not got.get("answer"):
                host.answers[question] = {"answer": None, "evidence": [], "note": why}
