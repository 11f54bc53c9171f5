#!/usr/bin/env python3
"""Throughput and memory benchmarks (``make bench``).

Usage:
    python bench/run.py                  # every stage; the reader+flows stage also on the 4M-packet capture
    python bench/run.py --no-4m          # skip the 4M-packet capture
    python bench/run.py --only flows,suricata

Each stage runs in its own subprocess pinned to one CPU core; its peak RSS is that child's ``ru_maxrss``
(``os.wait4``).  Python stages time their own work (imports and interpreter start-up excluded) and report it as
"work s"; commands (``fallback-hunt analyze``, Suricata) are timed wall-clock.  A stage whose module does not
exist yet prints "n/a (not built yet)".  Inputs are written once by bench/make_capture.py into bench/data/.

Stages:
  flows     (a) reader.read_capture + flows.FlowTable, 1M packets and 4M packets of the SAME flows (longer ones);
                its details also give the CPU of the capture's SHA-256 (capture/digest.py, which the pipeline runs on a
                worker thread beside the read) and the rate the stage would have with it
  dissect   (b) the streamed read of pipeline.read_flows: (a) + FlowTable.drain + dissect + measures + compaction;
                1M packets, 4M packets of the same flows (RSS must stay flat), and the flow-heavy 4M capture
                (4x the flows: memory per flow)
  analyze   (c) the full ``fallback-hunt analyze`` command
  dpkt      (d) reference: a plain dpkt loop parsing ts, addresses, ports, flags, payload length
  suricata  (e) Suricata 7 with no rules (-S /dev/null) and with suricata_rules/fallback-channels.rules
  zeek      (f) zeeklogs reading a 1M-line conn.log and joining it to the capture's flows on community_id
  memory    (h) peak RSS against capture size at a fixed rate of short flows (a curve, with a PNG), and a capture of
                many short flows, beside the same runs holding every flow in memory (bench/memory.py); quick sizes
                unless --memory-full (1M..20M packets, 5M flows)
  reports   (i) report writing against the analysis on a capture where 60 hosts escalate (make_capture.py
                ESCALATING_MIX): ``fallback-hunt analyze`` run in the child (cli.main), the analysis
                (pipeline.analyze) and the writing (cli.write_reports) timed inside it; writing must stay under 20%
                of the whole command, and its share of analysis + writing is printed beside it
  hostile   (g) "hostile scale": fallback-hunt analyze on 1k/4k/12k hosts on one pattern and 2k/20k/200k EVE
                alerts (one per host): peak RSS and report sizes, and their growth per 1,000 (bench/hostile_inputs.py)
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import cores  # noqa: E402
import hostile_inputs  # noqa: E402
import memory  # noqa: E402
import make_capture  # noqa: E402  (bench/ is not a package)

RULES_DIR = REPO / "suricata_rules"
RULES = RULES_DIR / "fallback-channels.rules"
NOT_BUILT = 3  # child exit code: a module the stage needs does not exist yet

# Targets (printed beside the figures)
FLOWS_PPS = 500_000
DISSECT_PPS = 150_000
ANALYZE_VS_DISSECT = 1.5
SURICATA_RULES_VS_NONE = 2.0
RSS_FLAT = 1.25  # 4M-packet RSS at most this times the 1M-packet RSS (same flows)
ANALYZE_PPS = 250_000  # the whole analyze command, report included, per core
WRITING_SHARE = 0.20  # report writing at most this share of the analyze command (60 escalating hosts)


@dataclass
class Result:
    stage: str
    input: str
    status: str = "ok"  # "ok", "n/a (...)", "error: ..."
    packets: int = 0
    wall: float = 0.0  # wall-clock seconds of the whole child
    cpu: float = 0.0  # CPU seconds (user + system) of the whole child, start-up included
    work: float = 0.0  # CPU seconds of the measured work (the child's own count, else ``cpu``)
    rss_mb: float = 0.0
    target: str = ""
    verdict: str = ""  # "PASS" / "FAIL" / ""
    extra: dict | None = None

    @property
    def rate(self) -> float:
        return self.packets / self.work if self.work > 0 else 0.0


# ---------------------------------------------------------------------------------------------------------------
# Child side: the Python stages (run as `python bench/run.py --child STAGE INPUT...`)
# ---------------------------------------------------------------------------------------------------------------

def _read_flows(capture: Path, cfg: dict) -> tuple[int, list]:
    from pcap_analyzer import flows
    from pcap_analyzer.capture import reader
    from pcap_analyzer.gcpause import gc_paused
    from pcap_analyzer.model import CaptureInfo

    table, packets = flows.FlowTable(cfg), 0
    with gc_paused():  # as pipeline.analyze runs every stage
        for batch in reader.read_capture(capture, cfg, CaptureInfo(path=str(capture))):
            table.add(batch)
            packets += len(batch)
        return packets, table.finish()


def child_flows(capture: Path) -> dict:
    """(a), and beside it what the capture's SHA-256 costs (``digest.file_sha256``: the pipeline runs it on a worker
    thread while it reads; here it is timed on its own, after the read)."""
    from pcap_analyzer.capture import digest
    from pcap_analyzer.config import load_config

    cfg = load_config()
    start = time.process_time()
    packets, flow_list = _read_flows(capture, cfg)
    work = time.process_time() - start
    start = time.process_time()
    digest.file_sha256(capture)
    sha256 = time.process_time() - start
    return {"packets": packets, "work": work, "flows": len(flow_list), "sha256_cpu": sha256,
            "pps_with_sha256": round(packets / (work + sha256))}


def _rss_mb() -> float:
    """Resident memory now (MB), 0 where /proc is missing."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0.0
    fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024


