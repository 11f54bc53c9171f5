"""`fallback-hunt watch`: the follow -> window -> analysis loop, its NDJSON events, signals and saved state."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from .. import pipeline
from ..config import Config, load_config
from ..errors import InputError
from ..homenet import HomeNet
from ..model import HostReport
from ..report.events import MODULE, host_event
from .follow import Follower, candidates
from .window import Window

STATE_VERSION = 1


def add_parser(commands: argparse._SubParsersAction) -> None:
    watch = commands.add_parser(
        "watch", help="follow a live Zeek log directory and emit NDJSON events as verdicts change",
        description="Follow a live Zeek log directory (rotation and .gz archives included), and optionally a "
                    "Suricata EVE file; judge the hosts over a sliding window with the same analysis as "
                    "'analyze --zeek-logs', and write an NDJSON event whenever a host's verdict changes. "
                    "SIGINT/SIGTERM stop it cleanly; it resumes from its --state file.")
    watch.add_argument("--zeek-logs", type=Path, required=True, metavar="DIR", help="the live Zeek log directory")
    watch.add_argument("--eve", type=Path, metavar="FILE", help="a live Suricata EVE file to follow too")
    watch.add_argument("--events", type=Path, metavar="FILE", help="append the events here (default: stdout)")
    watch.add_argument("--state", type=Path, metavar="FILE", default=Path("fallback-hunt-watch.state"),
                       help="offsets, window and verdicts, to resume after a stop (default: %(default)s)")
    watch.add_argument("--once", action="store_true", help="read what is there, judge once, and exit")
    watch.add_argument("--intel", type=Path, metavar="FILE", help="threat intel, as for analyze")
    watch.add_argument("--home-net", metavar="CIDRS", help="comma-separated internal networks")
    watch.add_argument("--config", type=Path, metavar="FILE", help="TOML file overriding default settings")


class Stop:
    """Set by SIGINT / SIGTERM: the loop ends at its next step, saving its state."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: Any) -> None:  # noqa: ANN401 - signal handler signature
        self.requested = True


def _now() -> str:
    return datetime.now(tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def verdict_event(host: HostReport | None, ip: str, previous: str) -> dict[str, Any]:
    """One NDJSON event: a host's verdict changed (``host`` None: it left the window, back to benign). The same
    ECS event as ``--events`` writes per host verdict, with the change in ``event.action`` and ``previous_verdict``."""
    now = _now()
    event = host_event(host if host is not None else HostReport(ip=ip, reasons=["left the window"]), now)
    event["@timestamp"] = now  # when the verdict changed, not when its first indicator was seen
    event["event"]["action"] = "verdict-changed"
    if event[MODULE]["verdict"] != "benign":
        event["event"]["kind"] = "alert"
    event[MODULE]["previous_verdict"] = previous
    return event


class Watcher:
    def __init__(self, args: argparse.Namespace, cfg: Config, home: HomeNet, out: IO[str]) -> None:
        wcfg = cfg.watch
        self.args, self.cfg, self.home, self.out = args, cfg, home, out
        self.follower = Follower()
        self.window = Window(wcfg.window, wcfg.max_rows)
        self.verdicts: dict[str, str] = {}  # hosts whose last emitted verdict is not benign
        self.pending = False  # lines in the window not judged yet
        self.load()

    # --------------------------------------------------------------------------------------------- state
    def load(self) -> None:
        path = self.args.state
        if not path.exists():
            return
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
            if state.get("version") != STATE_VERSION:
                raise ValueError(f"state version {state.get('version')!r}")
            self.follower.offsets = OrderedDict((str(k), int(v)) for k, v in state["offsets"])
            self.window = Window.from_state(state["window"], self.window.seconds, self.window.max_rows)
            self.verdicts = {str(k): str(v) for k, v in state["verdicts"].items()}
            self.pending = bool(state.get("pending"))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"--state {path}: not a watch state file ({str(exc)[:200]})") from None

    def save(self) -> None:
        state = {"version": STATE_VERSION, "offsets": list(self.follower.offsets.items()),
                 "window": self.window.to_state(), "verdicts": self.verdicts, "pending": self.pending}
        path = self.args.state
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, path)  # all or nothing: a stop never leaves half a state

    # ---------------------------------------------------------------------------------------------- loop
    def poll(self) -> bool:
        """Read what is new; whether anything was (lines, or offsets moved over header lines)."""
        chunks = self.follower.poll(candidates(self.args.zeek_logs, self.args.eve))
        for chunk in chunks:
            if self.window.add(chunk):
                self.pending = True
        return bool(chunks)

    def judge(self) -> None:
        """Analyse the window as 'analyze --zeek-logs' would, and emit an event per changed verdict."""
        hosts: dict[str, HostReport] = {}
        if self.window.rows:
            with tempfile.TemporaryDirectory(prefix="fallback-hunt-watch-") as tmp:
                folder, eve = self.window.write(Path(tmp) / "logs")
                if any(folder.iterdir()):
                    report = pipeline.analyze([], self.cfg, self.home, intel_path=self.args.intel,
                                              zeek_dir=folder, eve_path=eve)
                    hosts = {h.ip: h for h in report.hosts}
        for ip in sorted(set(hosts) | set(self.verdicts)):
            host = hosts.get(ip)
            verdict = host.verdict if host is not None else "benign"
            previous = self.verdicts.get(ip, "benign")
            if verdict != previous:
                self.out.write(json.dumps(verdict_event(host, ip, previous), sort_keys=True) + "\n")
            if verdict == "benign":
                self.verdicts.pop(ip, None)
            else:
                self.verdicts[ip] = verdict
        self.out.flush()
        self.pending = False

    def run(self, stop: Stop) -> None:
        wcfg = self.cfg.watch
        last_judged = 0.0
        changed = True  # the state is written once at start, then whenever something changed, and at the end
        while True:
            changed = self.poll() or changed
            if self.pending and (self.args.once or stop.requested
                                 or time.monotonic() - last_judged >= wcfg.interval):
                self.judge()
                last_judged = time.monotonic()
                changed = True
            if changed or self.args.once or stop.requested:
                self.save()
                changed = False
            if self.args.once or stop.requested:
                return
            deadline = time.monotonic() + wcfg.poll
            while time.monotonic() < deadline and not stop.requested:
                time.sleep(0.05)


def run(args: argparse.Namespace) -> int:
    if not args.zeek_logs.is_dir():
        raise InputError(f"--zeek-logs {args.zeek_logs}: not a directory")
    if args.eve is not None and args.eve.exists() and args.eve.is_dir():
        raise InputError(f"--eve {args.eve}: is a directory, not a file")
    cfg = load_config(args.config)
    home = HomeNet.parse(args.home_net) if args.home_net is not None else HomeNet(cfg.home_net.cidrs)
    stop = Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if args.events is not None:
            with args.events.open("a", encoding="utf-8") as out:
                Watcher(args, cfg, home, out).run(stop)
        else:
            Watcher(args, cfg, home, sys.stdout).run(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
