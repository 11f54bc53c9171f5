"""`fallback-hunt analyze`: outputs, exit codes, stdout summary, nothing else in OUTDIR touched."""
from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from clirun import assert_one_error_line, run_cli, snapshot
from conftest import SCENARIOS, SHARED_ZEEK_LOGS, shared_captures, zeek_log_rows

from pcap_analyzer import __version__, cli, pipeline
from pcap_analyzer.cli import ProgressLine, main
from pcap_analyzer.report.fallback_log import FIELDS

SCHEMA = json.loads(resources.files("pcap_analyzer").joinpath("data/report.schema.json").read_text())
MALICIOUS = shared_captures("malicious")
BENIGN = shared_captures("benign")
needs_shared = pytest.mark.skipif(not MALICIOUS or not BENIGN, reason="../shared/pcaps is not present")


def log_rows(path: Path) -> list[dict[str, str]]:
    names = [n for n, _ in FIELDS]
    return [dict(zip(names, line.split("\t"))) for line in path.read_text().splitlines() if not line.startswith("#")]


def check_outputs(outdir: Path, proc) -> dict:
    """The three reports exist and agree with each other and with the exit code; returns report.json."""
    doc = json.loads((outdir / "report.json").read_text())
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    escalated = doc["summary"]["escalate"]
    assert proc.returncode == (1 if escalated else 0), proc.stderr
    assert len(log_rows(outdir / "fallback.log")) == sum(len(h["indicators"]) for h in doc["hosts"])
    assert (outdir / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert not [p.name for p in outdir.iterdir() if p.name.endswith(".tmp")]
    return doc


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"fallback-hunt {__version__}"


@needs_shared
@pytest.mark.parametrize("capture", [*MALICIOUS, *BENIGN[:3]], ids=lambda p: p.name)
def test_analyze_shared_capture(capture, tmp_path):
    outdir = tmp_path / "new" / "out"  # created, parents too
    proc = run_cli("analyze", capture, "-o", outdir)
    assert proc.stderr == ""  # not a terminal: no progress, no noise
    doc = check_outputs(outdir, proc)
    assert doc["inputs"][0]["path"] == str(capture) and doc["inputs"][0]["packets"] > 0
    counts = doc["summary"]
    assert f"verdicts: {counts['escalate']} escalate, {counts['investigate']} investigate, {counts['benign']} benign" \
        in proc.stdout
    host_lines = [line.split()[:2] for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert host_lines == [[h["verdict"].upper(), h["ip"]] for h in doc["hosts"] if h["verdict"] != "benign"]
    assert f"reports: {outdir / 'report.json'}" in proc.stdout


@needs_shared
def test_benign_captures_exit_zero_together(tmp_path):
    proc = run_cli("analyze", *BENIGN, "-o", tmp_path, "--quiet")
    doc = check_outputs(tmp_path, proc)
    assert proc.returncode == 0 and doc["summary"]["escalate"] == 0
    assert proc.stdout == ""  # --quiet
    assert [i["path"] for i in doc["inputs"]] == [str(p) for p in BENIGN]


@needs_shared
def test_existing_files_in_outdir_survive_and_reports_are_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "report.json").write_text("also mine")
    (tmp_path / "report.json").write_text("old report")
    proc = run_cli("analyze", MALICIOUS[0], "-o", tmp_path)
    check_outputs(tmp_path, proc)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert (tmp_path / "sub" / "report.json").read_text() == "also mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fallback.log", "notes.txt", "report.html", "report.json",
                                                          "sub"]


@needs_shared
def test_refuses_to_overwrite_an_input(tmp_path):
    config = tmp_path / "report.json"  # a valid config that happens to sit where a report would go
    config.write_text("[report]\nmax_text = 100\n")
    before = snapshot(tmp_path)
    line = assert_one_error_line(run_cli("analyze", MALICIOUS[0], "-o", tmp_path, "--config", config))
    assert "refusing to overwrite input file" in line
    assert snapshot(tmp_path) == before