def child_dissect(capture: Path) -> dict:
    """The capture part of the analysis as ``fallback-hunt analyze`` runs it: pipeline.read_flows streams (flows
    that are over are dissected, measured and compacted as the capture is read)."""
    import resource

    from pcap_analyzer import dissect, pipeline
    from pcap_analyzer.measures import measures
    from pcap_analyzer.config import load_config

    cfg = load_config()
    spent = {"annotate": 0.0}

    def timed(fn):
        def run(*args, **kwargs):
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent["annotate"] += time.process_time() - start
        return run

    dissect.annotate_all, measures.annotate_all = timed(dissect.annotate_all), timed(measures.annotate_all)
    base = _rss_mb()  # interpreter + imports: what every flow count starts from
    start = time.process_time()
    inputs, flow_list = pipeline.read_flows([capture], cfg)
    work = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"packets": inputs[0].packets, "work": work, "flows": len(flow_list), "read_cpu": work - spent["annotate"],
            "annotate_cpu": spent["annotate"], "base_mb": round(base),
            "kb_per_flow": round((peak - base) * 1024 / max(len(flow_list), 1), 2)}


def child_dpkt(capture: Path) -> dict:
    """The reference: what a plain per-packet dpkt loop costs for the same fields."""
    import socket

    import dpkt

    start, packets, last_ts, checksum = time.process_time(), 0, 0.0, 0
    with capture.open("rb") as fh:
        for ts, buf in dpkt.pcap.Reader(fh):
            packets += 1
            ip = dpkt.ethernet.Ethernet(buf).data
            if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
                continue
            l4, last_ts = ip.data, ts
            flags = l4.flags if isinstance(l4, dpkt.tcp.TCP) else 0
            sport, dport = getattr(l4, "sport", 0), getattr(l4, "dport", 0)
            checksum += len(ip.src) + len(ip.dst) + sport + dport + flags + len(getattr(l4, "data", b""))
    return {"packets": packets, "work": time.process_time() - start, "last_ts": last_ts, "checksum": checksum}


