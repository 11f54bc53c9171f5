"""TLS ClientHello / ServerHello parsing and JA3, on hand-built records (scapy's TLS layer needs `cryptography`)."""
from __future__ import annotations

import hashlib
import random
import struct

from pcap_analyzer import dissect
from pcap_analyzer.config import default_config
from pcap_analyzer.dissect.tls import is_grease, parse_tls
from pcap_analyzer.model import Flow

_noise = random.Random(11).randbytes  # seeded: the same 'random' bytes every run

GREASE = 0x3A3A


def _vec(data: bytes, len_bytes: int) -> bytes:
    return len(data).to_bytes(len_bytes, "big") + data


def _ext(etype: int, body: bytes) -> bytes:
    return struct.pack("!H", etype) + _vec(body, 2)


def _u16s(values: list[int]) -> bytes:
    return b"".join(struct.pack("!H", v) for v in values)


def _records(msg_type: int, body: bytes, split: int | None = None) -> bytes:
    handshake = bytes([msg_type]) + _vec(body, 3)
    parts = [handshake] if split is None else [handshake[:split], handshake[split:]]
    return b"".join(b"\x16\x03\x01" + _vec(p, 2) for p in parts)


def client_hello(sni: str = "Example.COM", versions: list[int] | None = None, split: int | None = None) -> bytes:
    exts = [
        _ext(GREASE, b""),
        _ext(0, _vec(b"\x00" + _vec(sni.encode(), 2), 2)),
        _ext(10, _vec(_u16s([GREASE, 29, 23, 24]), 2)),
        _ext(11, _vec(b"\x00", 1)),
        _ext(16, _vec(_vec(b"h2", 1) + _vec(b"http/1.1", 1), 2)),
    ]
    if versions:
        exts.append(_ext(43, _vec(_u16s(versions), 1)))
    body = (b"\x03\x03" + _noise(32) + _vec(_noise(32), 1) + _vec(_u16s([GREASE, 0x1301, 0xC02F, 0x009C]), 2)
            + _vec(b"\x00", 1) + _vec(b"".join(exts), 2))
    return _records(1, body, split)


def server_hello(version_ext: int | None = None) -> bytes:
    exts = _ext(43, struct.pack("!H", version_ext)) if version_ext else b""
    body = b"\x03\x03" + _noise(32) + _vec(b"", 1) + b"\x13\x01\x00" + (_vec(exts, 2) if exts else b"")
    return _records(2, body)


EXPECTED_JA3 = "771,4865-49199-156,0-10-11-16,29-23-24,0"


def test_grease_values():
    assert all(is_grease(v) for v in range(0x0A0A, 0x10000, 0x1010))
    assert not any(is_grease(v) for v in (0x0A0B, 0x1301, 0x0000, 0xFAFB))


def test_client_hello_ja3_sni_alpn_without_grease():
    info = parse_tls(client_hello(), b"")
    assert info.client_hello and not info.server_hello
    assert info.ja3_string == EXPECTED_JA3
    assert info.ja3 == hashlib.md5(EXPECTED_JA3.encode()).hexdigest()
    assert (info.sni, info.alpn, info.version) == ("example.com", ["h2", "http/1.1"], "TLSv12")


def test_supported_versions_and_negotiated_version():
    offered = parse_tls(client_hello(versions=[GREASE, 0x0304, 0x0303]), b"")
    assert offered.version == "TLSv13"
    assert "43" in offered.ja3_string.split(",")[2].split("-")
    both = parse_tls(client_hello(versions=[0x0304, 0x0303]), server_hello(0x0304))
    assert both.server_hello and both.version == "TLSv13"
    assert parse_tls(client_hello(versions=[0x0304, 0x0303]), server_hello()).version == "TLSv12"


def test_handshake_split_over_records():
    assert parse_tls(client_hello(split=20), b"").ja3_string == EXPECTED_JA3


def test_truncated_and_garbage_never_raise():
    hello = client_hello()
    for cut in range(len(hello)):
        info = parse_tls(hello[:cut], b"")
        assert info is None or info.ja3 in ("", hashlib.md5(EXPECTED_JA3.encode()).hexdigest())
    for _ in range(200):  # must not raise
        parse_tls(b"\x16\x03\x01" + _noise(300), _noise(100))
    assert parse_tls(b"GET / HTTP/1.1\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n") is None


def _flow(port: int, orig: bytes, resp: bytes) -> Flow:
    return Flow(uid="C1", ts=1.0, last_ts=2.0, proto="tcp", orig_h="10.0.0.1", orig_p=40000, resp_h="192.0.2.1",
                resp_p=port, orig_sample=orig, resp_sample=resp)


def test_tls_found_on_any_port():
    cfg = default_config()
    for port, expected in ((8080, "http"), (443, "tls"), (31337, "")):
        flow = _flow(port, client_hello(), server_hello())
        dissect.annotate(flow, cfg)
        assert (flow.service, flow.expected_service, flow.tls.sni) == ("tls", expected, "example.com")


def test_record_stream_seen_mid_connection_is_tls():
    records = b"".join(bytes([23, 3, 3]) + _vec(_noise(n), 2) for n in (100, 1400, 37))
    flow = _flow(8118, records + b"\x17\x03", b"")  # the last header cut by the sample bound
    dissect.annotate(flow, default_config())
    assert flow.service == "tls" and not flow.tls.client_hello and not flow.tls.server_hello
    broken = records[:105] + b"\x99" + records[106:]  # the second record header is not TLS
    assert parse_tls(broken, b"") is None
    assert parse_tls(b"\x17\x03\x03\x00\x00", b"") is None  # empty record


def test_sslv2_client_hello_is_tls():
    v2 = bytes([0x80, 0x2E, 0x01, 0x03, 0x01]) + _noise(46)
    flow = _flow(443, v2, b"")
    dissect.annotate(flow, default_config())
    assert flow.service == "tls" and flow.tls.ja3 == ""


def test_a_fatal_alert_instead_of_a_server_hello_is_kept() -> None:
    alert = b"\x15\x03\x03\x00\x02\x02\x28"  # fatal (2) handshake_failure (40), as an inspecting firewall sends
    info = parse_tls(client_hello(), alert)
    assert info is not None and info.client_hello and not info.server_hello and info.server_alert == 40
    assert parse_tls(client_hello(), b"\x15\x03\x03\x00\x02\x01\x00").server_alert == -1  # warning close_notify
    assert parse_tls(client_hello(), server_hello()).server_alert == -1  # a handshake that went on
    assert parse_tls(client_hello(), b"").server_alert == -1
    # after ChangeCipherSpec an alert is encrypted: its bytes say nothing
    assert parse_tls(client_hello(), b"\x14\x03\x03\x00\x01\x01" + alert).server_alert == -1
    assert parse_tls(client_hello(), b"\x15\x03\x03\x00\x02\x02").server_alert == -1  # cut short
