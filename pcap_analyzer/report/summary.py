"""The short human summary printed on stdout after an analysis."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..config_schema import ReportConfig
from ..model import VERDICTS, Report
from ..model import HostReport
from .common import display, escape_text, ordered_hosts, verdict_counts
from .patterns import group_hosts


def summary_text(report: Report, cfg: Config, outputs: Sequence[Path]) -> str:
    """Counts by verdict, one line per escalate/investigate host with its top reasons, notes, where the reports are."""
    rc = cfg.report
    packets = sum(i.packets for i in report.inputs)
    counts = verdict_counts(report.hosts)
    source = f"{len(report.inputs)} capture(s), {packets} packets" if report.inputs else "Zeek logs"
    lines = [
        f"fallback-hunt: {source}, {report.total_flows} flows, {len(report.hosts)} internal hosts",
        "verdicts: " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS),
    ]
    flagged = [h for h in ordered_hosts(report.hosts) if h.verdict != "benign"]
    for host in flagged[: rc.top]:
        reasons = "; ".join(host.reasons[: rc.summary_reasons])
        lines.append(f"  {host.verdict.upper():<11} {display(host.ip, 64):<15} score {host.score:5.1f}  "
                     f"{cut_words(escape_text(reasons), rc.max_text)}")
    lines += grouped_rest(flagged[rc.top:], rc)
    for info in report.inputs:
        lines += [f"warning: {display(info.path, rc.max_text)}: {display(w, rc.max_text)}" for w in info.warnings]
    lines += [display(n if n.startswith("warning: ") else f"note: {n}", rc.max_text) for n in report.notes]
    lines.append("reports: " + "  ".join(escape_text(str(p)) for p in outputs))
    return "\n".join(lines) + "\n"


def cut_words(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary (a port or a name is never cut in two), with "…"."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    space = max(head.rfind(" "), head.rfind(";"))
    return (head[:space] if space > limit // 2 else head).rstrip(" ;,") + "…"


def grouped_rest(rest: list[HostReport], rc: ReportConfig) -> list[str]:
    """The hosts beyond ``--top``, counted by pattern (at most ``top`` patterns, the others counted)."""
    if not rest:
        return []
    groups = group_hosts(rest)
    lines = [f"  ... and {len(rest)} more host(s) to look at (report.html groups them):"]
    shown = groups[: max(rc.top, 1)]
    lines += [f"    {len(g.hosts):>5} {g.verdict:<11} {cut_words(escape_text(g.label), rc.max_text)}" for g in shown]
    if len(groups) > len(shown):
        lines.append(f"    {sum(len(g.hosts) for g in groups[len(shown):]):>5} more in {len(groups) - len(shown)} "
                     "other patterns")
    return lines