@needs_shared
def test_config_home_net_and_intel_are_used(tmp_path):
    config = tmp_path / "cfg.toml"
    config.write_text("[report]\nsummary_reasons = 1\n")
    intel = tmp_path / "intel.txt"
    intel.write_text("# known bad\n192.0.2.1\nbad.example.com\n")
    proc = run_cli("analyze", MALICIOUS[0], "-o", tmp_path / "out", "--config", config, "--intel", intel,
                   "--home-net", "10.0.0.0/8,192.168.0.0/16,172.16.0.0/12")
    check_outputs(tmp_path / "out", proc)


@needs_shared
def test_sensor_only_mode(tmp_path):
    logs = SHARED_ZEEK_LOGS / MALICIOUS[0].name.rsplit(".", 1)[0]
    proc = run_cli("analyze", "--zeek-logs", logs, "-o", tmp_path)
    doc = check_outputs(tmp_path, proc)
    assert doc["inputs"] and all(i["kind"] == "zeek_log" for i in doc["inputs"])  # the logs read, no capture
    assert any("sensor-only" in n for n in doc["notes"])


@needs_shared
def test_zeek_uids_join_capture_flows(tmp_path):
    capture = next(p for p in MALICIOUS if "icmp-tunnel" in p.name)
    logs = SHARED_ZEEK_LOGS / capture.name.rsplit(".", 1)[0]
    proc = run_cli("analyze", capture, "--zeek-logs", logs, "-o", tmp_path)
    check_outputs(tmp_path, proc)
    conn_uids = {line.split("\t")[1] for line in (logs / "conn.log").read_text().splitlines()
                 if not line.startswith("#")}
    rows = log_rows(tmp_path / "fallback.log")
    assert rows and any(r["uid"] in conn_uids for r in rows)


@needs_shared
def test_suricata_requested_but_not_installed(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}  # no suricata binary on PATH
    proc = run_cli("analyze", MALICIOUS[0], "-o", tmp_path / "out", "--suricata", env=env)
    doc = check_outputs(tmp_path / "out", proc)
    assert any("Suricata" in n and "not installed" in n for n in doc["notes"])
    assert "not installed" in proc.stdout


