"""The short human summary printed on stdout after an analysis."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..model import VERDICTS, Report
from .common import display, escape_text, ordered_hosts, verdict_counts


def summary_text(report: Report, cfg: Config, outputs: Sequence[Path]) -> str:
    """Counts by verdict, one line per escalate/investigate host with its top reasons, notes, where the reports are."""
    rc = cfg["report"]
    packets = sum(i.packets for i in report.inputs)
    counts = verdict_counts(report.hosts)
    source = f"{len(report.inputs)} capture(s), {packets} packets" if report.inputs else "Zeek logs"
    lines = [
        f"fallback-hunt: {source}, {len(report.flows)} flows, {len(report.hosts)} internal hosts",
        "verdicts: " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS),
    ]
    for host in ordered_hosts(report.hosts):
        if host.verdict == "benign":
            continue
        reasons = "; ".join(host.reasons[: rc["summary_reasons"]])
        lines.append(f"  {host.verdict.upper():<11} {display(host.ip, 64):<15} score {host.score:5.1f}  "
                     f"{display(reasons, rc['max_text'])}")
    for info in report.inputs:
        lines += [f"warning: {display(info.path, rc['max_text'])}: {display(w, rc['max_text'])}" for w in info.warnings]
    lines += [display(n if n.startswith("warning: ") else f"note: {n}", rc["max_text"]) for n in report.notes]
    lines.append("reports: " + "  ".join(escape_text(str(p)) for p in outputs))
    return "\n".join(lines) + "\n"