def child_zeek(capture: Path, log_dir: Path) -> dict:
    """Read the conn.log and join it to the capture's flows on community_id.

    With the project's reader (``zeeklogs.read_logs`` + ``attach_uids``) when it exists, else plain zat
    (``LogToDataFrame``) and a pandas merge.
    """
    from pcap_analyzer.config import load_config

    cfg = load_config()
    _, flow_list = _read_flows(capture, cfg)
    lines = sum(1 for line in (log_dir / "conn.log").open("rb") if not line.startswith(b"#"))
    start = time.process_time()
    if missing("zeeklogs"):
        import pandas as pd
        from zat.log_to_dataframe import LogToDataFrame

        conn = LogToDataFrame().create_dataframe(str(log_dir / "conn.log"))
        read = time.process_time() - start
        ids = pd.DataFrame({"community_id": [f.community_id for f in flow_list]})
        joined = len(ids.merge(conn[["community_id", "uid"]], on="community_id"))
        how = "zat LogToDataFrame + pandas merge"
    else:
        from pcap_analyzer.sources import zeekjoin, zeeklogs

        logs = zeeklogs.read_logs(log_dir)
        read = time.process_time() - start
        zeekjoin.attach_uids(flow_list, logs)
        joined = sum(1 for f in flow_list if f.zeek_uids)
        how = "zeeklogs.read_logs + attach_uids"
    return {"packets": lines, "work": time.process_time() - start, "read_cpu": read, "flows": len(flow_list),
            "joined": joined, "with": how}


def child_reports(capture: Path) -> dict:
    """``fallback-hunt analyze`` in this process (cli.main), the analysis and the report writing timed inside it;
    the command's CPU is this process' whole CPU (interpreter start-up and imports included)."""
    import resource

    from pcap_analyzer import cli, pipeline

    spent = {"analysis": 0.0, "writing": 0.0}

    def timed(key, fn):
        def run(*args, **kwargs):
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.process_time() - start
        return run

    pipeline.analyze = timed("analysis", pipeline.analyze)
    cli.write_reports = timed("writing", cli.write_reports)
    with tempfile.TemporaryDirectory() as out:
        rc = cli.main(["analyze", str(capture), "-o", out, "-q"])
        report = json.loads((Path(out) / "report.json").read_text())
        sizes = {name: round((Path(out) / name).stat().st_size / 1e6, 2)
                 for name in ("report.json", "fallback.log", "report.html")}
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    if rc not in (0, 1):
        raise SystemExit(f"analyze exited {rc}")
    return {"packets": sum(i.get("packets", 0) for i in report["inputs"]), "work": total,
            "escalated": report["summary"]["escalate"], "analysis_cpu": spent["analysis"],
            "writing_cpu": spent["writing"], "command_cpu": total,
            "writing_share": round(spent["writing"] / total, 3),
            "writing_vs_analysis": round(spent["writing"] / (spent["analysis"] + spent["writing"]), 3),
            **{f"{name}_mb": size for name, size in sizes.items()}}


CHILD_STAGES = {"flows": child_flows, "dissect": child_dissect, "dpkt": child_dpkt, "zeek": child_zeek,
                "reports": child_reports}
#: what each stage needs from the package ("module:attribute")
NEEDS = {
    "flows": ("pcap_analyzer.capture.reader:read_capture", "pcap_analyzer.flows:FlowTable"),
    "dissect": ("pcap_analyzer.capture.reader:read_capture", "pcap_analyzer.flows:FlowTable",
                "pcap_analyzer.dissect:annotate_all", "pcap_analyzer.measures.measures:annotate_all",
                "pcap_analyzer.pipeline:read_flows"),
    "analyze": ("pcap_analyzer.cli:main", "pcap_analyzer.pipeline:analyze"),
    "dpkt": (),
    "reports": ("pcap_analyzer.cli:write_reports", "pcap_analyzer.pipeline:analyze"),
    "zeek": ("pcap_analyzer.capture.reader:read_capture", "pcap_analyzer.flows:FlowTable"),
    "zeeklogs": ("pcap_analyzer.sources.zeeklogs:read_logs", "pcap_analyzer.sources.zeekjoin:attach_uids"),
}


