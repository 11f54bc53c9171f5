"""Hostile-scale inputs: many internal hosts on ONE pattern, and an EVE file with one alert per internal host.

``pattern_capture(path, hosts)``: every host 10.a.b.c looks up the same dynamic-DNS name, gets the same answer and
sends an unanswered SYN to it; every host then shares the pattern ("peer", name) with every other one, the input
that made same_pattern_hosts quadratic.  Four packets per host, written with struct (no scapy: 12,000 hosts in
well under a second).

``eve_file(path, alerts)``: one Suricata alert line per distinct internal host, all with the same signature.

Used by bench/run.py (the "hostile scale" table) and tests/test_hostile_scale.py (the small sizes).
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

NAME = "c2-fallback.duckdns.org"
RESOLVER, C2 = bytes([10, 255, 255, 53]), bytes([203, 0, 113, 10])
T0 = 1_700_000_000.0
PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
ETH = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"


def host_addr(i: int) -> bytes:
    """The i-th internal host (10.0.1.0 onwards; never the resolver)."""
    n = 256 + i
    return bytes([10, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF])


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ip(src: bytes, dst: bytes, proto: int, l4: bytes) -> bytes:
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, src, dst)
    return head[:10] + struct.pack("!H", _checksum(head)) + head[12:] + l4


def _record(ts: float, frame: bytes) -> bytes:
    sec = int(ts)
    return struct.pack("<IIII", sec, int(round((ts - sec) * 1e6)), len(frame), len(frame)) + frame


def _dns(txid: int, response: bool) -> bytes:
    qname = b"".join(bytes([len(p)]) + p.encode() for p in NAME.split(".")) + b"\0"
    head = struct.pack("!HHHHHH", txid, 0x8180 if response else 0x0100, 1, 1 if response else 0, 0, 0)
    body = head + qname + struct.pack("!HH", 1, 1)
    return body + (struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + C2 if response else b"")


def pattern_capture(path: Path, hosts: int) -> Path:
    """A capture of ``hosts`` internal hosts on one dynamic-DNS pattern (4 packets per host)."""
    with path.open("wb") as out:
        out.write(PCAP_HEADER)
        for i in range(hosts):
            src, ts, sport = host_addr(i), T0 + i * 0.01, 20000 + i % 40000
            query, answer = _dns(i & 0xFFFF, False), _dns(i & 0xFFFF, True)
            out.write(_record(ts, ETH + _ip(src, RESOLVER, 17, struct.pack("!HHHH", sport, 53, 8 + len(query), 0)
                                               + query)))
            out.write(_record(ts + 0.001, ETH + _ip(RESOLVER, src, 17, struct.pack("!HHHH", 53, sport,
                                                                                    8 + len(answer), 0) + answer)))
            syn = struct.pack("!HHIIBBHHH", sport + 1, 443, 1000, 0, 5 << 4, 0x02, 64240, 0, 0)
            out.write(_record(ts + 0.002, ETH + _ip(src, C2, 6, syn)))
            out.write(_record(ts + 1.002, ETH + _ip(src, C2, 6, syn)))
    return path


def eve_file(path: Path, alerts: int) -> Path:
    """``alerts`` Suricata EVE alert lines, one per distinct internal host, all with one signature."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(alerts):
            src = ".".join(map(str, host_addr(i)))
            out.write(json.dumps({
                "timestamp": "2023-11-14T22:13:20.000000+0000", "event_type": "alert", "src_ip": src,
                "src_port": 40000 + i % 20000, "dest_ip": "203.0.113.10", "dest_port": 8443, "proto": "TCP",
                "community_id": f"1:{i:08d}=",
                "alert": {"action": "allowed", "gid": 1, "signature_id": 9000101, "rev": 1,
                          "signature": "FALLBACK-HUNT TLS on a non-standard port", "category": "Potential C2",
                          "severity": 2, "metadata": {"fallback_indicator": ["nonstandard_port_encrypted"],
                                                      "mitre_technique_id": ["T1008"]}}}) + "\n")
    return path
