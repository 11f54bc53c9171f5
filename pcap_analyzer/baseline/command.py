"""`fallback-hunt baseline update` and `baseline show`."""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from .. import pipeline
from ..sources import zeeklogs
from ..config import load_config
from ..detect.base import DetectContext
from ..errors import InputError
from ..gcpause import gc_paused
from ..homenet import HomeNet
from ..report.common import escape_text
from .observe import KINDS, observe
from .store import open_store


def add_parsers(commands: argparse._SubParsersAction) -> None:
    baseline = commands.add_parser("baseline", help="learn and show what each host normally uses (SQLite store)",
                                   description="Learn what each internal host normally uses, across days.")
    verbs = baseline.add_subparsers(dest="verb", metavar="VERB", required=True)
    update = verbs.add_parser("update", help="learn from captures or Zeek logs into the store",
                              description="Learn each internal host's ports, services, resolved zones, client "
                                          "fingerprints and failure rate from captures or Zeek log directories.")
    update.add_argument("captures", nargs="*", type=Path, metavar="CAPTURE", help="pcap, pcapng or gzip capture")
    update.add_argument("--zeek-logs", type=Path, action="append", default=[], metavar="DIR",
                        help="a Zeek log directory (repeat for several days or sensors)")
    update.add_argument("--db", type=Path, required=True, metavar="FILE", help="the baseline store (created)")
    update.add_argument("--home-net", metavar="CIDRS", help="comma-separated internal networks")
    update.add_argument("--config", type=Path, metavar="FILE", help="TOML file overriding default settings")
    show = verbs.add_parser("show", help="print a host's profile", description="Print what the baseline knows "
                                                                             "of one internal host.")
    show.add_argument("--host", required=True, metavar="IP", help="the internal host")
    show.add_argument("--db", type=Path, required=True, metavar="FILE", help="the baseline store")


def run(args: argparse.Namespace) -> int:
    return run_update(args) if args.verb == "update" else run_show(args)


def run_update(args: argparse.Namespace) -> int:
    if not args.captures and not args.zeek_logs:
        raise InputError("baseline update needs at least one CAPTURE or --zeek-logs DIR")
    cfg = load_config(args.config)
    home = HomeNet.parse(args.home_net) if args.home_net is not None else HomeNet(cfg.home_net.cidrs)
    sources = [([path], None) for path in args.captures] + [([], zeeklogs.read_logs(d)) for d in args.zeek_logs]
    with open_store(args.db, create=True) as store, gc_paused():
        for captures, logs in sources:
            _, flows = pipeline.flows_of(captures, logs, cfg, [])
            source = str(captures[0] if captures else logs.directory)
            hosts = store.update(observe(DetectContext(flows, home, cfg)), source)
            sys.stdout.write(f"{escape_text(source)}: {len(flows)} flows, {hosts} hosts learnt\n")
        sys.stdout.write(f"baseline {escape_text(str(args.db))}: {store.update_count()} updates in all\n")
    return 0


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_show(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        profile = store.profile(args.host)
        if profile is None:
            raise InputError(f"baseline {args.db}: no profile for host {args.host}")
        lines = [f"host {profile.host}: {profile.flows} flows, failure rate {profile.failure_rate:.1%}, "
                 f"seen {_when(profile.first_seen)} .. {_when(profile.last_seen)} in {profile.updates} updates"]
        for kind in KINDS:
            rows = [r for r in profile.items if r[0] == kind]
            if rows:
                lines.append(f"  {kind} ({len(rows)}):")
                for _, value, first, last, count in rows:
                    hosts = store.prevalence(kind, value)
                    lines.append(f"    {escape_text(value)[:120]}  x{count}  {_when(first)} .. {_when(last)}  "
                                 f"({hosts.hosts if hosts else 0} hosts)")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
