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
import sys
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


# ---------------------------------------------------------------------------------------------------------------
# The "hostile scale" table of `make bench`
# ---------------------------------------------------------------------------------------------------------------

HOSTS = (1_000, 4_000, 12_000)
ALERTS = (2_000, 20_000, 200_000)
RSS_LIMIT_MB, REPORT_LIMIT_MB = 1024, 50


def scale_rows(data: Path, measure) -> list[dict]:
    """Run ``fallback-hunt analyze`` on every size (inputs cached in ``data``); ``measure(cmd)`` returns an object
    with rc, wall, cpu and rss_mb (bench/run.py's)."""
    data.mkdir(parents=True, exist_ok=True)
    rows = []
    base = pattern_capture(data / "hostile-eve-base.pcap", 10) if not (data / "hostile-eve-base.pcap").exists() \
        else data / "hostile-eve-base.pcap"
    cases = [("hosts on one pattern", n, lambda n: [_cached(data / f"hostile-hosts-{n}.pcap", pattern_capture, n)])
             for n in HOSTS]
    cases += [("EVE alerts, one per host", n, lambda n: [base, "--eve",
                                                          _cached(data / f"hostile-eve-{n}.json", eve_file, n)])
              for n in ALERTS]
    for what, n, inputs in cases:
        out = data / f"hostile-out-{what.split()[0]}-{n}"
        run = measure([sys.executable, "-m", "pcap_analyzer", "analyze", *map(str, inputs(n)), "-o", str(out), "-q"])
        sizes = {name: (out / name).stat().st_size / 1e6 if (out / name).exists() else 0.0
                 for name in ("report.json", "fallback.log", "report.html")}
        rows.append({"what": what, "n": n, "rc": run.rc, "wall": run.wall, "cpu": run.cpu, "rss_mb": run.rss_mb,
                     **sizes})
    return rows


def _cached(path: Path, make, n: int) -> Path:
    return path if path.exists() else make(path, n)


def scale_table(rows: list[dict]) -> str:
    """The table, with PASS/FAIL against 1 GB RSS and a 50 MB report.json, and growth per 1,000 (linear: flat)."""
    lines = ["hostile scale (fallback-hunt analyze; targets: RSS < 1 GB, report.json < 50 MB, linear growth)",
             f"{'input':26} {'n':>8} {'exit':>4} {'cpu s':>7} {'RSS MB':>7} {'json MB':>8} {'log MB':>7} "
             f"{'html MB':>8} {'RSS MB/1k':>9} {'json MB/1k':>10}  verdict"]
    previous: dict | None = None
    for row in rows:
        grow_rss = grow_json = ""
        if previous is not None and previous["what"] == row["what"]:
            k = (row["n"] - previous["n"]) / 1000
            grow_rss = f"{(row['rss_mb'] - previous['rss_mb']) / k:9.2f}"
            grow_json = f"{(row['report.json'] - previous['report.json']) / k:10.3f}"
        ok = row["rc"] in (0, 1) and 0 < row["report.json"] < REPORT_LIMIT_MB and row["rss_mb"] < RSS_LIMIT_MB
        lines.append(f"{row['what']:26} {row['n']:>8} {row['rc']:>4} {row['cpu']:7.1f} {row['rss_mb']:7.0f} "
                     f"{row['report.json']:8.2f} {row['fallback.log']:7.2f} {row['report.html']:8.2f} "
                     f"{grow_rss:>9} {grow_json:>10}  {'PASS' if ok else 'FAIL'}")
        previous = row
    return "\n".join(lines)
