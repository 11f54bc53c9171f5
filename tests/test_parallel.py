"""The parallel read (--workers N / --scheduler ADDRESS): a capture cut into byte ranges, several captures at once,
on a real multi-process Dask cluster, gives the serial run's flows and reports."""
from __future__ import annotations

import dataclasses
import json
import logging
import socket
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from clirun import assert_one_error_line, run_cli
from conftest import SCENARIOS
from pcap_analyzer import pipeline
from pcap_analyzer.bounded import shown_in_memory
from pcap_analyzer.config import load_config
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.parallel import plan, read, segment, stitch
from pcap_analyzer.parallel.engine import Inline, Options, Session
from pcap_analyzer.report.json_report import report_json

CAPTURES = sorted(SCENARIOS.glob("*.pcap"))
SMALL_RANGES = ("[reader]\nchunk_packets = 16\n[parallel]\nsplit_bytes = 1\ncluster_min_bytes = 0\n"
                "partition_workers = 0\n")
#: Host partitions (the default for a few workers), with the cluster started for the smallest capture.
PARTITIONS = "[reader]\nchunk_packets = 16\n[parallel]\ncluster_min_bytes = 0\n"
GENERATED = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def small_ranges(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config that cuts every capture into ranges of one 16-packet chunk (many boundaries to stitch)."""
    path = tmp_path_factory.mktemp("cfg") / "small-ranges.toml"
    path.write_text(SMALL_RANGES)
    return path


def report_doc(report) -> dict:
    return report_json(report, GENERATED)


def test_ranges_stitch_back_to_the_serial_flows_of_every_capture(small_ranges: Path) -> None:
    """Every scenario capture (read together, as one analysis) cut at every chunk: the flows and capture details
    equal the serial read's, and the cuts really cut flows (stitched keys, replayed from several ranges)."""
    cfg = load_config(small_ranges)
    names = [str(p) for p in CAPTURES]
    segments = plan.plan(names, cfg, 1)
    assert len(segments) > 5 * len(names)  # many ranges per capture
    assert sum(s.source.endswith("demo_office.pcap") for s in segments) > 30
    serial_infos, serial_flows = pipeline.read_flows(CAPTURES, cfg)
    infos, flows = read.read_on(Inline(), names, segments, cfg)
    assert [dataclasses.asdict(i) for i in infos] == [dataclasses.asdict(i) for i in serial_infos]
    assert flows == serial_flows
    results = [segment.read_segment(s, cfg)[0] for s in segments[:40]]
    hashes, cids = stitch.linked_keys(results)
    assert len(cids) > 5 and hashes.dtype == np.uint64
    crossing = [f for f in serial_flows if f.community_id in cids]
    assert crossing and max(f.orig_pkts + f.resp_pkts for f in crossing) > 16  # longer than one range


def test_a_range_reads_the_chunks_the_serial_read_has_there(small_ranges: Path) -> None:
    """The cuts are the serial read's chunk boundaries: the ranges' chunk drain times, in order, are the whole
    file's."""
    cfg = load_config(small_ranges)
    capture = str(SCENARIOS / "demo_office.pcap")
    whole = segment.read_segment(plan.Segment(0, capture), cfg)[0]
    ranges = [segment.read_segment(s, cfg)[0] for s in plan.plan([capture], cfg, 1)]
    assert len(ranges) > 2
    assert [t for r in ranges for t in r.nows] == whole.nows
    assert sum(r.info.packets for r in ranges) == whole.info.packets == 577


def _corpora() -> list[tuple[str, list[Path]]]:
    from conftest import shared_captures

    return [("scenarios", CAPTURES), *((c, shared_captures(c)) for c in ("malicious", "benign") if shared_captures(c))]


@pytest.mark.parametrize("name,captures", _corpora(), ids=[n for n, _ in _corpora()])
def test_hosts_shuffled_between_tasks_give_the_serial_report(name: str, captures: list[Path], tmp_path: Path) -> None:
    """The per-host engine (parallel/hosts.py: every capture cut at every chunk, flows shuffled into many groups of
    hosts, detected group by group) against the serial run over the flow store: the same report, suppressed
    entries and shown flows, in the same order; the boundaries cut flows and the groups are many."""
    from pcap_analyzer.config import override
    from pcap_analyzer.decide.allowlist import Allowlist
    from pcap_analyzer.parallel import hosts

    config = tmp_path / "ranges.toml"
    config.write_text("[reader]\nchunk_packets = 128\n[parallel]\nsplit_bytes = 16384\n")
    cfg = override(load_config(config), {"pipeline": {"store_group_flows": 10}})
    home = HomeNet(cfg.home_net.cidrs)
    serial = pipeline.per_host(captures, cfg, home, None, Allowlist(), None, None, None, None)
    names = [str(p) for p in captures]
    run = hosts.Run(names, plan.plan(names, cfg, 1), Inline())
    assert len(run.segments) > len(names) + 10  # cut captures
    groups = []
    real_shard = hosts.shard

    def counting(batch, cids, home, n):
        groups.append((n, len(cids)))
        return real_shard(batch, cids, home, n)

    hosts.shard = counting
    try:
        parallel = hosts.analyze(run, cfg, home, None, Allowlist(), None)
    finally:
        hosts.shard = real_shard
    assert report_doc(parallel) == report_doc(serial)
    assert list(parallel.flows) == list(serial.flows) and parallel.suppressed == serial.suppressed
    assert parallel.views == serial.views
    assert parallel.flow_count == serial.flow_count > len(serial.flows)
    assert groups[0][0] >= 3 and any(cut for _, cut in groups)  # groups of hosts; keys a boundary cut


def local_cluster(workers: int):
    """A LocalCluster as a cluster of one's own runs: workers started as fresh processes (spawned, as `dask worker`
    starts them, not forked from this one), and the scheduler README.md asks for."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn",
                          "distributed.scheduler.work-stealing": False,
                          "distributed.scheduler.active-memory-manager.start": False}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                            memory_limit=0, silence_logs=logging.ERROR)


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 4 worker processes (one thread each) and a client of the test's own.

    Its workers are spawned: a worker forked from this process, while one of the cluster's threads held a lock here
    (pytest's log-file buffer, taking a Dask INFO record), hung on its first record (seen once: the fourth worker
    never started). Dask's INFO records are not made while it runs either."""
    from distributed import Client

    dask_logs = logging.getLogger("distributed")
    level = dask_logs.level
    dask_logs.setLevel(logging.ERROR)
    try:
        with local_cluster(4) as running, Client(running) as client:
            assert len(client.nthreads()) == 4
            yield running, client
    finally:
        dask_logs.setLevel(level)


def test_a_local_cluster_of_four_processes_on_sixteen_captures(cluster, small_ranges: Path, tmp_path: Path) -> None:
    """16 captures on a LocalCluster of 4 worker processes, through --scheduler: the report equals the serial
    one, shown flows included; the scheduler's task stream (saved as HTML) shows the reads, the cut-out packets,
    the shuffle by host (shard) and the detection per group of hosts on several workers."""
    from dask.utils import key_split
    from distributed import get_task_stream

    cfg = load_config(small_ranges)
    captures = CAPTURES[:16]
    home = HomeNet(cfg.home_net.cidrs)
    serial = pipeline.analyze(captures, cfg, home)
    stream_file = tmp_path / "task-stream.html"
    running, client = cluster
    with get_task_stream(client, plot="save", filename=str(stream_file)) as stream:
        parallel = pipeline.analyze(captures, cfg, home, parallel=Options(scheduler=running.scheduler_address))
    workers = {t["worker"] for t in stream.data}
    assert report_doc(parallel) == report_doc(serial)
    # both keep only the flows the reports show; the parallel run brought no other flow to the client
    assert list(parallel.flows) == list(serial.flows) and len(serial.flows) < parallel.flow_count == serial.flow_count
    assert parallel.views == serial.views
    names = {key_split(t["key"]) for t in stream.data}
    assert {"read_segment", "select", "shard", "detect_hosts", "pick"} <= names
    assert len(workers) > 1  # the work was spread
    detected_on = {t["worker"] for t in stream.data if key_split(t["key"]) == "detect_hosts"}
    assert len(detected_on) == 4  # one group of hosts per worker
    assert stream_file.stat().st_size > 10_000 and b"bokeh" in stream_file.read_bytes()


def test_host_partitions_on_a_local_cluster_of_four_processes(cluster, tmp_path: Path, monkeypatch) -> None:
    """16 captures read by 4 host partitions, one per worker process (each reads every capture, keeps its hosts'
    packets): the report equals the serial one, shown flows included, and the groups of hosts are detected where
    their partition was read, so no flow of the scenarios moves between workers.

    What moved is read from the workers' own transfer logs, key by key. The Facts and the intel database are
    broadcast to every worker, but the scheduler's active memory manager may drop the copies that no task waits for
    yet (it did once, under load, between the broadcast and the detection tasks): then a worker fetches them again,
    which is fine. So the run here makes the manager do that, and only those two may move."""
    from dask.utils import key_split
    from distributed import get_task_stream
    from pcap_analyzer.parallel.engine import Dask

    config = tmp_path / "partitions.toml"
    config.write_text(PARTITIONS)
    cfg = load_config(config)
    captures = CAPTURES[:16]
    home = HomeNet(cfg.home_net.cidrs)
    serial = pipeline.analyze(captures, cfg, home)
    running, client = cluster
    broadcast, scatter = [], Dask.scatter

    def scatter_then_drop_copies(self: Dask, value: object) -> object:
        future = scatter(self, value)
        broadcast.append(future.key)
        self.client.amm.run_once()
        return future

    monkeypatch.setattr(Dask, "scatter", scatter_then_drop_copies)
    client.run(lambda dask_worker: dask_worker.transfer_incoming_log.clear())
    with get_task_stream(client) as stream:
        parallel = pipeline.analyze(captures, cfg, home, parallel=Options(scheduler=running.scheduler_address))
    assert report_doc(parallel) == report_doc(serial)
    assert list(parallel.flows) == list(serial.flows) and parallel.views == serial.views
    assert parallel.flow_count == serial.flow_count
    ran = {}
    for t in stream.data:
        ran.setdefault(key_split(t["key"]), set()).add(t["worker"])
    assert "read_segment" not in ran and len(ran["read_partition"]) == 4
    assert ran["detect_hosts"] == ran["read_partition"]
    assert len(broadcast) == 2
    logs = client.run(lambda dask_worker: list(dask_worker.transfer_incoming_log))
    moved = {key for log in logs.values() for entry in log for key in entry["keys"]}
    assert moved - set(broadcast) == set()  # no partition's flows, no shard of them, no result of a task
    # the in-memory path (--zeek-logs, --eve, --suricata, --baseline): every partition's flows come back here
    with ExitStack() as stack:
        infos, flows = read.read_flows(captures, cfg, Session(Options(scheduler=running.scheduler_address), cfg, stack))
    serial_infos, serial_flows = pipeline.read_flows(captures, cfg)
    assert flows == serial_flows and infos == serial_infos


@pytest.mark.parametrize("how", ["ranges", "partitions"])
def test_workers_flag_runs_an_embedded_cluster_with_the_serial_reports(how: str, small_ranges: Path,
                                                                       tmp_path: Path) -> None:
    """`analyze --workers 2` (the embedded LocalCluster) writes the reports the serial run writes, the captures read
    by byte ranges or by host partitions."""
    import pyarrow.parquet as pq

    if how == "partitions":
        small_ranges = tmp_path / "partitions.toml"
        small_ranges.write_text(PARTITIONS)
    captures = [SCENARIOS / "demo_office.pcap", SCENARIOS / "fallback_icmp_tunnel_a.pcap"]
    serial = run_cli("analyze", *captures, "-o", tmp_path / "serial", "--config", small_ranges, "--exit-zero",
                     "--flows-out", tmp_path / "serial-flows")
    two = run_cli("analyze", *captures, "-o", tmp_path / "two", "--config", small_ranges, "--exit-zero",
                  "--workers", "2", "--flows-out", tmp_path / "two-flows")
    assert serial.returncode == two.returncode == 0, two.stderr
    assert two.stdout.replace("/two/", "/serial/") == serial.stdout
    docs = [json.loads((tmp_path / d / "report.json").read_text()) for d in ("serial", "two")]
    for doc in docs:
        doc.pop("generated")
    assert docs[0] == docs[1]
    logs = [[line for line in (tmp_path / d / "fallback.log").read_text().splitlines()
             if not line.startswith(("#open", "#close"))] for d in ("serial", "two")]
    assert logs[0] == logs[1] and len(logs[0]) > 10
    # --flows-out: every flow, written from the workers' groups of hosts, as the serial run writes them
    tables = [pq.read_table(tmp_path / d).sort_by("uid") for d in ("serial-flows", "two-flows")]
    assert tables[0].num_rows > 30
    assert tables[1].equals(tables[0])


def test_the_embedded_cluster_keeps_tasks_and_broadcasts_where_they_are() -> None:
    """The embedded cluster's scheduler neither steals tasks (a task runs where its input is) nor runs the active
    memory manager (it would drop the copies of the broadcast Facts that no task waits for yet)."""
    from pcap_analyzer.parallel import engine

    with engine.client(Options(workers=2), load_config(None)) as c:
        amm, stealing = c.run_on_scheduler(lambda dask_scheduler: (dask_scheduler.extensions["amm"].running,
                                                                   "stealing" in dask_scheduler.extensions))
        assert len(c.nthreads()) == 2
    assert (amm, stealing) == (False, False)


def test_a_capture_given_as_a_url_is_read_by_the_same_tasks(tmp_path: Path) -> None:
    """A file:// URL is read through fsspec (the same tasks, in this process for one worker): the same report."""
    capture = SCENARIOS / "demo_office.pcap"
    by_path = run_cli("analyze", capture, "-o", tmp_path / "path", "--exit-zero")
    by_url = run_cli("analyze", f"file://{capture}", "-o", tmp_path / "url", "--exit-zero")
    assert by_url.returncode == by_path.returncode == 0, by_url.stderr
    docs = [json.loads((tmp_path / d / "report.json").read_text()) for d in ("path", "url")]
    assert docs[1]["inputs"][0]["path"] == f"file://{capture}"
    assert docs[1]["inputs"][0]["sha256"] == docs[0]["inputs"][0]["sha256"]
    for doc in docs:
        doc.pop("generated"), doc.pop("inputs")
    assert docs[0] == docs[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, said", [
    (["--scheduler", f"tcp://127.0.0.1:{free_port()}"], "--scheduler tcp://127.0.0.1:"),
    (["nosuchproto://bucket/x.pcap"], "nosuchproto://bucket/x.pcap"),
    ([f"file://{SCENARIOS}/no-such.pcap"], "no such file"),
    (["--workers", "0"], "--workers"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not allowed with argument"),
])
def test_bad_scheduler_or_url_is_one_line(args: list[str], said: str, tmp_path: Path) -> None:
    cfg = tmp_path / "quick.toml"
    cfg.write_text("[parallel]\nconnect_timeout = 1.0\n")
    captures = [] if any("://" in a and not a.startswith("tcp") for a in args) else [SCENARIOS / "demo_office.pcap"]
    proc = run_cli("analyze", *captures, *args, "-o", tmp_path / "out", "--config", cfg, timeout=60)
    assert said in assert_one_error_line(proc)


def as_json_lines(tsv: Path, out: Path) -> None:
    """A Zeek TSV log rewritten as Zeek JSON lines (LogAscii::use_json): typed values, unset fields left out."""
    fields: list[str] = []
    types: list[str] = []
    lines = []
    for line in tsv.read_text().splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line.startswith("#types"):
            types = line.split("\t")[1:]
        elif line and not line.startswith("#"):
            row = {}
            for name, kind, value in zip(fields, types, line.split("\t")):
                if value == "-":
                    continue
                row[name] = (float(value) if kind in ("time", "interval") else int(value) if kind in ("port", "count")
                             else value == "T" if kind == "bool" else value.split(",") if kind.startswith("vector")
                             else value)
            lines.append(json.dumps(row))
    out.write_text("\n".join(lines) + "\n")


def days_of_logs(root: Path, scratch: Path) -> int:
    """Zeek's archive layout: a day of rotated TSV .gz logs, a day of rotated JSON logs, and the current logs of a
    real capture at the top; returns the conn.log rows written."""
    import gzip
    import shutil

    from zeekday import Conn, write_day

    conns = [Conn("10.1.0.5", "203.0.113.7", 443, name="cdn.example.com"),
             Conn("10.1.0.9", "198.51.100.4", 8443, service="-", state="S0"),
             Conn("10.1.0.9", "198.51.100.5", 443, name="upd.duckdns.org")]
    rows = 0
    for day, kind in ((0, "tsv.gz"), (1, "json")):
        made = write_day(scratch / f"day{day}", day, conns, repeat=6)
        target = root / f"2026-01-0{day + 1}"
        target.mkdir(parents=True)
        for name in ("conn", "dns", "ssl"):
            rotated = target / f"{name}.00:00:00-01:00:00.log"
            if kind == "json":
                as_json_lines(made / f"{name}.log", rotated)
            else:
                with (made / f"{name}.log").open("rb") as src, gzip.open(f"{rotated}.gz", "wb") as dst:
                    shutil.copyfileobj(src, dst)
        rows += sum(1 for line in (made / "conn.log").read_text().splitlines() if not line.startswith("#"))
    today = Path(__file__).resolve().parents[1].parent / "shared" / "zeek-logs" / "ndpi-dns-tunnel-iodine"
    if today.is_dir():
        for log in today.glob("*.log"):
            shutil.copy(log, root / log.name)
        rows += sum(1 for line in (root / "conn.log").read_text().splitlines() if not line.startswith("#"))
    return rows


def serial_and_on_cluster(cluster, logs: Path):
    """The sensor-only Reports of ``logs`` read serially and on ``cluster`` (its workers ran zat: read_log tasks),
    the same but for the time they were made."""
    from dask.utils import key_split
    from distributed import get_task_stream

    cfg = load_config(None)
    home = HomeNet(cfg.home_net.cidrs)
    serial = pipeline.analyze([], cfg, home, zeek_dir=logs)
    running, client = cluster
    with get_task_stream(client) as stream:
        report = pipeline.analyze([], cfg, home, zeek_dir=logs, parallel=Options(scheduler=running.scheduler_address))
    assert "read_log" in {key_split(t["key"]) for t in stream.data}
    assert report_doc(report) == report_doc(serial)
    return serial, report


def test_sensor_only_days_of_rotated_logs_as_a_dask_dataframe(cluster, tmp_path: Path) -> None:
    """Sensor-only mode over days of rotated Zeek logs (TSV .gz, JSON, plain), read as Dask dataframes on the
    cluster (zat on the workers): the report equals the serial sensor-only run, and every file's connections are
    in it."""
    rows = days_of_logs(tmp_path / "logs", tmp_path / "scratch")
    serial, parallel = serial_and_on_cluster(cluster, tmp_path / "logs")
    # a session's report keeps the flows the writers show; every connection was read (flow_count)
    assert parallel.flows == shown_in_memory(serial.flows, serial.hosts)
    assert parallel.flow_count == serial.flow_count == rows
    assert f"sensor-only mode: {rows} connections" in " ".join(parallel.notes)
    read = {Path(log.path).name for log in parallel.logs}
    assert {"conn.00:00:00-01:00:00.log.gz", "conn.00:00:00-01:00:00.log", "conn.log"} <= read
    assert {f.orig_h for f in parallel.flows} >= {"10.1.0.5", "10.1.0.9"}
    assert any(h.indicators for h in parallel.hosts)


def test_sensor_only_notes_of_a_damaged_rotated_log_come_back_from_the_workers(cluster, tmp_path: Path) -> None:
    """A rotated log with a misshapen line: the worker's note of the line skipped reaches the report, as serially."""
    days_of_logs(tmp_path / "logs", tmp_path / "scratch")
    conn = tmp_path / "logs" / "conn.log"
    lines = conn.read_text().splitlines()
    conn.write_text("\n".join([*lines[:9], "only\ttwo fields", *lines[9:]]) + "\n")
    _, parallel = serial_and_on_cluster(cluster, tmp_path / "logs")
    assert any("1 line" in n and "conn.log" in n for n in parallel.notes), parallel.notes


def test_gzip_and_pcapng_segments_stitch_with_the_others(small_ranges: Path, tmp_path: Path) -> None:
    """gzip and pcapng captures are whole segments; a connection spanning them and a cut pcap is still the serial
    read's (the same capture given gzip-compressed and plain: every key of the second continues the first's)."""
    import gzip

    from conftest import shared_captures

    cfg = load_config(small_ranges)
    demo = SCENARIOS / "demo_office.pcap"
    packed = tmp_path / "demo_office.pcap.gz"
    packed.write_bytes(gzip.compress(demo.read_bytes()))
    captures = [packed, demo, *[p for p in shared_captures("apps") if p.suffix == ".pcapng"][:2]]
    names = [str(p) for p in captures]
    segments = plan.plan(names, cfg, 1)
    assert [s.span for s in segments if s.source == str(packed)] == [None]
    results = [segment.read_segment(s, cfg)[0] for s in segments]
    _, cids = stitch.linked_keys(results)
    assert len(cids) >= 10  # keys open at the end of a range or of the gzip copy, seen again after it
    serial_infos, serial_flows = pipeline.read_flows(captures, cfg)
    infos, flows = read.read_on(Inline(), names, segments, cfg)
    assert flows == serial_flows
    assert [dataclasses.asdict(i) for i in infos] == [dataclasses.asdict(i) for i in serial_infos]
