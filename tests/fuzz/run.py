#!/usr/bin/env python3
"""Coverage-guided fuzzing of the analyzer's readers with atheris (libFuzzer for Python).

Usage:
    python tests/fuzz/run.py --all --seconds 20        # the bounded run of `make test` (5 targets x 20 s)
    python tests/fuzz/run.py --all --seconds 600       # `make fuzz`
    python tests/fuzz/run.py eve --seconds 60          # one target (capture, dissectors, zeek_log, eve, config)

Each target runs in its own process, instrumented (atheris.instrument_imports) so libFuzzer sees the coverage of
pcap_analyzer.  Seeds come from the repository (small scenario captures, the default config, a few EVE and Zeek
lines); the growing corpus lives in a temporary directory.  A crash (any exception but InputError, see targets.py)
is written to tests/fuzz/crashes/<target>/ and the run fails: keep the file, it becomes a regression case of
tests/test_fuzz_regressions.py.  The summary line per target gives executions and coverage (libFuzzer's cov/ft).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CRASHES = HERE / "crashes"
TARGETS = ("capture", "dissectors", "zeek_log", "eve", "config")
ALERT = {"timestamp": "2023-11-15T05:13:41.040350+0000", "event_type": "alert", "src_ip": "10.0.0.5",
         "src_port": 40000, "dest_ip": "198.51.100.7", "dest_port": 8080, "proto": "TCP", "community_id": "1:abc=",
         "alert": {"signature_id": 1008020, "rev": 1, "signature": "x", "severity": 2,
                   "metadata": {"fallback_indicator": ["nonstandard_port_encrypted"]}}}
CONN_TSV = ("#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n"
            "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\n"
            "1700000000.5\tC1\t10.0.0.1\t40000\t192.0.2.1\t443\ttcp\tS0\n")


def seeds(target: str, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    if target == "capture":
        small = sorted((REPO / "pcaps").glob("*.pcap"), key=lambda p: p.stat().st_size)[:4]
        for p in small:
            shutil.copy(p, into / p.name)
    elif target == "dissectors":
        for i, sample in enumerate([b"\x01\xbbGET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00\x16SSH-2.0-OpenSSH_9\r\n",
                                    b"\x00\x35" + bytes.fromhex("12340100000100000000000003777777076578616d706c6503636f6d0000010001"),
                                    b"\x01\xbb\x16\x03\x01\x00\x31\x01\x00\x00\x2d\x03\x03" + bytes(40)]):
            (into / f"seed{i}").write_bytes(sample)
    elif target == "zeek_log":
        (into / "tsv").write_text(CONN_TSV)
        (into / "json").write_text(json.dumps({"ts": 1.5, "uid": "C1", "id.orig_h": "10.0.0.1", "id.orig_p": 1,
                                               "id.resp_h": "192.0.2.1", "id.resp_p": 53, "proto": "udp"}) + "\n")
    elif target == "eve":
        (into / "alert").write_text(json.dumps(ALERT) + "\n" + json.dumps({"event_type": "flow"}) + "\n")
    elif target == "config":
        (into / "default").write_text((REPO / "pcap_analyzer" / "data" / "default_config.toml").read_text())
        (into / "small").write_text("[flows]\ntcp_inactivity = 10.0\n[ports.expected]\n\"tcp/4444\" = \"ssh\"\n")


def child(target: str, args: list[str]) -> None:
    """Inside the fuzzing process: instrument the package, then hand over to libFuzzer."""
    import atheris

    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(REPO))
    with atheris.instrument_imports(include=["pcap_analyzer"]):
        import targets  # noqa: F401  (imports pcap_analyzer under instrumentation)
    fn = targets.TARGETS[target]

    def one_input(data: bytes) -> None:
        targets.run_quietly(fn, data)

    atheris.Setup([sys.argv[0], *args], one_input)
    atheris.Fuzz()


def run(target: str, seconds: int, max_len: int, runs: int = 0, seed: int = 0) -> tuple[bool, str]:
    """Fuzz one target for ``seconds`` in a child process (at most ``runs`` inputs when given; ``seed`` fixes
    libFuzzer's choices, so a bounded run is the same run every time); (no crash, summary line)."""
    crashes = CRASHES / target
    crashes.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"fallback-hunt-fuzz-{target}-") as tmp:
        corpus = Path(tmp) / "corpus"
        seeds(target, corpus)
        args = [str(corpus), f"-max_total_time={seconds}", f"-max_len={max_len}", "-timeout=20",
                "-rss_limit_mb=3072", f"-artifact_prefix={crashes}/", "-print_final_stats=1"]
        args += [f"-runs={runs}"] if runs else []
        args += [f"-seed={seed}"] if seed else []
        env = {**os.environ, "PYTHONHASHSEED": "0"} if seed else None  # the same coverage order, run after run
        proc = subprocess.run([sys.executable, __file__, "--child", target, *args], capture_output=True, text=True,
                              timeout=seconds + 300, env=env)
    log = proc.stdout + proc.stderr
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", log)
    done = re.findall(r"#(\d+)\s+(?:DONE|NEW|REDUCE|pulse|INITED)\s+cov: (\d+) ft: (\d+)", log)
    cov, ft = (done[-1][1], done[-1][2]) if done else ("?", "?")
    ok = proc.returncode == 0
    summary = f"{target:11} {'ok   ' if ok else 'CRASH'} executions {runs[-1] if runs else '?':>8}  " \
              f"coverage (libFuzzer cov/ft) {cov}/{ft}"
    if not ok:
        tail = [line for line in log.splitlines() if line.strip()][-25:]
        summary += "\n    " + "\n    ".join(tail)
    return ok, summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(argv[1], argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", choices=[[], *TARGETS], help="targets (default with --all: every one)")
    parser.add_argument("--all", action="store_true", help="every target")
    parser.add_argument("--seconds", type=int, default=20, help="per target (default 20)")
    parser.add_argument("--max-len", type=int, default=65536, help="largest input in bytes")
    parser.add_argument("--runs", type=int, default=0, help="inputs per target at most (default: until --seconds)")
    parser.add_argument("--seed", type=int, default=0, help="libFuzzer's seed: a fixed one repeats the same run")
    args = parser.parse_args(argv)
    chosen = list(TARGETS) if args.all or not args.targets else args.targets
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("fuzz: atheris is not installed (pip install atheris); the regression cases still run in pytest")
        return 0
    failed = False
    for target in chosen:
        ok, summary = run(target, args.seconds, args.max_len, args.runs, args.seed)
        print(summary, flush=True)
        failed |= not ok
    if failed:
        print(f"fuzz: crash inputs are in {CRASHES}/<target>/: keep them (tests/test_fuzz_regressions.py replays them)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
