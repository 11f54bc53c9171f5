"""DNS parsing: every record type, compression, TCP framing, hostile input."""
from __future__ import annotations

import random
import struct

import pytest
from scapy.layers.dns import DNS, DNSQR, DNSRR, DNSRRMX, DNSRRSOA, DNSRRSRV

from pcap_analyzer import dissect
from pcap_analyzer.config import default_config
from pcap_analyzer.dissect.dns import parse_dns, parse_dns_stream
from pcap_analyzer.model import Flow


def _response() -> bytes:
    answers = [
        DNSRR(rrname="WWW.Example.com.", type="A", rdata="192.0.2.7"),
        DNSRR(rrname="www.example.com.", type="AAAA", rdata="2001:db8::7"),
        DNSRR(rrname="www.example.com.", type="CNAME", rdata="Edge.Example.NET."),
        DNSRRMX(rrname="example.com.", preference=10, exchange="mx1.example.com."),
        DNSRR(rrname="example.com.", type="TXT", rdata=[b"v=spf1 -all", b"second"]),
        DNSRR(rrname="example.com.", type="NULL", rdata=b"\x00\x01\xfe\xff"),
        DNSRR(rrname="example.com.", type="NS", rdata="ns1.example.com."),
        DNSRR(rrname="7.2.0.192.in-addr.arpa.", type="PTR", rdata="www.example.com."),
        DNSRRSOA(rrname="example.com.", mname="ns1.example.com.", rname="admin.example.com.", serial=2024,
                 refresh=1, retry=2, expire=3, minimum=4),
        DNSRRSRV(rrname="_sip._tcp.example.com.", priority=1, weight=2, port=5060, target="sip.example.com."),
    ]
    return bytes(DNS(id=0x1234, qr=1, rd=1, ra=1, rcode=0, qd=DNSQR(qname="WWW.Example.COM.", qtype="A"),
                     an=answers))


def test_query():
    msg = parse_dns(bytes(DNS(id=7, rd=1, qd=DNSQR(qname="Mail.Example.ORG.", qtype="MX"))), ts=5.0)
    assert (msg.ts, msg.is_response, msg.trans_id, msg.qname, msg.qtype, msg.qtype_name) == (
        5.0, False, 7, "mail.example.org", 15, "MX")
    assert (msg.rcode, msg.rcode_name, msg.answers) == (-1, "", [])


def test_every_record_type():
    msg = parse_dns(_response())
    assert msg.is_response and msg.rcode_name == "NOERROR" and msg.qname == "www.example.com"
    assert msg.answers == [
        ("www.example.com", "A", "192.0.2.7"),
        ("www.example.com", "AAAA", "2001:db8::7"),
        ("www.example.com", "CNAME", "edge.example.net"),
        ("example.com", "MX", "10 mx1.example.com"),
        ("example.com", "TXT", "v=spf1 -all second"),
        ("example.com", "NULL", "0001feff"),
        ("example.com", "NS", "ns1.example.com"),
        ("7.2.0.192.in-addr.arpa", "PTR", "www.example.com"),
        ("example.com", "SOA", "ns1.example.com admin.example.com 2024 1 2 3 4"),
        ("_sip._tcp.example.com", "SRV", "1 2 5060 sip.example.com"),
    ]


def _name(*labels: bytes) -> bytes:
    return b"".join(bytes([len(x)]) + x for x in labels) + b"\x00"


HEADER_RESP = struct.pack("!HHHHHH", 1, 0x8180, 1, 2, 0, 0)
QUESTION = _name(b"a", b"example", b"com") + struct.pack("!HH", 16, 1)  # at offset 12


def test_compression_pointers_backwards_chain():
    # answer 1: name = pointer to the question (12); rdata = "x" + pointer to "example.com" (14)
    ans1 = b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 60, 4) + b"\x01x\xc0\x0e"
    ans1_rdata_at = len(HEADER_RESP) + len(QUESTION) + 12
    # answer 2: name = pointer to answer 1's rdata, which itself points further back
    ans2 = struct.pack("!H", 0xC000 | ans1_rdata_at) + struct.pack("!HHIH", 16, 1, 60, 4) + b"\x03a\\b"
    msg = parse_dns(HEADER_RESP + QUESTION + ans1 + ans2)
    assert msg.answers == [("a.example.com", "CNAME", "x.example.com"), ("x.example.com", "TXT", "a\\x5cb")]


@pytest.mark.parametrize("pointer", [b"\xc0\x0c", b"\xc0\x0e", b"\xc0\xff", b"\xc0\x1d"])
def test_compression_loops_and_forward_pointers_terminate(pointer):
    # a question whose name is (or leads to) a pointer at itself or forward: not a valid question -> None
    data = struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\x01a" + pointer + struct.pack("!HH", 1, 1)
    assert parse_dns(data) is None
    # an answer whose name points at itself: parse stops, the question survives (partial message)
    loop = HEADER_RESP + QUESTION + b"\xc0" + bytes([len(HEADER_RESP) + len(QUESTION)]) + b"\x00" * 10
    msg = parse_dns(loop)
    assert msg is not None and msg.qname == "a.example.com" and msg.answers == []


def test_hostile_names_are_escaped():
    name = _name(b"Ab\x00c", b"d.e", b"\xff\\", b"com")
    msg = parse_dns(struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 10, 1))
    assert msg.qname == "ab\\x00c.d\\x2ee.\\xff\\x5c.com" and msg.qtype_name == "NULL"


