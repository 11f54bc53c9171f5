#!/usr/bin/env python3
"""Benchmark inputs: a large mixed capture and a large Zeek conn.log, written fast and cached in bench/data/.

Usage:
    python bench/make_capture.py --packets 1000000            # bench/data/mixed-1M.pcap
    python bench/make_capture.py --conn-log 1000000           # bench/data/zeek-conn-1M/conn.log
    python bench/make_capture.py --packets 4000000 --force    # rebuild even if cached
    python bench/make_capture.py --long 4000000 --like 1000000  # bench/data/mixed-4M-long.pcap: the 1M flows, longer

How it is fast: a handful of flow *templates* (TLS sessions, an HTTP download, DNS lookups, ICMP echo, NTP, QUIC)
are built once with the scenario generator (pcaps/generate.py, scapy, correct checksums).  Each template is then
stamped out for many flows at once with numpy: one row per flow, new client/server addresses, client port and
timestamps written into the columns, IP/TCP/UDP checksums updated incrementally (RFC 1624).  Flows of one template
are interleaved packet by packet, so a capture looks like concurrent traffic and stays in time order.

Flow ``n`` always gets the same 5-tuple (``flow_keys``), so conn.log line ``n`` describes flow ``n`` of the capture
(same community_id): the conn.log is a Zeek-format view of the same traffic, for the zat join benchmark.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import ipaddress
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
REPO = HERE.parent

CLIENT_NETS = 2000  # internal hosts 10.0.x.y
PACKET_GAP_US = 20  # microseconds between consecutive packets of the capture (50k packets/s of traffic)
ETH, IP_SRC, IP_DST, IP_CK, L4_SPORT, L4_DPORT = 14, 26, 30, 24, 34, 36
L4_CK = {6: 50, 17: 40}  # checksum offset in the frame per IP protocol
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
T0_US = 1_700_000_000 * 1_000_000
TEMPLATE_CLIENT, TEMPLATE_SERVER = "10.0.0.1", "198.51.100.1"


def _generator():
    """pcaps/generate.py as a module (its Capture and payload builders make the templates)."""
    spec = importlib.util.spec_from_file_location("corpus_generate", REPO / "pcaps" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Template:
    """One flow's frames, ready to be stamped: ``row`` is the flow's pcap records (headers + frames) back to back."""

    name: str
    proto: int  # 6, 17, 1
    service: str  # Zeek conn.log service
    flows_per_round: int
    servers: np.ndarray  # uint32 server addresses this kind of flow goes to
    row: np.ndarray  # uint8, the records of one flow
    rec_off: np.ndarray  # int64 offset of each record in row
    rec_len: np.ndarray  # int64 record length (16 + frame)
    from_client: np.ndarray  # bool per record
    client_port: int
    server_port: int
    conn: dict[str, object]  # conn.log columns that do not depend on the flow (bytes, packets, state, history)

    @property
    def packets(self) -> int:
        return len(self.rec_off)


def _ip_u32(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def _pool(cidr: str, size: int) -> np.ndarray:
    net = ipaddress.IPv4Network(cidr)
    return (int(net.network_address) + 1 + np.arange(size, dtype=np.uint64) % (net.num_addresses - 2)).astype(np.uint32)


def _conn_columns(frames: list[bytes], from_client: list[bool], proto: int) -> dict[str, object]:
    """Zeek conn.log byte/packet columns of a template flow."""
    cols = {"orig_pkts": 0, "resp_pkts": 0, "orig_ip_bytes": 0, "resp_ip_bytes": 0, "orig_bytes": 0, "resp_bytes": 0}
    for frame, fc in zip(frames, from_client):
        side = "orig" if fc else "resp"
        ip_len = struct.unpack_from("!H", frame, ETH + 2)[0]
        hdr = 20 + (((frame[ETH + 20 + 12] >> 4) * 4) if proto == 6 else 8)
        cols[f"{side}_pkts"] += 1
        cols[f"{side}_ip_bytes"] += ip_len
        cols[f"{side}_bytes"] += ip_len - hdr
    if proto == 6:
        cols.update(conn_state="SF", history="ShADadFf")
    elif proto == 17:
        cols.update(conn_state="SF", history="Dd")
    else:
        cols.update(conn_state="OTH", history="-", orig_bytes=0, resp_bytes=0)
    return cols


def build_templates(scale: int = 1) -> list[Template]:
    """The flow templates; ``scale`` > 1 makes the TLS and HTTP sessions longer (their data exchanged ``scale``
    times: more data packets per session), the other kinds stay as they are."""
    gen = _generator()
    web = _pool("23.64.0.0/16", 4096)
    resolvers = np.array([_ip_u32("10.0.0.53"), _ip_u32("10.0.0.54")], dtype=np.uint32)
    ntp = _pool("162.159.200.0/24", 16)
    c, s = TEMPLATE_CLIENT, TEMPLATE_SERVER

    def tls(cap, sizes: list[tuple[bool, int]], sni: str) -> None:
        cap.tls_session(0.0, c, s, 443, 0.03, sni, sizes)

    def http(cap) -> None:
        req = gen.http_request("GET", "downloads.example.com", "/files/update.bin", "Mozilla/5.0")
        body = cap.rng.randbytes(8000 * scale)
        cap.tcp_session(0.0, c, s, 80, 0.03, [(True, req), (False, gen.http_response(body,
                                                                                      "application/octet-stream"))])

    def dns(cap, name: str, qtype: str, answer: tuple[str, str]) -> None:
        cap.dns(0.0, c, s, name, qtype, [answer])

    def echo(cap) -> None:
        for seq in range(1, 5):
            payload = bytes(range(16, 64))
            cap.echo(seq * 1.0, c, s, 0x4A11, seq, payload, payload, 0.02)

    def ntp_query(cap) -> None:
        cap.udp(0.0, c, s, 123, 123, b"\x23" + bytes(47))
        cap.udp(0.02, s, c, 123, 123, b"\x24\x02" + cap.rng.randbytes(46))

    def quic(cap) -> None:
        dcid, port = cap.rng.randbytes(8), cap.ephemeral()
        cap.udp(0.0, c, s, port, 443, gen.quic_initial(cap.rng, dcid))
        for i in range(4):
            cap.udp(0.03 + i * 0.001, s, c, 443, port, gen.quic_initial(cap.rng, dcid, 1200 if i < 2 else 300))
        cap.udp(0.04, c, s, port, 443, gen.quic_initial(cap.rng, dcid, 80))

    small = [(True, 420), (False, 3100), (True, 310), (False, 6200)] * scale
    large = [(True, 520), (False, 30000), (True, 200), (False, 900)] * scale
    kinds = [  # name, proto, service, flows per round, servers, builder
        ("tls-news", 6, "ssl", 60, web, lambda cap: tls(cap, small, "www.example-news.com")),
        ("tls-mail", 6, "ssl", 60, web, lambda cap: tls(cap, small, "mail.example.org")),
        ("tls-api", 6, "ssl", 60, web, lambda cap: tls(cap, small[:2 * scale], "api.example.net")),
        ("tls-video", 6, "ssl", 25, web, lambda cap: tls(cap, large, "video.example-cdn.net")),
        ("http-dl", 6, "http", 50, web, http),
        ("dns-a", 17, "dns", 150, resolvers, lambda cap: dns(cap, "www.example-news.com", "A", ("A", "23.64.1.2"))),
        ("dns-aaaa", 17, "dns", 150, resolvers,
         lambda cap: dns(cap, "mail.example.org", "AAAA", ("AAAA", "2001:db8::25"))),
        ("icmp-echo", 1, "-", 15, web, echo),
        ("ntp", 17, "ntp", 20, ntp, ntp_query),
        ("quic", 17, "quic", 20, web, quic),
    ]
    templates = []
    for i, (name, proto, service, per_round, servers, build) in enumerate(kinds):
        cap = gen.Capture(9000 + i)
        build(cap)
        ordered = sorted(cap.frames, key=lambda f: (f[0], f[1]))
        frames = [bytes(f[2]) for f in ordered]
        from_client = [fr[IP_SRC:IP_SRC + 4] == ipaddress.IPv4Address(c).packed for fr in frames]
        rec_len = np.array([16 + len(fr) for fr in frames], dtype=np.int64)
        rec_off = np.concatenate(([0], np.cumsum(rec_len)[:-1]))
        row = b"".join(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr for fr in frames)
        cport, sport = struct.unpack_from("!HH", frames[0], L4_SPORT) if proto != 1 else (0, 0)
        conn = _conn_columns(frames, from_client, proto)
        templates.append(Template(name, proto, service, per_round, servers, np.frombuffer(row, np.uint8).copy(),
                                  rec_off, rec_len, np.array(from_client), cport, sport, conn))
    return templates


# ---------------------------------------------------------------------------------------------------------------
# Flow keys: flow n -> (client, server, client port); shared by the capture and the conn.log
# ---------------------------------------------------------------------------------------------------------------

def round_layout(templates: list[Template]) -> np.ndarray:
    """Template index of each flow position in a round (templates in order, each ``flows_per_round`` times)."""
    return np.repeat(np.arange(len(templates)), [t.flows_per_round for t in templates])


def group_packets(templates: list[Template]) -> np.ndarray:
    """Packets of each template's group in a round."""
    return np.array([t.packets * t.flows_per_round for t in templates], dtype=np.int64)


