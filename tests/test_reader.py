"""Capture reader: vectorised path == dpkt slow path, agreement with plain dpkt and Zeek, synthetic link types."""
from __future__ import annotations

import gzip
import ipaddress
import struct
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import dpkt
import numpy as np
import pytest
from scapy.layers.inet import GRE, ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
)
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from scapy.layers.ppp import PPP, PPPoE

from conftest import SHARED_ZEEK_LOGS, shared_captures, zeek_log_rows
from pcap_analyzer.capture import decode
from pcap_analyzer.config import Config, load_config, override
from pcap_analyzer.model import CaptureInfo
from pcap_analyzer.capture.reader import read_capture
from pcap_analyzer.capture.records import COLUMNS

TS0 = 1_700_000_000

# ---------------------------------------------------------------- helpers


def cfg_with(**reader: Any) -> Config:
    return override(load_config(), {"reader": reader})


def read_all(path: Path, cfg: dict[str, Any] | None = None,
             fast: bool = True) -> tuple[dict, list[bytes], CaptureInfo, int]:
    """Concatenated columns, per-row payload bytes, the CaptureInfo and the number of batches."""
    cfg = cfg or load_config()
    info = CaptureInfo(str(path))
    batches = list(read_capture(path, cfg, info, fast=fast))
    cols = {name: np.concatenate([getattr(b, name) for b in batches]) if batches else np.zeros(0, dtype)
            for name, dtype in COLUMNS}
    payloads = [b.payload(i) for b in batches for i in range(len(b))]
    return cols, payloads, info, len(batches)


def assert_same(a: tuple, b: tuple) -> None:
    """Two read_all results agree on every column, every payload and the capture summary."""
    for name, _ in COLUMNS:
        x, y = a[0][name], b[0][name]
        assert x.dtype == y.dtype, name
        bad = np.flatnonzero(x != y)
        assert bad.size == 0, f"column {name} differs in rows {bad[:5].tolist()}: {x[bad[:5]]} vs {y[bad[:5]]}"
    assert a[1] == b[1]
    for field in ("packets", "first_ts", "last_ts", "fragments", "non_ip", "warnings"):
        assert getattr(a[2], field) == getattr(b[2], field), field


def write_pcap(path: Path, frames: list[bytes], linktype: int = 1, order: str = "<", nano: bool = False,
               snaplen: int = 65535) -> Path:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for i, frame in enumerate(frames):
        frac = (123_456_789 + i) if nano else (123_456 + i)
        out.append(struct.pack(order + "IIII", TS0 + i, frac, len(frame), len(frame) + (i % 3 == 1)) + frame)
    path.write_bytes(b"".join(out))
    return path


