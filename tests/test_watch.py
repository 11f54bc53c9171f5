"""`fallback-hunt watch` on real Zeek output (../shared/zeek-runs, ../shared/zeek-logs) replayed in order: the same
verdicts as `analyze --zeek-logs` on the same logs, through rotation, compression and restarts, with no event
duplicated or lost."""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clirun import assert_one_error_line, run_cli
from conftest import SHARED

RUNS = SHARED / "zeek-runs"
LOGS = SHARED / "zeek-logs"
REPLAYED = ("conn", "dns", "ssl", "notice", "fallback", "weird")


def _final_verdicts(source: Path, tmp: Path) -> dict[str, str]:
    out = tmp / f"analyze-{source.name}"
    proc = run_cli("analyze", "--zeek-logs", source, "-o", out, "--quiet")
    assert proc.returncode in (0, 1), proc.stderr
    return {h["ip"]: h["verdict"] for h in json.loads((out / "report.json").read_text())["hosts"]
            if h["verdict"] != "benign"}


def _replayed(events: list[dict]) -> dict[str, str]:
    """Each host's verdict after the events, checking that no event repeats the verdict the host already had."""
    now: dict[str, str] = {}
    for ev in events:
        ip, verdict = ev["source"]["ip"], ev["fallback_hunt"]["verdict"]
        assert ev["fallback_hunt"]["previous_verdict"] == now.get(ip, "benign"), ("event lost or repeated", ev)
        assert verdict != now.get(ip, "benign"), ("duplicate event", ev)
        now[ip] = verdict
    return {ip: v for ip, v in now.items() if v != "benign"}


def _events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _sources() -> list[Path]:
    names = ("fallback_dyndns_a", "demo_office", "fallback_dns_tunnel_b", "ndpi-dns-tunnel-iodine", "ndpi-stun")
    found = [RUNS / n for n in names if (RUNS / n / "conn.log").is_file()]
    found += [LOGS / n for n in ("ndpi-dns_exfiltration",) if (LOGS / n / "conn.log").is_file()]
    return found