def missing(stage: str) -> str:
    """The first thing ``stage`` needs that does not exist yet ("" when everything is there)."""
    for need in NEEDS[stage]:
        module, _, attr = need.partition(":")
        try:
            found = importlib.import_module(module)
        except ImportError as exc:  # a module of the package, or a name one of them imports, is missing
            if not (exc.name or "").startswith("pcap_analyzer"):
                raise
            name = re.search(r"cannot import name '(\w+)'", str(exc))
            return f"{exc.name}.{name.group(1)}" if name else exc.name
        if not hasattr(found, attr):
            return need
    return ""


def memory_now() -> dict:
    """Resident memory at the end of the stage, split into anonymous (heap) and file-backed (mapped capture) MB."""
    status = Path("/proc/self/status")
    if not status.exists():
        return {}
    fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
    return {f"end_{key.lower()}_mb": round(int(fields[key].split()[0]) / 1024) for key in ("RssAnon", "RssFile")
            if key in fields}


def child_main(stage: str, inputs: list[str]) -> int:
    absent = missing(stage)
    if absent:
        print(f"n/a (not built yet: {absent})")
        return NOT_BUILT
    result = CHILD_STAGES[stage](*(Path(p) for p in inputs))
    print(json.dumps(result | memory_now()))
    return 0


# ---------------------------------------------------------------------------------------------------------------
# Parent side
# ---------------------------------------------------------------------------------------------------------------

def one_core() -> set[int] | None:
    """The core every stage is pinned to (the last one this process may use), when the OS supports it."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    return {max(os.sched_getaffinity(0))}


@dataclass
class Run:
    rc: int
    wall: float
    cpu: float
    rss_mb: float
    out: str
    err: str


def measure(cmd: list[str], cwd: Path | None = None) -> Run:
    """Run ``cmd`` pinned to one core: exit code, wall and CPU seconds, peak RSS, output."""
    core = one_core()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err,
                                preexec_fn=(lambda: os.sched_setaffinity(0, core)) if core else None)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                   out.read().decode(errors="replace"), err.read().decode(errors="replace"))


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:160] if lines else ""


def result_of(stage: str, name: str, run: Run, packets: int = 0, ok_codes: tuple[int, ...] = (0,)) -> Result:
    """A Result from a finished child: n/a, error (last line of its stderr), or its figures."""
    result = Result(stage, name, packets=packets, wall=run.wall, cpu=run.cpu, work=run.cpu, rss_mb=run.rss_mb)
    if run.rc == NOT_BUILT:
        result.status = _last_line(run.out)
    elif run.rc not in ok_codes:
        result.status = f"error: {_last_line(run.err) or _last_line(run.out) or f'exit {run.rc}'}"
    return result


def run_child(stage: str, name: str, *inputs: Path) -> Result:
    run = measure([sys.executable, str(Path(__file__).resolve()), "--child", stage, *map(str, inputs)])
    result = result_of(stage, name, run)
    if result.status == "ok":
        data = json.loads(run.out.strip().splitlines()[-1])
        result.packets, result.work = int(data.pop("packets")), float(data.pop("work"))
        result.extra = data
    return result


def run_analyze(capture: Path, packets: int) -> Result:
    absent = missing("analyze")
    if absent:
        return Result("analyze", capture.name, status=f"n/a (not built yet: {absent})")
    with tempfile.TemporaryDirectory() as out:
        run = measure([sys.executable, "-m", "pcap_analyzer", "analyze", str(capture), "-o", out, "-q"])
    return result_of("analyze", capture.name, run, packets, ok_codes=(0, 1))  # 1 = something escalated


def first_tcp_flow(capture: Path) -> str:
    """The Community ID of the capture's first TCP packet's connection (read with dpkt, a few packets only)."""
    import socket

    import dpkt

    from pcap_analyzer.community_id import community_id_v1

    with capture.open("rb") as fh:
        for _, buf in dpkt.pcap.Reader(fh):
            ip = dpkt.ethernet.Ethernet(buf).data
            if isinstance(ip, dpkt.ip.IP) and isinstance(ip.data, dpkt.tcp.TCP):
                return community_id_v1(6, socket.inet_ntoa(ip.src), socket.inet_ntoa(ip.dst), ip.data.sport,
                                       ip.data.dport)
    raise SystemExit(f"{capture}: no TCP packet")


def run_inspect(capture: Path, packets: int) -> Result:
    """``fallback-hunt inspect`` of one flow of the big capture: the analyzer's reader cuts it, tshark sees the cut."""
    if shutil.which("tshark") is None:
        return Result("inspect", capture.name, status="n/a (tshark not installed)")
    run = measure([sys.executable, "-m", "pcap_analyzer", "inspect", str(capture), "--community-id",
                   first_tcp_flow(capture)])
    result = result_of("inspect", f"{capture.name}, one flow", run, packets)
    cut = re.search(r"tshark read (\d+) cut packet", run.out)
    result.extra = {"tshark_packets": int(cut.group(1)) if cut else None}
    return result


