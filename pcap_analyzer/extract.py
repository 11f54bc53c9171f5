"""``fallback-hunt extract``: cut the evidence flows out of the captures into one capture file.

Which flows: ``--community-id ID`` (those flows), ``--host IP`` (the flows the host's evidence points at) and/or
``--verdict V`` (the evidence flows of every host with that verdict; with ``--host``, of those hosts only if they
have it). Hosts and evidence come from a saved ``--report report.json`` of the same captures, or from analysing the
captures again. The packets are found with the analyzer's own reader, by each flow's 5-tuple (both directions) inside
its time span, and written in capture order: a classic pcap (microseconds) when they share one link type, else
pcapng. No tshark needed.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .capture import decode, reader
from . import pipeline
from .config import Config, load_config
from .errors import InputError
from .homenet import HomeNet
from .model import CaptureInfo, Flow, PacketBatch
from .pivot import evidence_keys
from .report.json_report import host_json
from .capture.slowpath import RecordIndex

LINKTYPE_ETHERNET = 1
PCAP_MAGIC_US = 0xA1B2C3D4
SNAPLEN = 262144
MASK64 = (1 << 64) - 1
EPSILON = 1e-6  # seconds of slack on a flow's time span (time stamps went through float64)


def add_command(commands: Any) -> None:
    """The ``extract`` sub-command's arguments (``commands`` is argparse's sub-parser action)."""
    cmd = commands.add_parser(
        "extract", help="cut the evidence flows out of the captures into one capture file",
        description="Cut flows out of the captures with the analyzer's own reader (no tshark needed). Select them by "
                    "--community-id, or by --host / --verdict (the flows the host's evidence points at, from "
                    "--report or from analysing the captures again).")
    cmd.add_argument("captures", nargs="+", type=Path, metavar="CAPTURE", help="the captures the flows are in")
    cmd.add_argument("-o", "--output", type=Path, required=True, metavar="FILE",
                     help="capture file to write (pcap; pcapng when link types differ)")
    cmd.add_argument("--community-id", action="append", default=[], metavar="ID", help="a flow's Community ID")
    cmd.add_argument("--host", action="append", default=[], metavar="IP", help="an internal host's evidence flows")
    cmd.add_argument("--verdict", action="append", default=[], choices=("escalate", "investigate"),
                     help="the evidence flows of the hosts with this verdict")
    cmd.add_argument("--report", type=Path, metavar="FILE",
                     help="report.json of these captures (else they are analysed again for --host / --verdict)")
    cmd.add_argument("--config", type=Path, metavar="FILE", help="TOML file overriding default settings")
    cmd.add_argument("--home-net", metavar="CIDRS", help="internal networks, when the captures are analysed again")
    cmd.add_argument("-q", "--quiet", action="store_true", help="print nothing on stdout")
    cmd.add_argument("--debug", action="store_true", help="show the Python traceback of an internal error")


@dataclass(slots=True)
class Wanted:
    """The flows to cut, by their (symmetric) endpoint key."""

    flows: list[Flow]
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    by_key: dict[int, list[Flow]] = field(default_factory=dict)


def run(args: argparse.Namespace, check_path: Any) -> tuple[int, int, Path]:
    """Run ``extract``: (packets written, flows selected, output path)."""
    if not (args.community_id or args.host or args.verdict):
        raise InputError("extract needs --community-id, --host or --verdict (see 'fallback-hunt extract --help')")
    for path in args.captures:
        check_path(path, "capture")
    for path, what in ((args.config, "--config"), (args.report, "--report")):
        if path is not None:
            check_path(path, what)
    if args.output.exists() and (args.output.is_dir() or any(args.output.samefile(p) for p in args.captures)):
        raise InputError(f"refusing to write {args.output}: a directory or one of the captures")
    for ip in args.host:
        if not _is_ip(ip):
            raise InputError(f"--host {ip}: not an IP address")
    cfg = load_config(args.config)
    home = HomeNet.parse(args.home_net) if args.home_net is not None else HomeNet(cfg.home_net.cidrs)
    flows = select_flows(args, cfg, home)
    if not flows:
        raise InputError("no flow matches the selection; nothing written")
    packets = write_packets(args.captures, cfg, flows, args.output)
    return packets, len(flows), args.output


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def select_flows(args: argparse.Namespace, cfg: Config, home: HomeNet) -> list[Flow]:
    """The flows of the captures the selection names (each once, in time order)."""
    flows, hosts = flows_and_hosts(args.captures, cfg, home, args.report, bool(args.host or args.verdict))
    keys = set(args.community_id)
    for host in hosts:
        if (not args.host or host.get("ip") in args.host) and (not args.verdict or host.get("verdict") in args.verdict):
            keys |= evidence_keys(host)
    return flows_named(flows, keys)


def flows_and_hosts(captures: Sequence[Path], cfg: Config, home: HomeNet, report: Path | None, hosts_wanted: bool
                    ) -> tuple[list[Flow], list[dict[str, Any]]]:
    """The captures' flows, and (when wanted) their hosts in report.json form: from a saved ``report``, else by
    analysing the captures again."""
    if hosts_wanted and report is None:
        analysed = pipeline.analyze(captures, cfg, home)
        return analysed.flows, [host_json(h) for h in analysed.hosts]
    return pipeline.read_flows(captures, cfg)[1], load_hosts(report) if hosts_wanted and report else []


def flows_named(flows: Sequence[Flow], keys: set[str]) -> list[Flow]:
    """The flows whose uid, Community ID or Zeek uid is one of ``keys``, in their order."""
    return [f for f in flows if keys & {f.uid, f.community_id, *f.zeek_uids}]


def load_hosts(path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        hosts = doc["hosts"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"--report {path}: not a fallback-hunt report.json ({exc})") from None
    if not isinstance(hosts, list) or not all(isinstance(h, dict) for h in hosts):
        raise InputError(f"--report {path}: not a fallback-hunt report.json (hosts is not a list of objects)")
    return hosts


# -- finding the packets -------------------------------------------------------------------------------------------

def _halves(addr: str) -> tuple[int, int]:
    """An address as the reader's two uint64 halves (IPv4 mapped into IPv6)."""
    ip = ipaddress.ip_address(addr)
    value = int(ip) | 0xFFFF00000000 if ip.version == 4 else int(ip)
    return value >> 64, value & MASK64


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise (uint64, wrapping)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _endpoint_hash(hi: np.ndarray, lo: np.ndarray, port: np.ndarray) -> np.ndarray:
    return _mix(_mix(hi ^ np.uint64(0x9E3779B97F4A7C15)) ^ lo) + _mix(port.astype(np.uint64) + np.uint64(1))


