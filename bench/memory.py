#!/usr/bin/env python3
"""Memory benchmarks of ``fallback-hunt analyze`` (issue 12), used by ``run.py`` (stage ``memory``) or alone.

Usage:
    python bench/memory.py                        # curve 1M..20M packets, 5M short flows, references
    python bench/memory.py --quick                # curve 250k..2M packets and 1M short flows (about 2 minutes)
    python bench/memory.py --sizes 1000000,4000000 --flows 0

Inputs (cached in bench/data/, written by make_capture's template stamping):

* the curve: ``mixed-<N>.pcap`` (make_capture: TLS, HTTP, DNS, NTP, QUIC, ICMP flows of 2,000 internal hosts at a
  FIXED rate of 50k packets/s, so the same number of flows is open at any time whatever the capture's length;
  about 85k flows per 1M packets);
* many flows: ``short-<N>f.pcap``, N short flows: per round 150 DNS A and 150 AAAA lookups (2 packets each, to two
  internal resolvers), 20 NTP exchanges, 6 short TLS sessions (20 packets), {gap} us between packets (about 2.3
  packets per flow).

Each run is ``fallback-hunt analyze CAPTURE -o TMP --exit-zero`` in a child process (the CLI's own code path, the
reports written), its peak RSS the child's ``ru_maxrss``. The child also notes the peak of each phase (Linux
VmHWM, reset between phases through /proc/self/clear_refs): ``read`` (captures -> flows -> the flow store, or the
flow list), ``detect`` (per group of hosts; the largest), ``shown`` (the flows the reports show, loaded back),
``reports`` (writing them). The reference is the same command with ``[pipeline] store = false`` (every flow held in
memory, as before the flow store), on the sizes it fits in.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import make_capture  # noqa: E402  (bench/ is not a package)

SHORT_KINDS = {"dns-a": 150, "dns-aaaa": 150, "ntp": 20, "tls-api": 6}  # template -> flows per round
GAP_US = 100  # 10k packets/s of traffic: about 4,300 new flows a second
CURVE = (1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000)
QUICK_CURVE = (250_000, 500_000, 1_000_000, 2_000_000)
FLAT = 1.3  # peak RSS of the curve's sizes within this factor once the concurrent flows are reached
PLATEAU = 0.9  # the concurrent flows are reached: the reader held at least this share of the most any size held
MANY_FLOWS = 5_000_000
MANY_FLOWS_MB = 2048
REFERENCE_MAX_FLOWS = 1_200_000  # the in-memory reference only up to here (it holds about 3-4 KB per flow)
CURVE_REFERENCE_MAX_FLOWS = 500_000  # on the curve: enough to show its slope
PNG = HERE / "memory-curve.png"
__doc__ = __doc__.replace("{gap}", str(GAP_US))


@contextmanager
def _gap(us: int) -> Iterator[None]:
    old = make_capture.PACKET_GAP_US
    make_capture.PACKET_GAP_US = us
    try:
        yield
    finally:
        make_capture.PACKET_GAP_US = old


def short_templates() -> list[make_capture.Template]:
    out = [t for t in make_capture.build_templates(1) if t.name in SHORT_KINDS]
    for t in out:
        t.flows_per_round = SHORT_KINDS[t.name]
    return out


def ensure_short(flows: int, force: bool = False) -> Path:
    """bench/data/short-<N>f.pcap: N whole short flows, cached."""
    path = make_capture.DATA / f"short-{make_capture.label(flows)}f.pcap"

    def write() -> None:
        with _gap(GAP_US):
            make_capture.write_capture(path, None, flows=flows, templates=short_templates())
    return make_capture.cached(path, write, force)


# ---------------------------------------------------------------------------------------------------------------
# The child: the CLI in-process, with the peak of each phase
# ---------------------------------------------------------------------------------------------------------------

def _hwm_mb() -> float:
    status = Path("/proc/self/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+)", status)
    return int(found.group(1)) / 1024 if found else 0.0


class Phases:
    """Peak RSS per phase: ``mark(name)`` records the peak since the previous mark, then resets it."""

    def __init__(self) -> None:
        self.peaks: dict[str, float] = {}
        self.mark("start")

    def mark(self, name: str) -> None:
        self.peaks[name] = max(self.peaks.get(name, 0.0), _hwm_mb())
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:  # not Linux, or not allowed: the peaks accumulate
            pass


def _wrap(owner: object, name: str, after: Callable[[object], None]) -> None:
    original = getattr(owner, name)

    def wrapped(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)
        after(result)
        return result
    setattr(owner, name, wrapped)


def child(capture: Path, store: bool, result: Path) -> int:
    from pcap_analyzer import bounded, cli, groups, pipeline

    phases = Phases()
    extra: dict[str, float] = {"groups": 0, "open_flows": 0}
    unfinished = bounded.Held.unfinished

    def counted(held: bounded.Held, flows: int) -> None:  # the flows the reader holds open (the concurrency)
        extra["open_flows"] = max(extra["open_flows"], flows)
        unfinished(held, flows)

    bounded.Held.unfinished = counted  # type: ignore[method-assign]

    def read_done(_: object) -> None:
        phases.mark("read")

    def group(_: object) -> None:
        phases.mark("detect")
        extra["groups"] += 1

    _wrap(groups.Facts, "settle", read_done)  # after the read, the store (if any) closed
    _wrap(groups, "detect_group", group)
    def shown(result: tuple[list, dict]) -> None:  # (evidence flows, report.html's host views)
        phases.mark("shown")
        extra["shown_flows"], extra["views"] = len(result[0]), len(result[1])

    def store_made(_: object) -> None:  # the store's side is imported with the store (bounded._new_store), not here
        from pcap_analyzer import stored

        _wrap(stored, "shown_flows", shown)  # one analysis, one store

    _wrap(bounded, "_new_store", store_made)
    _wrap(pipeline, "flows_of", lambda _: phases.mark("read"))  # the in-memory path
    _wrap(cli, "write_reports", lambda _: phases.mark("reports"))
    with tempfile.TemporaryDirectory(prefix="fallback-hunt-bench-") as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(f"[pipeline]\nstore = {'true' if store else 'false'}\n")
        started = time.process_time()
        rc = cli.main(["analyze", str(capture), "-o", str(Path(tmp) / "out"), "--config", str(config), "-q",
                       "--exit-zero"])
        cpu = time.process_time() - started
        phases.mark("end")
        # the phases' peaks: resetting VmHWM resets ru_maxrss too
        peak = max(*phases.peaks.values(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        # after the peak is taken: reading report.json back (hundreds of MB on the big sizes) is the bench's own
        doc = json.loads((Path(tmp) / "out" / "report.json").read_text()) if rc == 0 else {}
    out = {"rc": rc, "cpu": cpu, **{f"{k}_mb": v for k, v in phases.peaks.items()},
           **extra, "hosts": len(doc.get("hosts", [])) + sum(len(g.get("members", []))
                                                            for g in doc.get("host_groups", [])),
           "peak_mb": peak}
    result.write_text(json.dumps(out))
    return 0


# ---------------------------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Row:
    packets: int
    flows: int
    store: bool
    peak_mb: float
    cpu: float
    phases: dict[str, float]


def run_one(capture: Path, store: bool, packets: int, flows: int,
            log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True)) -> Row:
    """One child run of ``analyze``; its row is logged as soon as it is known."""
    with tempfile.TemporaryDirectory(prefix="fallback-hunt-bench-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(capture), "1" if store else "0",
               str(result)]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not result.exists():
            raise SystemExit(f"memory bench child failed on {capture.name}: {proc.stderr.strip()[-400:]}")
        data = json.loads(result.read_text())
    phases = {k[:-3]: v for k, v in data.items() if k.endswith("_mb") and k != "peak_mb"}
    phases.update({k: v for k, v in data.items() if k in ("groups", "shown_flows", "views", "hosts", "open_flows")})
    row = Row(packets, flows, store, data["peak_mb"], data["cpu"], phases)
    log(f"memory: {capture.name} {'store' if store else 'in-memory'}: {json.dumps(row.__dict__)}")
    return row


def curve(sizes: tuple[int, ...], log: Callable[[str], None]) -> list[Row]:
    rows = []
    templates = make_capture.build_templates(1)
    for packets in sizes:
        capture = make_capture.ensure_capture(packets)
        flows = make_capture.flows_in(templates, packets)
        log(f"memory: {capture.name} ({flows:,} flows) ...")
        rows.append(run_one(capture, True, packets, flows))
        if flows <= CURVE_REFERENCE_MAX_FLOWS:
            rows.append(run_one(capture, False, packets, flows))
    return rows


def many_flows(flows: int, log: Callable[[str], None]) -> list[Row]:
    capture = ensure_short(flows)
    packets = make_capture.packets_for(short_templates(), flows)
    log(f"memory: {capture.name} ({flows:,} flows, {packets:,} packets) ...")
    rows = [run_one(capture, True, packets, flows)]
    if flows <= REFERENCE_MAX_FLOWS:
        rows.append(run_one(capture, False, packets, flows))
    return rows


def table(rows: list[Row]) -> str:
    head = (f"{'packets':>11} {'flows':>10}  {'engine':<10} {'peak MB':>8} {'cpu s':>7}  {'read':>6} {'detect':>6} "
            f"{'shown':>6} {'reports':>7} {'groups':>6} {'open':>7}")
    lines = [head]
    for r in rows:
        p = r.phases
        lines.append(f"{r.packets:>11,} {r.flows:>10,}  {'store' if r.store else 'in-memory':<10} {r.peak_mb:>8.0f} "
                     f"{r.cpu:>7.1f}  {p.get('read', 0):>6.0f} {p.get('detect', 0):>6.0f} {p.get('shown', 0):>6.0f} "
                     f"{p.get('reports', 0):>7.0f} {int(p.get('groups', 0)):>6} {int(p.get('open_flows', 0)):>7}")
    return "\n".join(lines)


def judge_curve(rows: list[Row]) -> str:
    """Flat within FLAT once the concurrent flows are reached (the issue's words): over the sizes whose reader held
    at least PLATEAU of the most flows open at once that any size held (the flows' inactivity timeouts are longer
    than 1M packets' 20 s of this traffic: the open flows grow to about 2.5M packets), whatever the engine does with
    them (a capture whose flows fit one detection group is held as it is, ``bounded.Held``, without the store and
    its Arrow; the bigger ones go to the store). The ratio from 1M packets on is printed beside it."""
    stored = [r for r in rows if r.store]
    if not stored:
        return "no run"
    top = max(r.phases.get("open_flows", 0) for r in stored)
    past = [r for r in stored if r.phases.get("open_flows", 0) >= PLATEAU * top] or stored
    ratio = max(r.peak_mb for r in past) / min(r.peak_mb for r in past)
    verdict = "PASS" if ratio <= FLAT else "FAIL"
    least = min(r.phases.get("open_flows", 0) for r in past)
    span = f"{past[0].packets:,}..{past[-1].packets:,} packets (open flows {least:,.0f}..{top:,.0f})"
    line = f"memory curve: peak RSS {span} within {ratio:.2f}x (target <= {FLAT}x): {verdict}"
    from_1m = [r for r in stored if r.packets >= 1_000_000]
    if from_1m and from_1m[0] is not past[0]:
        line += (f"; from {from_1m[0].packets:,} packets (open flows {from_1m[0].phases.get('open_flows', 0):,.0f}): "
                 f"{max(r.peak_mb for r in from_1m) / min(r.peak_mb for r in from_1m):.2f}x")
    return line


def judge_many(rows: list[Row]) -> str:
    r = next(r for r in rows if r.store)
    verdict = "PASS" if r.peak_mb < MANY_FLOWS_MB else "FAIL"
    return f"many flows: {r.flows:,} short flows, peak RSS {r.peak_mb:.0f} MB (target < {MANY_FLOWS_MB} MB): {verdict}"


def plot(rows: list[Row], path: Path = PNG) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    for store, label, style in ((True, "flow store (default)", "o-"), (False, "every flow in memory (store = false)",
                                                                       "s--")):
        pts = sorted((r.packets / 1e6, r.peak_mb) for r in rows if r.store is store)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)
    ax.set_xlabel("capture size, million packets (mixed traffic at a fixed rate: the same flows open at any time)")
    ax.set_ylabel("peak RSS, MB")
    ax.set_xscale("log")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("fallback-hunt analyze: peak RSS against capture size")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_path(sizes: tuple[int, ...]) -> Path:
    """The committed bench/memory-curve.png for the full curve; a partial run (--quick, --sizes) plots into
    bench/data/ (not committed), so it never overwrites the full curve."""
    return PNG if tuple(sizes) == CURVE else make_capture.DATA / "memory-curve-partial.png"


def report(sizes: tuple[int, ...], flows: int,
           log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True)) -> str:
    """Run the memory curve over ``sizes`` and the many-flows case of ``flows`` flows (0: skipped); the text block
    run.py prints (and the PNG written)."""
    out = []
    if sizes:
        rows = curve(sizes, log)
        out += ["memory curve (mixed traffic at a fixed rate; phases: peak MB of each):", table(rows), judge_curve(rows),
                f"plot: {plot(rows, plot_path(sizes)).relative_to(REPO)}"]
    if flows:
        rows = many_flows(flows, log)
        out += ["", "many short flows (phases: peak MB of each):", table(rows), judge_many(rows)]
    return "\n".join(out)


def rows_from_logs(paths: list[Path]) -> tuple[list[Row], list[Row]]:
    """(curve rows, many-flows rows) from the "memory: NAME ENGINE: {...}" lines runs logged (runs of single sizes
    in parallel processes, gathered afterwards)."""
    curve_rows, many_rows = [], []
    for path in paths:
        for line in path.read_text().splitlines():
            found = re.match(r"memory: (\S+) (?:store|in-memory): (\{.*\})$", line)
            if found:
                row = Row(**json.loads(found.group(2)))
                (many_rows if found.group(1).startswith("short-") else curve_rows).append(row)
    key = lambda r: (r.packets, not r.store)  # noqa: E731
    return sorted(curve_rows, key=key), sorted(many_rows, key=key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fallback-hunt memory benchmarks")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="small sizes (250k..2M packets, 1M flows)")
    parser.add_argument("--sizes", help="comma-separated packet counts of the curve (0: no curve)")
    parser.add_argument("--flows", type=int, help="short flows of the many-flows case (0: skip)")
    parser.add_argument("--rows", nargs="+", type=Path, metavar="LOG",
                        help="no run: tables, verdicts and the plot from the rows earlier runs logged on stderr")
    args = parser.parse_args(argv)
    if args.rows:
        curve_rows, many_rows = rows_from_logs(args.rows)
        out = []
        if curve_rows:
            out += [table(curve_rows), judge_curve(curve_rows), f"plot: {plot(curve_rows).relative_to(REPO)}"]
        if many_rows:
            out += ["", table(many_rows), judge_many(many_rows)]
        print("\n".join(out))
        return 0
    if args.child:
        return child(Path(args.child[0]), args.child[1] == "1", Path(args.child[2]))
    sizes = (QUICK_CURVE if args.quick else CURVE) if args.sizes is None else tuple(
        int(s) for s in args.sizes.split(",") if int(s) > 0)
    flows = (1_000_000 if args.quick else MANY_FLOWS) if args.flows is None else args.flows
    print(report(sizes, flows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
