"""The baseline store: learning from captures and Zeek logs, deviations of a later analysis, weight factors,
schema migrations, transactions, and linear update cost."""
from __future__ import annotations

import json
import sqlite3
import statistics
import time
from pathlib import Path

import pytest

from clirun import assert_one_error_line, run_cli
from conftest import SCENARIOS
from pcap_analyzer.baseline.observe import HostObservations
from pcap_analyzer.baseline.store import MIGRATIONS, open_store
from pcap_analyzer.errors import InputError
from zeekday import Conn, write_day

WEB = [Conn("10.1.0.10", "198.51.100.10", 443, name="www.example.com"),
       Conn("10.1.0.11", "198.51.100.11", 443, name="news.example.org"),
       Conn("10.1.0.12", "198.51.100.10", 443, name="www.example.com"),
       Conn("10.1.0.13", "198.51.100.12", 443, name="mail.example.net")]


def _learn(db: Path, *folders: Path) -> None:
    args = [a for f in folders for a in ("--zeek-logs", f)]
    proc = run_cli("baseline", "update", *args, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(folders)} updates in all" in proc.stdout or "updates in all" in proc.stdout


def _analyze(tmp: Path, logs: Path, db: Path | None) -> dict:
    out = tmp / f"out-{logs.name}-{'b' if db else 'nb'}"
    proc = run_cli("analyze", "--zeek-logs", logs, "-o", out, "--quiet", *(["--baseline", db] if db else []))
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads((out / "report.json").read_text())


def _deviations(report: dict) -> dict[str, dict]:
    return {h["ip"]: i["evidence"] for h in report["hosts"] for i in h["indicators"]
            if i["type"] == "baseline_deviation"}


def test_later_analysis_flags_exactly_the_hosts_whose_channels_are_new(tmp_path: Path) -> None:
    db = tmp_path / "base.db"
    failing_host = [Conn("10.1.0.14", f"198.51.100.{20 + i}", 443, name="") for i in range(12)]
    _learn(db, write_day(tmp_path / "d0", 0, WEB + failing_host, repeat=2))
    day1 = WEB + [
        Conn("10.1.0.11", "203.0.113.50", 4444, name=""),  # a new external port for .11
        Conn("10.1.0.12", "203.0.113.60", 443, name="upd.duckdns.org"),  # a new dynamic-DNS provider zone for .12
        Conn("10.1.0.13", "198.51.100.99", 443, name="another-site.example.com"),  # a new web site: no deviation
        Conn("10.9.9.9", "203.0.113.70", 4444, name=""),  # a host the baseline never saw: not judged
    ] + [Conn("10.1.0.14", f"198.51.100.{20 + i}", 443, state="S0") for i in range(12)]  # failing far above usual
    report = _analyze(tmp_path, write_day(tmp_path / "d1", 1, day1), db)
    found = _deviations(report)
    assert set(found) == {"10.1.0.11", "10.1.0.12", "10.1.0.14"}
    assert [(n["kind"], n["value"]) for n in found["10.1.0.11"]["new"]] == [("port", "tcp/4444")]
    assert found["10.1.0.11"]["new"][0]["network_hosts"] == 0
    zones = [n["value"] for n in found["10.1.0.12"]["new"] if n["kind"] == "zone"]
    assert zones and all(z.endswith("duckdns.org") for z in zones)
    assert found["10.1.0.14"]["new"] == [] and found["10.1.0.14"]["usual_failure_rate"] == 0.0
    assert found["10.1.0.14"]["failure_rate"] >= 0.5
    # the same day learnt, then analysed again: nothing is new any more
    _learn(db, tmp_path / "d1")
    assert _deviations(_analyze(tmp_path, tmp_path / "d1", db)).keys() <= {"10.1.0.14", "10.9.9.9"}


def test_a_capture_learnt_then_analysed_again_shows_no_deviation(tmp_path: Path) -> None:
    db = tmp_path / "base.db"
    capture = SCENARIOS / "demo_office.pcap"
    assert run_cli("baseline", "update", capture, "--db", db).returncode == 0
    out = tmp_path / "out"
    proc = run_cli("analyze", capture, "-o", out, "--baseline", db, "--quiet")
    assert proc.returncode == 1, proc.stderr
    report = json.loads((out / "report.json").read_text())
    assert not _deviations(report)
    show = run_cli("baseline", "show", "--host", "192.168.10.40", "--db", db)
    assert show.returncode == 0 and "port (1):" in show.stdout and "tcp/443" in show.stdout


