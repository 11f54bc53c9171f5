"""Bad input the user can cause: exactly one stderr line and exit 2 (or, for a damaged capture that still has
packets, a normal result with a warning), never a traceback, and nothing already in OUTDIR touched."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from clirun import assert_one_error_line, run_cli, snapshot
from conftest import shared_captures

MALFORMED = shared_captures("malformed")
GOOD = (shared_captures("malicious") or [None])[0]
needs_shared = pytest.mark.skipif(GOOD is None or not MALFORMED, reason="../shared/pcaps is not present")


@pytest.fixture
def outdir(tmp_path: Path) -> Path:
    """An OUTDIR that already holds the user's files (and an old report) which must survive a failed run."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("the user's notes")
    (out / "report.json").write_text('{"old": true}')
    return out


def refused(outdir: Path, *args) -> str:
    """Run the CLI, expect one error line and exit 2, and check OUTDIR is exactly as it was."""
    before = snapshot(outdir)
    line = assert_one_error_line(run_cli(*args))
    assert snapshot(outdir) == before
    return line


@needs_shared
def test_missing_capture(outdir, tmp_path):
    line = refused(outdir, "analyze", tmp_path / "nope.pcap", "-o", outdir)
    assert "nope.pcap" in line and "no such file" in line


@needs_shared
def test_directory_as_capture(outdir, tmp_path):
    assert "directory" in refused(outdir, "analyze", tmp_path, "-o", outdir)


@needs_shared
@pytest.mark.parametrize("capture", MALFORMED, ids=lambda p: p.name)
def test_malformed_capture(capture, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("the user's notes")
    proc = run_cli("analyze", capture, "-o", out)
    if proc.returncode == 2:
        assert_one_error_line(proc)
        assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
        return
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr == ""
    doc = json.loads((out / "report.json").read_text())
    info = doc["inputs"][0]
    # a result from a damaged file says so; an intact one has packets to show for itself
    assert info["warnings"] or info["packets"] > 0
    assert (out / "keep.txt").read_text() == "the user's notes"


@needs_shared
@pytest.mark.parametrize("name, text, words", [
    ("invalid.toml", "[report\nmax_text = ", "not valid TOML"),
    ("unknown.toml", "[report]\nno_such_setting = 1\n", "unknown setting 'report.no_such_setting'"),
    ("wrongtype.toml", "[report]\nmax_text = \"long\"\n", "wrong type"),
])
def test_bad_config(outdir, tmp_path, name, text, words):
    config = tmp_path / name
    config.write_text(text)
    assert words in refused(outdir, "analyze", GOOD, "-o", outdir, "--config", config)


@needs_shared
@pytest.mark.parametrize("spec", ["10.0.0.0/33", "not-a-net", ",", "10.0.0.0/8,bogus"])
def test_bad_home_net(outdir, spec):
    assert "--home-net" in refused(outdir, "analyze", GOOD, "-o", outdir, "--home-net", spec)


@needs_shared
@pytest.mark.parametrize("text", ["this is not an indicator!\n", "", "#fields\tindicator\tindicator_type\n1.2.3.4\n"])
def test_bad_intel(outdir, tmp_path, text):
    intel = tmp_path / "intel.txt"
    intel.write_text(text)
    assert "intel" in refused(outdir, "analyze", GOOD, "-o", outdir, "--intel", intel)


@needs_shared
def test_binary_intel(outdir, tmp_path):
    intel = tmp_path / "intel.bin"
    intel.write_bytes(b"\xff\xfe\x00\x81garbage")
    assert "intel" in refused(outdir, "analyze", GOOD, "-o", outdir, "--intel", intel)


@needs_shared
@pytest.mark.parametrize("text", ["this is not json\n", '{"event_type": "alert"\n', "[1, 2, 3]\n"])
def test_bad_eve(outdir, tmp_path, text):
    eve = tmp_path / "eve.json"
    eve.write_text(text)
    assert "eve" in refused(outdir, "analyze", GOOD, "-o", outdir, "--eve", eve).lower()


@needs_shared
def test_zeek_logs_not_a_directory(outdir, tmp_path):
    file = tmp_path / "conn.log"
    file.write_text("#fields\tts\n")
    assert "not a directory" in refused(outdir, "analyze", GOOD, "-o", outdir, "--zeek-logs", file)
    assert "no such file" in refused(outdir, "analyze", "-o", outdir, "--zeek-logs", tmp_path / "missing")


@needs_shared
def test_zeek_logs_without_conn_log(outdir, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "conn.log").write_text("this is not a zeek log\n\x00\x01")
    refused(outdir, "analyze", "-o", outdir, "--zeek-logs", logs)


@needs_shared
def test_outdir_is_a_file(tmp_path):
    target = tmp_path / "report-here"
    target.write_text("precious")
    line = assert_one_error_line(run_cli("analyze", GOOD, "-o", target))
    assert "not a directory" in line and target.read_text() == "precious"


@needs_shared
def test_outdir_below_a_file(tmp_path):
    target = tmp_path / "file"
    target.write_text("precious")
    assert_one_error_line(run_cli("analyze", GOOD, "-o", target / "out"))
    assert target.read_text() == "precious"


@needs_shared
def test_output_would_overwrite_an_input(outdir):
    """The capture itself sits where fallback.log would be written."""
    capture = outdir / "fallback.log"
    capture.write_bytes(GOOD.read_bytes())
    assert "refusing to overwrite" in refused(outdir, "analyze", capture, "-o", outdir)


@needs_shared
def test_not_a_capture(outdir, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is text and not a packet capture\n" * 10)
    assert "not a pcap" in refused(outdir, "analyze", text, "-o", outdir)


@needs_shared
def test_second_capture_bad_fails_before_any_output(outdir, tmp_path):
    refused(outdir, "analyze", GOOD, tmp_path / "missing.pcap", "-o", outdir)

