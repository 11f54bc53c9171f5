"""Signals and temporary files (issue 13): SIGINT and SIGTERM at any moment of a run give one line and exit 2,
never a traceback, and leave no temporary file behind.  Real signals to a real subprocess."""
from __future__ import annotations

import gzip
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SCENARIOS

CAPTURE = SCENARIOS / "demo_office.pcap"


def _start(args: list[str | Path], tmpdir: Path) -> subprocess.Popen:
    env = dict(os.environ, TMPDIR=str(tmpdir))
    return subprocess.Popen([sys.executable, "-m", "pcap_analyzer", "analyze", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env,
                            text=True)


def _signalled(proc: subprocess.Popen, signum: int, after: float) -> tuple[int, str]:
    time.sleep(after)
    if proc.poll() is None:
        proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out + err


def _handles_sigterm(pid: int) -> bool:
    """Whether the process catches SIGTERM (its SigCgt mask in /proc): fallback-hunt's own handlers are set."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(caught >> (signal.SIGTERM - 1) & 1)


# Timed from the first line of __main__ (its handlers set, seen in /proc), not from the start of the process: before
# it the interpreter is in its own start-up (site, .pth files, the package's __init__), which prints its own
# traceback for Ctrl-C, and on a loaded machine that start-up alone can take longer than any fixed delay.
@pytest.mark.parametrize("after", [0.0, 0.05, 0.1, 0.2, 0.3])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_early_in_the_run_gives_one_line(tmp_path: Path, signum: int, after: float) -> None:
    proc = _start([CAPTURE, "-o", tmp_path / "out"], tmp_path)
    deadline = time.monotonic() + 60
    while not _handles_sigterm(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    code, output = _signalled(proc, signum, after)
    assert "Traceback" not in output
    if code != 2:  # it was already done
        assert code in (0, 1), output
        return
    assert output.strip() in ("fallback-hunt: error: interrupted", "fallback-hunt: error: terminated"), output


@pytest.fixture(scope="module")
def big_gzip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gzip of a pcap header and 400 MB of zeros (empty records): decompressing it takes a while."""
    path = tmp_path_factory.mktemp("gz") / "zeros.pcap.gz"
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    block = bytes(1 << 24)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(header)
        for _ in range(25):
            out.write(block)
    return path


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_decompressing_removes_the_temporary_file(tmp_path: Path, big_gzip: Path, signum: int
                                                                  ) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    proc = _start([big_gzip, "-o", tmp_path / "out", "--no-limits"], tmpdir)
    deadline = time.monotonic() + 60
    while not list(tmpdir.glob("fallback-hunt-*.pcap")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert list(tmpdir.glob("fallback-hunt-*.pcap")), "the decompression never started"
    code, output = _signalled(proc, signum, 0.2)
    assert code == 2 and "Traceback" not in output, output
    assert len(output.strip().splitlines()) == 1
    assert list(tmpdir.iterdir()) == []
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
