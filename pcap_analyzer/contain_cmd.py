"""`fallback-hunt contain REPORT -o DIR`: containment artifacts from a saved report.json, with an allowlist applied
to data already analysed.

The saved hosts and indicators are read back; the allowlist (the shipped default and ``--allowlist FILE``) removes
the indicators it covers and the hosts that lost some are judged again (verdict, score, reasons; the four answers
stay as analysed). Then the containment of the hosts of ``--verdict`` (or stronger) is written:

    containment.rules    Suricata rules, SIDs from --sid-base ([containment] sid_base)
    containment.nft      nftables sets (nft -c -f checks it, nft -f loads it)
    intel.dat            Zeek Intel framework lines
    blocklist.txt        one address or name per line
    allowlist.dat        the allowlist for the Zeek package (Input framework, FallbackChannels::allowlist_file)
    threshold.config     the allowlist as Suricata suppress lines for the shipped ruleset
    report.allowlisted.json   the report with the allowlist applied (verdicts, suppressed, containment)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .decide import allowlist, allowlist_export, containment
from .sources import suricata
from .config import Config, load_config
from .errors import InputError
from .homenet import HomeNet
from .model import VERDICTS, HostReport, Indicator
from .report.common import atomic_write, display, ordered_hosts, verdict_counts
from .decide.verdict import judge

ARTIFACTS = ("containment.rules", "containment.nft", "intel.dat", "blocklist.txt", "allowlist.dat",
             "threshold.config", "report.allowlisted.json")


def add_parser(commands: Any) -> None:
    contain = commands.add_parser(
        "contain", help="write containment artifacts (Suricata, nftables, Zeek Intel, blocklist) from a report.json",
        description="Write containment artifacts from a saved report.json, applying an allowlist to it first.",
    )
    contain.add_argument("report", type=Path, metavar="REPORT", help="report.json written by 'fallback-hunt analyze'")
    contain.add_argument("-o", "--output", dest="outdir", type=Path, required=True, metavar="DIR",
                         help="directory for the artifacts (created if needed)")
    contain.add_argument("--verdict", choices=tuple(containment.VERDICT_SCOPE), default="escalate",
                         help="contain hosts of this verdict or stronger (default: escalate)")
    add_allowlist_options(contain)
    contain.add_argument("--home-net", metavar="CIDRS", help="internal networks, never blocked (default: config)")
    contain.add_argument("--config", type=Path, metavar="FILE", help="TOML file overriding default settings")
    contain.add_argument("-q", "--quiet", action="store_true", help="print nothing on stdout")
    contain.add_argument("--debug", action="store_true", help="show the Python traceback of an internal error")


def add_allowlist_options(parser: argparse.ArgumentParser) -> None:
    """--allowlist, --no-default-allowlist and --sid-base (shared by analyze and contain)."""
    parser.add_argument("--allowlist", type=Path, metavar="FILE",
                        help="allowlist: CIDR, name, *.name, ja3:/ja4:, host->peer; '# reason' on each line")
    parser.add_argument("--no-default-allowlist", action="store_true",
                        help="do not apply the shipped default allowlist")
    parser.add_argument("--sid-base", type=int, metavar="N",
                        help="first SID of the containment rules (default: [containment] sid_base)")


# ------------------------------------------------------------------------------------------ reading a report


def _indicator(host: str, raw: dict[str, Any]) -> Indicator:
    return Indicator(type=str(raw["type"]), host=host, ts=float(raw.get("ts") or 0.0), peer=str(raw.get("peer", "")),
                     port=raw.get("port"), proto=str(raw.get("proto", "")),
                     community_id=str(raw.get("community_id", "")), evidence=dict(raw.get("evidence") or {}),
                     source=str(raw.get("source", "analyzer")), uids=list(raw.get("uids") or []))


def read_report(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"report {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"report {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith("fallback-hunt/report/"):
        raise InputError(f"report {path}: not a fallback-hunt report.json")
    return doc


def hosts_from(doc: dict[str, Any], where: Path) -> list[HostReport]:
    try:
        return [HostReport(ip=str(h["ip"]), verdict=str(h["verdict"]), score=float(h.get("score", 0.0)),
                           indicators=[_indicator(str(h["ip"]), i) for i in h.get("indicators", [])],
                           answers=dict(h.get("answers") or {}), channels=list(h.get("channels") or []),
                           reasons=list(h.get("reasons") or []),
                           same_pattern_hosts=list(h.get("same_pattern_hosts") or []))
                for h in doc.get("hosts", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"report {where}: malformed host entry ({type(exc).__name__}: {exc})") from None


def reapply(hosts: list[HostReport], allow: allowlist.Allowlist, cfg: Config) -> tuple[list[dict[str, Any]],
                                                                                       list[str]]:
    """Remove the indicators the allowlist covers; judge the hosts that lost some again. (suppressed, changes)."""
    suppressed: list[dict[str, Any]] = []
    changes = []
    for host in hosts:
        kept, gone = allow.apply(host.indicators)
        if not gone:
            continue
        suppressed += gone
        before = host.verdict
        host.indicators = kept
        judge(host, cfg)
        if host.verdict != before:
            changes.append(f"{host.ip}: {before} -> {host.verdict} ({len(gone)} indicator(s) allowlisted)")
    return suppressed, changes


# ------------------------------------------------------------------------------------------ writing


def _outputs(outdir: Path, report_path: Path) -> dict[str, Path]:
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"output directory {outdir}: exists and is not a directory")
    out = {name: outdir / name for name in ARTIFACTS}
    if any(p.exists() and p.resolve() == report_path.resolve() for p in out.values()):
        raise InputError(f"refusing to overwrite input file {report_path}; choose another -o DIR")
    return out


def run(args: argparse.Namespace) -> int:
    if not args.report.is_file():
        raise InputError(f"report {args.report}: no such file")
    outputs = _outputs(args.outdir, args.report)
    cfg = load_config(args.config)
    home = HomeNet.parse(args.home_net) if args.home_net is not None else HomeNet(cfg.home_net.cidrs)
    doc = read_report(args.report)
    hosts = hosts_from(doc, args.report)
    allow = allowlist.load(args.allowlist, cfg.allowlist.use_default and not args.no_default_allowlist)
    suppressed, changes = reapply(hosts, allow, cfg)
    contained = containment.containment(hosts, home, cfg, tuple(allow.entries), args.sid_base, args.verdict)
    suppressed += contained.pop("suppressed")
    notes = [*allow.notes(), *changes, *contained["notes"]]
    grouped = sum(int(g.get("count", 0)) for g in doc.get("host_groups") or [])
    if grouped:  # beyond report.json's detailed hosts only addresses were saved, no indicators
        notes.append(f"{grouped} host(s) are only grouped in the report (no indicators saved): not re-judged nor "
                     "contained here (raise [report] max_host_details and analyse again)")
    try:
        args.outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output directory {args.outdir}: {exc.strerror or exc}") from None
    texts = {
        "containment.rules": contained["suricata_rules"],
        "containment.nft": contained["nftables"],
        "intel.dat": contained["zeek_intel"],
        "blocklist.txt": contained["blocklist"],
        "allowlist.dat": allowlist_export.zeek_input(allow.entries),
        "threshold.config": allowlist_export.suricata_threshold(allow.entries, suricata.rules_path(), home),
    }
    for name, text in texts.items():
        atomic_write(outputs[name], text)
    doc.update({"hosts": _hosts_json(doc, hosts), "summary": verdict_counts(hosts),
                "notes": [*doc.get("notes", []), *notes], "containment": contained,
                "suppressed": [*doc.get("suppressed", []), *suppressed]})
    atomic_write(outputs["report.allowlisted.json"], json.dumps(doc, indent=2, allow_nan=False) + "\n")
    if not args.quiet:
        sys.stdout.write(_summary(hosts, contained, suppressed, notes, outputs, cfg))
    return 0


def _hosts_json(doc: dict[str, Any], hosts: list[HostReport]) -> list[dict[str, Any]]:
    """The saved host entries, with the re-judged verdict, score, reasons and indicators."""
    saved = {h["ip"]: h for h in doc.get("hosts", [])}
    out = []
    for host in ordered_hosts(hosts):
        entry = dict(saved[host.ip])
        entry.update({"verdict": host.verdict, "score": host.score, "reasons": host.reasons,
                      "indicators": [i.to_json() for i in sorted(host.indicators, key=lambda i: (i.ts, i.type))]})
        out.append(entry)
    return out


def _summary(hosts: list[HostReport], contained: dict[str, Any], suppressed: list[dict[str, Any]],
             notes: list[str], outputs: dict[str, Path], cfg: Config) -> str:
    limit = cfg.report.max_text
    counts = verdict_counts(hosts)
    rules = contained["suricata_rules"].count("\n")
    first, last = contained["sid_range"]
    lines = [
        "fallback-hunt contain: verdicts after the allowlist: " + ", ".join(f"{counts[v]} {v}" for v in VERDICTS),
        f"contained {len(contained['hosts'])} host(s): {len(contained['ips'])} addresses, "
        f"{len(contained['domains'])} names, {rules} Suricata rules (SIDs {first}..{last})",
        f"suppressed: {sum(s['what'] == 'indicator' for s in suppressed)} indicator(s), "
        f"{sum(s['what'] == 'containment' for s in suppressed)} containment target(s)",
        *(f"note: {display(n, limit)}" for n in notes),
        "artifacts: " + "  ".join(str(p) for p in outputs.values()),
    ]
    return "\n".join(lines) + "\n"