@pytest.mark.parametrize("source", _sources(), ids=lambda p: p.name)
def test_watch_once_gives_the_verdicts_of_analyze(source: Path, tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    wide = tmp_path / "wide.toml"  # some shared logs join captures years apart: a window that holds them all
    wide.write_text("[watch]\nwindow = 1e10\n")
    args = ("watch", "--zeek-logs", source, "--once", "--state", tmp_path / "state", "--events", events,
            "--config", wide)
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert _replayed(_events(events)) == _final_verdicts(source, tmp_path)
    # run again: everything was read already, nothing changes, nothing is emitted twice
    assert run_cli(*args).returncode == 0
    assert _replayed(_events(events)) == _final_verdicts(source, tmp_path)


def _split(log: Path) -> tuple[list[str], list[str]]:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [ln for ln in lines if ln.startswith("#") and not ln.startswith("#close")], \
        [ln for ln in lines if not ln.startswith("#")]


def _start(live: Path, tmp: Path) -> subprocess.Popen:
    cfg = tmp / "fast.toml"
    cfg.write_text("[watch]\ninterval = 0.2\npoll = 0.1\n")
    return subprocess.Popen([sys.executable, "-m", "pcap_analyzer", "watch", "--zeek-logs", str(live), "--state",
                             str(tmp / "state"), "--events", str(tmp / "events.ndjson"), "--config", str(cfg)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen, state: Path, sig: int = signal.SIGTERM) -> None:
    """Stop the watcher once it has polled a few times since it started (its state file rewritten)."""
    started = time.time()
    deadline = started + 60
    while time.time() < deadline and not (state.exists() and state.stat().st_mtime > started + 0.5):
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err


def test_watch_follows_rotation_compression_and_restarts(tmp_path: Path) -> None:
    source = RUNS / "demo_office"
    if not (source / "conn.log").is_file():
        pytest.skip("../shared/zeek-runs/demo_office is not present")
    live = tmp_path / "live"
    live.mkdir()
    parts = {}
    for kind in REPLAYED:
        if (source / f"{kind}.log").is_file():
            parts[kind] = _split(source / f"{kind}.log")

    def write(kind: str, lines: list[str], header: list[str] | None = None) -> None:
        with (live / f"{kind}.log").open("a") as f:
            f.write("".join(f"{ln}\n" for ln in (header or []) + lines))

    proc = _start(live, tmp_path)
    for kind, (header, rows) in parts.items():  # the first third of every log
        write(kind, rows[: len(rows) // 3], header)
    _stop(proc, tmp_path / "state", signal.SIGINT)  # a restart in the middle of a log

    proc = _start(live, tmp_path)
    for kind, (header, rows) in parts.items():  # the second third, then rotation as Zeek does it
        write(kind, rows[len(rows) // 3: 2 * len(rows) // 3])
        with (live / f"{kind}.log").open("a") as f:
            f.write("#close\t2026-01-01-00-00-00\n")
        rotated = live / f"{kind}.2026-01-01-00-00-00.log"
        os.replace(live / f"{kind}.log", rotated)
    time.sleep(0.5)
    for kind, (header, rows) in parts.items():  # the archives compressed, a new log opened with the rest
        rotated = live / f"{kind}.2026-01-01-00-00-00.log"
        with rotated.open("rb") as src, gzip.open(f"{rotated}.gz", "wb") as dst:
            dst.write(src.read())
        rotated.unlink()
        fresh = [ln if not ln.startswith("#open") else "#open\t2026-01-01-01-00-00" for ln in header]
        write(kind, rows[2 * len(rows) // 3:], fresh)
    _stop(proc, tmp_path / "state")

    proc = _start(live, tmp_path)  # a last restart with nothing new: no event may repeat
    _stop(proc, tmp_path / "state")
    events = _events(tmp_path / "events.ndjson")
    assert events, "no event at all"
    assert _replayed(events) == _final_verdicts(source, tmp_path)
    state = json.loads((tmp_path / "state").read_text())
    assert len(state["window"]["rows"]) == sum(len(rows) for _, rows in parts.values())  # every line, once


def test_watch_bad_input_is_one_line(tmp_path: Path) -> None:
    assert "not a directory" in assert_one_error_line(run_cli("watch", "--zeek-logs", tmp_path / "none", "--once"))
    bad = tmp_path / "state"
    bad.write_text("{not json")
    assert "not a watch state file" in assert_one_error_line(
        run_cli("watch", "--zeek-logs", tmp_path, "--once", "--state", bad))


def test_window_forgets_old_lines_and_stays_bounded() -> None:
    from pcap_analyzer.watch.follow import Chunk
    from pcap_analyzer.watch.window import Window

    header = [b"#fields\tts\tuid", b"#types\ttime\tstring", b"#open\t2026-01-01-00-00-00"]
    window = Window(seconds=100.0, max_rows=50)
    window.add(Chunk("conn", Path("conn.log"), "sig", header + [f"{t}.0\tC{t}".encode() for t in range(0, 40)]))
    assert len(window.rows) == 40
    window.add(Chunk("conn", Path("conn.log"), "sig", [f"{t}.0\tC{t}".encode() for t in range(120, 130)]))
    assert [r[0] for r in window.rows][0] == 29.0  # older than 129 - 100 is gone
    window.add(Chunk("conn", Path("conn.log"), "sig", [f"{t / 10 + 130}\tX".encode() for t in range(100)]))
    assert len(window.rows) == 50 and window.dropped > 0  # bounded whatever the rate


@pytest.mark.suricata
def test_watch_follows_a_live_eve_file_too(tmp_path: Path) -> None:
    import shutil

    from conftest import SCENARIOS
    from pcap_analyzer.config import default_config
    from pcap_analyzer.homenet import HomeNet
    from pcap_analyzer.sources.suricata import run_suricata

    source = RUNS / "demo_office"
    if shutil.which("suricata") is None or not (source / "conn.log").is_file():
        pytest.skip("suricata or ../shared/zeek-runs/demo_office is not present")
    cfg = default_config()
    eve = run_suricata([SCENARIOS / "demo_office.pcap"], tmp_path / "suricata", cfg, HomeNet(cfg.home_net.cidrs))
    live = tmp_path / "eve.json"
    lines = eve.read_text().splitlines()
    live.write_text("".join(f"{ln}\n" for ln in lines[: len(lines) // 2]))  # half now, half while it runs
    events = tmp_path / "events.ndjson"
    args = ("watch", "--zeek-logs", source, "--eve", live, "--state", tmp_path / "state", "--events", events,
            "--once")
    assert run_cli(*args).returncode == 0
    with live.open("a") as f:
        f.write("".join(f"{ln}\n" for ln in lines[len(lines) // 2:]))
    assert run_cli(*args).returncode == 0
    out = tmp_path / "analyze"
    proc = run_cli("analyze", "--zeek-logs", source, "--eve", eve, "-o", out, "--quiet")
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert any(i["source"] == "suricata" for h in report["hosts"] for i in h["indicators"])  # the alerts matter
    assert _replayed(_events(events)) == {h["ip"]: h["verdict"] for h in report["hosts"] if h["verdict"] != "benign"}
    state = json.loads((tmp_path / "state").read_text())
    assert sum(1 for row in state["window"]["rows"] if row[1] == "eve") == len(lines)  # every EVE line, once


def test_watch_events_are_the_siem_events_of_a_verdict() -> None:
    """A verdict change is the same ECS event as `analyze --events` writes per host, plus the change."""
    import jsonschema
    from importlib import resources

    from pcap_analyzer.model import HostReport
    from pcap_analyzer.watch.command import verdict_event

    schema = json.loads(resources.files("pcap_analyzer").joinpath("data/events.schema.json").read_text())
    for host, previous in ((HostReport("10.0.0.5", verdict="escalate", score=70.0, reasons=["x"]), "benign"),
                           (None, "investigate")):
        event = verdict_event(host, "10.0.0.5", previous)
        jsonschema.validate(event, schema)
        assert event["event"]["action"] == "verdict-changed" and event["source"]["ip"] == "10.0.0.5"
        assert event["fallback_hunt"]["previous_verdict"] == previous
    assert event["fallback_hunt"]["verdict"] == "benign" and event["event"]["kind"] == "enrichment"
