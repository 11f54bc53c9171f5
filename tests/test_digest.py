"""The captures' SHA-256: hashed block by block on a worker thread, and reported per capture by the pipeline."""
from __future__ import annotations

import gzip
import hashlib
import mmap
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from conftest import SCENARIOS
from pcap_analyzer.capture import digest
from pcap_analyzer import pipeline
from pcap_analyzer.config import load_config
from pcap_analyzer.errors import InputError

PAGE = mmap.PAGESIZE


@pytest.mark.parametrize("size", [0, 1, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE + 7])
def test_file_sha256_over_block_boundaries(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * (size // 256) + bytes(size % 256))
    assert digest.file_sha256(path, block=PAGE) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest.file_sha256(path, block=1) == hashlib.sha256(path.read_bytes()).hexdigest()  # rounded to a page


def test_every_capture_gets_its_own_digest_gzip_by_the_file_given(tmp_path: Path) -> None:
    plain = SCENARIOS / "demo_office.pcap"
    packed = tmp_path / "other.pcap.gz"
    packed.write_bytes(gzip.compress((SCENARIOS / "benign_ssh_high_port_a.pcap").read_bytes()))
    inputs, flows = pipeline.read_flows([plain, packed], load_config())
    assert [i.sha256 for i in inputs] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in (plain, packed)]
    assert all(i.packets for i in inputs) and flows


def test_a_file_unreadable_for_its_digest_is_one_line_of_bad_input() -> None:
    failed: Future[str] = Future()
    failed.set_exception(PermissionError(13, "Permission denied"))
    with pytest.raises(InputError, match=r"^x\.pcap: cannot read for its SHA-256: Permission denied$"):
        digest.result(failed, "x.pcap")


def test_a_bad_capture_is_one_line_of_bad_input_while_digests_run(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture at all")
    with pytest.raises(InputError, match="not a pcap"):
        pipeline.read_flows([bad, SCENARIOS / "demo_office.pcap"], load_config())


def test_a_stopped_digest_gives_up(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(3 * PAGE))
    stop = threading.Event()
    stop.set()
    assert digest.file_sha256(path, block=PAGE, stop=stop) == ""


def test_leaving_early_stops_the_running_digest(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    with path.open("wb") as fh:  # sparse: large to hash, cheap to write
        fh.truncate(8 << 30)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with digest.hashing([path, path]) as futures:
            raise KeyboardInterrupt
    assert time.monotonic() - start < 3  # hashing 8 GB would take several seconds
    assert all(f.cancelled() or f.result() == "" for f in futures)  # given up, not finished