def group_start_us(templates: list[Template], rnd: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    """Time of the first packet of template ``k``'s group in round ``rnd`` (packets are PACKET_GAP_US apart)."""
    sizes = group_packets(templates)
    before = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return T0_US + (np.asarray(rnd) * sizes.sum() + before[k]) * PACKET_GAP_US


def flow_keys(n: np.ndarray, servers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(client u32, server u32, client port) for flow numbers ``n`` (int64) going to one of ``servers``."""
    client = (_ip_u32("10.0.0.0") + 256 + n % CLIENT_NETS).astype(np.uint32)
    server = servers[(n * 2654435761 // 7) % len(servers)]
    port = (1024 + (n // CLIENT_NETS) % 64000).astype(np.uint16)
    return client, server, port


# ---------------------------------------------------------------------------------------------------------------
# Stamping
# ---------------------------------------------------------------------------------------------------------------

def _words(u32: np.ndarray) -> np.ndarray:
    return (u32 >> 16).astype(np.int64) + (u32 & 0xFFFF).astype(np.int64)


def _fold(x: np.ndarray) -> np.ndarray:
    for _ in range(3):
        x = (x & 0xFFFF) + (x >> 16)
    return x


def _put(arr: np.ndarray, cols: np.ndarray, values: np.ndarray, dtype: str) -> None:
    """Write per-flow (F,) or per-flow-per-record (F, R) ``values`` as ``dtype`` bytes at byte offsets ``cols``."""
    width = np.dtype(dtype).itemsize
    raw = np.ascontiguousarray(values.astype(dtype)).view(np.uint8)
    raw = raw.reshape(arr.shape[0], -1, width) if values.ndim == 2 else raw.reshape(arr.shape[0], 1, width)
    arr[:, cols[:, None] + np.arange(width)] = raw


def stamp(t: Template, first_flow: int, count: int, start_us: int) -> bytes:
    """``count`` flows of template ``t``, numbered from ``first_flow``, interleaved packet by packet, as records."""
    n = first_flow + np.arange(count, dtype=np.int64)
    client, server, port = flow_keys(n, t.servers)
    arr = np.tile(t.row, (count, 1))
    frame = t.rec_off + 16
    cs, sc = frame[t.from_client], frame[~t.from_client]
    _put(arr, cs + IP_SRC, client, ">u4")
    _put(arr, cs + IP_DST, server, ">u4")
    _put(arr, sc + IP_SRC, server, ">u4")
    _put(arr, sc + IP_DST, client, ">u4")
    # RFC 1624: HC' = ~(~HC + ~m + m') summed over the changed 16-bit words (the same for both directions)
    delta = _words(client) + _words(server) + _ones_complement_neg(_ip_u32(TEMPLATE_CLIENT), _ip_u32(TEMPLATE_SERVER))
    _update_checksum(arr, frame + IP_CK, delta)
    if t.proto in L4_CK:
        _put(arr, cs + L4_SPORT, port, ">u2")
        _put(arr, sc + L4_DPORT, port, ">u2")
        l4_delta = delta + port.astype(np.int64) + (0xFFFF - t.client_port)
        _update_checksum(arr, frame + L4_CK[t.proto], l4_delta, udp=t.proto == 17)
    # time: record p of flow f is the (p * count + f)-th packet of this group
    order = np.arange(t.packets, dtype=np.int64)[None, :] * count + np.arange(count, dtype=np.int64)[:, None]
    usec = start_us + order * PACKET_GAP_US
    _put(arr, t.rec_off, usec // 1_000_000, "<u4")
    _put(arr, t.rec_off + 4, usec % 1_000_000, "<u4")
    return b"".join(arr[:, off:off + length].tobytes() for off, length in zip(t.rec_off, t.rec_len))


def _ones_complement_neg(*addrs: int) -> int:
    """Sum of ~word over the 16-bit words of the template addresses (the ~m of RFC 1624)."""
    return sum((0xFFFF - (a >> 16)) + (0xFFFF - (a & 0xFFFF)) for a in addrs)


def _update_checksum(arr: np.ndarray, cols: np.ndarray, delta: np.ndarray, udp: bool = False) -> None:
    """Apply a per-flow one's-complement ``delta`` to the checksum fields at ``cols`` (one per record)."""
    old = (arr[0, cols].astype(np.int64) << 8) | arr[0, cols + 1]
    new = 0xFFFF - _fold((0xFFFF - old)[None, :] + delta[:, None])
    if udp:
        new = np.where(new == 0, 0xFFFF, new)
    _put(arr, cols, new, ">u2")


def _groups(templates: list[Template], packets: int | None, flows: int | None):
    """(round, template index, first flow, flows in the group, records kept) of each group a capture is made of:
    up to exactly ``packets`` packets (the last group cut after its first records: every flow in it has begun), or
    exactly ``flows`` whole flows (the last group has fewer flows)."""
    written, flow, rnd = 0, 0, 0
    while True:
        for k, t in enumerate(templates):
            count = t.flows_per_round if flows is None else min(t.flows_per_round, flows - flow)
            records = t.packets * count
            if packets is not None:
                records = min(records, packets - written)
            yield rnd, k, flow, count, records
            written += records
            flow += count
            if (packets is not None and written >= packets) or (flows is not None and flow >= flows):
                return
        rnd += 1


def flows_in(templates: list[Template], packets: int) -> int:
    """Flows of a capture of ``packets`` packets (a cut group holds as many flows as it has records, at most all)."""
    return sum(min(count, records) for _, _, _, count, records in _groups(templates, packets, None))


def packets_for(templates: list[Template], flows: int) -> int:
    return sum(records for *_, records in _groups(templates, None, flows))


def write_capture(path: Path, packets: int | None, scale: int = 1, flows: int | None = None,
                  templates: list[Template] | None = None) -> Path:
    """Write a mixed capture of exactly ``packets`` packets, or of exactly ``flows`` whole flows, to ``path`` (of
    ``templates``, by default ``build_templates(scale)``)."""
    templates = build_templates(scale) if templates is None else templates
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("wb") as out:
        out.write(PCAP_HEADER)
        for rnd, k, first, count, records in _groups(templates, packets, flows):
            t = templates[k]
            group = stamp(t, first, count, int(group_start_us(templates, rnd, k)))
            if records < t.packets * count:  # last group: cut after the remaining records
                group = group[: int(np.repeat(t.rec_len, count)[:records].sum())]
            out.write(group)
    tmp.replace(path)
    return path


def long_flows_plan(packets: int, like: int) -> tuple[int, int]:
    """(scale, flows): the flows of a ``like``-packet capture, made longer (``scale``) to come close to ``packets``
    packets in all. Packets grow about linearly with the scale: estimated from scales 1 and 2, then the best
    neighbour is picked."""
    flows = flows_in(build_templates(1), like)
    total = {k: packets_for(build_templates(k), flows) for k in (1, 2)}
    guess = max(1, round(1 + (packets - total[1]) / max(total[2] - total[1], 1)))
    for k in (guess - 1, guess, guess + 1):
        if k >= 1 and k not in total:
            total[k] = packets_for(build_templates(k), flows)
    return min(total, key=lambda k: abs(total[k] - packets)), flows


# ---------------------------------------------------------------------------------------------------------------
# Zeek conn.log
# ---------------------------------------------------------------------------------------------------------------

CONN_HEADER = """#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#open\t2026-11-27-19-06-35
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tcommunity_id\tspeculative_service
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\tstring\tstring
"""
UID_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)


def write_conn_log(path: Path, lines: int) -> Path:
    """A Zeek 7 conn.log (TSV) describing flows 0..lines-1 of the mixed capture, with community_id."""
    from pcap_analyzer.community_id import community_id_v1

    templates = build_templates()
    layout = round_layout(templates)
    n = np.arange(lines, dtype=np.int64)
    kind = layout[n % len(layout)]
    client, server, port = (np.zeros(lines, np.uint32), np.zeros(lines, np.uint32), np.zeros(lines, np.uint16))
    for k, t in enumerate(templates):
        mask = kind == k
        client[mask], server[mask], port[mask] = flow_keys(n[mask], t.servers)
    uids = UID_ALPHABET[np.random.default_rng(7).integers(0, 62, size=(lines, 17))]
    # the same clock as write_capture: flow f of a group starts f packets after the group and spans its rows
    first_pos = np.concatenate(([0], np.cumsum([t.flows_per_round for t in templates])[:-1]))
    nth = n % len(layout) - first_pos[kind]
    start = (group_start_us(templates, n // len(layout), kind) + nth * PACKET_GAP_US) / 1e6
    span = np.array([(t.packets - 1) * t.flows_per_round * PACKET_GAP_US / 1e6 for t in templates])[kind]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="ascii") as out:
        out.write(CONN_HEADER)
        for i, k, c, s, p, ts, duration in zip(n.tolist(), kind.tolist(), client.tolist(), server.tolist(),
                                                port.tolist(), start.tolist(), span.tolist()):
            t = templates[k]
            ch, sh = str(ipaddress.IPv4Address(c)), str(ipaddress.IPv4Address(s))
            if t.proto == 1:
                cport, sport, proto = 8, 0, "icmp"
            else:
                cport, sport, proto = p, t.server_port, "tcp" if t.proto == 6 else "udp"
            cid = community_id_v1(t.proto, ch, sh, cport, sport)
            col = t.conn
            out.write(f"{ts:.6f}\tC{uids[i].tobytes().decode()}\t{ch}\t{cport}\t{sh}\t{sport}\t{proto}\t{t.service}\t"
                      f"{duration:.6f}\t{col['orig_bytes']}\t{col['resp_bytes']}\t{col['conn_state']}\tT\t"
                      f"{'T' if s >> 24 == 10 else 'F'}\t0\t{col['history']}\t{col['orig_pkts']}\t"
                      f"{col['orig_ip_bytes']}\t{col['resp_pkts']}\t{col['resp_ip_bytes']}\t-\t{cid}\t-\n")
        out.write("#close\t2026-11-27-19-06-36\n")
    tmp.replace(path)
    return path


# ---------------------------------------------------------------------------------------------------------------
# Cache
# ---------------------------------------------------------------------------------------------------------------

def label(count: int) -> str:
    """1000000 -> "1M", 250000 -> "250k"."""
    for unit, size in (("M", 1_000_000), ("k", 1000)):
        if count % size == 0:
            return f"{count // size}{unit}"
    return str(count)


def source_version() -> str:
    """Hash of the code that writes the inputs: a cached file written by other code is rewritten."""
    digest = hashlib.sha256()
    for source in (Path(__file__).resolve(), REPO / "pcaps" / "generate.py"):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def cached(path: Path, write: Callable[[], object], force: bool) -> Path:
    """``path``, (re)written by ``write`` when missing, forced, or written by another version of this code."""
    stamp = path.with_name(path.name + ".version")
    version = source_version()
    if force or not path.exists() or not stamp.exists() or stamp.read_text() != version:
        write()
        stamp.write_text(version)
    return path


def ensure_capture(packets: int, data_dir: Path = DATA, force: bool = False) -> Path:
    """bench/data/mixed-<N>.pcap, written if missing or stale (or ``force``)."""
    path = data_dir / f"mixed-{label(packets)}.pcap"
    return cached(path, lambda: write_capture(path, packets), force)


def ensure_long_capture(packets: int, like: int, data_dir: Path = DATA, force: bool = False) -> Path:
    """bench/data/mixed-<N>-long.pcap: the same flows as mixed-<like>.pcap (same 5-tuples, same kinds), the TLS and
    HTTP sessions longer so that it holds about ``packets`` packets. Written if missing or stale (or ``force``)."""
    path = data_dir / f"mixed-{label(packets)}-long.pcap"

    def write() -> None:
        scale, flows = long_flows_plan(packets, like)
        write_capture(path, None, scale, flows)
    return cached(path, write, force)


def ensure_conn_log(lines: int, data_dir: Path = DATA, force: bool = False) -> Path:
    """bench/data/zeek-conn-<N>/ holding conn.log, written if missing or stale (or ``force``); returns the folder."""
    folder = data_dir / f"zeek-conn-{label(lines)}"
    cached(folder / "conn.log", lambda: write_conn_log(folder / "conn.log", lines), force)
    return folder


#: scenario capture -> copies: 60 infected hosts, each a copy of a labelled scenario on its own address (the mix of
#: tests/test_report_browser.py): the capture where nearly every host has findings, for the report-writing share
ESCALATING_MIX = {"fallback_dns_tunnel_a.pcap": 40, "fallback_dyndns_a.pcap": 10, "fallback_port_a.pcap": 5,
                  "fallback_icmp_tunnel_a.pcap": 5}


def write_escalating_capture(path: Path, mix: dict[str, int] | None = None) -> Path:
    """``path``: the scenario captures of ``mix`` copied, one new host address per copy (tests/scale_capture.py;
    about 0.2 s, so it is written every time, not cached)."""
    spec = importlib.util.spec_from_file_location("scale_capture", REPO / "tests" / "scale_capture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path.parent.mkdir(parents=True, exist_ok=True)
    module.scaled_capture(path, mix or ESCALATING_MIX)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write cached benchmark inputs into bench/data/.")
    parser.add_argument("--packets", type=int, action="append", default=[], help="capture size (repeatable)")
    parser.add_argument("--long", type=int, action="append", default=[], metavar="PACKETS",
                        help="a capture of about PACKETS packets with the same flows as --like (repeatable)")
    parser.add_argument("--like", type=int, default=1_000_000, help="packets of the capture whose flows --long "
                        "repeats (default 1000000)")
    parser.add_argument("--conn-log", type=int, action="append", default=[], help="conn.log lines (repeatable)")
    parser.add_argument("--data", type=Path, default=DATA, help="output folder (default bench/data)")
    parser.add_argument("--force", action="store_true", help="rewrite even when cached")
    args = parser.parse_args(argv)
    if any(count < 1 for count in args.packets + args.conn_log + args.long + [args.like]):
        parser.error("sizes must be positive")
    for count in args.packets:
        print(ensure_capture(count, args.data, args.force))
    for count in args.long:
        print(ensure_long_capture(count, args.like, args.data, args.force))
    for count in args.conn_log:
        print(ensure_conn_log(count, args.data, args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