def run_suricata(capture: Path, packets: int, rules: Path | None) -> Result:
    name = f"{capture.name} {'rules' if rules else 'no rules'}"
    binary = shutil.which("suricata")
    if binary is None:
        return Result("suricata", name, status="n/a (suricata not installed)")
    if rules is not None and not rules.exists():
        return Result("suricata", name, status="n/a (not built yet: suricata_rules/fallback-channels.rules)")
    config = RULES_DIR / "suricata.yaml"
    with tempfile.TemporaryDirectory() as logdir:
        cmd = [binary, "-v", "-r", str(capture), "-l", logdir, "-k", "none", "--runmode", "single",
               "-S", str(rules) if rules else "/dev/null"]
        if config.exists():  # the project's config; its relative paths are relative to suricata_rules/
            cmd += ["-c", str(config), "--set", f"classification-file={RULES_DIR / 'classification.config'}",
                    "--set", f"reference-config-file={RULES_DIR / 'reference.config'}"]
        run = measure(cmd, cwd=RULES_DIR if config.exists() else None)
        eve = Path(logdir) / "eve.json"
        alerts = sum(1 for line in eve.open() if '"event_type":"alert"' in line) if eve.exists() else 0
    result = result_of("suricata", name, run, packets)
    loaded = re.search(r"(\d+) rules successfully loaded", run.out + run.err)
    result.extra = {"rules_loaded": int(loaded.group(1)) if loaded else 0, "alerts": alerts}
    return result


# ---------------------------------------------------------------------------------------------------------------
# Targets and the table
# ---------------------------------------------------------------------------------------------------------------

def ok(r: Result | None) -> bool:
    return r is not None and r.status == "ok"


