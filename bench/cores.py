"""The "cores" stage of bench/run.py: what ``--workers 2`` buys on this machine, beside the serial run of the same
bench, and what the embedded Dask cluster costs.

Nothing here is pinned to one core (the point is to use both): the wall-clock figures are the best of ``REPEAT``
alternating runs (serial, then parallel, then again), so a neighbour's burst hits both sides alike.

  analyze  ``fallback-hunt analyze`` of the 1M-packet capture, reports included: serial (reader, flow store,
           detection per group of hosts in one process) against ``--workers 2`` (two host partitions: each worker
           reads every packet and makes and detects the flows of its half of the hosts; the client merges the host
           reports and writes). The 1M capture's flows fit one detection group, so the serial run holds them; the
           4M capture of 4x the flows (``mixed-4M``, one pair: about 75 s) does not, and the serial run goes
           through the flow store while each worker holds its partition
  small    ``fallback-hunt analyze`` of a small capture (below ``[parallel] cluster_min_bytes``: no cluster is
           started) and of two small captures with ``cluster_min_bytes = 0`` (the embedded cluster starts), each
           against its serial run: the overhead
  start-up the embedded LocalCluster alone: importing dask.distributed, starting 2 worker processes, the first
           task, closing
  cpu      on a machine shared with other work the wall-clock ratios measure the share of the CPU each side got,
           not what a second core gives; so one analysis of each kind is also accounted in CPU seconds: the serial
           run; for --workers 2 the client's CPU (scheduler included; the SHA-256 thread apart: it overlaps the
           reads, as the serial run's does), each worker process's CPU and, per kind of task, the CPU of the thread
           that ran it (Dask's own accounting).  The critical path on two idle cores is the client's part plus, per
           stage (read, shard, detect), the busiest worker's, plus the workers' own overhead (transfers, event loop)
  ceiling  what any split of the work could give on two cores: all the CPU of the --workers 2 analysis is the
           serial analysis' + the cluster's own (start, client, the workers' event loops and transfers) + the work
           done twice (each partition decodes every packet); two cores do at most 2 CPU seconds a second, and the
           CLI's imports come first, on one core. With nothing done twice the best wall clock is
           imports + (analysis + cluster) / 2, against imports + analysis - SHA-256 for the serial run (its
           SHA-256 thread runs on the other core): both from the CPU accounting, so the load of the moment cancels
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPEAT = 2
SPEEDUP = 1.7  # --workers 2 over serial, on 2 cores
OVERHEAD = 1.0  # seconds the local cluster may add to a small capture
SMALL = [REPO / "pcaps" / "demo_office.pcap", REPO / "pcaps" / "fallback_icmp_tunnel_a.pcap"]

CHILD_STARTUP = """
import json, time
start = time.perf_counter()
from pcap_analyzer.config import load_config
from pcap_analyzer.parallel.engine import Options, session
import distributed
imported = time.perf_counter()
with session(Options(2), load_config(None)) as started:
    eng = started.dask
    up = time.perf_counter()
    eng.gather([eng.submit(abs, -1)])
    ran = time.perf_counter()
print(json.dumps({"import": imported - start, "start": up - imported, "first_task": ran - up,
                  "close": time.perf_counter() - ran}))
"""

CHILD_CPU = """
import json, sys, time
from contextlib import ExitStack
from pathlib import Path
from pcap_analyzer import pipeline
from pcap_analyzer.capture.digest import file_sha256
from pcap_analyzer.config import load_config
from pcap_analyzer.gcpause import gc_paused
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.parallel.engine import Options, Session
STAGES = {"read_segment": "read", "read_partition": "read", "select": "read", "shard": "shard", "detect_hosts": "detect", "pick": "detect"}

def spent(dask_worker):
    tasks = {}
    for key, value in dask_worker.digests_total.items():
        if isinstance(key, tuple) and key[0] == "execute" and key[-2] == "thread-cpu":
            tasks[key[2]] = tasks.get(key[2], 0.0) + value
    return {"process": time.process_time(), "tasks": tasks}

if __name__ == "__main__":
    capture, cpu = Path(sys.argv[1]), time.process_time
    cfg = load_config(None)
    home = HomeNet(cfg.home_net.cidrs)
    start = cpu()
    with gc_paused():
        pipeline._analyze([capture], cfg, home, None, None, None, False, None, None)
    serial = cpu() - start
    start = cpu()
    file_sha256(capture)
    sha = cpu() - start
    with gc_paused(), ExitStack() as stack:  # as pipeline.analyze runs it (the workers fork from it)
        session = Session(Options(2), cfg, stack)
        start = cpu()
        session.dask
        started = cpu() - start
        start = cpu()
        pipeline._analyze([capture], cfg, home, None, None, None, False, None, None, session=session)
        client = cpu() - start
        workers = list(session.dask.client.run(spent).values())
    stages = [{s: sum(v for k, v in w["tasks"].items() if STAGES.get(k) == s) for s in ("read", "shard", "detect")}
              for w in workers]
    print(json.dumps({"serial": serial, "sha": sha, "start": started, "client": client, "workers": workers,
                      "stages": stages}))
