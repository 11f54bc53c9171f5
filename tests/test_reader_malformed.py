"""Damaged input: every problem is either a partial result with a warning or one InputError line, never a traceback."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_captures
from pcap_analyzer.errors import InputError
from test_reader import cfg_with, ether, ip_packets, pcapng_block, read_all, write_pcap, write_pcapng

MALFORMED = shared_captures("malformed")


def outcome(path: Path, cfg=None) -> tuple[str, object]:
    """("error", message) or ("read", (packets, warnings)) - the fast and slow paths must agree."""
    results = []
    for fast in (True, False):
        try:
            cols, payloads, info, _ = read_all(path, cfg, fast=fast)
        except InputError as exc:
            results.append(("error", str(exc)))
        else:
            results.append(("read", (info.packets, info.warnings)))
    assert results[0] == results[1]
    kind, detail = results[0]
    if kind == "error":
        assert "\n" not in detail and detail.startswith(str(path)), detail
    return kind, detail


@pytest.mark.parametrize("capture", MALFORMED, ids=lambda p: p.name)
def test_every_shared_malformed_capture_reads_or_fails_with_one_line(capture: Path) -> None:
    kind, detail = outcome(capture)
    if kind == "read":
        packets, warnings = detail
        assert packets > 0 or warnings, "a capture that yields nothing must say why"
        assert all("\n" not in w and str(capture) not in w for w in warnings)  # shown next to the path


@pytest.mark.parametrize("capture", [p for p in MALFORMED if p.name.startswith("zeek-")], ids=lambda p: p.name)
def test_malformed_payloads_in_valid_captures_read_cleanly(capture: Path) -> None:
    """Corrupt DNS or IPv6 reassembly edge cases are payload problems, not capture problems."""
    assert outcome(capture) == ("read", (read_all(capture)[2].packets, []))
    assert read_all(capture)[2].packets > 0


def test_file_level_damage(tmp_path: Path) -> None:
    good = write_pcap(tmp_path / "good.pcap", [ether(ip) for ip in ip_packets()])
    data = good.read_bytes()
    cases = {
        "empty": b"",
        "not-a-capture": b"hello world, this is plainly not a capture file",
        "short-magic": data[:3],
        "truncated-header": data[:20],
        "pcapng-bad-bom": b"\x0a\x0d\x0d\x0a" + struct.pack("<I", 28) + b"\x00" * 20,
        "pcapng-short": b"\x0a\x0d\x0d\x0a\x1c\x00",
        "gzip-garbage": b"\x1f\x8b" + b"\x00" * 30,
        "gzip-of-nothing": gzip.compress(b""),
        "gzip-of-text": gzip.compress(b"not a capture at all"),
    }
    for name, blob in cases.items():
        path = tmp_path / name
        path.write_bytes(blob)
        assert outcome(path)[0] == "error", name
    assert outcome(tmp_path / "missing.pcap")[0] == "error"
    assert outcome(tmp_path)[0] == "error"


def test_header_only_file_is_valid_and_empty(tmp_path: Path) -> None:
    path = write_pcap(tmp_path / "h.pcap", [])
    kind, (packets, warnings) = outcome(path)
    assert kind == "read" and packets == 0 and len(warnings) == 1


def test_truncation_anywhere_keeps_whole_records(tmp_path: Path) -> None:
    frames = [ether(ip) for ip in ip_packets()]
    data = write_pcap(tmp_path / "full.pcap", frames).read_bytes()
    ends = np.cumsum([24] + [16 + len(f) for f in frames])
    cuts = sorted({int(e) + d for e in ends for d in (-20, -1, 0, 1, 8, 12, 15, 16)} & set(range(25, len(data))))
    for cut in cuts:
        path = tmp_path / "cut.pcap"
        path.write_bytes(data[:cut])
        kind, (packets, warnings) = outcome(path)
        whole = int(np.searchsorted(ends, cut, side="right")) - 1
        assert kind == "read" and packets == whole
        assert bool(warnings) == (cut not in ends)


def test_gzip_cut_short_keeps_what_was_decompressed(tmp_path: Path) -> None:
    frames = [ether(ip) for ip in ip_packets()] * 50
    packed = gzip.compress(write_pcap(tmp_path / "f.pcap", frames).read_bytes())
    path = tmp_path / "cut.pcap.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    kind, (packets, warnings) = outcome(path)
    assert kind == "read" and 0 < packets < len(frames) and warnings


def test_absurd_caplen_stops_with_a_warning(tmp_path: Path) -> None:
    frames = [ether(ip) for ip in ip_packets()]
    data = bytearray(write_pcap(tmp_path / "a.pcap", frames, snaplen=1500).read_bytes())
    third = 24 + sum(16 + len(f) for f in frames[:2])
    data[third + 8: third + 12] = struct.pack("<I", 10_000_000)
    path = tmp_path / "absurd.pcap"
    path.write_bytes(bytes(data))
    kind, (packets, warnings) = outcome(path)
    assert kind == "read" and packets == 2 and "caplen" in warnings[0]


def test_pcapng_damage_after_the_section_header(tmp_path: Path) -> None:
    frames = [ether(ip) for ip in ip_packets()]
    path = write_pcapng(tmp_path / "ok.pcapng", "<", [(1, None)], [(0, i, f) for i, f in enumerate(frames)])
    data = path.read_bytes()
    cut = tmp_path / "cut.pcapng"
    cut.write_bytes(data[:-7])
    assert outcome(cut)[1][0] == len(frames) - 1 and outcome(cut)[1][1]
    undeclared = tmp_path / "undeclared.pcapng"
    undeclared.write_bytes(data + pcapng_block("<", 6, struct.pack("<IIIII", 5, 0, 0, 4, 4) + b"abcd"))
    packets, warnings = outcome(undeclared)[1]
    assert packets == len(frames) and "interface 5" in warnings[0]


@pytest.mark.parametrize("value", [0, -1, "many", 2.5])
def test_bad_chunk_setting_is_an_input_error(value, tmp_path: Path) -> None:
    path = write_pcap(tmp_path / "a.pcap", [ether(ip_packets()[0])])
    with pytest.raises(InputError, match="chunk_packets"):
        read_all(path, cfg_with(chunk_packets=value))


def test_pcapng_blocks_too_short_for_their_type(tmp_path: Path) -> None:
    frames = [ether(ip) for ip in ip_packets()]
    packets = [(0, i, f) for i, f in enumerate(frames)]
    data = write_pcapng(tmp_path / "ok.pcapng", "<", [(1, None)], packets).read_bytes()
    for btype in (1, 2, 3, 6):
        path = tmp_path / f"short{btype}.pcapng"
        path.write_bytes(data + pcapng_block("<", btype, b"\x00\x00\x00\x00"[: 4 if btype != 3 else 0]))
        packets, warnings = outcome(path)[1]
        assert packets == len(frames) and "too short" in warnings[0]


def test_unsupported_link_type_is_counted_as_non_ip_with_a_warning(tmp_path: Path) -> None:
    path = write_pcap(tmp_path / "wlan.pcap", [b"\x08\x00" + b"\x00" * 40] * 3, linktype=105)
    cols, _, info, _ = read_all(path)
    assert info.packets == info.non_ip == 3 and "link type 105" in info.warnings[0]


def test_pcapng_without_packets_is_valid_and_empty(tmp_path: Path) -> None:
    path = write_pcapng(tmp_path / "none.pcapng", ">", [(1, None)], [])
    assert outcome(path) == ("read", (0, ["the capture holds no packets"]))
