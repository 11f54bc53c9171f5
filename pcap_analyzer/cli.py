"""`fallback-hunt`: command line, exit codes (0 nothing escalated, 1 something escalated, 2 error), stdout summary."""
from __future__ import annotations

import argparse
import os
import sys
import threading
import traceback
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from . import __version__, atomic, contain_cmd, deepdive, extract, pipeline, signals, validate
from .baseline import command as baseline_command
from .watch import command as watch_command
from .config import Config, load_config, override
from .errors import InputError
from .gcpause import gc_paused
from .homenet import HomeNet
from .model import Report
from .parallel.engine import Options as ParallelOptions
from .parallel.sources import is_url
from .report.common import OUTPUT_NAMES, escape_text, flow_index
from .report.events import write_events
from .report.html import write_html
from .report.json_report import write_json
from .report.summary import summary_text
from .report.fallback_log import write_fallback_log
from .sources.suricata import CAPTURE_MAGIC

PROG = "fallback-hunt"
EXIT_CLEAN, EXIT_ESCALATED, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A command-line usage problem found by argparse."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage problem as one line (and exit code 2) instead of printing the usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


EPILOG = f"""exit codes:
  0  nothing escalated (or --exit-zero); also 'contain' when it wrote its artifacts
  1  at least one host escalated
  2  error (bad input, unreadable file, usage); one line on stderr

examples:
  {PROG} analyze capture.pcap -o out/
  {PROG} analyze captures/ --zeek-logs zeek/ --suricata --allowlist allow.txt -o out/ --exit-zero
  {PROG} contain out/report.json -o block/ --sid-base 1009000
"""


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="Find malware falling back to another C2 channel (MITRE ATT&CK T1008).",
                    epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    analyze = commands.add_parser(
        "analyze", help="analyse captures and/or Zeek logs, write report.json, fallback.log and report.html",
        description="Analyse captures and/or Zeek logs; write OUTDIR/report.json, fallback.log and report.html.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    analyze.add_argument("captures", nargs="*", type=capture_arg, metavar="CAPTURE",
                         help="pcap, pcapng or gzip-compressed capture, or a directory of them (several: one "
                              "analysis across all); also a URL (s3://..., with s3fs installed)")
    analyze.add_argument("-o", "--output", dest="outdir", type=Path, required=True, metavar="OUTDIR",
                         help="directory for the reports (created if needed; other files in it are left alone)")
    analyze.add_argument("--intel", type=Path, metavar="FILE",
                         help="threat intel: Zeek Intel file or one IP, CIDR or domain per line")
    analyze.add_argument("--home-net", metavar="CIDRS",
                         help="comma-separated internal networks (default: [home_net] cidrs of the config)")
    analyze.add_argument("--config", type=Path, metavar="FILE", help="TOML file overriding default settings")
    analyze.add_argument("--zeek-logs", type=Path, metavar="DIR",
                         help="Zeek log directory of the same traffic (alone: sensor-only mode, no capture needed)")
    analyze.add_argument("--suricata", action="store_true", help="also run Suricata with the fallback-hunt rules")
    analyze.add_argument("--eve", type=Path, metavar="FILE", help="Suricata EVE JSON file to merge alerts from")
    analyze.add_argument("--no-limits", action="store_true",
                         help="lift the [limits] of the config (decompressed size, gzip ratio, records per capture)")
    analyze.add_argument("-q", "--quiet", action="store_true",
                         help="print nothing on stdout (errors still go to stderr)")
    analyze.add_argument("--baseline", type=Path, metavar="FILE",
                         help="baseline store (from 'baseline update'): flag what is new for each host")
    analyze.add_argument("--debug", action="store_true", help="show the Python traceback of an internal error")
    analyze.add_argument("--events", type=Path, metavar="FILE",
                         help="also write the findings as NDJSON events with ECS field names, for a SIEM")
    analyze.add_argument("--log-format", choices=("tsv", "json"), default="tsv",
                         help="fallback.log as Zeek TSV (default) or Zeek JSON (LogAscii::use_json)")
    analyze.add_argument("--flows-out", type=Path, metavar="DIR",
                         help="also keep every flow as Parquet in DIR, conn.log columns first (query it with DuckDB, "
                              "pandas or Spark)")
    analyze.add_argument("--top", type=int, metavar="N", help="hosts listed on stdout (default: [report] top)")
    analyze.add_argument("--exit-zero", action="store_true", help="exit 0 even when a host escalates (errors: 2)")
    engine = analyze.add_mutually_exclusive_group()
    engine.add_argument("--workers", type=positive_int, default=1, metavar="N",
                        help="read with N worker processes (an embedded Dask cluster; default 1: this process)")
    engine.add_argument("--scheduler", metavar="ADDRESS",
                        help="read on the Dask cluster of this scheduler (tcp://host:8786) instead")
    contain_cmd.add_allowlist_options(analyze)
    contain_cmd.add_parser(commands)
    extract.add_command(commands)
    deepdive.add_command(commands)
    baseline_command.add_parsers(commands)
    watch_command.add_parser(commands)
    return parser