def test_counts_too_large_give_partial_message():
    data = bytearray(_response())
    data[6:8] = b"\xff\xff"  # ancount 65535
    msg = parse_dns(bytes(data))
    assert msg is not None and len(msg.answers) == 10
    assert parse_dns(struct.pack("!HHHHHH", 1, 0x0100, 0xFFFF, 0, 0, 0) + QUESTION) is not None


def test_too_long_name_rejected():
    labels = [b"a" * 63] * 5  # 320 bytes > 255
    assert parse_dns(struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + _name(*labels) + b"\x00\x01\x00\x01") is None


def test_mdns_response_without_question():
    msg = parse_dns(bytes(DNS(id=0, qr=1, aa=1, qd=[], an=[DNSRR(rrname="host.local.", type="A", rdata="10.0.0.9")])))
    assert (msg.qname, msg.qtype_name, msg.answers) == ("", "TYPE0", [("host.local", "A", "10.0.0.9")])
    assert parse_dns(bytes(DNS(id=0, qr=0, qd=[]))) is None  # nothing asked, nothing answered


def test_unknown_type_and_rcode_names():
    data = bytes(DNS(id=1, qr=1, rcode=3, qd=DNSQR(qname="x.example", qtype=65399)))
    msg = parse_dns(data)
    assert (msg.qtype_name, msg.rcode, msg.rcode_name) == ("TYPE65399", 3, "NXDOMAIN")


def test_fuzz_never_raises():
    rng = random.Random(1)
    seed = _response()
    for _ in range(3000):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        parse_dns(bytes(data[: rng.randrange(len(data) + 1)]))
    for _ in range(3000):
        parse_dns(rng.randbytes(rng.randrange(64)))
    for cut in range(len(seed)):
        parse_dns(seed[:cut])


def test_tcp_framing_several_messages():
    q1 = bytes(DNS(id=1, qd=DNSQR(qname="one.example.com", qtype="A")))
    q2 = bytes(DNS(id=2, qd=DNSQR(qname="two.example.com", qtype="TXT")))
    stream = b"".join(struct.pack("!H", len(m)) + m for m in (q1, q2, _response()))
    msgs = parse_dns_stream(stream[:-5], ts=3.0)  # last message cut by the sample bound
    assert [m.trans_id for m in msgs] == [1, 2, 0x1234]
    assert [m.qname for m in msgs[:2]] == ["one.example.com", "two.example.com"]
    assert len(msgs[2].answers) == 9  # the SRV record was cut
    assert parse_dns_stream(b"\x00\x05abcde") == []


def _udp(port: int, datagrams: list[bytes]) -> Flow:
    flow = Flow(uid="C1", ts=1.0, last_ts=2.0, proto="udp", orig_h="10.0.0.1", orig_p=5000, resp_h="192.0.2.1",
                resp_p=port)
    flow.orig_datagrams = datagrams[::2]
    flow.resp_datagrams = datagrams[1::2]
    flow.datagram_ts = [(1.0 + i, i % 2 == 0) for i in range(len(datagrams))]
    return flow


def test_service_from_payload_not_port():
    cfg = default_config()
    query = bytes(DNS(id=9, qd=DNSQR(qname="c2.example.net", qtype="TXT")))
    on_other_port = _udp(9999, [query, _response()])
    dissect.annotate(on_other_port, cfg)
    assert (on_other_port.service, on_other_port.expected_service) == ("dns", "")
    assert [(m.ts, m.is_response) for m in on_other_port.dns] == [(1.0, False), (2.0, True)]
    rng = random.Random(2)
    noise = _udp(53, [rng.randbytes(rng.randint(20, 300)) for _ in range(20)])
    dissect.annotate(noise, cfg)
    assert (noise.service, noise.expected_service, noise.dns) == ("", "dns", [])


def test_dns_over_tcp_service():
    query = bytes(DNS(id=9, qd=DNSQR(qname="big.example.net", qtype="AXFR")))
    flow = Flow(uid="C2", ts=1.0, last_ts=2.0, proto="tcp", orig_h="10.0.0.1", orig_p=5000, resp_h="192.0.2.1",
                resp_p=53, orig_sample=struct.pack("!H", len(query)) + query,
                resp_sample=struct.pack("!H", len(_response())) + _response())
    dissect.annotate(flow, default_config())
    assert flow.service == "dns" and [m.is_response for m in flow.dns] == [False, True]
    assert flow.dns[0].qtype_name == "AXFR"


def test_a_repeated_message_is_parsed_once_and_keeps_its_own_id_time_and_answers(monkeypatch) -> None:
    from pcap_analyzer.dissect import dns

    parsed = []
    original = dns._parse
    monkeypatch.setattr(dns, "_parse", lambda data, ts: parsed.append(ts) or original(data, ts))
    monkeypatch.setattr(dns, "_CACHE", {})
    first = _response()
    again = struct.pack("!H", 0xBEEF) + first[2:]  # the same lookup answered again: another ID
    a, b = parse_dns(first, ts=1.0), parse_dns(again, ts=2.0)
    assert parsed == [1.0]  # the second came from the cache
    assert (a.ts, a.trans_id, b.ts, b.trans_id) == (1.0, 0x1234, 2.0, 0xBEEF)
    assert b.answers == a.answers and b.answers is not a.answers
    b.answers.append(("x", "A", "192.0.2.1"))
    assert parse_dns(first, ts=3.0).answers == a.answers  # what a caller does to one message stays there
    not_dns = b"\x00\x01" + b"\xff" * 30
    assert parse_dns(not_dns) is None and parse_dns(not_dns) is None and len(parsed) == 2
    long = _response() + b"\x00" * dns._CACHED_BYTES  # long messages are not kept
    parse_dns(long), parse_dns(long)
    assert len(parsed) == 4
