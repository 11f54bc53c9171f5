"""The "cores" stage of bench/run.py: what ``--workers 2`` buys on this machine, beside the serial run of the same
bench, and what the embedded Dask cluster costs.

Nothing here is pinned to one core (the point is to use both): every figure is wall-clock seconds, the best of
``REPEAT`` alternating runs (serial, then parallel, then again), so a neighbour's burst hits both sides alike.

  read     ``pipeline.read_flows`` of the 1M-packet capture (reader, flows, dissect, measures: what the workers do)
  analyze  ``fallback-hunt analyze`` of it, reports included (detection and reports still run in one process)
  small    ``fallback-hunt analyze`` of a small capture (below ``[parallel] cluster_min_bytes``: no cluster is
           started) and of two small captures with ``cluster_min_bytes = 0`` (the embedded cluster starts), each
           against its serial run
  start-up the embedded LocalCluster alone: importing dask.distributed, starting 2 worker processes, closing
  cpu path on a machine shared with other work the wall-clock ratios measure the share of the CPU each side got,
           not what a second core gives; so the read is also timed in CPU seconds, phase by phase, in one process:
           the serial read (with its digest thread) against the parallel read's critical path on two idle cores
           (planning + the longest range task + decoding the gathered tables + stitching; cluster start-up apart)
"""
from __future__ import annotations

import json
import os
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

CHILD_READ = """
import json, sys, time
from pathlib import Path
from pcap_analyzer import pipeline
from pcap_analyzer.config import load_config
from pcap_analyzer.parallel.engine import Options, session
if __name__ == "__main__":
    cfg, workers = load_config(None), int(sys.argv[2])
    start = time.perf_counter()
    with session(Options(workers), cfg) as workers_session:
        infos, flows = pipeline.read_flows([Path(sys.argv[1])], cfg, None, workers_session)
    print(json.dumps({"seconds": time.perf_counter() - start, "flows": len(flows), "packets": infos[0].packets}))
"""

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
from pathlib import Path
import numpy as np
from pcap_analyzer import pipeline
from pcap_analyzer.config import load_config
from pcap_analyzer.parallel import codec, plan, segment, stitch
cfg, capture, cpu = load_config(None), sys.argv[1], time.process_time
start = cpu()
pipeline.read_flows([Path(capture)], cfg)
serial = cpu() - start
start = cpu()
segments = plan.plan([capture], cfg, 2)
planned = cpu() - start
tasks, decoded, results = [], 0.0, []
for seg in segments:
    start = cpu()
    result, index = segment.read_segment(seg, cfg)
    tasks.append(cpu() - start)
    start = cpu()
    codec.from_arrow(result.flows)
    decoded += cpu() - start
    results.append((result, index))
start = cpu()
hashes, cids = stitch.linked_keys([r for r, _ in results])
picked = [segment.select(ix, cfg, hashes[np.isin(hashes, r.seen)]) for r, ix in results]
stitch.replay([r for r, _ in results], picked, cids, cfg)
stitched = cpu() - start
print(json.dumps({"serial": serial, "plan": planned, "tasks": tasks, "decode": decoded, "stitch": stitched}))
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


def read(capture: Path, workers: int) -> float:
    return json.loads(wall([sys.executable, "-c", CHILD_READ, str(capture), str(workers)])[1])["seconds"]


def best_pair(run) -> tuple[float, float]:
    """(serial, --workers 2) best wall seconds over REPEAT alternating runs."""
    serial, two = [], []
    for _ in range(REPEAT):
        serial.append(run(1))
        two.append(run(2))
    return min(serial), min(two)


def cores_table(capture: Path) -> str:
    rows = []
    for name, what, run in (("read", f"{capture.name}: pipeline.read_flows", lambda w: read(capture, w)),
                            ("analyze", f"{capture.name}: analyze", lambda w: analyze([capture], w))):
        s, p = best_pair(run)
        rows.append((name, what, s, p, f"{s / p:.2f}x", f">= {SPEEDUP}x" if name == "analyze" else "(reported)",
                     "PASS" if s / p >= SPEEDUP else ("FAIL" if name == "analyze" else "")))
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
    c = json.loads(wall([sys.executable, "-c", CHILD_CPU, str(capture)])[1])
    path = c["plan"] + max(c["tasks"]) + c["decode"] + c["stitch"]
    lines.append(f"cpu path: serial read {c['serial']:.2f} s CPU; parallel: plan {c['plan']:.2f} + longest of "
                 f"{len(c['tasks'])} range tasks {max(c['tasks']):.2f} (all: {sum(c['tasks']):.2f}) + decode "
                 f"{c['decode']:.2f} + stitch {c['stitch']:.2f} = {path:.2f} s on 2 idle cores: "
                 f"{c['serial'] / path:.2f}x for the read")
    return "\n".join(lines)