def _keys(proto: np.ndarray, shi, slo, sport, dhi, dlo, dport) -> np.ndarray:
    """One symmetric 64-bit key per row: the same for both directions of a connection (ICMP: ports ignored)."""
    with np.errstate(over="ignore"):
        ported = (proto == 6) | (proto == 17)
        zero = np.zeros_like(sport)
        a = _endpoint_hash(shi, slo, np.where(ported, sport, zero))
        b = _endpoint_hash(dhi, dlo, np.where(ported, dport, zero))
        return _mix(a + b + proto.astype(np.uint64))


PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1}


def wanted(flows: Sequence[Flow]) -> Wanted:
    rows = []
    for f in flows:
        proto = PROTO_NUMBERS.get(f.proto, int(f.proto) if f.proto.isdigit() else 0)
        if proto == 1 and ":" in f.orig_h:
            proto = 58
        rows.append((proto, *_halves(f.orig_h), f.orig_p, *_halves(f.resp_h), f.resp_p))
    cols = [np.array(c, dtype=np.uint64) for c in zip(*rows)]
    keys = _keys(*cols)
    out = Wanted(list(flows), keys=np.unique(keys))
    for key, flow in zip(keys.tolist(), flows):
        out.by_key.setdefault(key, []).append(flow)
    return out


def _matches(flow: Flow, batch: PacketBatch, i: int, src: str, dst: str) -> bool:
    ts = float(batch.ts[i])
    if ts < flow.ts - EPSILON or ts > flow.last_ts + EPSILON or {src, dst} != {flow.orig_h, flow.resp_h}:
        return False
    sport, dport = int(batch.sport[i]), int(batch.dport[i])
    if flow.proto in ("tcp", "udp"):
        return (src, sport, dport) in ((flow.orig_h, flow.orig_p, flow.resp_p), (flow.resp_h, flow.resp_p, flow.orig_p))
    if flow.proto == "icmp":
        return sport in (flow.orig_p, flow.resp_p)
    return True


