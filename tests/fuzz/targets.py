"""Fuzz targets: one function per input the analyzer reads, taking raw bytes.

Each target feeds the bytes to the real reader (through a file where the reader reads files) and treats
``InputError`` (a clear one-line refusal) as the expected outcome for bad input; any other exception is a crash.
The same targets run under atheris (tests/fuzz/run.py: ``make fuzz``, and a bounded run in ``make test``) and, for
every kept crash and seed, under pytest (tests/test_fuzz_regressions.py).
"""
from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

from pcap_analyzer import config, dissect, flows
from pcap_analyzer.measures import measures
from pcap_analyzer.capture import reader
from pcap_analyzer.sources import suricata, zeeklogs
from pcap_analyzer.config import default_config, override
from pcap_analyzer.errors import InputError
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.model import CaptureInfo, Flow

CFG = override(default_config(), {"reader": {"chunk_packets": 64}})  # many chunks: the chunk seams get fuzzed too
HOME = HomeNet(CFG.home_net.cidrs)
_TMP = Path(tempfile.mkdtemp(prefix="fallback-hunt-fuzz-"))


def _file(data: bytes, name: str) -> Path:
    path = _TMP / name
    path.write_bytes(data)
    return path


def capture(data: bytes) -> None:
    """The capture reader and the flow table (pcap, pcapng, gzip)."""
    path = _file(data, "capture.pcap")
    try:
        table = flows.FlowTable(CFG)
        for batch in reader.read_capture(path, CFG, CaptureInfo(path=str(path))):
            table.add(batch)
            table.drain()
        flow_list = table.finish()
        dissect.annotate_all(flow_list, CFG)
        measures.annotate_all(flow_list, CFG)
    except InputError:
        pass


def dissectors(data: bytes) -> None:
    """Every dissector on payload split into both directions and datagrams, TCP and UDP, on several ports."""
    if len(data) < 2:
        return
    port = int.from_bytes(data[:2], "big")
    body = data[2:]
    half = len(body) // 2
    grams = [body[i: i + 97] for i in range(0, len(body), 97)][:16]
    flow_list = [
        Flow(uid="Ct", ts=1.0, last_ts=2.0, proto="tcp", orig_h="10.0.0.1", orig_p=40000, resp_h="192.0.2.1",
             resp_p=port, orig_sample=body[:half], resp_sample=body[half:]),
        Flow(uid="Cu", ts=1.0, last_ts=2.0, proto="udp", orig_h="10.0.0.1", orig_p=40000, resp_h="192.0.2.1",
             resp_p=port, orig_datagrams=grams[::2], resp_datagrams=grams[1::2],
             datagram_ts=[(1.0 + i / 10, i % 2 == 0) for i in range(len(grams))]),
        Flow(uid="Ci", ts=1.0, last_ts=2.0, proto="icmp", orig_h="10.0.0.1", orig_p=8, resp_h="192.0.2.1",
             resp_p=0, orig_datagrams=grams[::2], resp_datagrams=grams[1::2],
             datagram_ts=[(1.0 + i / 10, i % 2 == 0) for i in range(len(grams))]),
    ]
    dissect.annotate_all(flow_list, CFG)
    measures.annotate_all(flow_list, CFG)


def zeek_log(data: bytes) -> None:
    """A Zeek log (TSV, JSON lines, gzip) read as conn.log."""
    path = _file(data, "conn.log")
    try:
        zeeklogs.read_log(path, zeeklogs.COLUMNS["conn"])
    except InputError:
        pass


def eve(data: bytes) -> None:
    """A Suricata EVE file, read and merged into indicators."""
    path = _file(data, "eve.json")
    try:
        alerts = suricata.read_eve(path, [], slim=True)
        suricata.alert_indicators(alerts, [], HOME, CFG)
    except InputError:
        pass


def config_file(data: bytes) -> None:
    """A --config TOML file."""
    path = _file(data, "config.toml")
    try:
        config.load_config(path)
    except InputError:
        pass


TARGETS: dict[str, Callable[[bytes], None]] = {
    "capture": capture, "dissectors": dissectors, "zeek_log": zeek_log, "eve": eve, "config": config_file,
}


def run_quietly(target: Callable[[bytes], None], data: bytes) -> None:
    """A target with library warnings silenced (they are not crashes)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        target(data)


def cleanup() -> None:
    for p in _TMP.iterdir():
        os.unlink(p)
    _TMP.rmdir()
