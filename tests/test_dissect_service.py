"""Service identification from payload whatever the port: SSH, HTTP, SMTP/FTP, QUIC, ICMP, and unknown bytes."""
from __future__ import annotations

import random
import struct

from scapy.layers.inet import ICMP, IP, UDP

from pcap_analyzer import dissect
from pcap_analyzer.config import default_config
from pcap_analyzer.dissect.icmp import starts_with_ip
from pcap_analyzer.dissect.quic import parse_long_header
from pcap_analyzer.model import Flow
from test_dissect_tls import client_hello, server_hello

_noise = random.Random(7).randbytes  # seeded: the same 'random' bytes every run

CFG = default_config()


def _tcp(port: int, orig: bytes, resp: bytes) -> Flow:
    flow = Flow(uid="C1", ts=1.0, last_ts=2.0, proto="tcp", orig_h="10.0.0.1", orig_p=40000, resp_h="192.0.2.1",
                resp_p=port, orig_sample=orig, resp_sample=resp)
    dissect.annotate(flow, CFG)
    return flow


def _dgram(proto: str, port: int, orig: list[bytes], resp: list[bytes], ip_ver: int = 4) -> Flow:
    flow = Flow(uid="C2", ts=1.0, last_ts=2.0, proto=proto, orig_h="10.0.0.1", orig_p=8 if proto == "icmp" else 5000,
                resp_h="192.0.2.1", resp_p=port, orig_datagrams=orig, resp_datagrams=resp, ip_ver=ip_ver,
                datagram_ts=[(1.0, True)] * len(orig) + [(1.5, False)] * len(resp))
    dissect.annotate(flow, CFG)
    return flow


