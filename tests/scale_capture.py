"""A capture at scale from the labelled scenario captures: each copy's labelled host gets its own address (and the
copies follow one another in time), so one scenario becomes many infected hosts with the same pattern."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import dpkt

SCENARIOS = Path(__file__).resolve().parents[1] / "pcaps"


def _remapped(buf: bytes, old: bytes, new: bytes) -> bytes:
    eth = dpkt.ethernet.Ethernet(buf)
    ip = eth.data
    if not isinstance(ip, dpkt.ip.IP):
        return buf
    if ip.src == old:
        ip.src = new
    if ip.dst == old:
        ip.dst = new
    ip.sum = 0
    if isinstance(ip.data, (dpkt.tcp.TCP, dpkt.udp.UDP)):
        ip.data.sum = 0  # dpkt recomputes both checksums when packing
    return bytes(eth)


def scaled_capture(out: Path, plan: dict[str, int], gap: float = 3600.0) -> dict[str, str]:
    """Write ``out`` with ``plan[scenario capture]`` copies of each; returns new host address -> scenario."""
    labels = json.loads((SCENARIOS / "labels.json").read_text())["captures"]
    hosts: dict[str, str] = {}
    with out.open("wb") as fh:
        writer = dpkt.pcap.Writer(fh)
        n = 0
        for name, copies in plan.items():
            old = socket.inet_aton(next(iter(labels[name]["hosts"])))
            with (SCENARIOS / name).open("rb") as src:
                packets = list(dpkt.pcap.Reader(src))
            for _ in range(copies):
                new_ip = f"10.200.{n // 250}.{n % 250 + 1}"
                hosts[new_ip] = name
                for ts, buf in packets:
                    writer.writepkt(_remapped(buf, old, socket.inet_aton(new_ip)), ts + n * gap)
                n += 1
    return hosts