def capture_arg(text: str) -> Path | str:
    """A capture argument: a path, or a URL kept as given (Path would fold its "//")."""
    return text if is_url(text) else Path(text)


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text!r}")
    return int(text)


def check_path(path: Path, what: str, directory: bool = False) -> None:
    """Fail early, before any capture is read, when a named input is missing or of the wrong kind."""
    if not path.exists():
        raise InputError(f"{what} {path}: no such file or directory")
    if directory and not path.is_dir():
        raise InputError(f"{what} {path}: not a directory")
    if not directory and path.is_dir():
        raise InputError(f"{what} {path}: is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{what} {path}: permission denied")


def output_paths(outdir: Path, inputs: Sequence[Path]) -> list[Path]:
    """OUTDIR's report paths; refuses an OUTDIR that is a file and any report path that is one of the inputs."""
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"output directory {outdir}: exists and is not a directory")
    outputs = [outdir / name for name in OUTPUT_NAMES]
    try:
        given = {p.resolve() for p in inputs}
        for out in outputs:
            if out.resolve() in given or any(out.exists() and p.exists() and out.samefile(p) for p in inputs):
                raise InputError(f"refusing to overwrite input file {out}; choose another -o OUTDIR")
    except (RuntimeError, OSError) as exc:  # Path.resolve: "Symlink loop from ..." (RuntimeError before 3.13)
        raise InputError(f"output directory {outdir}: cannot be resolved ({validate.quote(exc)})") from None
    return outputs


def write_reports(report: Report, cfg: Config, outputs: Sequence[Path], log_format: str = "tsv") -> None:
    json_path, log_path, html_path = outputs
    try:
        json_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output directory {json_path.parent}: {exc.strerror or exc}") from None
    index = flow_index(report.flows)  # built once for the three writers
    atomic.write_all([
        (json_path, lambda p: write_json(report, p, cfg.report.max_host_details, index)),
        (log_path, lambda p: write_fallback_log(report, cfg, p, log_format, index)),
        (html_path, lambda p: write_html(report, cfg, p, index)),
    ])


class ProgressLine:
    """Packets read per capture, rewritten in place on a terminal; only for captures of at least ``min_bytes``."""

    def __init__(self, stream: TextIO, min_bytes: int) -> None:
        self.stream, self.min_bytes = stream, min_bytes
        self.capture: str | None = None
        self.showing = False

    def __call__(self, capture: str, packets: int) -> None:
        if capture != self.capture:
            self.done()
            self.capture = capture
            try:
                self.showing = os.path.getsize(capture) >= self.min_bytes
            except OSError:
                self.showing = False
        if self.showing:
            self.stream.write(f"\r{escape_text(capture)}: {packets} packets read")
            self.stream.flush()

    def done(self) -> None:
        """End the current progress line (if one is shown)."""
        if self.showing:
            self.stream.write("\n")
            self.stream.flush()
        self.showing = False


def looks_like_capture(path: Path) -> bool:
    """pcap / pcapng magic, or gzip (a compressed capture), in the first bytes."""
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError:
        return True  # let check_path say what is wrong with it
    return head in CAPTURE_MAGIC or head[:2] == b"\x1f\x8b"


def capture_files(paths: Sequence[Path]) -> list[Path]:
    """The captures named: files as given; a directory as the captures inside it (regular, not hidden files with a
    pcap, pcapng or gzip magic; a README beside them is skipped), sorted by name."""
    out: list[Path] = []
    for path in paths:
        if is_url(path):
            out.append(path)  # type: ignore[arg-type]  # checked by the parallel read, before any task
            continue
        if path.is_dir():
            inside = sorted(p for p in path.iterdir()
                            if p.is_file() and not p.name.startswith(".") and looks_like_capture(p))
            if not inside:
                raise InputError(f"capture directory {path}: holds no pcap, pcapng or gzip file")
            out += inside
        else:
            out.append(path)
    for path in out:
        if not is_url(path):
            check_path(path, "capture")
    return out