def test_ssh_on_2222():
    flow = _tcp(2222, b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3\r\n" + _noise(200), b"SSH-2.0-dropbear_2022.83\r\n")
    assert (flow.service, flow.expected_service) == ("ssh", "")
    assert flow.ssh_banners == ["SSH-2.0-OpenSSH_9.6p1 Ubuntu-3", "SSH-2.0-dropbear_2022.83"]
    assert _tcp(22, b"SSH-2.0-x\x00\xff\r\n", b"").ssh_banners == ["SSH-2.0-x\\x00\\xff"]
    assert _tcp(22, b"SSH is not a banner", b"").service == ""


def test_http_pipelined_requests_and_response():
    body = b"hello"
    orig = (b"GET /a?x=1 HTTP/1.1\r\nHost: C2.Example.com\r\nUser-Agent: curl/8.0\r\n\r\n"
            b"POST /up HTTP/1.1\r\nHost: c2.example.com\r\nContent-Length: 5\r\n\r\n" + body
            + b"HEAD /b HTTP/1.0\r\n\r\n")
    resp = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nServer: x\r\n\r\n"
    flow = _tcp(4444, orig, resp)
    assert (flow.service, flow.expected_service) == ("http", "")
    reqs = [(m.method, m.uri, m.host, m.user_agent, m.version) for m in flow.http if m.is_request]
    assert reqs == [("GET", "/a?x=1", "c2.example.com", "curl/8.0", "1.1"),
                    ("POST", "/up", "c2.example.com", "", "1.1"),
                    ("HEAD", "/b", "", "", "1.0")]
    assert [m.status for m in flow.http if not m.is_request] == [404, 200]
    h2c = _tcp(8080, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + _noise(50), b"")
    assert h2c.service == "http" and h2c.http[0].version == "2.0"


def test_smtp_and_ftp_by_greeting():
    assert _tcp(2525, b"EHLO mail.example.com\r\n", b"220 mx.example.com ESMTP\r\n").service == "smtp"
    assert _tcp(21, b"USER anonymous\r\n", b"220 (vsFTPd 3.0.5)\r\n").service == "ftp"
    assert _tcp(21, b"hello\r\n", b"220 something\r\n").service == ""
    assert _tcp(9999, b"a1 CAPABILITY\r\n", b"* OK IMAP4rev1 ready\r\n").service == "imap"
    assert _tcp(9999, b"USER bob\r\n", b"+OK POP3 ready\r\n").service == "pop3"
    assert _tcp(443, b"NICK bot123\r\nUSER bot 0 * :bot\r\n", b":irc.example NOTICE * :hi\r\n").service == "irc"
    assert _tcp(443, b"NICK bot123\r\n", b"220 not irc\r\n").service == ""


def test_random_bytes_are_unknown_on_any_port():
    for port in (80, 443, 22, 53, 8080):
        flow = _tcp(port, _noise(1000), _noise(1000))
        assert flow.service == "" and flow.expected_service == CFG.ports.expected[f"tcp/{port}"]
    for port in (443, 53, 123, 3478, 51820, 1194, 500, 9999):  # UDP ports of the protocols the dissectors know
        for size in (48, 60, 100, 200, 500, 1200, 1400):
            one_way = _dgram("udp", port, [_noise(size) for _ in range(4)], [])
            both = _dgram("udp", port, [_noise(size)], [_noise(size)])
            assert (one_way.service, both.service) == ("", ""), (port, size)


def quic_initial(version: int = 1, dcid: bytes = b"\x11" * 8, scid: bytes = b"", pad_to: int = 1200) -> bytes:
    ptype = 1 if version == 0x6B3343CF else 0
    head = bytes([0xC0 | ptype << 4 | 0x03]) + struct.pack("!I", version) + bytes([len(dcid)]) + dcid
    head += bytes([len(scid)]) + scid + b"\x00"  # token length 0
    rest = pad_to - len(head) - 2
    return head + struct.pack("!H", 0x4000 | rest) + _noise(rest)


def test_quic_initial_on_any_udp_port():
    flow = _dgram("udp", 4433, [quic_initial()], [quic_initial(scid=b"\x22" * 5, pad_to=300)])
    assert (flow.service, flow.expected_service) == ("quic", "")
    assert flow.quic["version"] == 1 and flow.quic["version_hex"] == "0x00000001"
    assert (flow.quic["dcid_len"], flow.quic["scid_len"], flow.quic["initial_orig"], flow.quic["initial_resp"]) == (
        8, 0, 1, 1)
    assert parse_long_header(quic_initial(version=0x6B3343CF))["initial"]
    assert parse_long_header(quic_initial(version=0x12345678)) is None  # unknown version
    assert parse_long_header(quic_initial(dcid=b"\x01" * 21)) is None  # CID longer than 20
    too_short = quic_initial()[:100]
    assert parse_long_header(too_short) is None  # the Length field runs past the datagram


def _echo(kind: int, payload: bytes) -> bytes:
    return bytes(ICMP(type=kind, id=7, seq=1) / payload)


def test_icmp_tunnel_ip_in_echo_payload():
    inner = bytes(IP(src="10.9.0.2", dst="8.8.8.8") / UDP(sport=1234, dport=53) / (b"x" * 40))
    tunnel = _dgram("icmp", 0, [_echo(8, inner)] * 3, [_echo(0, inner)] * 2)
    assert tunnel.service == "icmp"
    info = tunnel.icmp
    assert (info.echo_requests, info.echo_replies, info.ip_in_payload) == (3, 2, 5)
    assert info.payload_sizes == [len(inner)] * 5
    ping = bytes(range(0x10, 0x38))  # Linux ping pattern
    normal = _dgram("icmp", 0, [_echo(8, b"\x45" + ping)], [_echo(0, b"abcdefghijklmnopqrstuvwabcdefghi")])
    assert normal.icmp.ip_in_payload == 0 and normal.icmp.echo_requests == 1


def test_ip_header_plausibility():
    v4 = bytes(IP(src="1.2.3.4", dst="5.6.7.8") / b"data")
    assert starts_with_ip(v4)
    broken = bytearray(v4)
    broken[10] ^= 0xFF  # checksum wrong
    assert not starts_with_ip(bytes(broken))
    v6 = bytes.fromhex("6000000000080640") + bytes(32) + b"12345678"
    assert starts_with_ip(v6) and not starts_with_ip(v6[:30])


def test_icmpv6_echo_and_unreachable():
    req = bytes([128, 0, 0, 0, 0, 1, 0, 1]) + b"ping"
    unreach = bytes([1, 4, 0, 0, 0, 0, 0, 0]) + _noise(40)
    flow = _dgram("icmp", 129, [req, unreach], [], ip_ver=6)
    assert (flow.icmp.echo_requests, flow.icmp.unreachable) == (1, 1)


def test_random_and_mutated_payloads_never_raise():
    rng = random.Random(7)
    seeds = [client_hello(), server_hello(0x0304), quic_initial(), b"SSH-2.0-x\r\n",
             b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n", _echo(8, bytes(IP() / UDP()))]

    def mutate(data: bytes) -> bytes:
        data = bytearray(data)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data[: rng.randrange(1, len(data) + 1)])

    for _ in range(400):
        payloads = [mutate(rng.choice(seeds)) for _ in range(2)] + [rng.randbytes(rng.randrange(80))]
        _tcp(rng.choice([80, 443, 2222]), payloads[0], payloads[1])
        _dgram("udp", 443, payloads[:2], payloads[2:])
        _dgram("icmp", 0, payloads[:2], payloads[2:], ip_ver=rng.choice([4, 6]))


def test_flow_without_payload_keeps_what_it_has():
    """Zeek-log flows (sensor-only mode) carry no payload: annotate keeps their service, DNS, TLS and ICMP fields
    and only sets expected_service."""
    from pcap_analyzer.model import DnsMessage, IcmpInfo, TlsInfo

    dns = [DnsMessage(ts=1.0, is_response=False, trans_id=7, qname="example.com", qtype=1, qtype_name="A", rcode=-1,
                      rcode_name="")]
    tls = TlsInfo(version="TLSv13", sni="example.com", server_hello=True)
    icmp = IcmpInfo(echo_requests=5, echo_replies=4)
    cases = [
        Flow(uid="C3", ts=1.0, last_ts=2.0, proto="udp", orig_h="10.0.0.1", orig_p=5000, resp_h="192.0.2.1",
             resp_p=53, service="dns", dns=list(dns)),
        Flow(uid="C4", ts=1.0, last_ts=2.0, proto="tcp", orig_h="10.0.0.1", orig_p=40000, resp_h="192.0.2.1",
             resp_p=8443, service="tls", tls=tls),
        Flow(uid="C5", ts=1.0, last_ts=2.0, proto="icmp", orig_h="10.0.0.1", orig_p=8, resp_h="192.0.2.1",
             resp_p=0, service="icmp", icmp=icmp),
    ]
    for flow in cases:
        dissect.annotate(flow, CFG)
    assert [(f.service, f.expected_service) for f in cases] == [("dns", "dns"), ("tls", "tls"), ("icmp", "")]
    assert cases[0].dns == dns and cases[1].tls is tls and cases[2].icmp is icmp
    assert (icmp.echo_requests, icmp.echo_replies) == (5, 4)
    # with payload the dissectors decide (and replace what was there)
    flow = Flow(uid="C6", ts=1.0, last_ts=2.0, proto="tcp", orig_h="10.0.0.1", orig_p=40000, resp_h="192.0.2.1",
                resp_p=443, service="tls", orig_sample=b"SSH-2.0-x\r\n")
    dissect.annotate(flow, CFG)
    assert flow.service == "ssh"