def judge(results: dict[str, Result]) -> None:
    """Fill target/verdict of each result from the figures."""
    def mark(r: Result | None, target: str, passed: bool | None) -> None:
        if r is not None:
            r.target = target
            r.verdict = "" if passed is None or not ok(r) else ("PASS" if passed else "FAIL")

    def flat(small: Result | None, big: Result | None) -> None:
        """``big`` (4M packets, the same flows as ``small``) must stay within RSS_FLAT of ``small``'s RSS."""
        if ok(small) and ok(big):
            ratio = big.rss_mb / small.rss_mb
            flows = big.extra["flows"] / max(small.extra["flows"], 1)
            big.target += f"; RSS <= {RSS_FLAT}x 1M: {ratio:.2f}x (flows {flows:.1f}x)"
            big.verdict = "PASS" if big.verdict == "PASS" and ratio <= RSS_FLAT else "FAIL"

    small, big = results.get("flows-1M"), results.get("flows-4M")
    for r in (small, big):
        if r is not None:
            mark(r, f">= {FLOWS_PPS / 1000:.0f}k pps", r.rate >= FLOWS_PPS)
    flat(small, big)
    dissect, dissect_big = results.get("dissect"), results.get("dissect-4M")
    for r in (dissect, dissect_big):
        if r is not None:
            mark(r, f">= {DISSECT_PPS / 1000:.0f}k pps", r.rate >= DISSECT_PPS)
    flat(dissect, dissect_big)
    heavy = results.get("dissect-heavy")
    if ok(heavy) and "kb_per_flow" in heavy.extra:
        heavy.target = f"{heavy.extra['kb_per_flow']:.2f} KB RSS per flow ({heavy.extra['flows']:,} flows)"
    analyze, dpkt = results.get("analyze"), results.get("dpkt")
    if analyze is not None:
        ratio = analyze.cpu / dissect.cpu if ok(dissect) and ok(analyze) else None
        mark(analyze, f"<= {ANALYZE_VS_DISSECT}x (b)" + (f" ({ratio:.2f}x)" if ratio else ""),
             None if ratio is None else ratio <= ANALYZE_VS_DISSECT)
        if ok(analyze):  # the end-to-end rate, report included, beside the dpkt loop of this run
            beside = f", dpkt loop {dpkt.rate / 1000:.0f}k = {analyze.rate / dpkt.rate:.2f}x" if ok(dpkt) else ""
            analyze.target += f"; >= {ANALYZE_PPS / 1000:.0f}k pps{beside}"
            analyze.verdict = "PASS" if analyze.verdict != "FAIL" and analyze.rate >= ANALYZE_PPS else "FAIL"
    reports = results.get("reports")
    if ok(reports):
        share = reports.extra["writing_share"]
        mark(reports, f"writing <= {WRITING_SHARE:.0%} of analyze: {share:.1%} (analysis "
             f"{reports.extra['analysis_cpu']:.2f} s, writing {reports.extra['writing_cpu']:.2f} s)",
             share <= WRITING_SHARE)
    bare, rules = results.get("suricata-none"), results.get("suricata-rules")
    if rules is not None:
        ratio = rules.cpu / bare.cpu if ok(bare) and ok(rules) else None
        mark(rules, f"<= {SURICATA_RULES_VS_NONE}x no rules" + (f" ({ratio:.2f}x)" if ratio else ""),
             None if ratio is None else ratio <= SURICATA_RULES_VS_NONE)


def table(results: list[Result]) -> str:
    head = (f"{'stage':<9} {'input':<28} {'packets':>9} {'wall s':>7} {'cpu s':>7} {'work s':>7} {'rate/s':>10} "
            f"{'RSS MB':>7}  {'target':<46} result")
    lines = [head, "-" * len(head)]
    for r in results:
        if r.status != "ok":
            lines.append(f"{r.stage:<9} {r.input:<28} {r.status}")
            continue
        lines.append(f"{r.stage:<9} {r.input:<28} {r.packets:>9} {r.wall:>7.2f} {r.cpu:>7.2f} {r.work:>7.2f} "
                     f"{r.rate:>10,.0f} {r.rss_mb:>7.0f}  {r.target:<46} {r.verdict}")
    return "\n".join(lines)


