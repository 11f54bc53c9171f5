"""Limits (issue 13): gzip bombs stop early with a warning and a partial report; large records do not make the
mapping resident; gzip is known by its magic bytes everywhere."""
from __future__ import annotations

import gzip
import json
import struct
import time
from pathlib import Path

import pytest

from clirun import peak_rss_run
from conftest import SCENARIOS

from pcap_analyzer import limits
from pcap_analyzer.capture import reader
from pcap_analyzer.sources import suricata
from pcap_analyzer.config import default_config, override
from pcap_analyzer.errors import InputError
from pcap_analyzer.model import CaptureInfo

HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)


def _gzip(path: Path, head: bytes, block: bytes, times: int) -> Path:
    with gzip.open(path, "wb", compresslevel=6) as out:
        out.write(head)
        for _ in range(times):
            out.write(block)
    return path


def _run(*args: str | Path) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS MB) of one analyze run."""
    start = time.monotonic()
    code, rss = peak_rss_run("analyze", *args, "-q")
    return code, time.monotonic() - start, rss


def test_a_gzip_of_zeros_stops_at_the_ratio_limit_with_a_warning(tmp_path: Path) -> None:
    bomb = _gzip(tmp_path / "zeros.pcap.gz", HEADER, bytes(1 << 24), 64)  # 1 GiB of empty records, ~1 MB
    code, seconds, _ = _run(bomb, "-o", tmp_path / "out")
    assert code == 0 and seconds < 60
    (info,) = json.loads((tmp_path / "out" / "report.json").read_text())["inputs"]
    assert any("max_gzip_ratio" in w and "partial results" in w for w in info["warnings"]), info["warnings"]
    assert 0 < info["packets"] < (1 << 30) // 16


def test_large_non_ip_records_keep_memory_flat(tmp_path: Path) -> None:
    """65 KB non-IP records: a chunk of 65,536 of them was the whole file, resident (3.75 GB seen on 4 GiB)."""
    frame = b"\x02" * 6 + b"\x04" * 6 + b"\x88\xb5" + bytes(65000)
    record = struct.pack("<IIII", 1_700_000_000, 0, len(frame), len(frame)) + frame
    capture = _gzip(tmp_path / "nonip.pcap.gz", HEADER, record, 8000)  # 520 MB expanded
    code, _, rss = _run(capture, "-o", tmp_path / "out", "--no-limits")
    assert code == 0
    # it was the whole expanded file plus the interpreter (over 600 MB); now about one 64 MB chunk of the file
    assert rss < 330, rss
    (info,) = json.loads((tmp_path / "out" / "report.json").read_text())["inputs"]
    assert info["packets"] == 8000 and info["warnings"] == []


def test_record_limit_gives_a_partial_report(tmp_path: Path) -> None:
    cfg = override(default_config(), {"limits": {"max_records": 10}})
    info = CaptureInfo(path="x")
    capture = SCENARIOS / "demo_office.pcap"
    batches = list(reader.read_capture(capture, cfg, info))
    assert sum(len(b) for b in batches) == info.packets == 10
    assert any("max_records" in w for w in info.warnings)
    cfg = override(cfg, {"limits": {"enabled": False}})
    assert sum(len(b) for b in reader.read_capture(capture, cfg, CaptureInfo(path="x"))) > 10


@pytest.mark.parametrize("bad, problem", [(-1, "must be at least 1"), (0, "must be at least 1"),
                                          (float("nan"), "must be a finite"), (float("inf"), "must be a finite"),
                                          ("10", "has the wrong type"), (True, "has the wrong type")])
def test_limits_must_be_positive_numbers(bad: object, problem: str) -> None:
    with pytest.raises(InputError, match=f"'limits.max_records' {problem}"):
        override(default_config(), {"limits": {"max_records": bad}})


def test_suricata_unpacks_gzip_by_its_magic_bytes_not_its_name(tmp_path: Path) -> None:
    capture = SCENARIOS / "demo_office.pcap"
    mislabelled = tmp_path / "capture.pcap"  # gzip inside, no .gz
    mislabelled.write_bytes(gzip.compress(capture.read_bytes()))
    plain = suricata._plain_capture(mislabelled, tmp_path)
    assert plain != mislabelled and plain.read_bytes() == capture.read_bytes()
    assert limits.is_gzip(mislabelled) and not limits.is_gzip(capture)


def test_corrupt_deflate_is_one_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 200)
    with pytest.raises(InputError, match="corrupt gzip data"):
        list(reader.read_capture(bad, default_config(), CaptureInfo(path=str(bad))))


def _pcapng_block(kind: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))


def test_large_non_ip_records_keep_memory_flat_in_pcapng_too(tmp_path: Path) -> None:
    frame = b"\x02" * 6 + b"\x04" * 6 + b"\x88\xb5" + bytes(65000)
    epb = _pcapng_block(6, struct.pack("<IIIII", 0, 0, 0, len(frame), len(frame)) + frame)
    capture = tmp_path / "nonip.pcapng"
    with capture.open("wb") as out:
        out.write(_pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        out.write(_pcapng_block(1, struct.pack("<HHI", 1, 0, 262144)))
        for _ in range(6000):  # 390 MB
            out.write(epb)
    code, _, rss = _run(capture, "-o", tmp_path / "out")
    assert code == 0 and rss < 330, rss  # about 490 MB before: the whole file resident in one chunk
