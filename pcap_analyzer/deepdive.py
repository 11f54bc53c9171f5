"""``fallback-hunt inspect``: a T2 deep dive into a few selected flows with Wireshark's dissectors.

The flows are chosen as ``extract`` chooses them (``--community-id``, or ``--host`` with an optional
``--indicator``), cut out of the captures with the analyzer's own reader, and only that cut is given to tshark (PDML):
tshark never sees the rest of a large capture. The page shows, per flow, every packet's layers, the TLS handshake
(SNI, ALPN, JA3/JA3S, certificate subject, issuer and validity), the DNS fields, the HTTP headers, and a hex view of
the payload the analyzer retained, with the entropy of each block.
"""
from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from . import extract, pipeline
from .config import Config, load_config, override
from .errors import InputError
from .homenet import HomeNet
from .model import Flow
from .pivot import evidence_keys
from .report.common import escape_text

INSTALL_HINT = "inspect needs tshark (Wireshark's dissectors): install it with 'apt-get install tshark'"
#: tshark fields shown per protocol (each once per packet, in this order)
FIELDS: dict[str, tuple[str, ...]] = {
    "tls": ("tls.handshake.type", "tls.handshake.version", "tls.handshake.extensions_server_name",
            "tls.handshake.extensions_alpn_str", "tls.handshake.ja3", "tls.handshake.ja3s", "tls.handshake.ja4",
            "tls.alert_message.level", "tls.alert_message.desc"),
    "dns": ("dns.flags.response", "dns.qry.name", "dns.qry.type", "dns.flags.rcode", "dns.a", "dns.aaaa",
            "dns.cname", "dns.txt", "dns.ns"),
    "http": ("http.request.method", "http.request.uri", "http.request.version", "http.host", "http.user_agent",
             "http.response.code", "http.response.phrase", "http.server", "http.content_type", "http.location"),
    "ssh": ("ssh.protocol",),
    "quic": ("quic.version", "quic.long.packet_type"),
    "icmp": ("icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code"),
}
BLOCK = 256  # bytes per entropy block of the hex view


def add_command(commands: Any) -> None:
    """The ``inspect`` sub-command's arguments (``commands`` is argparse's sub-parser action)."""
    cmd = commands.add_parser(
        "inspect", help="deep-dive into selected flows with Wireshark's dissectors (tshark)",
        description="Cut the selected flows out of the captures with the analyzer's own reader and dissect only "
                    "those with tshark: every layer, the TLS handshake and certificates, DNS, HTTP headers, and a "
                    "payload hex view with the entropy of each block.")
    cmd.add_argument("captures", nargs="+", type=Path, metavar="CAPTURE", help="the captures the flows are in")
    cmd.add_argument("--community-id", action="append", default=[], metavar="ID", help="a flow's Community ID")
    cmd.add_argument("--host", metavar="IP", help="an internal host: the flows its evidence points at")
    cmd.add_argument("--indicator", metavar="TYPE", help="with --host: only this indicator type's flows")
    cmd.add_argument("--report", type=Path, metavar="FILE",
                     help="report.json of these captures (else they are analysed again for --host)")
    cmd.add_argument("--html", type=Path, metavar="FILE", help="also write the deep dive as an HTML page")
    cmd.add_argument("--max-flows", type=int, default=10, metavar="N", help="flows shown at most (default 10)")
    cmd.add_argument("--max-packets", type=int, default=40, metavar="N",
                     help="packets listed per flow at most (default 40; the protocol fields come from all of them)")
    cmd.add_argument("--config", type=Path, metavar="FILE", help="TOML file overriding default settings")
    cmd.add_argument("--home-net", metavar="CIDRS", help="internal networks, when the captures are analysed again")
    cmd.add_argument("--debug", action="store_true", help="show the Python traceback of an internal error")


# -- what tshark says ----------------------------------------------------------------------------------------------

@dataclass
class Certificate:
    subject: str = ""
    issuer: str = ""
    not_before: str = ""
    not_after: str = ""


@dataclass
class Dissected:
    """One packet as tshark dissected it."""

    number: int
    ts: float
    protocols: str
    src: str = ""  # innermost IP addresses and ports (an ICMP error's quoted header is not one)
    dst: str = ""
    sport: int = 0
    dport: int = 0
    layers: list[str] = field(default_factory=list)  # each layer's one-line summary (tshark's showname)
    fields: dict[str, list[str]] = field(default_factory=dict)
    certificates: list[Certificate] = field(default_factory=list)