def notes(results: list[Result]) -> list[str]:
    out = []
    for r in results:
        if r.status == "ok" and r.extra:
            details = ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.extra.items())
            out.append(f"  {r.stage} {r.input}: {details}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fallback-hunt throughput and memory benchmarks")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--no-4m", action="store_true", help="skip the 4M-packet captures")
    parser.add_argument("--only", default="", help="comma-separated stages (default all): flows, dissect, analyze, "
                        "dpkt, suricata, zeek, inspect, reports, hostile, memory, cores")
    parser.add_argument("--packets", type=int, default=1_000_000, help="size of the main capture (default 1M)")
    parser.add_argument("--memory-full", action="store_true",
                        help="memory stage: the curve from 1M to 20M packets and 5M short flows (minutes)")
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child[0], args.child[1:])

    known = ("flows", "dissect", "analyze", "dpkt", "suricata", "zeek", "inspect", "reports", "hostile", "memory",
             "cores")
    stages = set(filter(None, args.only.split(","))) or set(known)
    if not stages <= set(known):
        parser.error(f"--only: unknown stage(s) {', '.join(sorted(stages - set(known)))}; known: {', '.join(known)}")
    if args.packets < 1:
        parser.error("--packets must be positive")
    print("preparing inputs in bench/data/ (cached) ...", file=sys.stderr, flush=True)
    capture = make_capture.ensure_capture(args.packets)
    results: dict[str, Result] = {}

    def run(key: str, make) -> None:
        print(f"running {key} ...", file=sys.stderr, flush=True)
        results[key] = make()

    # 4M packets of the SAME flows as the main capture (longer sessions): memory must not follow the packets
    long = make_capture.ensure_long_capture(4 * args.packets, args.packets) if not args.no_4m and (
        stages & {"flows", "dissect"}) else None
    if "flows" in stages:
        run("flows-1M", lambda: run_child("flows", capture.name, capture))
        if long is not None:
            run("flows-4M", lambda: run_child("flows", long.name, long))
    if "dissect" in stages:
        run("dissect", lambda: run_child("dissect", capture.name, capture))
        if long is not None:
            run("dissect-4M", lambda: run_child("dissect", long.name, long))
            heavy = make_capture.ensure_capture(4 * args.packets)  # 4x the packets AND 4x the flows
            run("dissect-heavy", lambda: run_child("dissect", f"{heavy.name} (4x flows)", heavy))
    if "analyze" in stages:
        run("analyze", lambda: run_analyze(capture, args.packets))
    if "dpkt" in stages:
        run("dpkt", lambda: run_child("dpkt", capture.name, capture))
    if "suricata" in stages:
        run("suricata-none", lambda: run_suricata(capture, args.packets, None))
        run("suricata-rules", lambda: run_suricata(capture, args.packets, RULES))
    if "zeek" in stages:
        conn = make_capture.ensure_conn_log(args.packets)
        run("zeek", lambda: run_child("zeek", f"{conn.name}/conn.log", capture, conn))

    if "inspect" in stages:
        run("inspect", lambda: run_inspect(capture, args.packets))
    if "reports" in stages:  # 60 escalating hosts: report writing against the analysis
        escalating = make_capture.write_escalating_capture(make_capture.DATA / "escalate-60.pcap")
        run("reports", lambda: run_child("reports", f"{escalating.name} (60 escalate)", escalating))

    hostile = None
    if "hostile" in stages:  # many hosts on one pattern, many EVE alerts: RSS and report size (issue 13)
        print("running hostile scale ...", file=sys.stderr, flush=True)
        hostile = hostile_inputs.scale_table(hostile_inputs.scale_rows(make_capture.DATA, measure))
    memory_text = None
    if "memory" in stages:
        memory_text = memory.report(memory.CURVE if args.memory_full else memory.QUICK_CURVE,
                                    memory.MANY_FLOWS if args.memory_full else 1_000_000)
    speedup = None
    if "cores" in stages:  # --workers 2 against serial, both cores, wall-clock (bench/cores.py)
        print("running cores ...", file=sys.stderr, flush=True)
        speedup = cores.cores_table(capture, make_capture.ensure_capture(4 * args.packets))  # 4x the flows
    judge(results)
    ordered = list(results.values())
    print(f"\nfallback-hunt benchmarks, each stage in a child pinned to core {sorted(one_core() or [])}.\n"
          "cpu s = CPU seconds of the whole child (start-up included); work s = CPU seconds of the measured work\n"
          "(Python stages count their own; commands: cpu s); rate = packets (zeek: conn.log lines) per work second;\n"
          "ratios compare cpu s, so a busy machine does not skew them.")
    print(table(ordered))
    extra = notes(ordered)
    if extra:
        print("\ndetails:")
        print("\n".join(extra))
    if hostile is not None:
        print("\n" + hostile)
    if memory_text is not None:
        print("\n" + memory_text)
    if speedup is not None:
        print("\ncores (bench/cores.py: wall seconds, not pinned, best of 2 alternating runs; past one group: one "
              "pair):\n" + speedup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