def ipv4_mapped(text: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(text)
    return (0, 0xFFFF00000000 | int(ip)) if ip.version == 4 else (int(ip) >> 64, int(ip) & (2**64 - 1))


def addr_text(hi: int, lo: int, ver: int) -> str:
    return str(ipaddress.ip_address(lo & 0xFFFFFFFF if ver == 4 else (hi << 64) | lo))


# A mix of IP packets (without link layer) that every link type below carries.
PAYLOAD = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"


def ip_packets() -> list[bytes]:
    return [bytes(p) for p in (
        IP(src="10.0.0.1", dst="93.184.216.34") / TCP(sport=40000, dport=80, flags="PA", seq=7, ack=9) / PAYLOAD,
        IP(src="10.0.0.1", dst="8.8.8.8") / UDP(sport=5353, dport=53) / b"\x12\x34query",
        IP(src="10.0.0.1", dst="1.1.1.1") / ICMP(type=8, id=1, seq=2) / b"ping-data",
        IPv6(src="fe80::1", dst="2001:db8::2") / TCP(sport=1234, dport=443, flags="S"),
        IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6EchoRequest(id=5, seq=6, data=b"v6ping"),
        IP(src="10.0.0.1", dst="10.0.0.2", options=b"\x94\x04\x00\x00") / TCP(sport=1, dport=2) / b"opts",
    )]


def ether(ip: bytes, tags: tuple[int, ...] = ()) -> bytes:
    """Ethernet frame carrying ``ip`` behind the given stack of tag ethertypes (e.g. 0x88A8, 0x8100)."""
    ethertype = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
    head = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb"
    types = (*tags, ethertype)
    head += struct.pack("!H", types[0])
    for vid, nxt in enumerate(types[1:], start=100):
        head += struct.pack("!HH", vid, nxt)
    return head + ip


def sll(ip: bytes) -> bytes:
    proto = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x00\x11\x22\x33\x44\x55\x00\x00", proto) + ip


def sll2(ip: bytes) -> bytes:
    proto = 0x0800 if ip[0] >> 4 == 4 else 0x86DD
    return struct.pack("!HHIHBB8s", proto, 0, 2, 1, 0, 6, b"\x00\x11\x22\x33\x44\x55\x00\x00") + ip


def null(ip: bytes, order: str, af6: int) -> bytes:
    return struct.pack(order + "I", 2 if ip[0] >> 4 == 4 else af6) + ip


def expected_rows(ips: list[bytes]) -> list[tuple]:
    """(ip_ver, src, dst, proto, sport, dport, payload) of each packet, as scapy sees it."""
    rows = []
    for raw in ips:
        pkt = IP(raw) if raw[0] >> 4 == 4 else IPv6(raw)
        l4 = pkt.payload
        if isinstance(l4, (TCP, UDP)):
            sport, dport, payload = l4.sport, l4.dport, bytes(l4.payload)
        else:  # ICMP / ICMPv6 echo: type/code, payload after the 8-byte header
            sport, dport, payload = l4.type, l4.code, bytes(l4)[8:]
        proto = pkt.proto if pkt.version == 4 else pkt.nh
        rows.append((pkt.version, pkt.src, pkt.dst, proto, sport, dport, payload))
    return rows


def decoded_rows(cols: dict, payloads: list[bytes]) -> list[tuple]:
    return [(int(cols["ip_ver"][i]), addr_text(int(cols["src_hi"][i]), int(cols["src_lo"][i]), int(cols["ip_ver"][i])),
             addr_text(int(cols["dst_hi"][i]), int(cols["dst_lo"][i]), int(cols["ip_ver"][i])),
             int(cols["proto"][i]), int(cols["sport"][i]), int(cols["dport"][i]), payloads[i])
            for i in range(len(payloads))]


def normalise(rows: list[tuple]) -> list[tuple]:
    return [(v, str(ipaddress.ip_address(s)), str(ipaddress.ip_address(d)), *rest) for v, s, d, *rest in rows]


# ---------------------------------------------------------------- fast path == slow path on real captures

FAST_CAPTURES = [p for kind in ("benign", "malicious") for p in shared_captures(kind)]


@pytest.mark.parametrize("capture", FAST_CAPTURES, ids=lambda p: p.name)
def test_fast_equals_slow_on_shared_captures(capture: Path) -> None:
    with capture.open("rb") as fh:
        opened = dpkt.pcapng.Reader(fh) if capture.suffix == ".pcapng" else dpkt.pcap.Reader(fh)
        assert opened.datalink() in decode.LINKTYPES  # so the vectorised path really runs
    fast = read_all(capture)
    assert fast[2].packets > 0 and not fast[2].warnings
    assert_same(fast, read_all(capture, fast=False))


def test_vectorised_path_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Common packets never reach the per-packet decoder on the fast path (which would hide a broken fast path)."""
    path = write_pcap(tmp_path / "plain.pcap", [ether(ip) for ip in ip_packets()] * 5)
    from pcap_analyzer.capture import slowpath
    calls = []
    original = slowpath.decode_packet
    monkeypatch.setattr(slowpath, "decode_packet", lambda buf, lt: calls.append(1) or original(buf, lt))
    cols, payloads, info, _ = read_all(path)
    assert not calls and info.packets == 30 and payloads[0] == PAYLOAD


# ---------------------------------------------------------------- synthetic link types, byte orders, resolutions

LINK_CASES = {
    "ethernet-le": (1, "<", lambda ip: ether(ip)),
    "ethernet-be": (1, ">", lambda ip: ether(ip)),
    "vlan": (1, "<", lambda ip: ether(ip, (0x8100,))),
    "qinq-88a8": (1, "<", lambda ip: ether(ip, (0x88A8, 0x8100))),
    "qinq-9100-triple": (1, ">", lambda ip: ether(ip, (0x9100, 0x88A8, 0x8100))),
    "sll": (113, "<", sll),
    "sll2": (276, "<", sll2),
    "raw-101": (101, "<", lambda ip: ip),
    "raw-12": (12, ">", lambda ip: ip),
    "raw-14": (14, "<", lambda ip: ip),
    "null-le-af24": (0, "<", lambda ip: null(ip, "<", 24)),
    "null-be-af28": (0, ">", lambda ip: null(ip, ">", 28)),
    "loop-af30": (108, "<", lambda ip: null(ip, ">", 30)),
}


@pytest.mark.parametrize("case", LINK_CASES, ids=str)
def test_link_types_decode_to_the_built_packets(case: str, tmp_path: Path) -> None:
    linktype, order, frame = LINK_CASES[case]
    ips = ip_packets()
    path = write_pcap(tmp_path / f"{case}.pcap", [frame(ip) for ip in ips], linktype=linktype, order=order)
    fast = read_all(path)
    assert normalise(decoded_rows(fast[0], fast[1])) == normalise(expected_rows(ips))
    assert fast[0]["ip_len"].tolist() == [len(ip) for ip in ips]
    assert_same(fast, read_all(path, fast=False))


@pytest.mark.parametrize("linktype,version", [(228, 4), (229, 6)])
def test_raw_ipv4_and_ipv6_link_types(linktype: int, version: int, tmp_path: Path) -> None:
    ips = [ip for ip in ip_packets() if ip[0] >> 4 == version]
    path = write_pcap(tmp_path / "raw.pcap", ips, linktype=linktype)
    fast = read_all(path)
    assert normalise(decoded_rows(fast[0], fast[1])) == normalise(expected_rows(ips))


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nano", [False, True])
def test_timestamps_and_lengths(order: str, nano: bool, tmp_path: Path) -> None:
    frames = [ether(ip) for ip in ip_packets()]
    path = write_pcap(tmp_path / "t.pcap", frames, order=order, nano=nano)
    cols, payloads, info, _ = read_all(path)
    assert_same((cols, payloads, info), read_all(path, fast=False)[:3])
    frac = np.arange(len(frames)) + (123_456_789 if nano else 123_456)
    expected = (TS0 + np.arange(len(frames))).astype(np.float64) + frac / (1e9 if nano else 1e6)
    assert np.array_equal(cols["ts"], expected)
    assert cols["caplen"].tolist() == [len(f) for f in frames]
    assert cols["wirelen"].tolist() == [len(f) + (i % 3 == 1) for i, f in enumerate(frames)]
    assert info.first_ts == expected[0] and info.last_ts == expected[-1] and info.packets == len(frames)


def test_gzip_reads_like_the_plain_file_and_leaves_no_temporary(tmp_path: Path, monkeypatch) -> None:
    plain = write_pcap(tmp_path / "a.pcap", [ether(ip) for ip in ip_packets()])
    packed = tmp_path / "a.pcap.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    a, b = read_all(plain), read_all(packed)
    assert_same(a, b)
    assert_same(b, read_all(packed, fast=False))
    assert list((tmp_path / "tmp").iterdir()) == []


def test_capture_info_summary(tmp_path: Path) -> None:
    frames = [ether(ip) for ip in ip_packets()] + [b"\xff" * 12 + b"\x08\x06" + b"\x00" * 28]  # + one ARP
    path = write_pcap(tmp_path / "s.pcap", frames)
    cols, _, info, _ = read_all(path)
    assert info.packets == len(frames) and info.non_ip == 1 and info.fragments == 0
    assert cols["ip_ver"][-1] == 0 and cols["payload_len"][-1] == 0


# ---------------------------------------------------------------- IPv6 extension headers, fragments, odd headers

def test_ipv6_extension_header_chain(tmp_path: Path) -> None:
    inner = TCP(sport=5555, dport=22, flags="PA") / b"SSH-2.0-x\r\n"
    pkts = [
        IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / inner,
        IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrRouting(addresses=["2001:db8::9"]) / inner,
        IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / UDP(sport=9, dport=53) / b"q",
    ]
    path = write_pcap(tmp_path / "ext.pcap", [ether(bytes(p)) for p in pkts])
    cols, payloads, info, _ = read_all(path)
    assert cols["proto"].tolist() == [6, 6, 17]
    assert cols["sport"].tolist() == [5555, 5555, 9] and cols["dport"].tolist() == [22, 22, 53]
    assert payloads == [b"SSH-2.0-x\r\n", b"SSH-2.0-x\r\n", b"q"]
    assert cols["ip_len"].tolist() == [len(bytes(p)) for p in pkts]
    assert_same((cols, payloads, info), read_all(path, fast=False)[:3])


def fragments_of(pkt, size: int) -> list[bytes]:
    from scapy.layers.inet import fragment
    from scapy.layers.inet6 import fragment6
    if pkt.version == 4:
        return [bytes(f) for f in fragment(pkt, fragsize=size)]
    return [bytes(f) for f in fragment6(pkt, size)]


@pytest.mark.parametrize("version", [4, 6])
def test_fragments_only_the_first_carries_ports(version: int, tmp_path: Path) -> None:
    body = UDP(sport=4444, dport=53) / (b"x" * 600)
    if version == 4:
        pkt = IP(src="10.1.1.1", dst="10.2.2.2") / body
    else:
        pkt = IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment() / body
    frags = fragments_of(pkt, 256)
    assert len(frags) >= 3
    path = write_pcap(tmp_path / "frag.pcap", [ether(f) for f in frags] + [ether(ip_packets()[0])])
    cols, payloads, info, _ = read_all(path)
    n = len(frags)
    assert cols["frag"].tolist() == [True] * n + [False]
    assert info.fragments == n
    assert cols["proto"][:n].tolist() == [17] * n
    assert (cols["sport"][0], cols["dport"][0]) == (4444, 53) and cols["payload_len"][0] > 0
    assert not cols["sport"][1:n].any() and not cols["dport"][1:n].any() and not cols["payload_len"][1:n].any()
    assert_same((cols, payloads, info), read_all(path, fast=False)[:3])


def odd_frames() -> list[bytes]:
    """Frames the reader must survive: cut headers, bad lengths, padding, tunnels, PPPoE."""
    tcp = bytes(IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1, dport=2) / b"data")
    udp6 = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / UDP(sport=3, dport=4) / b"v6")
    bad_doff = bytearray(tcp)
    bad_doff[32] = 0x30  # TCP data offset 3
    tso = bytearray(tcp)
    tso[2:4] = b"\x00\x00"  # IPv4 total length 0 (segmentation offload)
    short_len = bytearray(tcp)
    short_len[2:4] = struct.pack("!H", 10)  # total length shorter than the header
    gre = bytes(IP(src="192.0.2.1", dst="192.0.2.2") / GRE(proto=0x0800) / IP(tcp))
    gre_teb = bytes(IP(src="192.0.2.1", dst="192.0.2.2") / GRE(proto=0x6558) / Ether(ether(tcp)))
    ipip = bytes(IP(src="192.0.2.1", dst="192.0.2.2", proto=4) / IP(tcp))
    six_in_four = bytes(IP(src="192.0.2.1", dst="192.0.2.2", proto=41) / IPv6(udp6))
    pppoe = bytes(Ether(dst="00:11:22:33:44:55") / PPPoE(sessionid=7) / PPP(proto=0x0021) / IP(tcp))
    qinq_pppoe = bytes(Ether() / Dot1AD(vlan=5) / Dot1Q(vlan=6) / PPPoE() / PPP(proto=0x0057) / IPv6(udp6))
    return [
        ether(tcp)[:20],  # IPv4 header cut short
        ether(tcp)[:40],  # TCP header cut short
        ether(udp6)[:50],  # IPv6 header cut short
        ether(bytes(bad_doff)),
        ether(bytes(tso)),
        ether(bytes(short_len)),
        ether(tcp) + b"\x00" * 20,  # Ethernet padding/trailer is not payload
        ether(b"\x45" + tcp[1:20]),  # header only
        ether(b"\x46" + tcp[1:]),  # IHL 6 but options run into TCP
        ether(b"\x43" + tcp[1:]),  # IHL 3: invalid
        ether(b"\x55" + tcp[1:]),  # IPv4 ethertype, version 5
        ether(tcp, (0x8100,))[:15],  # VLAN tag cut short
        b"\x00" * 10,  # shorter than an Ethernet header
        ether(gre), ether(gre_teb), ether(ipip), ether(six_in_four), pppoe, qinq_pppoe,
        ether(bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / IPv6ExtHdrHopByHop() / UDP()))[:60],  # cut chain
        ether(bytes(IP(src="192.0.2.1", dst="192.0.2.2", proto=4) / (b"\x00" * 30))),  # IP-in-IP, no inner IP
        ether(bytes(IP(src="192.0.2.1", dst="192.0.2.2") / GRE(proto=0x6558) / Ether(type=0x0806) / (b"\x00" * 28))),
    ]


def test_odd_frames_fast_equals_slow_and_expected_values(tmp_path: Path) -> None:
    frames = odd_frames()
    path = write_pcap(tmp_path / "odd.pcap", frames)
    cols, payloads, info, _ = read_all(path)
    assert_same((cols, payloads, info), read_all(path, fast=False)[:3])
    assert_same((cols, payloads, info), read_all(path, cfg_with(chunk_packets=7))[:3])
    ver = cols["ip_ver"].tolist()
    assert ver[:3] == [0, 4, 0]  # cut IPv4 header: not IP; cut TCP: IP without ports; cut IPv6 header
    assert cols["sport"][1] == 0 and cols["payload_len"][1] == 0
    assert cols["sport"][3] == 0 and cols["payload_len"][3] == 0  # data offset < 5
    assert payloads[4] == b"data" and payloads[5] == b"" and payloads[6] == b"data"
    assert ver[7:13] == [4, 4, 0, 0, 0, 0]
    tunnels = decoded_rows(cols, payloads)[13:19]
    assert [(t[1], t[2], t[4], t[5], t[6]) for t in tunnels[:3]] == [("10.0.0.1", "10.0.0.2", 1, 2, b"data")] * 3
    assert tunnels[3][1:] == ("2001:db8::1", "2001:db8::2", 17, 3, 4, b"v6")
    assert tunnels[4][1:] == ("10.0.0.1", "10.0.0.2", 6, 1, 2, b"data")
    assert tunnels[5][1:] == ("2001:db8::1", "2001:db8::2", 17, 3, 4, b"v6")
    assert ver[19] == 6 and cols["proto"][19] == 0  # chain cut inside the hop-by-hop header
    outer = decoded_rows(cols, payloads)[20:22]  # tunnels without an IP packet inside: the outer packet's row
    assert [(t[1], t[2], t[3]) for t in outer] == [("192.0.2.1", "192.0.2.2", 4), ("192.0.2.1", "192.0.2.2", 47)]


def test_corrupted_captures_never_crash_and_paths_agree(tmp_path: Path) -> None:
    """Flip random bytes in header regions of a real mix of frames: both paths survive and agree."""
    rng = np.random.default_rng(7)
    frames = [ether(ip) for ip in ip_packets()] + odd_frames()
    for trial in range(20):
        damaged = []
        for frame in frames:
            buf = bytearray(frame)
            for pos in rng.integers(0, min(len(buf), 80), size=3):
                buf[pos] = int(rng.integers(0, 256))
            damaged.append(bytes(buf))
        path = write_pcap(tmp_path / f"c{trial}.pcap", damaged)
        assert_same(read_all(path), read_all(path, fast=False))


# ---------------------------------------------------------------- chunk boundaries

@pytest.mark.parametrize("capture", [p for p in FAST_CAPTURES if p.stat().st_size > 100_000][:3] +
                         [p for p in FAST_CAPTURES if p.suffix == ".pcapng"], ids=lambda p: p.name)
def test_result_does_not_depend_on_chunk_size(capture: Path) -> None:
    default = read_all(capture)
    small = read_all(capture, cfg_with(chunk_packets=7))  # pages of earlier chunks get released
    assert small[3] == -(-default[2].packets // 7)
    assert_same(default, small)  # including payloads read after all batches were produced


# ---------------------------------------------------------------- agreement with independent readers

def dpkt_summary(path: Path) -> tuple[int, Counter, int]:
    """Packet count, multiset of TCP/UDP 5-tuples and their payload bytes, with nothing but dpkt."""
    count, tuples, total = 0, Counter(), 0
    with path.open("rb") as fh:
        for _ts, buf in dpkt.pcap.Reader(fh):
            count += 1
            ip = dpkt.ethernet.Ethernet(buf).data
            if isinstance(ip, dpkt.ip.IP) and ip.offset != 0:
                continue
            if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) and isinstance(ip.data, (dpkt.tcp.TCP, dpkt.udp.UDP)):
                key = (str(ipaddress.ip_address(ip.src)), str(ipaddress.ip_address(ip.dst)), ip.p, ip.data.sport,
                       ip.data.dport)
                tuples[key] += 1
                total += len(ip.data.data)
    return count, tuples, total


def reader_summary(path: Path) -> tuple[int, Counter, int]:
    cols, payloads, info, _ = read_all(path)
    ported = np.flatnonzero(np.isin(cols["proto"], (6, 17)) & (cols["ip_ver"] > 0) & ((cols["sport"] > 0) |
                                                                                     (cols["dport"] > 0)))
    rows = decoded_rows(cols, payloads)
    tuples = Counter(rows[i][1:6] for i in ported)
    return info.packets, tuples, sum(len(rows[i][6]) for i in ported)


def has_tunnels(path: Path) -> bool:
    """Whether the capture holds encapsulations plain dpkt leaves closed (PPPoE, GRE, IP in IP)."""
    with path.open("rb") as fh:
        for _ts, buf in dpkt.pcap.Reader(fh):
            layer = dpkt.ethernet.Ethernet(buf).data
            if isinstance(layer, dpkt.pppoe.PPPoE) or isinstance(layer, dpkt.ip.IP) and layer.p in (4, 41, 47):
                return True
    return False


BENIGN = shared_captures("benign")


@pytest.mark.parametrize("capture", BENIGN, ids=lambda p: p.name)
def test_reader_agrees_with_plain_dpkt_or_zeek(capture: Path) -> None:
    if not has_tunnels(capture):
        assert reader_summary(capture) == dpkt_summary(capture)
        return
    # Tunnelled traffic: plain dpkt does not open it, Zeek does - compare the inner TCP/UDP flows with conn.log.
    conn = SHARED_ZEEK_LOGS / capture.stem / "conn.log"
    if not conn.is_file():
        pytest.skip(f"no Zeek conn.log for {capture.name}")
    zeek = zeek_flow_packets(conn)
    ours: Counter = Counter()
    count, tuples, _ = reader_summary(capture)
    for (src, dst, proto, sport, dport), n in tuples.items():
        ours[({6: "tcp", 17: "udp"}[proto], frozenset({(src, sport), (dst, dport)}))] += n
    assert set(ours) == set(zeek)
    info = read_all(capture)[2]
    for key in zeek:  # fragmented outer packets are not reassembled, so Zeek may see more (and only then)
        assert ours[key] == zeek[key] if info.fragments == 0 else ours[key] <= zeek[key]


def zeek_flow_packets(conn: Path) -> Counter:
    flows: Counter = Counter()
    for row in zeek_log_rows(conn):
        if row["proto"] in ("tcp", "udp"):
            ends = {(str(ipaddress.ip_address(row["id.orig_h"])), int(row["id.orig_p"])),
                    (str(ipaddress.ip_address(row["id.resp_h"])), int(row["id.resp_p"]))}
            flows[(row["proto"], frozenset(ends))] += int(row["orig_pkts"]) + int(row["resp_pkts"])
    return flows


# ---------------------------------------------------------------- pcapng

def pcapng_block(order: str, btype: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(order + "II", btype, length) + body + struct.pack(order + "I", length)


def pcapng_option(order: str, code: int, value: bytes) -> bytes:
    return struct.pack(order + "HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def write_pcapng(path: Path, order: str, interfaces: list[tuple[int, int | None]],
                 packets: list[tuple[int, int, bytes]]) -> Path:
    """interfaces: (link type, if_tsresol or None); packets: (interface, timestamp in its units, frame)."""
    out = [pcapng_block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1))]
    for linktype, resol in interfaces:
        opts = b"" if resol is None else pcapng_option(order, 9, bytes([resol])) + pcapng_option(order, 0, b"")
        out.append(pcapng_block(order, 1, struct.pack(order + "HHI", linktype, 0, 65535) + opts))
    for iface, ts, frame in packets:
        out.append(pcapng_block(order, 6, struct.pack(order + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(frame),
                                                      len(frame)) + frame))
    path.write_bytes(b"".join(out))
    return path


@pytest.mark.parametrize("order", ["<", ">"])
def test_pcapng_two_interfaces_with_different_link_types(order: str, tmp_path: Path) -> None:
    ips = ip_packets()
    packets = []
    for i, ip in enumerate(ips):
        if i % 2 == 0:  # Ethernet, microseconds (default resolution)
            packets.append((0, (TS0 + i) * 10**6 + 250_000, ether(ip)))
        else:  # raw IP, nanoseconds
            packets.append((1, (TS0 + i) * 10**9 + 750_000_000, ip))
    path = write_pcapng(tmp_path / "two.pcapng", order, [(1, None), (101, 9)], packets)
    cols, payloads, info, _ = read_all(path)
    assert normalise(decoded_rows(cols, payloads)) == normalise(expected_rows(ips))
    assert cols["ts"].tolist() == [TS0 + i + (0.25 if i % 2 == 0 else 0.75) for i in range(len(ips))]
    assert cols["caplen"].tolist() == [len(p[2]) for p in packets]
    assert info.packets == len(ips) and not info.warnings
    assert_same((cols, payloads, info, 0), read_all(path, fast=False))
    # the same frames in classic pcap files give the same rows
    ether_only = read_all(write_pcap(tmp_path / "e.pcap", [p[2] for p in packets if p[0] == 0]))
    assert decoded_rows(ether_only[0], ether_only[1]) == decoded_rows(cols, payloads)[0::2]


def test_pcapng_binary_timestamp_resolution_and_shared_capture(tmp_path: Path) -> None:
    ip = ip_packets()[0]
    path = write_pcapng(tmp_path / "b.pcapng", "<", [(101, 0x80 | 10)], [(0, (TS0 << 10) + 512, ip)])
    cols, payloads, info, _ = read_all(path)
    assert cols["ts"].tolist() == [TS0 + 0.5] and payloads == [PAYLOAD]
    for capture in shared_captures("malicious"):
        if capture.suffix == ".pcapng":
            assert read_all(capture)[2].packets > 0


def test_decode_chunk_sends_records_of_another_link_type_to_the_slow_path(tmp_path: Path) -> None:
    from pcap_analyzer.capture.records import RecordIndex
    from pcap_analyzer.capture.slowpath import decode_records
    ips = ip_packets()
    frames = [ether(ip) if i % 2 else sll(ip) for i, ip in enumerate(ips)]
    blob = np.frombuffer(b"".join(frames), dtype=np.uint8)
    sizes = np.array([len(f) for f in frames])
    index = RecordIndex(data_off=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
                        caplen=sizes.astype(np.uint32), wirelen=sizes.astype(np.uint32),
                        ts=np.arange(len(frames), dtype=np.float64),
                        linktype=np.array([1 if i % 2 else 113 for i in range(len(frames))], dtype=np.int32))
    fast, slow = decode.decode_chunk(blob, index), decode_records(blob, index)
    for name, _ in COLUMNS:
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name
    cols = {name: getattr(fast, name) for name, _ in COLUMNS}
    payloads = [fast.payload(i) for i in range(len(fast))]
    assert normalise(decoded_rows(cols, payloads)) == normalise(expected_rows(ips))


_READ_AND_LIST_MODULES = """
import sys
from pcap_analyzer.capture.reader import read_capture
from pcap_analyzer.config import load_config
from pcap_analyzer.model import CaptureInfo
rows = sum(len(b) for b in read_capture(sys.argv[1], load_config(), CaptureInfo(path=sys.argv[1])))
print(rows, "dpkt" in sys.modules)
"""


@pytest.mark.parametrize(("frames", "dpkt_imported"), [
    ([ether(ip) for ip in ip_packets()[:3]], False),  # plain Ethernet/IPv4: the vectorised path alone
    ([ether(ip) for ip in ip_packets()[:3]] + [ether(bytes(IP(src="10.0.0.1", dst="10.0.0.2") / GRE() /
                                                           IP(src="10.1.0.1", dst="10.1.0.2") / UDP()))], True),
])
def test_the_fast_path_imports_dpkt_only_for_a_rare_frame(tmp_path: Path, frames: list[bytes],
                                                          dpkt_imported: bool) -> None:
    """Reading a capture of common frames never imports dpkt (its import is a tenth of a second of a small run);
    a tunnelled frame goes to the slow path, which imports it then."""
    import subprocess
    import sys

    path = write_pcap(tmp_path / "c.pcap", frames)
    out = subprocess.run([sys.executable, "-c", _READ_AND_LIST_MODULES, str(path)], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent).stdout.split()
    assert out == [str(len(frames)), str(dpkt_imported)]