def _addr(hi: int, lo: int) -> str:
    if hi == 0 and lo >> 32 == 0xFFFF:
        return str(ipaddress.IPv4Address(lo & 0xFFFFFFFF))
    return str(ipaddress.IPv6Address((hi << 64) | lo))


def matching_rows(batch: PacketBatch, want: Wanted) -> list[int]:
    """Rows of ``batch`` that belong to a wanted flow (a key prefilter on every row, then exact checks)."""
    keys = _keys(batch.proto.astype(np.uint64), batch.src_hi, batch.src_lo, batch.sport.astype(np.uint64),
                 batch.dst_hi, batch.dst_lo, batch.dport.astype(np.uint64))
    candidates = np.flatnonzero(np.isin(keys, want.keys) & (batch.ip_ver != 0) & ~batch.frag)
    rows = []
    for i in candidates.tolist():
        src = _addr(int(batch.src_hi[i]), int(batch.src_lo[i]))
        dst = _addr(int(batch.dst_hi[i]), int(batch.dst_lo[i]))
        if any(_matches(f, batch, i, src, dst) for f in want.by_key.get(int(keys[i]), [])):
            rows.append(i)
    return rows


@dataclass(slots=True)
class Packet:
    ts: float
    wirelen: int
    linktype: int
    frame: bytes


def cut(captures: Iterable[Path], cfg: Config, flows: Sequence[Flow]) -> list[Packet]:
    """The packets of ``flows`` in the captures, in capture order."""
    want = wanted(flows)
    out: list[Packet] = []
    for path in captures:
        seen: list[RecordIndex] = []

        def keeping(data: Any, index: RecordIndex) -> PacketBatch:
            seen.append(index)
            return decode.decode_chunk(data, index)

        for batch in reader.read_capture(path, cfg, CaptureInfo(path=str(path)), decoder=keeping):
            index = seen.pop()
            for i in matching_rows(batch, want):
                off, caplen = int(index.data_off[i]), int(index.caplen[i])
                out.append(Packet(float(index.ts[i]), int(index.wirelen[i]), int(index.linktype[i]),
                                  bytes(batch.data[off: off + caplen])))
    return out


# -- writing -------------------------------------------------------------------------------------------------------

def _seconds(ts: float, units: int) -> tuple[int, int]:
    whole = int(ts // 1)
    frac = int(round((ts - whole) * units))
    return (whole + 1, 0) if frac >= units else (whole, frac)


def pcap_bytes(packets: Sequence[Packet]) -> bytes:
    """A classic little-endian microsecond pcap of packets of one link type."""
    linktype = packets[0].linktype if packets else LINKTYPE_ETHERNET
    parts = [struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, SNAPLEN, linktype)]
    for p in packets:
        sec, usec = _seconds(p.ts, 1_000_000)
        parts.append(struct.pack("<IIII", sec, usec, len(p.frame), max(p.wirelen, len(p.frame))) + p.frame)
    return b"".join(parts)


def _block(kind: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    size = len(body) + 12
    return struct.pack("<II", kind, size) + body + struct.pack("<I", size)


def pcapng_bytes(packets: Sequence[Packet]) -> bytes:
    """A pcapng file: one interface per link type, microsecond time stamps."""
    interfaces = list(dict.fromkeys(p.linktype for p in packets))
    parts = [_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))]
    parts += [_block(1, struct.pack("<HHI", lt, 0, SNAPLEN)) for lt in interfaces]
    for p in packets:
        sec, usec = _seconds(p.ts, 1_000_000)
        stamp = sec * 1_000_000 + usec
        parts.append(_block(6, struct.pack("<IIIII", interfaces.index(p.linktype), stamp >> 32, stamp & 0xFFFFFFFF,
                                           len(p.frame), max(p.wirelen, len(p.frame))) + p.frame))
    return b"".join(parts)


def write_packets(captures: Sequence[Path], cfg: Config, flows: Sequence[Flow], output: Path) -> int:
    packets = cut(captures, cfg, flows)
    data = pcap_bytes(packets) if len({p.linktype for p in packets}) <= 1 else pcapng_bytes(packets)
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {output}: {exc.strerror or exc}") from None
    return len(packets)