def checked_outputs(args: argparse.Namespace) -> list[Path]:
    """Check every path argument before any work; the report paths in OUTDIR."""
    if not args.captures and args.zeek_logs is None:
        raise UsageError(f"analyze needs at least one CAPTURE or --zeek-logs DIR (see '{PROG} analyze --help')")
    args.captures = capture_files(args.captures)
    for path, what in ((args.config, "--config"), (args.intel, "--intel"), (args.eve, "--eve"),
                       (args.baseline, "--baseline"), (args.allowlist, "--allowlist")):
        if path is not None:
            check_path(path, what)
    if args.suricata and any(map(is_url, args.captures)):
        raise UsageError("--suricata reads local captures only; copy the URL's capture first")
    inputs = [p for p in (*args.captures, args.config, args.intel, args.eve, args.baseline)
              if p is not None and not is_url(p)]
    if args.events is not None and any(args.events.resolve() == p.resolve() for p in inputs):
        raise InputError(f"refusing to overwrite input file {args.events}; choose another --events FILE")
    if args.zeek_logs is not None:
        check_path(args.zeek_logs, "--zeek-logs", directory=True)
        inputs += [p for p in args.zeek_logs.iterdir() if p.is_file()]
    return output_paths(args.outdir, inputs)


def run_analyze(args: argparse.Namespace) -> int:
    outputs = checked_outputs(args)
    cfg = load_config(args.config)
    if args.no_limits:
        cfg = override(cfg, {"limits": {"enabled": False}})
    if args.top is not None:
        cfg = override(cfg, {"report": {"top": max(args.top, 0)}})
    home = HomeNet.parse(args.home_net) if args.home_net is not None else HomeNet(cfg.home_net.cidrs)
    progress = ProgressLine(sys.stderr, cfg.report.progress_min_bytes)
    with gc_paused():  # the flows are held to the end: the collector would only rescan them (see gcpause)
        try:
            report = pipeline.analyze(args.captures, cfg, home, intel_path=args.intel, zeek_dir=args.zeek_logs,
                                      eve_path=args.eve, run_suricata=args.suricata, baseline_path=args.baseline,
                                      progress=None if args.quiet or not sys.stderr.isatty() else progress,
                                      allowlist_path=args.allowlist, sid_base=args.sid_base,
                                      use_default_allowlist=False if args.no_default_allowlist else None,
                                      flows_out=args.flows_out,
                                      parallel=ParallelOptions(args.workers, args.scheduler))
        finally:
            progress.done()
        with warnings.catch_warnings():  # the analysis' warnings are in the notes; writing has nothing to add
            warnings.simplefilter("ignore")
            write_reports(report, cfg, outputs, args.log_format)
            if args.events is not None:
                write_events(report, cfg, args.events)
        # leaving gc_paused freezes them: the exit need not scan them either
    if not args.quiet:
        sys.stdout.write(summary_text(report, cfg, outputs))
        sys.stdout.flush()
    escalated = any(h.verdict == "escalate" for h in report.hosts)
    return EXIT_ESCALATED if escalated and not args.exit_zero else EXIT_CLEAN


def run_extract(args: argparse.Namespace) -> int:
    with gc_paused():
        packets, flows, path = extract.run(args, check_path)
    if not args.quiet:
        sys.stdout.write(f"{PROG}: {packets} packets of {flows} flows written to {escape_text(str(path))}\n")
    return EXIT_CLEAN


def run_inspect(args: argparse.Namespace) -> int:
    sys.stdout.write(deepdive.run(args, check_path))
    sys.stdout.flush()
    return EXIT_CLEAN


def fail(message: str) -> int:
    """The one stderr line every error produces."""
    line = " ".join(escape_text(part) for part in str(message).splitlines()) or "unknown error"
    try:
        sys.stderr.write(f"{PROG}: error: {line}\n")
        sys.stderr.flush()
    except OSError:
        pass
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    in_main_thread = threading.current_thread() is threading.main_thread()
    # SIGINT / SIGTERM unwind the stack: temporary files are removed on the way out
    handlers = signals.raise_on_signals() if in_main_thread else {}
    try:
        return _main(argv, debug)
    finally:
        signals.restore(handlers)


def _main(argv: list[str], debug: bool) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError(f"a command is required: analyze, contain, extract, inspect, baseline or watch "
                             f"(see '{PROG} --help')")
        runner = {"contain": contain_cmd.run, "extract": run_extract, "inspect": run_inspect,
                  "baseline": baseline_command.run, "watch": watch_command.run}
        return runner.get(args.command, run_analyze)(args)
    except (UsageError, InputError) as exc:
        if debug:
            traceback.print_exc()
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted")
    except signals.Terminated:
        return fail("terminated")
    except BrokenPipeError:  # stdout closed early (e.g. piped into head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes stdout
        return EXIT_ERROR
    except MemoryError:
        return fail("out of memory (try fewer or smaller captures)")
    except OSError as exc:
        return fail(f"{str(exc.filename) + ': ' if exc.filename else ''}{exc.strerror or exc}")
    except Exception as exc:  # an internal bug: one line, the traceback only on request
        if debug:
            traceback.print_exc()
        return fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")


if __name__ == "__main__":
    sys.exit(main())