"""

def wall(cmd: list[str]) -> tuple[float, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd[:4])}...: exit {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return took, proc.stdout


def analyze(captures: list[Path], workers: int, config: str = "") -> float:
    with tempfile.TemporaryDirectory() as out:
        extra = ["--workers", str(workers)] if workers > 1 else []
        if config:
            (Path(out) / "cfg.toml").write_text(config)
            extra += ["--config", str(Path(out) / "cfg.toml")]
        return wall([sys.executable, "-m", "pcap_analyzer", "analyze", *map(str, captures), "-o", out, "-q",
                     *extra])[0]


def best_pair(run, repeat: int = REPEAT) -> tuple[float, float]:
    """(serial, --workers 2) best wall seconds over ``repeat`` alternating runs."""
    serial, two = [], []
    for _ in range(repeat):
        serial.append(run(1))
        two.append(run(2))
    return min(serial), min(two)


def import_cpu() -> float:
    """CPU seconds of importing the CLI (best of 3): what every run spends on one core before any analysis."""
    spent = []
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall([sys.executable, "-c", "import pcap_analyzer.cli"])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(spent)


def cores_table(capture: Path, big: Path | None = None) -> str:
    rows = []
    for path, note, repeat in ((capture, "analyze", REPEAT), (big, "analyze, past one group", 1)):
        if path is None:
            continue
        s, p = best_pair(lambda w: analyze([path], w), repeat)
        rows.append(("analyze", f"{path.name}: {note}", s, p, f"{s / p:.2f}x", f">= {SPEEDUP}x",
                     "PASS" if s / p >= SPEEDUP else "FAIL"))
    for captures, note, config in ((SMALL[:1], "too small: no cluster", ""),
                                   (SMALL, "cluster started", "[parallel]\ncluster_min_bytes = 0\n")):
        s, p = best_pair(lambda w: analyze(captures, w, config))
        rows.append(("small", f"{len(captures)} small capture(s), {note}", s, p, f"+{p - s:.2f} s",
                     f"< {OVERHEAD:.0f} s", "PASS" if p - s < OVERHEAD else "FAIL"))
    startup = json.loads(wall([sys.executable, "-c", CHILD_STARTUP])[1])
    head = f"{'case':<8} {'what':<48} {'serial s':>8} {'2 wkr s':>8} {'ratio':>9}  {'target':<10} result"
    lines = [head, "-" * len(head)]
    lines += [f"{n:<8} {w:<48} {s:>8.2f} {p:>8.2f} {r:>9}  {t:<10} {v}" for n, w, s, p, r, t, v in rows]
    lines.append("cluster start-up alone: " + ", ".join(f"{k} {v:.2f} s" for k, v in startup.items()))
    lines += cpu_lines(json.loads(wall([sys.executable, "-c", CHILD_CPU, str(capture)])[1]), import_cpu())
    return "\n".join(lines)


def cpu_lines(c: dict, imports: float) -> list[str]:
    """The CPU accounting of CHILD_CPU, the critical path it gives on two idle cores, and the ceilings of any
    split of the work: two cores give at most 2 CPU seconds a second, and the CLI's imports run on one core before
    the analysis starts."""
    workers, stages = c["workers"], c["stages"]
    own = c["client"] - c["sha"]  # the SHA-256 thread overlaps the reads (as in the serial run)
    overhead = max(w["process"] - sum(w["tasks"].values()) for w in workers)
    path = c["start"] + own + sum(max(st[s] for st in stages) for s in ("read", "shard", "detect")) + overhead
    out = [f"cpu: serial analyze {c['serial']:.2f} s; --workers 2: client {c['client']:.2f} s (SHA-256 thread "
           f"{c['sha']:.2f} of it; scheduler included) + cluster start {c['start']:.2f} s"]
    for n, (w, st) in enumerate(zip(workers, stages)):
        tasks = ", ".join(f"{k} {v:.2f}" for k, v in sorted(w["tasks"].items(), key=lambda kv: -kv[1]) if v >= 0.01)
        out.append(f"  worker {n}: {w['process']:.2f} s in all (start-up, transfers, event loop included); "
                   f"tasks: {tasks}")
    out.append(f"  critical path on 2 idle cores: start {c['start']:.2f} + client {own:.2f} + read "
               f"{max(st['read'] for st in stages):.2f} + shard {max(st['shard'] for st in stages):.2f} + detect "
               f"{max(st['detect'] for st in stages):.2f} + worker overhead {overhead:.2f} = {path:.2f} s: "
               f"{c['serial'] / path:.2f}x the serial CPU (imports and report writing of the CLI apart)")
    serial, tasks = c["serial"], sum(sum(w["tasks"].values()) for w in workers)
    total = c["start"] + c["client"] + sum(w["process"] for w in workers)
    cluster = c["start"] + own + sum(w["process"] - sum(w["tasks"].values()) for w in workers)
    twice = tasks - (serial - c["sha"])
    alone = imports + serial - c["sha"]  # the serial run on two idle cores: its SHA-256 thread on the other one
    split = imports + max(path, total / 2)  # this run's split: its critical path, or its CPU over two cores
    best = imports + (serial + cluster) / 2
    out.append(f"  all CPU of the --workers 2 analysis {total:.2f} s = the serial analysis {serial:.2f} + the "
               f"cluster's own {cluster:.2f} (start, client, workers' event loops and transfers) + work done twice "
               f"{twice:.2f} (each partition decodes every packet; the shard step)")
    out.append(f"  on 2 idle cores, against the serial run's imports + analysis - its SHA-256 thread = {alone:.2f} s: "
               f"this split, the CLI's imports ({imports:.2f} s, one core) + its critical path or CPU / 2 = "
               f"{split:.2f} s, {alone / split:.2f}x; the ceiling, nothing done twice and a perfect balance, imports + "
               f"(analysis + cluster) / 2 = {best:.2f} s, {alone / best:.2f}x")
    return out


if __name__ == "__main__":  # python bench/cores.py [CAPTURE [BIG_CAPTURE]]: this stage alone
    data = REPO / "bench" / "data"
    args = [Path(a) for a in sys.argv[1:3]]
    big = args[1] if len(args) > 1 else data / "mixed-4M.pcap"
    print(cores_table(args[0] if args else data / "mixed-1M.pcap", big if big.exists() else None))