@pytest.mark.parametrize("argv, words", [
    ([], "a command is required"),
    (["analyze", "-o", "x"], "at least one CAPTURE or --zeek-logs"),
    (["analyze", "x.pcap"], "required: -o"),
    (["analyze", "x.pcap", "-o", "out", "--bogus"], "unrecognized arguments: --bogus"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_errors_are_one_line(argv, words):
    line = assert_one_error_line(run_cli(*argv))
    assert words in line


def test_internal_error_is_one_line_and_debug_shows_traceback(tmp_path, monkeypatch, capsys):
    capture = tmp_path / "c.pcap"
    capture.write_bytes(b"x")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "analyze", broken)
    assert main(["analyze", str(capture), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err == "fallback-hunt: error: internal error: RuntimeError: boom (rerun with --debug for the traceback)\n"
    assert main(["analyze", str(capture), "-o", str(tmp_path / "out"), "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1].startswith("fallback-hunt: error: internal error")


@needs_shared
def test_disk_error_is_one_line_and_keeps_the_old_report(tmp_path, monkeypatch, capsys):
    (tmp_path / "report.json").write_text("old report")

    def full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    assert main(["analyze", str(MALICIOUS[0]), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err and "report.json" in err
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind
    assert (tmp_path / "report.json").read_text() == "old report"


def test_exit_code_follows_escalation(tmp_path, monkeypatch, capsys):
    from synthetic_report import report

    capture = tmp_path / "c.pcap"
    capture.write_bytes(b"x")
    rep = report()
    rep.hosts[-1].reasons.insert(0, "name \x1b[2J\x1b]0;pwned\x07 in a query")  # terminal escapes from the wire
    monkeypatch.setattr(pipeline, "analyze", lambda *a, **k: rep)
    assert main(["analyze", str(capture), "-o", str(tmp_path / "a")]) == 1
    out = capsys.readouterr().out
    assert "ESCALATE" in out and "10.0.0.5" in out and "INVESTIGATE" in out and "10.0.0.20" not in out
    assert "\x1b" not in out and "\\x1b[2J" in out  # control characters escaped, not sent to the terminal
    rep.hosts = [h for h in rep.hosts if h.verdict != "escalate"]
    assert main(["analyze", str(capture), "-o", str(tmp_path / "b"), "-q"]) == 0
    assert capsys.readouterr().out == ""


def test_progress_line_only_for_large_captures(tmp_path):
    big, small = tmp_path / "big.pcap", tmp_path / "small.pcap"
    big.write_bytes(b"\0" * 100)
    small.write_bytes(b"\0" * 10)
    stream = io.StringIO()
    progress = ProgressLine(stream, min_bytes=50)
    for capture, packets in ((str(small), 5), (str(big), 10), (str(big), 20)):
        progress(capture, packets)
    progress.done()
    assert stream.getvalue() == f"\r{big}: 10 packets read\r{big}: 20 packets read\n"


def test_parser_lists_every_flag():
    text = cli.build_parser()._subparsers._group_actions[0].choices["analyze"].format_help()
    for flag in ("-o", "--intel", "--home-net", "--config", "--zeek-logs", "--suricata", "--eve", "--quiet", "--debug"):
        assert flag in text


@needs_shared
def test_eve_alerts_become_suricata_indicators(tmp_path):
    """An alert from a user's EVE file, joined on Community ID to a flow of the capture, shows up as evidence."""
    capture = next(p for p in MALICIOUS if "icmp-tunnel" in p.name)
    conn = SHARED_ZEEK_LOGS / capture.name.rsplit(".", 1)[0] / "conn.log"
    row = zeek_log_rows(conn)[0]
    stamp = datetime.fromtimestamp(float(row["ts"]), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    alert = {"timestamp": stamp, "event_type": "alert", "src_ip": row["id.orig_h"], "dest_ip": row["id.resp_h"],
             "proto": row["proto"].upper(), "community_id": row["community_id"],
             "alert": {"signature_id": 9100001, "rev": 1, "signature": "test: tunnel", "category": "test",
                       "severity": 1, "metadata": {"fallback_indicator": ["icmp_tunnel"]}}}
    eve = tmp_path / "eve.json"
    eve.write_text(json.dumps({"event_type": "stats"}) + "\n" + json.dumps(alert) + "\n")
    proc = run_cli("analyze", capture, "--eve", eve, "-o", tmp_path / "out")
    doc = check_outputs(tmp_path / "out", proc)
    found = [i for h in doc["hosts"] for i in h["indicators"] if i["source"] == "suricata"]
    assert [(i["type"], i["evidence"]["sid"], i["community_id"]) for i in found] == \
        [("icmp_tunnel", 9100001, row["community_id"])]


@needs_shared
def test_progress_shown_on_a_terminal(tmp_path):
    config = tmp_path / "small-is-large.toml"
    config.write_text("[report]\nprogress_min_bytes = 0\n")
    master, slave = os.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "pcap_analyzer", "analyze", str(MALICIOUS[0]), "-o",
                               str(tmp_path / "out"), "--config", str(config)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=slave, timeout=120)
        shown = os.read(master, 65536).decode()
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode in (0, 1)
    packets = json.loads((tmp_path / "out" / "report.json").read_text())["inputs"][0]["packets"]
    shown = shown.replace("\r\n", "\n")  # the terminal's line discipline
    assert shown.startswith(f"\r{MALICIOUS[0]}: ") and shown.endswith(f": {packets} packets read\n")
    assert shown.count("\n") == 1  # one line, rewritten in place


@pytest.mark.suricata
@pytest.mark.skipif(shutil.which("suricata") is None, reason="suricata is not installed")
@pytest.mark.skipif(not (SCENARIOS / "demo_office.pcap").is_file(), reason="pcaps/demo_office.pcap not generated")
def test_suricata_run_adds_its_alerts(tmp_path):
    proc = run_cli("analyze", SCENARIOS / "demo_office.pcap", "--suricata", "-o", tmp_path)
    doc = check_outputs(tmp_path, proc)
    assert not any("Suricata" in n for n in doc["notes"])
    assert any(i["source"] == "suricata" for h in doc["hosts"] for i in h["indicators"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fallback.log", "report.html", "report.json"]  # no eve.json
