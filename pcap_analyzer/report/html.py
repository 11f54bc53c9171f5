"""OUTDIR/report.html: one self-contained page (inline CSS and SVG, no scripts, nothing loaded from the network).

Every value that came from the network (DNS names, SNI, Host, URIs, banners, evidence) goes through ``_t`` (cut,
non-printables escaped, then HTML-escaped) and only ever into element text, never into an attribute.
"""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..config import Config
from ..config_schema import ReportConfig
from ..detect.facts import established
from ..detect.failures import failure_kind
from ..model import Flow, HostReport, HostView, Indicator, Report
from ..pivot import bpf_filter, display_filter, inspect_command, links
from .common import (
    QUESTION_TEXT, QUESTIONS, answer, atomic_write, display, endpoint, escape_text, evidence_text, flow_endpoint,
    flow_index, flows_by_host, human, indicator_flow, ordered_hosts, verdict_counts,
)
from .patterns import Pattern, group_hosts

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;
 padding:1em 2em;color:#1d2330}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #d5dae3;padding-bottom:.2em;margin-top:2em}
h3{margin:1.4em 0 .4em}.muted{color:#667085}
table{border-collapse:collapse;margin:.5em 0;width:100%}
th,td{border:1px solid #d5dae3;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f4f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.v{display:inline-block;padding:0 .6em;border-radius:.8em;font-weight:600;color:#fff}
.v-escalate{background:#c0392b}.v-investigate{background:#d68910}.v-benign{background:#1e8449}
.yes{color:#c0392b;font-weight:600}.no{color:#1e8449}
.host{border:1px solid #d5dae3;border-radius:6px;padding:0 1.2em 1em;margin:1.5em 0}
td.ip{white-space:nowrap}
.mono,td.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;word-break:break-all}
pre{background:#f6f8fa;border:1px solid #d5dae3;padding:.6em;overflow-x:auto;font-size:.85em}
ul.reasons{margin:.3em 0 .8em}svg{display:block;max-width:100%;height:auto;margin:.4em 0}
svg text{font:11px system-ui,sans-serif;fill:#1d2330}svg .small{font-size:10px;fill:#667085}
td{overflow-wrap:anywhere}table.hosts{table-layout:fixed}table.hosts th:nth-child(1){width:9em}
table.hosts th:nth-child(2){width:6.5em}table.hosts th:nth-child(3){width:4em}table.hosts th:nth-child(4){width:13em}
.cut{display:inline-block;max-width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;
 vertical-align:bottom}.cut:hover{white-space:normal;overflow-wrap:anywhere;background:#fffbe6}
nav.toc{background:#f6f8fa;border:1px solid #d5dae3;border-radius:6px;padding:.4em 1.2em;margin:1em 0}
nav.toc ol{margin:.2em 0;padding-left:1.4em}
details.host>summary{cursor:pointer;padding:.6em 0;font-size:1.15em;font-weight:600}
details.host>summary .reason{font-weight:400;font-size:.85em;color:#667085}
details.group>summary{cursor:pointer}tr.group>td{background:#fafbfc}
ul.capped{margin:.2em 0;padding-left:1.2em}
"""

WIDTH = 960
LEFT = 150
RIGHT = 30
LANE = 46
ENTROPY_LEFT = 330  # room for the flow labels left of the entropy bars
LABEL_CHARS = 40  # an SVG label is cut to this many characters ...
LABEL_PX = 6 * LABEL_CHARS  # ... and needs about this much room
RED, GREEN, BLUE, ORANGE, GREY = "#c0392b", "#1e8449", "#2e6fbf", "#d68910", "#98a2b3"


def _t(value: Any, limit: int) -> str:
    """Text content: cut, non-printables escaped, HTML-escaped."""
    return html.escape(display(value, limit), quote=True)


def _utc(ts: float | None) -> str:
    if ts is None:
        return "-"
    try:
        return datetime.fromtimestamp(float(ts), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return str(ts)


def _verdict(verdict: str) -> str:
    return f'<span class="v v-{html.escape(verdict)}">{html.escape(verdict)}</span>'


def _sample(items: list, limit: int) -> list:
    """At most ``limit`` items spread evenly over ``items`` (keeps the first and the picture's shape)."""
    if len(items) <= limit or limit <= 0:
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def _anchor(kind: str, text: str) -> str:
    """An element id from our own text (an address, a number): letters, digits and dashes only."""
    return f"{kind}-" + re.sub(r"[^0-9A-Za-z]", "-", text)


def _cut(value: Any, limit: int) -> str:
    """Network text shown on one line, cut with an ellipsis by CSS; hovering shows it whole (a CSS tooltip)."""
    return f'<span class="cut">{_t(value, limit)}</span>'


def _capped_list(items: list[str], total: int, limit: int, what: str = "more") -> str:
    """Already-escaped items (only those shown are rendered: at most ``limit`` of ``total``) as a list, then
    "N more"."""
    shown = "".join(f"<li>{item}</li>" for item in items[:limit])
    more = f'<li class="muted">{total - limit} {what}</li>' if total > limit else ""
    return f'<ul class="capped">{shown}{more}</ul>' if total else ""


# -- timeline ------------------------------------------------------------------------------------------------------

def _events(host: HostReport, flows: list[Flow], index: dict[str, Flow], cfg: Config) -> dict[str, list]:
    """What happened on the host's timeline: DNS lookups, failed attempts, working (fallback) channels, indicators."""
    mine = [f for f in flows if f.orig_h == host.ip]
    dns = sorted((m.ts, m.qname) for f in mine for m in f.dns if not m.is_response)
    failed_rcodes = cfg.detect.failed_fallback.failed_rcodes
    failed = sorted([(f.ts, flow_endpoint(f)) for f in mine if failure_kind(f, cfg)]  # every kind, TLS reset included
                    + [(m.ts, m.qname) for f in mine for m in f.dns if m.is_response and m.rcode_name in failed_rcodes])
    spans = [(c["fallback"].get("first_ts"), c["fallback"].get("last_ts"), endpoint(c["fallback"]))
             for c in host.channels if isinstance(c.get("fallback"), dict)]
    primaries = [(c["primary"].get("first_ts"), c["primary"].get("last_ts"), endpoint(c["primary"]))
                 for c in host.channels if isinstance(c.get("primary"), dict)]
    if not spans:  # no fallback pair: show the working flows the evidence points at
        joined = (indicator_flow(i, index) for i in host.indicators)
        seen = {id(f): f for f in joined if f is not None and established(f)}
        spans = [(f.ts, f.last_ts, flow_endpoint(f))
                 for f in seen.values()]
    return {
        "dns": dns,
        "failed": failed,
        "primaries": [p for p in primaries if p[0] is not None],
        "spans": sorted(s for s in spans if s[0] is not None),
        "indicators": sorted((i.ts, i.type) for i in host.indicators),
    }


def _first_seen(events: list[tuple[float, str]]) -> dict[str, float]:
    """Each distinct name with the time it first appears."""
    first: dict[str, float] = {}
    for ts, name in events:
        first.setdefault(name, ts)
    return first


def _timeline_svg(ev: dict[str, list], ip: str, cfg: Config) -> str:
    rc = cfg.report
    times = [t for t, _ in ev["dns"]] + [t for t, _ in ev["failed"]] + [t for t, _ in ev["indicators"]]
    times += [t for a, b, _ in ev["spans"] + ev["primaries"] for t in (a, b) if t is not None]
    if not times:
        return '<p class="muted">No timed events for this host.</p>'
    t0, t1 = min(times), max(times)
    span = (t1 - t0) or 1.0
    plot = WIDTH - LEFT - RIGHT

    def x(ts: float) -> float:
        return LEFT + (ts - t0) / span * plot

    lanes = [f"DNS lookups ({len(ev['dns'])})", f"Failed attempts ({len(ev['failed'])})", "Working channel",
             f"Indicators ({len(ev['indicators'])})"]
    height = 30 + LANE * len(lanes) + 44
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
           f'height="{height}" role="img"><title>Timeline of {_t(ip, 64)}</title>']
    for i, name in enumerate(lanes):
        y = 30 + i * LANE
        out.append(f'<rect x="{LEFT}" y="{y}" width="{plot}" height="{LANE - 6}" fill="#f6f8fa"/>')
        out.append(f'<text x="8" y="{y + LANE / 2}">{name}</text>')

    def lane_y(i: int) -> int:
        return 30 + i * LANE

    # DNS: blue ticks; distinct names labelled where there is room (two staggered rows), the rest listed below
    y = lane_y(0)
    ticks = sorted({round(x(ts), 1) for ts, _ in _sample(ev["dns"], rc.html_max_marks)})  # one path: small
    if ticks:
        out.append(f'<path d="{"".join(f"M{tx:.1f} {y + 22}v16" for tx in ticks)}" stroke="{BLUE}"/>')
    free, placed = [float("-inf"), float("-inf")], 0  # where each of the two label rows is free again
    for name, ts in _first_seen(ev["dns"]).items():
        row = 0 if free[0] <= x(ts) else 1
        if placed >= rc.html_max_labels or free[row] > x(ts):
            continue
        free[row], placed = x(ts) + LABEL_PX, placed + 1
        out.append(f'<text class="small" x="{x(ts):.1f}" y="{y + 9 + row * 10}">{_t(name, LABEL_CHARS)}</text>')

    # failed attempts: red marks; each primary channel's attempt window as a red line with its endpoint
    y = lane_y(1)
    for first, last, label in ev["primaries"]:
        x1, x2 = x(first), x(last if last is not None else first)
        out.append(f'<line x1="{x1:.1f}" x2="{max(x2, x1 + 2):.1f}" y1="{y + 30}" y2="{y + 30}" stroke="{RED}" '
                   f'stroke-width="3"/><text class="small" x="{x1:.1f}" y="{y + 12}">primary {_t(label, 60)}</text>')
    crosses = sorted({round(x(ts), 1) for ts, _ in _sample(ev["failed"], rc.html_max_marks)})
    if crosses:
        out.append(f'<path d="{"".join(f"M{cx - 3:.1f} {y + 21}l6 10m0 -10l-6 10" for cx in crosses)}" '
                   f'stroke="{RED}" stroke-width="2"/>')
    if not ev["failed"] and not ev["primaries"]:
        out.append(f'<text class="small" x="{LEFT + 4}" y="{y + 24}">none</text>')

    # working channel(s): green bars with their endpoint
    y = lane_y(2)
    for k, (first, last, label) in enumerate(_sample(ev["spans"], rc.html_max_flows)):
        x1 = x(first)
        x2 = max(x(last if last is not None else first), x1 + 3)
        out.append(f'<rect x="{x1:.1f}" y="{y + 22}" width="{x2 - x1:.1f}" height="12" fill="{GREEN}" rx="2"/>')
        anchor, tx = ("end", x2) if x1 > LEFT + plot * 0.6 else ("start", x1)
        out.append(f'<text class="small" x="{tx:.1f}" y="{y + 10 + (k % 2) * 9}" text-anchor="{anchor}">'
                   f'{_t(label, 60)}</text>')

    # indicators: orange diamonds; each type named once, names close together share one label
    y = lane_y(3)
    labels: list[tuple[float, list[str]]] = []
    marks = _sample(ev["indicators"], rc.html_max_marks)
    diamonds = sorted({round(x(ts), 1) for ts, _ in marks})
    if diamonds:
        out.append(f'<path d="{"".join(f"M{cx:.1f} {y + 22}l5 6l-5 6l-5 -6z" for cx in diamonds)}" '
                   f'fill="{ORANGE}"/>')
    for ts, kind in marks:
        cx = x(ts)
        if any(kind in names for _, names in labels):
            continue
        if labels and cx - labels[-1][0] < LABEL_PX:
            labels[-1][1].append(kind)
        else:
            labels.append((cx, [kind]))
    for k, (lx, names) in enumerate(labels):
        anchor = "end" if lx > LEFT + plot * 0.7 else "start"
        out.append(f'<text class="small" x="{lx:.1f}" y="{y + 9 + (k % 2) * 9}" text-anchor="{anchor}">'
                   f'{_t(", ".join(names), LABEL_CHARS * 2)}</text>')

    # time axis
    y = lane_y(len(lanes)) + 4
    out.append(f'<line x1="{LEFT}" x2="{LEFT + plot}" y1="{y}" y2="{y}" stroke="{GREY}"/>')
    for k in range(5):
        tx = LEFT + plot * k / 4
        out.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y}" y2="{y + 5}" stroke="{GREY}"/>'
                   f'<text class="small" x="{tx:.1f}" y="{y + 17}" text-anchor="middle">+{span * k / 4:.1f} s</text>')
    out.append(f'<text class="small" x="{LEFT}" y="{y + 31}">start {_utc(t0)}</text></svg>')
    return "".join(out)


def _names_html(dns: list[tuple[float, str]], rc: ReportConfig) -> str:
    names = list(_first_seen(dns))
    if not names:
        return ""
    shown = ", ".join(_t(n, rc.max_text) for n in names[: rc.html_max_labels])
    more = f" and {len(names) - rc.html_max_labels} more" if len(names) > rc.html_max_labels else ""
    return f'<p class="muted">Names looked up ({len(names)}): <span class="mono">{shown}</span>{more}</p>'


# -- entropy -------------------------------------------------------------------------------------------------------

def _channel_flows(host: HostReport, flows: list[Flow], index: dict[str, Flow], limit: int) -> list[Flow]:
    """The host's flows the evidence points at (indicators, channels), in time order, at most ``limit``."""
    keys = [k for i in host.indicators for k in (*i.uids, i.community_id)]
    keys += [c[side].get("community_id", "") for c in host.channels for side in ("primary", "fallback")
             if isinstance(c.get(side), dict)]
    chosen: dict[str, Flow] = {}
    for key in keys:
        flow = index.get(key) if key else None
        if flow is not None and host.ip in (flow.orig_h, flow.resp_h):
            chosen.setdefault(flow.uid, flow)
    if not chosen:  # nothing joined: the host's biggest flows
        mine = sorted(flows, key=lambda f: f.orig_bytes + f.resp_bytes, reverse=True)
        chosen = {f.uid: f for f in mine[:limit] if f.orig_measures or f.resp_measures}
    return sorted(chosen.values(), key=_suspicion)[:limit]


def _suspicion(flow: Flow) -> tuple[float, int, float]:
    """Sort key, most suspicious channel first: highest payload entropy, then most bytes, then earliest."""
    top = max((m.entropy for m in (flow.orig_measures, flow.resp_measures) if m is not None and m.nbytes),
              default=-1.0)
    return (-top, -(flow.orig_bytes + flow.resp_bytes), flow.ts)


def _entropy_svg(chosen: list[Flow]) -> str:
    if not chosen:
        return '<p class="muted">No payload measured for this host\'s flows.</p>'
    row, left = 34, ENTROPY_LEFT
    plot = WIDTH - left - RIGHT
    height = 28 + row * len(chosen) + 26
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
           f'height="{height}" role="img"><title>Payload entropy, bits per byte</title>']
    for bits in range(0, 9, 2):
        gx = left + plot * bits / 8
        out.append(f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="20" y2="{height - 22}" stroke="#e4e7ec"/>'
                   f'<text class="small" x="{gx:.1f}" y="{height - 8}" text-anchor="middle">{bits}</text>')
    out.append(f'<text class="small" x="{left + plot:.1f}" y="12" text-anchor="end">bits/byte (8 = random)</text>')
    for k, flow in enumerate(chosen):
        y = 24 + k * row
        label = f"{flow.orig_h} → {flow_endpoint(flow)}"
        service = flow.service or "unknown"
        out.append(f'<text x="8" y="{y + 12}">{_t(label, 52)}</text>'
                   f'<text class="small" x="8" y="{y + 25}">{_t(service, 20)}, {_utc(flow.ts)}</text>')
        for j, (measures, colour, arrow) in enumerate(((flow.orig_measures, BLUE, "out"),
                                                       (flow.resp_measures, GREEN, "in"))):
            by = y + j * 13
            if measures is None or not measures.nbytes:
                out.append(f'<text class="small" x="{left + 4}" y="{by + 10}">{arrow}: not measured</text>')
                continue
            w = plot * min(max(measures.entropy, 0.0), 8.0) / 8
            inside = w > plot * 0.75  # no room after the bar: the value goes inside its end, in white
            tx, anchor, fill = (left + w - 4, "end", ' style="fill:#fff"') if inside else (left + w + 4, "start", "")
            out.append(f'<rect x="{left}" y="{by}" width="{w:.1f}" height="11" fill="{colour}"/>'
                       f'<text class="small" x="{tx:.1f}" y="{by + 9}" text-anchor="{anchor}"{fill}>{arrow} '
                       f'{measures.entropy:.2f} ({measures.nbytes} B)</text>')
    out.append("</svg>")
    return "".join(out)


# -- sections ------------------------------------------------------------------------------------------------------

def _containment_lines(containment: dict[str, Any]) -> list[tuple[str, str]]:
    """(section, line) for every line of the containment artifacts (multi-line texts, lists, nested dicts)."""
    lines: list[tuple[str, str]] = []
    for key, value in containment.items():
        if isinstance(value, dict):
            lines += [(f"{key} / {sub}", line) for sub, line in _containment_lines(value)]
        elif isinstance(value, str):
            lines += [(str(key), line) for line in value.splitlines() if line.strip()]
        elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            lines += [(str(key), v) for v in value]
        elif isinstance(value, (list, tuple)):
            lines.append((str(key), ", ".join(str(v) for v in value)))
        else:
            lines.append((str(key), str(value)))
    return lines


class ContainmentLines:
    """The containment lines by the words in them (split once), to find each host's lines without re-reading all of
    them per host: ``mentioning(words)`` = the lines that name any of ``words``, in their order."""

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self.lines = lines
        self.by_word: dict[str, list[int]] = {}
        for k, (_, line) in enumerate(lines):
            for word in set(re.split(r"[^\w.:-]+", line)):
                self.by_word.setdefault(word, []).append(k)

    def mentioning(self, words: set[str]) -> list[tuple[str, str]]:
        found = sorted({k for word in words for k in self.by_word.get(word, ())})
        return [self.lines[k] for k in found]


def _containment_html(lines: list[tuple[str, str]]) -> str:
    """Artifacts meant to be copied: escaped but never cut, tabs kept (Zeek Intel lines are tab-separated)."""
    by_section: dict[str, list[str]] = {}
    for section, line in lines:
        by_section.setdefault(section, []).append(line)

    def pre(line: str) -> str:
        return "\t".join(html.escape(escape_text(part)) for part in line.split("\t")) + "\n"

    return "".join(f"<h4>{_t(section, 80)}</h4><pre>{''.join(pre(line) for line in body)}</pre>"
                   for section, body in by_section.items())


def _host_peers(host: HostReport) -> set[str]:
    peers = {i.peer for i in host.indicators if i.peer}
    for channel in host.channels:
        for side in ("primary", "fallback"):
            if isinstance(channel.get(side), dict):
                peers |= {str(channel[side].get(k)) for k in ("peer", "domain") if channel[side].get(k)}
    return peers


def _answers_html(host: HostReport, max_text: int, limit: int) -> str:
    rows = []
    for q in QUESTIONS:
        got = answer(host, q)
        word = ('<span class="yes">yes</span>' if got["answer"] else '<span class="no">no</span>'
                if got["answer"] is not None else '<span class="muted">not measurable</span>')
        items = [*got["evidence"], *([got["note"]] if got.get("note") else [])]
        shown = [_t(e if isinstance(e, str) else human(q, e), max_text) for e in items[:limit]]
        rows.append(f"<tr><td>{html.escape(QUESTION_TEXT[q])}</td><td>{word}</td>"
                    f"<td>{_capped_list(shown, len(items), limit, 'more in report.json')}</td></tr>")
    return "<table><tr><th>question</th><th>answer</th><th>evidence</th></tr>" + "".join(rows) + "</table>"


def _channel_words(channel: dict[str, Any]) -> str:
    """``peer:port/proto service state, N attempts, domain`` of a channel dict."""
    words = " ".join([endpoint(channel), *(str(channel[k]) for k in ("service", "state") if channel.get(k))])
    if channel.get("attempts"):
        words += f", {channel['attempts']} attempts"
    return f"{words}, {channel['domain']}" if channel.get("domain") else words


def _details(evidence: dict[str, Any], limit: int) -> str:
    """Evidence in words: the primary/fallback channels first, then the other values; made only as far as the first
    ``limit`` characters need (see ``evidence_text``)."""
    sides = {k: v for k, v in evidence.items() if k in ("primary", "fallback") and isinstance(v, dict)}
    rest = {k: v for k, v in evidence.items() if k not in sides}
    return "; ".join([*(f"{k}: {_channel_words(v)}" for k, v in sides.items()),
                      evidence_text(rest, limit)]).strip("; ")


def _evidence_html(host: HostReport, cfg: Config, captures: list[str]) -> str:
    """The indicators, each with the ``inspect`` command of its flow (when the report was made from captures)."""
    rc = cfg.report
    inds = sorted(host.indicators, key=lambda i: i.ts)
    shown = rc.max_text * 2  # characters of an indicator's details

    def dive(i: Indicator) -> str:
        if not captures or not i.community_id:
            return ""
        command = _t(inspect_command(captures, i.community_id), 10 ** 4)
        return f'<br><span class="muted">deep dive:</span> <code>{command}</code>'

    rows = [
        f"<tr><td>{_utc(i.ts)}</td><td>{_t(i.type, 40)}</td><td>{_t(i.source, 20)}</td>"
        f"<td class=\"mono\">{_cut(i.peer, rc.max_text)}</td>"
        f"<td>{'' if i.port is None else _t(i.port, 8)}/{_t(i.proto, 10)}</td>"
        f"<td class=\"mono\">{_t(i.community_id, 40)}</td>"
        f"<td class=\"mono\">{_t(_details(i.evidence, shown + 1), shown)}{dive(i)}</td></tr>"
        for i in inds[: rc.html_max_evidence]
    ]
    return _capped_table(["time", "indicator", "source", "peer", "port", "community id", "details"], rows,
                         len(inds), "indicators")


def _capped_table(headers: list[str], rows: list[str], total: int, what: str) -> str:
    """A table of the first rows, and a line saying how many more of ``total`` are in report.json."""
    more = total - len(rows)
    tail = f'<p class="muted">{more} more {what} in report.json.</p>' if more > 0 else ""
    head = "".join(f"<th>{h}</th>" for h in headers)
    return f"<table><tr>{head}</tr>" + "".join(rows) + "</table>" + tail


def _pivot_html(chosen: list[Flow], templates: dict[str, str]) -> str:
    """Per evidence flow: its Community ID, a BPF filter, a display filter and the configured packet-store links."""
    if not chosen:
        return ""
    rows = []
    for flow in chosen:
        link = " ".join(f'<a href="{html.escape(url, quote=True)}" rel="noreferrer">{html.escape(name)}</a>'
                        for name, url in links(flow.community_id, templates))
        rows.append(f"<tr><td class=\"mono\">{_t(flow_endpoint(flow), 80)}</td>"
                    f"<td class=\"mono\">{_t(flow.community_id, 40)}</td>"
                    f"<td class=\"mono\">{_t(bpf_filter(flow), 400)}</td>"
                    f"<td class=\"mono\">{_t(display_filter(flow), 600)}</td><td>{link}</td></tr>")
    return ("<h3>Packets</h3><p class=\"muted\">Paste a filter into tcpdump (BPF) or Wireshark/tshark (display "
            "filter), or cut the flows out with <code>fallback-hunt extract</code>.</p><table><tr><th>flow</th>"
            "<th>community id</th><th>BPF</th><th>display filter</th><th>links</th></tr>" + "".join(rows) + "</table>")


def host_view(host: HostReport, flows: list[Flow], index: dict[str, Flow], cfg: Config) -> HostView:
    """The parts of a host's section drawn from its flows: ``flows``, every flow the host is an endpoint of (in
    time order), ``index`` the report's ``flow_index``. Bounded whatever the number of flows."""
    events = _events(host, flows, index, cfg)
    return HostView(_timeline_svg(events, host.ip, cfg) + _names_html(events["dns"], cfg.report),
                    _channel_flows(host, flows, index, cfg.report.html_max_flows))


def detailed_hosts(hosts: Sequence[HostReport], cfg: Config) -> list[HostReport]:
    """The hosts that get a section (``_hosts_html``): the first ``html_max_rows`` escalate / investigate hosts in the
    page's order (by pattern, then verdict, score and address)."""
    groups = group_hosts(ordered_hosts(hosts))
    return [h for g in groups if g.verdict != "benign" for h in g.hosts][: cfg.report.html_max_rows]


def _host_html(host: HostReport, view: HostView, contained: ContainmentLines, cfg: Config, captures: list[str],
               is_open: bool = False) -> str:
    rc = cfg.report
    reasons = "".join(f"<li>{_t(r, rc.max_text)}</li>" for r in host.reasons)
    same = _t(", ".join(host.same_pattern_hosts[: rc.html_max_items]) or "none", 10 ** 6)
    if len(host.same_pattern_hosts) > rc.html_max_items:
        same += f" and {len(host.same_pattern_hosts) - rc.html_max_items} more"
    if host.patterns:  # the sample is capped: the full member lists are report.json's "patterns"
        same += f' <span class="muted">(shared patterns: {_t("; ".join(host.patterns[:10]), rc.max_text)}; ' \
                'every member in report.json "patterns")</span>'
    chosen = view.flows
    first = _t(host.reasons[0], rc.max_text) if host.reasons else ""
    parts = [
        f'<details class="host" id="{_anchor("host", host.ip)}"{" open" if is_open else ""}><summary>'
        f'{_t(host.ip, 64)} {_verdict(host.verdict)} <span class="muted">score {host.score:.1f}</span> '
        f'<span class="reason">{first}</span></summary><ul class="reasons">{reasons}</ul>',
        "<h3>Timeline</h3>", view.timeline,
        '<p class="muted">Blue ticks: DNS lookups. Red crosses: failed attempts (refused or unanswered connections, '
        "failed lookups); red line: the primary channel's attempts. Green bars: the channel that worked. "
        "Orange: indicators.</p>",
        "<h3>Entropy of its channels</h3><p class=\"muted\">Most random first.</p>", _entropy_svg(chosen),
        "<h3>The four questions</h3>", _answers_html(host, rc.max_text, rc.html_max_items),
        "<h3>Evidence</h3>", _evidence_html(host, cfg, captures),
        _pivot_html(chosen[: rc.html_max_pivot], rc.links),
        f"<h3>Other hosts with the same pattern</h3><p>{same}</p>",
    ]
    peers = _host_peers(host)
    mine = contained.mentioning(peers)
    if mine:
        parts += ["<h3>Containment</h3>", _containment_html(mine)]
    parts.append("</details>")
    return "".join(parts)


def _host_row(h: HostReport, rc: ReportConfig, linked: bool) -> str:
    ip = _t(h.ip, 64)
    if linked:
        ip = f'<a href="#{_anchor("host", h.ip)}">{ip}</a>'
    return (f"<tr><td class=\"ip mono\">{ip}</td><td>{_verdict(h.verdict)}</td><td class=\"num\">{h.score:.1f}</td>"
            f"<td>{_t(', '.join(sorted({i.type for i in h.indicators})), rc.max_text)}</td>"
            f"<td>{_cut(h.reasons[0] if h.reasons else '', rc.max_text)}</td></tr>")


def _group_summary(group: Pattern, what: str) -> str:
    scores = [h.score for h in group.hosts]
    span = f"{min(scores):.1f}" if min(scores) == max(scores) else f"{min(scores):.1f}–{max(scores):.1f}"
    return (f"<b>{len(group.hosts)} {what}</b>, {_t(group.label, 200)} {_verdict(group.verdict)} "
            f'<span class="muted">score {span}</span>')


def _summary_html(hosts: list[HostReport], groups: list[Pattern], cfg: Config) -> str:
    """Verdict counts, then one row per host; hosts of a shared pattern (and the benign ones) as one expandable row."""
    rc = cfg.report
    counts = verdict_counts(hosts)
    head = "".join(f"<tr><td>{_verdict(v)}</td><td class=\"num\">{n}</td></tr>" for v, n in counts.items())
    header = "<tr><th>host</th><th>verdict</th><th>score</th><th>indicators</th><th>main reason</th></tr>"
    rows, shown = [], 0
    for group in groups:
        if shown >= rc.html_max_rows:
            break
        linked = group.verdict != "benign"
        if len(group.hosts) >= rc.html_group_min or (group.verdict == "benign" and len(group.hosts) > 1):
            inner = [_host_row(h, rc, linked) for h in group.hosts[: rc.html_max_rows]]
            more = len(group.hosts) - len(inner)
            tail = f'<p class="muted">{more} more hosts in report.json.</p>' if more > 0 else ""
            rows.append(f'<tr class="group"><td colspan="5"><details class="group"><summary>'
                        f'{_group_summary(group, "hosts")}</summary><table class="hosts">{header}{"".join(inner)}'
                        f"</table>{tail}</details></td></tr>")
        else:
            rows += [_host_row(h, rc, linked) for h in group.hosts]
        shown += 1
    more = len(groups) - shown
    tail = f'<p class="muted">{more} more patterns in report.json.</p>' if more > 0 else ""
    return (f'<h2 id="summary">Summary</h2><table style="width:auto"><tr><th>verdict</th><th>hosts</th></tr>{head}'
            f'</table><table class="hosts">{header}{"".join(rows)}</table>{tail}')


def _toc_html(groups: list[Pattern], notes: bool, inputs: bool, cfg: Config) -> str:
    rc = cfg.report
    entries = []
    for k, group in enumerate(g for g in groups if g.verdict != "benign"):
        if k >= rc.html_max_rows:
            entries.append('<li class="muted">more in the summary table</li>')
            break
        if len(group.hosts) > 1:
            entries.append(f'<li><a href="#{_anchor("group", str(k))}">{len(group.hosts)} hosts, '
                           f"{_t(group.label, 120)}</a> ({html.escape(group.verdict)})</li>")
        else:
            h = group.hosts[0]
            entries.append(f'<li><a href="#{_anchor("host", h.ip)}">{_t(h.ip, 64)}</a>: {_t(group.label, 120)} '
                           f"({html.escape(group.verdict)})</li>")
    sub = f"<ol>{''.join(entries)}</ol>" if entries else ""
    items = [('<a href="#notes">Notes</a>', notes), ('<a href="#summary">Summary</a>', True),
             ('<a href="#inputs">Inputs</a>', inputs), (f'<a href="#hosts">Hosts to look at</a>{sub}', True),
             ('<a href="#containment">Containment</a>', True)]
    return ('<nav class="toc" aria-label="Contents"><b>Contents</b><ol>'
            + "".join(f"<li>{item}</li>" for item, present in items if present) + "</ol></nav>")


def _hosts_html(groups: list[Pattern], report: Report, index: dict[str, Flow], contained: ContainmentLines,
                cfg: Config, captures: list[str]) -> str:
    """The escalate / investigate hosts, pattern by pattern; each host collapsible, the first of a pattern open.
    The parts drawn from a host's flows are ``report.views``' (made as the flows were read back), else made here
    from ``report.flows``."""
    views = report.views or {}
    by_host = flows_by_host(report.flows) if report.views is None else {}
    limit = cfg.report.html_max_rows
    out, shown = ['<h2 id="hosts">Hosts to look at</h2>'], 0
    detailed = [g for g in groups if g.verdict != "benign"]
    for k, group in enumerate(detailed):
        if len(group.hosts) > 1:
            out.append(f'<h3 id="{_anchor("group", str(k))}">{_group_summary(group, "hosts")}</h3>')
        for j, host in enumerate(group.hosts):
            if shown >= limit:
                break
            view = views.get(host.ip) or host_view(host, by_host.get(host.ip, []), index, cfg)
            out.append(_host_html(host, view, contained, cfg, captures, is_open=j == 0 and k < 3))
            shown += 1
    total = sum(len(g.hosts) for g in detailed)
    if total > shown:
        out.append(f'<p class="muted">{total - shown} more hosts to look at in report.json.</p>')
    if not detailed:
        out.append('<p class="muted">No host to look at.</p>')
    return "".join(out)


def _logs_html(report: Report) -> str:
    if not report.logs:
        return ""
    rows = "".join(f"<tr><td class=\"mono\">{_t(i.path, 200)}</td><td>{_t(i.kind, 20)}</td>"
                   f"<td class=\"num\">{i.lines}</td></tr>" for i in report.logs)
    return f"<h2>Logs read</h2><table><tr><th>log</th><th>kind</th><th>records</th></tr>{rows}</table>"


def _suppressed_html(report: Report, limit: int) -> str:
    """What the allowlist and the never-block list left out, and why."""
    if not report.suppressed:
        return ""
    rows = [f"<tr><td>{_t(s.get('what', ''), 20)}</td><td class=\"mono\">{_t(s.get('host', ''), 64)}</td>"
            f"<td>{_t(s.get('type', ''), 40)}</td>"
            f"<td class=\"mono\">{_t(s.get('target') or s.get('peer', ''), 200)}</td>"
            f"<td class=\"mono\">{_t(s.get('entry', ''), 200)}</td><td>{_t(s.get('reason', ''), 200)}</td>"
            f"<td class=\"mono\">{_t(s.get('where', ''), 120)}</td></tr>" for s in report.suppressed[:limit]]
    return '<h2 id="suppressed">Suppressed by the allowlist</h2>' + _capped_table(
        ["what", "host", "indicator", "peer / target", "entry", "reason", "from"], rows, len(report.suppressed),
        "suppressed entries")


def _inputs_html(report: Report) -> str:
    if not report.inputs:
        return _logs_html(report)
    rows = "".join(
        f"<tr><td class=\"mono\">{_t(i.path, 200)}</td><td class=\"num\">{i.packets}</td><td>{_utc(i.first_ts)}</td>"
        f"<td>{_utc(i.last_ts)}</td><td class=\"mono\">{_t(i.sha256[:16], 16)}</td>"
        f"<td>{'<br>'.join(_t(w, 200) for w in i.warnings)}</td></tr>"
        for i in report.inputs
    )
    return ('<h2 id="inputs">Inputs</h2><table><tr><th>capture</th><th>packets</th><th>first</th><th>last</th>'
            f"<th>sha256</th><th>warnings</th></tr>{rows}</table>") + _logs_html(report)


def render_html(report: Report, cfg: Config, generated: datetime | None = None,
                index: dict[str, Flow] | None = None) -> str:
    """The page; ``index``: the report's ``flow_index`` when the caller has it already."""
    generated = generated or datetime.now(timezone.utc)
    hosts = ordered_hosts(report.hosts)
    groups = group_hosts(hosts)
    index = flow_index(report.flows) if index is None else index
    contained = _containment_lines(report.containment)
    notes = "".join(f"<li>{_t(n, 400)}</li>" for n in report.notes)
    body = [
        "<h1>fallback-hunt report</h1>",
        f'<p class="muted">Generated {_utc(generated.timestamp())} by fallback-hunt {html.escape(__version__)}. '
        "Looks for malware falling back to another command-and-control channel (MITRE ATT&amp;CK T1008).</p>",
        _toc_html(groups, bool(notes), bool(report.inputs), cfg),
        f'<h2 id="notes">Notes</h2><ul>{notes}</ul>' if notes else "",
        _summary_html(hosts, groups, cfg),
        _inputs_html(report),
        _hosts_html(groups, report, index, ContainmentLines(contained), cfg, [str(i.path) for i in report.inputs]),
        '<h2 id="containment">Containment</h2>' + (_containment_html(contained) if contained
                                                   else '<p class="muted">Nothing to contain.</p>'),
        _suppressed_html(report, cfg.report.html_max_rows),
    ]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            f"<title>fallback-hunt report</title><style>{CSS}</style></head><body>"
            + "".join(body) + "</body></html>\n")


def write_html(report: Report, cfg: Config, path: Path, index: dict[str, Flow] | None = None) -> None:
    atomic_write(path, render_html(report, cfg, index=index))