def _rdn(element: ET.Element | None) -> str:
    """The distinguished name tshark shows for an issuer or subject (``id-at-commonName=...,...``)."""
    if element is None:
        return ""
    rdn = next((f for f in element.iter("field") if (f.get("name") or "").endswith(".rdnSequence")), None)
    text = (rdn.get("showname") or "") if rdn is not None else ""
    inner = text.split("(", 1)[1] if "(" in text else text
    return inner[:-1] if inner.endswith(")") else inner  # tshark cuts a long name short, ")" and all


def _time(element: ET.Element | None) -> str:
    if element is None:
        return ""
    for f in element.iter("field"):
        if f.get("name") in ("x509af.utcTime", "x509af.generalizedTime"):
            return f.get("show") or ""
    return ""


def _certificates(packet: ET.Element) -> list[Certificate]:
    out = []
    for cert in packet.iter("field"):
        if cert.get("name") != "tls.handshake.certificate":
            continue
        named = {f.get("name"): f for f in cert.iter("field")}
        out.append(Certificate(subject=_rdn(named.get("x509af.subject")), issuer=_rdn(named.get("x509af.issuer")),
                               not_before=_time(named.get("x509af.notBefore")),
                               not_after=_time(named.get("x509af.notAfter"))))
    return out


def parse_pdml(stream: Any) -> Iterator[Dissected]:
    """tshark's PDML, packet by packet (the tree of each packet is dropped once read)."""
    wanted = {name for names in FIELDS.values() for name in names}
    for _, packet in ET.iterparse(stream, events=("end",)):
        if packet.tag != "packet":
            continue
        frame = {f.get("name"): f.get("show") or "" for f in packet.iter("field")
                 if f.get("name", "").startswith("frame.")}
        out = Dissected(int(frame.get("frame.number") or 0), float(frame.get("frame.time_epoch") or 0.0),
                        frame.get("frame.protocols", ""))
        top = packet.findall("proto")
        out.layers = [p.get("showname") or p.get("name") or "" for p in top if p.get("name") not in ("geninfo", "frame")]
        _endpoints(out, top)
        for f in packet.iter("field"):
            name = f.get("name") or ""
            if name in wanted:
                value = f.get("show") or ""
                values = out.fields.setdefault(name, [])
                if value not in values:
                    values.append(value)
        out.certificates = _certificates(packet)
        packet.clear()
        yield out


def _endpoints(out: Dissected, top: list[ET.Element]) -> None:
    """The innermost IP layer's addresses and its transport's ports (tunnels: the inner packet, as the flows)."""
    for proto in top:
        name = proto.get("name")
        if name in ("ip", "ipv6"):
            fields = {f.get("name"): f.get("show") or "" for f in proto.findall("field")}
            out.src, out.dst = fields.get(f"{name}.src", ""), fields.get(f"{name}.dst", "")
            out.sport = out.dport = 0
        elif name in ("tcp", "udp"):
            fields = {f.get("name"): f.get("show") or "0" for f in proto.findall("field")}
            out.sport, out.dport = int(fields.get(f"{name}.srcport", 0)), int(fields.get(f"{name}.dstport", 0))


#: the analyzer's service name -> tshark's dissector name, for "decode as" on a port that implies another protocol
DECODE_AS = {"tls": "tls", "ssh": "ssh", "http": "http", "dns": "dns", "quic": "quic"}


def decode_as(flows: Sequence[Flow]) -> list[str]:
    """tshark ``-d`` options so that a protocol the analyzer recognised off its port (TLS on 80, SSH on 443) is
    dissected as what it is, not as what the port implies."""
    opts = []
    for f in flows:
        dissector = DECODE_AS.get(f.service)
        if dissector and f.proto in ("tcp", "udp") and f.service != f.expected_service:
            opt = f"{f.proto}.port=={f.resp_p},{dissector}"
            if opt not in opts:
                opts += ["-d", opt]
    return opts