def _score_of(report: dict, host: str, kind: str) -> tuple[float, dict | None]:
    h = next(h for h in report["hosts"] if h["ip"] == host)
    ind = next(i for i in h["indicators"] if i["type"] == kind)
    return h["score"], ind["evidence"].get("baseline")


def test_weights_rise_for_new_channels_and_fall_for_prevalent_ones(tmp_path: Path) -> None:
    odd = [Conn(f"10.1.0.{20 + i}", "203.0.113.80", 4444, name="") for i in range(4)]
    plain = _analyze(tmp_path, write_day(tmp_path / "probe", 40, [odd[0]]), None)
    base_score, no_factor = _score_of(plain, "10.1.0.20", "nonstandard_port_encrypted")
    assert no_factor is None and base_score > 0

    new_db = tmp_path / "new.db"
    _learn(new_db, write_day(tmp_path / "w0", 0, WEB))
    score, factor = _score_of(_analyze(tmp_path, tmp_path / "probe", new_db), "10.1.0.20",
                              "nonstandard_port_encrypted")
    assert factor == {"novelty": "new", "factor": 1.5, "network_hosts": 0}
    assert score > base_score  # a channel nobody on the network ever used weighs more

    old_db = tmp_path / "old.db"
    _learn(old_db, *(write_day(tmp_path / f"p{d}", d, WEB + odd) for d in range(0, 20, 4)))  # 16 days, 4 hosts
    score, factor = _score_of(_analyze(tmp_path, tmp_path / "probe", old_db), "10.1.0.20",
                              "nonstandard_port_encrypted")
    assert factor == {"novelty": "prevalent", "factor": 0.5, "network_hosts": 4}
    assert score < base_score  # seen for weeks on many hosts: weighs less


def test_an_interrupted_update_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "base.db"
    _learn(db, write_day(tmp_path / "d0", 0, WEB))

    def dump() -> list:
        with sqlite3.connect(db) as conn:
            return [conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in ("host_item", "host_stats",
                                                                                        "updates")]
    before = dump()

    class Interrupting(dict):
        def items(self):  # the second host's rows are cut short by a Ctrl-C
            yield ("host", "10.1.0.10"), [1.0, 2.0, 1.0]
            raise KeyboardInterrupt

    first, second = HostObservations(), HostObservations()
    first.add("port", "tcp/9999", 5.0)
    second.items = Interrupting()
    with open_store(db) as store, pytest.raises(KeyboardInterrupt):
        store.update({"10.1.0.10": first, "10.1.0.11": second}, "interrupted")
    assert dump() == before


def test_schema_versions_and_bad_stores(tmp_path: Path) -> None:
    db = tmp_path / "base.db"
    with open_store(db, create=True) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(InputError, match="newer than this fallback-hunt knows"):
        with open_store(db):
            pass
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert "not a usable baseline database" in assert_one_error_line(
        run_cli("baseline", "show", "--host", "10.0.0.1", "--db", junk))
    assert "no such baseline database" in assert_one_error_line(
        run_cli("baseline", "show", "--host", "10.0.0.1", "--db", tmp_path / "missing.db"))
    fresh = tmp_path / "fresh.db"
    with open_store(fresh, create=True):
        pass
    assert "no profile for host" in assert_one_error_line(
        run_cli("baseline", "show", "--host", "10.0.0.1", "--db", fresh))
    assert "needs at least one CAPTURE" in assert_one_error_line(run_cli("baseline", "update", "--db", db))


def test_thirty_days_of_updates_stay_linear(tmp_path: Path) -> None:
    from pcap_analyzer.baseline.command import run_update
    import argparse

    hosts = [f"10.2.{i // 200}.{i % 200 + 1}" for i in range(120)]
    db = tmp_path / "month.db"
    costs = []
    for day in range(30):
        conns = [Conn(h, f"198.51.{100 + (i + day) % 8}.{(i * 7 + day) % 250 + 1}", 443,
                      name=f"s{(i + day) % 40}.example{day % 5}.com") for i, h in enumerate(hosts)]
        folder = write_day(tmp_path / f"day{day}", day, conns)
        args = argparse.Namespace(captures=[], zeek_logs=[folder], db=db, home_net=None, config=None)
        start = time.perf_counter()
        run_update(args)
        costs.append(time.perf_counter() - start)
    first, last = statistics.median(costs[1:11]), statistics.median(costs[-10:])
    assert last < 2.0 * first, (first, last)  # each day costs about the same, however many came before
    with open_store(db) as store:
        assert store.update_count() == 30
        assert store.profile(hosts[0]).updates == 30