def tshark_dissect(capture: Path, flows: Sequence[Flow] = ()) -> list[Dissected]:
    """Every packet of a (small, cut) capture as tshark dissects it."""
    binary = shutil.which("tshark")
    if binary is None:
        raise InputError(INSTALL_HINT)
    with subprocess.Popen([binary, "-r", str(capture), "-T", "pdml", "-n", *decode_as(flows)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        try:
            packets = list(parse_pdml(proc.stdout))
        except ET.ParseError as exc:
            proc.kill()
            raise InputError(f"tshark's output could not be read ({exc})") from None
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise InputError(f"tshark failed on the cut flows: {err.strip().splitlines()[-1][:200] if err.strip() else proc.returncode}")
    return packets


# -- what the analyzer keeps: the payload, and its entropy per block -----------------------------------------------

def entropy(data: bytes) -> float:
    if not data:
        return 0.0
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    p = counts[counts > 0] / len(data)
    return float(-(p * np.log2(p)).sum())


def hex_view(data: bytes, limit: int) -> list[str]:
    """A hex dump, 16 bytes a line, with the entropy of each BLOCK-byte block on its first line."""
    lines = []
    for off in range(0, min(len(data), limit), 16):
        row = data[off: off + 16]
        hexes = " ".join(f"{b:02x}" for b in row).ljust(47)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        note = f"  block entropy {entropy(data[off: off + BLOCK]):.2f}" if off % BLOCK == 0 else ""
        lines.append(f"{off:06x}  {hexes}  |{text.ljust(16)}|{note}")
    return lines


def payloads(flow: Flow) -> list[tuple[str, bytes]]:
    """(direction, bytes) the analyzer retained for a flow (TCP stream samples, or UDP/ICMP datagrams joined)."""
    out = []
    for label, sample, grams in (("client -> server", flow.orig_sample, flow.orig_datagrams),
                                 ("server -> client", flow.resp_sample, flow.resp_datagrams)):
        data = sample or b"".join(grams)
        if data:
            out.append((label, data))
    return out


# -- selection -----------------------------------------------------------------------------------------------------

def select(args: argparse.Namespace, cfg: Config, home: HomeNet) -> list[Flow]:
    """The flows the arguments name, each once, in time order."""
    if not args.community_id and not args.host:
        raise InputError("inspect needs --community-id ID or --host IP (see 'fallback-hunt inspect --help')")
    if args.indicator and not args.host:
        raise InputError("--indicator goes with --host")
    flows, hosts = extract.flows_and_hosts(args.captures, cfg, home, args.report, bool(args.host))
    keys = set(args.community_id)
    if args.host:
        host = next((h for h in hosts if h.get("ip") == args.host), None)
        if host is None:
            raise InputError(f"--host {args.host}: no such internal host in these captures")
        if args.indicator:
            host = {**host, "indicators": [i for i in host.get("indicators") or [] if i.get("type") == args.indicator],
                    "channels": [] if args.indicator != "failed_then_fallback" else host.get("channels") or []}
        keys |= evidence_keys(host)
    return extract.flows_named(flows, keys)


# -- rendering -----------------------------------------------------------------------------------------------------

def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass
class FlowDive:
    flow: Flow
    packets: list[Dissected]
    payload: list[tuple[str, bytes]]


def flow_lines(dive: FlowDive, limit: int, max_packets: int = 40) -> list[str]:
    """The deep dive of one flow as plain text lines (network text escaped)."""
    f = dive.flow
    lines = [f"flow {f.proto} {f.orig_h}:{f.orig_p} -> {f.resp_h}:{f.resp_p}  community_id {f.community_id}",
             f"  {_when(f.ts)} .. {_when(f.last_ts)}  state {f.conn_state}  history {f.history or '-'}  "
             f"{f.orig_pkts}+{f.resp_pkts} packets, {f.orig_bytes}+{f.resp_bytes} payload bytes",
             f"  packets ({len(dive.packets)}, dissected by tshark):"]
    for p in dive.packets[:max_packets]:
        lines.append(f"    #{p.number:<5} {_when(p.ts)}  {escape_text(p.protocols)}")
        lines += [f"        {escape_text(layer)[:limit]}" for layer in p.layers]
    if len(dive.packets) > max_packets:
        lines.append(f"    ... {len(dive.packets) - max_packets} more packets")
    for proto, names in FIELDS.items():
        values = [(n, v) for n in names for p in dive.packets for v in p.fields.get(n, [])]
        seen: list[tuple[str, str]] = []
        for item in values:
            if item not in seen:
                seen.append(item)
        if seen:
            lines.append(f"  {proto}:")
            lines += [f"    {n}: {escape_text(v)[:limit]}" for n, v in seen]
    certs = [c for p in dive.packets for c in p.certificates]
    for c in certs:
        lines += ["  certificate:", f"    subject: {escape_text(c.subject)[:limit]}",
                  f"    issuer: {escape_text(c.issuer)[:limit]}", f"    valid: {c.not_before} .. {c.not_after}"]
    for label, data in dive.payload:
        lines.append(f"  payload {label} ({len(data)} bytes retained, entropy {entropy(data):.2f} bits/byte):")
        lines += [f"    {ln}" for ln in hex_view(data, limit * 4)]
    return lines


CSP = "default-src 'none'; style-src 'unsafe-inline'"


def html_page(dives: Sequence[FlowDive], captures: Sequence[Path], limit: int, max_packets: int) -> str:
    """A self-contained page, one section (anchor ``flow-<n>``) per flow; no script, nothing loaded."""
    parts = [f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
             f'content="{CSP}"><title>fallback-hunt inspect</title><style>body{{font-family:sans-serif;'
             f'margin:1.5em}} pre{{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12px}}</style></head>'
             f'<body><h1>fallback-hunt inspect</h1><p>{html.escape(", ".join(map(str, captures)))}</p><ul>']
    parts += [f'<li><a href="#flow-{n}">{html.escape(d.flow.community_id or d.flow.uid)}</a></li>'
              for n, d in enumerate(dives, 1)]
    parts.append("</ul>")
    for n, dive in enumerate(dives, 1):
        parts.append(f'<section id="flow-{n}"><h2>{html.escape(dive.flow.community_id or dive.flow.uid)}</h2>'
                     f"<pre>{html.escape(chr(10).join(flow_lines(dive, limit, max_packets)))}</pre></section>")
    parts.append("</body></html>\n")
    return "".join(parts)


def run(args: argparse.Namespace, check_path: Callable[[Path, str], None]) -> str:
    """Run ``inspect``; the text to print."""
    for path in args.captures:
        check_path(path, "capture")
    for path, what in ((args.config, "--config"), (args.report, "--report")):
        if path is not None:
            check_path(path, what)
    if shutil.which("tshark") is None:
        raise InputError(INSTALL_HINT)
    if args.max_flows < 1 or args.max_packets < 1:
        raise InputError("--max-flows and --max-packets must be at least 1")
    cfg = load_config(args.config)
    home = HomeNet.parse(args.home_net) if args.home_net is not None else HomeNet(cfg.home_net.cidrs)
    flows = select(args, cfg, home)
    if not flows:
        raise InputError("no flow matches the selection")
    shown = flows[: args.max_flows]
    packets = extract.cut(args.captures, cfg, shown)
    whole = override(cfg, {"pipeline": {"stream": False}})  # keep the cut flows' retained payload for the hex view
    with tempfile.TemporaryDirectory(prefix="fallback-hunt-inspect-") as tmp:
        cut = Path(tmp) / "flows.pcap"
        linktypes = {p.linktype for p in packets}
        cut.write_bytes(extract.pcap_bytes(packets) if len(linktypes) <= 1 else extract.pcapng_bytes(packets))
        dissected = tshark_dissect(cut, shown)
        kept = {f.community_id or f.uid: f for f in pipeline.read_flows([cut], whole)[1]}
    dives = []
    for flow in shown:
        mine = [p for p in dissected if _same_flow(p, flow)]
        retained = kept.get(flow.community_id or flow.uid)
        dives.append(FlowDive(flow, mine, payloads(retained) if retained is not None else []))
    limit = cfg.report.max_text
    lines = [f"fallback-hunt inspect: {len(shown)} of {len(flows)} selected flow(s); tshark read "
             f"{len(dissected)} cut packet(s), not the whole capture"]
    for dive in dives:
        lines += ["", *flow_lines(dive, limit, args.max_packets)]
    if args.html is not None:
        try:
            args.html.parent.mkdir(parents=True, exist_ok=True)
            args.html.write_text(html_page(dives, args.captures, limit, args.max_packets), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {args.html}: {exc.strerror or exc}") from None
        lines += ["", f"html: {args.html}"]
    return "\n".join(lines) + "\n"


def _same_flow(packet: Dissected, flow: Flow) -> bool:
    """A dissected packet belongs to ``flow``: its (innermost) addresses and ports, inside the flow's time span."""
    if not flow.ts - extract.EPSILON <= packet.ts <= flow.last_ts + extract.EPSILON:
        return False
    if {packet.src, packet.dst} != {flow.orig_h, flow.resp_h}:
        return False
    if flow.proto in ("tcp", "udp"):
        return {(packet.src, packet.sport), (packet.dst, packet.dport)} == {(flow.orig_h, flow.orig_p),
                                                                            (flow.resp_h, flow.resp_p)}
    return True
