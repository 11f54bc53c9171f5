"""Suricata: run it with the fallback-hunt rules, read its EVE alerts, and turn them into indicators.

run_suricata(captures) -> eve.json -> read_eve -> alert dicts -> alert_indicators(alerts, flows) -> Indicator list

Each alert is joined to the analyzer's flow on Community ID (the EVE output of our suricata.yaml has it), with the
5-tuple and time as a fallback; the rule's ``metadata: fallback_indicator <type>`` says which indicator it stands for.
The indicator's host is the internal side of the flow, its peer the other side (for DNS alerts: the name queried).

The rules live in ``suricata_rules/`` at the top of the repository, beside this package.  An installed copy finds
them through ``$FALLBACK_HUNT_RULES`` (a directory), else ``<repo>/suricata_rules`` (editable/source installs), else
``<sys.prefix>/share/fallback-hunt/suricata_rules``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..community_id import ICMP, ICMP6, icmp_ports
from ..config import Config
from .. import limits, validate
from ..errors import InputError
from ..homenet import HomeNet
from ..model import INDICATOR_TYPES, Flow, Indicator

RULES_FILE = "fallback-channels.rules"
CONFIG_FILE = "suricata.yaml"
RULES_ENV = "FALLBACK_HUNT_RULES"
# pcap (µs and ns, both byte orders) and pcapng section header block
CAPTURE_MAGIC = {bytes.fromhex(m) for m in ("d4c3b2a1", "a1b2c3d4", "4d3cb2a1", "a1b23c4d", "0a0d0d0a")}
EVE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"
# EVE "proto" -> the analyzer's Flow.proto
PROTO_NAMES = {"TCP": "tcp", "UDP": "udp", "ICMP": "icmp", "IPV6-ICMP": "icmp"}


# ---- locating and running Suricata ---------------------------------------------------------------------------

def available(binary: str = "suricata") -> bool:
    """True when the Suricata binary is on PATH (or ``binary`` is an executable path)."""
    return shutil.which(binary) is not None


def rules_dir() -> Path:
    """The shipped ``suricata_rules/`` directory (see the module docstring for the search order)."""
    candidates = []
    if os.environ.get(RULES_ENV):
        candidates.append(Path(os.environ[RULES_ENV]))
    candidates.append(Path(__file__).resolve().parents[2] / "suricata_rules")
    candidates.append(Path(sys.prefix) / "share" / "fallback-hunt" / "suricata_rules")
    for folder in candidates:
        if (folder / RULES_FILE).is_file() and (folder / CONFIG_FILE).is_file():
            return folder
    raise InputError(f"suricata: cannot find the fallback-hunt rules (set {RULES_ENV} to the suricata_rules folder)")


def rules_path() -> Path:
    return rules_dir() / RULES_FILE


def config_path() -> Path:
    return rules_dir() / CONFIG_FILE


def base_command(cfg: Config, home: HomeNet | None = None) -> list[str]:
    """Suricata with our yaml and rules, fatal init errors, and the --set overrides that make the yaml work from
    any directory (its file paths) and for this network (HOME_NET from ``home``, else the config)."""
    folder = rules_dir()
    cidrs = [str(net) for net in home.networks] if home is not None else list(cfg.home_net.cidrs)
    return [
        cfg.suricata.binary, "-c", str(folder / CONFIG_FILE), "-S", str(folder / RULES_FILE),
        "--init-errors-fatal",
        "--set", f"classification-file={folder / 'classification.config'}",
        "--set", f"reference-config-file={folder / 'reference.config'}",
        "--set", f"vars.address-groups.HOME_NET=[{','.join(cidrs)}]",
    ]


def suricata_command(capture: Path, outdir: Path, cfg: Config, home: HomeNet | None = None) -> list[str]:
    """The ``suricata -r`` command line for one capture (checksums not validated: offline captures)."""
    return [*base_command(cfg, home), "-r", str(capture), "-l", str(outdir), "-k", "none"]


def run_suricata(captures: list[Path], workdir: Path, cfg: Config, home: HomeNet | None = None) -> Path:
    """Run Suricata over each capture (gzip is unpacked first) and return one eve.json with all their events.

    Each capture is its own run, so the rules' cross-flow state (xbits) does not span captures.
    """
    if not available(cfg.suricata.binary):
        raise InputError(f"suricata: '{cfg.suricata.binary}' is not installed or not on PATH")
    workdir.mkdir(parents=True, exist_ok=True)
    merged = workdir / "eve.json"
    with merged.open("wb") as out:
        for i, capture in enumerate(captures):
            outdir = workdir / f"run-{i:03d}"
            outdir.mkdir(exist_ok=True)
            _run_one(_plain_capture(Path(capture), outdir, limits.limits_of(cfg)), outdir, cfg, home)
            eve = outdir / "eve.json"
            if eve.is_file():
                with eve.open("rb") as src:
                    shutil.copyfileobj(src, out)
    return merged


def _plain_capture(capture: Path, outdir: Path, within: limits.Limits = limits.NONE) -> Path:
    """Suricata reads pcap/pcapng but not gzip: unpack a gzip capture (known by its magic bytes, as the analyzer
    knows it, whatever its name) into ``outdir``, within the same limits.  Anything else is refused here, because
    Suricata spends a minute retrying a file it cannot open before it gives up."""
    plain = capture
    try:
        if limits.is_gzip(capture):
            plain = outdir / (capture.stem if capture.suffix == ".gz" else f"{capture.name}.pcap")
            with capture.open("rb") as src, plain.open("wb") as dst:
                limits.gunzip(src, dst, within, f"suricata: {capture}")
        with plain.open("rb") as head:
            magic = head.read(4)
    except (OSError, EOFError) as exc:
        raise InputError(f"suricata: cannot read {capture}: {getattr(exc, 'strerror', None) or exc}") from None
    if magic not in CAPTURE_MAGIC:
        raise InputError(f"suricata: {capture} is not a pcap or pcapng capture")
    return plain


def _run_one(capture: Path, outdir: Path, cfg: Config, home: HomeNet | None) -> None:
    cmd = suricata_command(capture, outdir, cfg, home)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=cfg.suricata.timeout, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"suricata: gave up on {capture} after {cfg.suricata.timeout:.0f} s") from None
    except OSError as exc:
        raise InputError(f"suricata: cannot run {cmd[0]}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("E:")]
        reason = errors[-1][2:].strip() if errors else f"exit code {done.returncode}"
        raise InputError(f"suricata failed on {capture}: {reason}")


# ---- reading EVE ---------------------------------------------------------------------------------------------

def read_eve(path: str | Path, notes: list[str] | None = None, slim: bool = False) -> list[dict[str, Any]]:
    """The alert events of an EVE JSON file (one JSON object per line), read line by line.

    Blank lines are skipped and a cut-off last line (no newline yet: a sensor still writing) is ignored.  A line
    that is not a JSON object, or an alert that fails the schema check (validate.eve_alert_problem: a missing or
    non-integer signature_id, wrong-typed fields...), is skipped and counted; the counts go to ``notes`` (one
    line).  A file with bad lines and no usable event at all is an InputError.  ``slim``: only the fields the
    analysis reads (validate.slim_alert), for memory.
    """
    alerts = []
    events = 0
    skipped = validate.Skipped()
    first_bad = 0
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                problem, event = _eve_event(line)
                if problem == "cut" and events and not line.endswith("\n"):
                    break
                if problem is None and isinstance(event, dict) and event.get("event_type") == "alert":
                    problem = validate.eve_alert_problem(event)
                if problem is not None:
                    skipped["not JSON" if problem == "cut" else problem] += 1
                    first_bad = first_bad or number
                    continue
                events += 1
                if event.get("event_type") == "alert":
                    alerts.append(validate.slim_alert(event) if slim else event)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"eve: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if skipped and not events:
        raise InputError(f"eve: {path} has no EVE event (line {first_bad}: {skipped.most_common(1)[0][0]})")
    if skipped and notes is not None:
        notes.append(skipped.note(f"eve {path}"))
    return alerts


def _eve_event(line: str) -> tuple[str | None, Any]:
    """(problem or None, event) of one EVE line; "cut" when it is not JSON (maybe a last line being written)."""
    try:
        event = json.loads(line)
    except (ValueError, RecursionError):  # not JSON, too deep, or a number beyond int's digit limit
        return "cut", None
    if not isinstance(event, dict):
        return "not a JSON object", None
    return None, event


# ---- alerts -> indicators -------------------------------------------------------------------------------------

def _meta(alert: dict[str, Any], key: str) -> str:
    """First value of a rule metadata key (EVE: alert.metadata = {key: [values]}), or ""."""
    meta = alert["alert"].get("metadata")
    values = (meta.get(key) if isinstance(meta, dict) else None) or [""]
    return str(values[0] if isinstance(values, list) else values)[:validate.QUOTE]


def _timestamp(alert: dict[str, Any]) -> float:
    try:
        return datetime.strptime(alert["timestamp"], EVE_TIME_FORMAT).timestamp()
    except (KeyError, TypeError, ValueError):
        raise InputError(f"eve: alert sid {alert['alert']['signature_id']} has no valid timestamp") from None


#: The alert's time in seconds (public name for the join-rate check).
alert_time = _timestamp


def _proto(alert: dict[str, Any]) -> str:
    name = str(alert.get("proto", ""))
    return PROTO_NAMES.get(name.upper(), name.lower())


def _ports(alert: dict[str, Any]) -> tuple[int, int]:
    """(src, dst) ports; for ICMP the type/code mapped to ports as the flows (and Community ID) key them."""
    try:
        if "src_port" in alert or "dest_port" in alert:
            return int(alert.get("src_port", 0)), int(alert.get("dest_port", 0))
        icmp_proto = ICMP6 if str(alert.get("proto", "")).upper() == "IPV6-ICMP" else ICMP
        sport, dport, _ = icmp_ports(icmp_proto, int(alert.get("icmp_type", 0)), int(alert.get("icmp_code", 0)))
    except (TypeError, ValueError):
        raise InputError(f"eve: alert sid {alert['alert']['signature_id']} has a malformed port or ICMP type") from None
    return sport, dport


def _tuple_key(proto: str, a: str, ap: int, b: str, bp: int) -> tuple[str, str, int, str, int]:
    """Direction-free 5-tuple."""
    (lo, lo_port), (hi, hi_port) = sorted([(a, ap), (b, bp)])
    return proto, lo, lo_port, hi, hi_port


class FlowIndex:
    """Flows by Community ID and by direction-free 5-tuple, for joining alerts."""

    def __init__(self, flows: Iterable[Flow], slack: float) -> None:
        self.slack = slack
        self.by_cid: dict[str, list[Flow]] = {}
        self.by_tuple: dict[tuple[str, str, int, str, int], list[Flow]] = {}
        for flow in flows:
            if flow.community_id:
                self.by_cid.setdefault(flow.community_id, []).append(flow)
            key = _tuple_key(flow.proto, flow.orig_h, flow.orig_p, flow.resp_h, flow.resp_p)
            self.by_tuple.setdefault(key, []).append(flow)

    def find(self, alert: dict[str, Any], ts: float) -> Flow | None:
        """The flow the alert belongs to: same Community ID (closest in time), else same 5-tuple around ``ts``."""
        by_cid = self.by_cid.get(str(alert.get("community_id", "")), [])
        if by_cid:  # a 5-tuple reused over time has one Community ID and several flows: take the nearest in time
            return min(by_cid, key=lambda f: _distance(f, ts))
        sport, dport = _ports(alert)
        key = _tuple_key(_proto(alert), str(alert.get("src_ip", "")), sport, str(alert.get("dest_ip", "")), dport)
        near = [f for f in self.by_tuple.get(key, []) if _distance(f, ts) <= self.slack]
        return min(near, key=lambda f: _distance(f, ts), default=None)


def _distance(flow: Flow, ts: float) -> float:
    """Seconds from ``ts`` to the flow's [ts, last_ts] span (0 inside it)."""
    return max(flow.ts - ts, ts - flow.last_ts, 0.0)


def _sides(alert: dict[str, Any], flow: Flow | None, home: HomeNet) -> tuple[str, str, int | None]:
    """(internal host, peer, responder port): the flow's view when joined, else the alert's src/dest."""
    if flow is not None:
        orig, resp, port = flow.orig_h, flow.resp_h, flow.resp_p
    else:  # EVE src/dest are the alerting packet's; "direction" says whether it went to the server
        src, dest = str(alert.get("src_ip", "")), str(alert.get("dest_ip", ""))
        sport, dport = _ports(alert)
        orig, resp, port = (dest, src, sport) if alert.get("direction") == "to_client" else (src, dest, dport)
        if "dest_port" not in alert:
            port = None
    if home.is_internal(resp) and not home.is_internal(orig):
        return resp, orig, port
    return orig, resp, port


def _domain(alert: dict[str, Any]) -> str:
    """The name the alert's transaction is about (DNS query, TLS SNI, HTTP host), when EVE logged one."""
    def part(key: str) -> dict[str, Any]:
        value = alert.get(key)
        return value if isinstance(value, dict) else {}  # EVE from elsewhere may have lists here

    queries = part("dns").get("query") or part("dns").get("queries") or []
    if queries and isinstance(queries, list) and isinstance(queries[0], dict):
        return str(queries[0].get("rrname", ""))
    return str(part("tls").get("sni", "") or part("http").get("hostname", ""))


def alert_indicators(alerts: Sequence[dict[str, Any]], flows: Sequence[Flow], home: HomeNet, cfg: Config
                     ) -> list[Indicator]:
    """One Indicator (source "suricata") per rule and flow, typed by the rule's ``fallback_indicator`` metadata.

    Alerts of rules without that metadata (other rulesets in a user's EVE) stand for no indicator and are skipped.
    Repeated alerts of one rule on one flow become one indicator whose evidence counts them.
    """
    index = FlowIndex(flows, cfg.suricata.join_slack)
    ours = [(_timestamp(a), a) for a in alerts if _meta(a, "fallback_indicator") in INDICATOR_TYPES]
    merged: dict[tuple[int, str], Indicator] = {}
    for ts, alert in sorted(ours, key=lambda pair: pair[0]):
        flow = index.find(alert, ts)
        rule = alert["alert"]
        sid = int(rule["signature_id"])
        cid = flow.community_id if flow is not None else str(alert.get("community_id", ""))
        key = (sid, flow.uid if flow is not None else f"{cid}|{alert.get('src_ip')}|{alert.get('dest_ip')}")
        if key in merged:
            merged[key].evidence["count"] += 1
            continue
        host, peer, port = _sides(alert, flow, home)
        domain = _domain(alert)
        if domain and alert.get("app_proto") == "dns":  # the resolver is not the peer; the name asked for is
            peer = domain
        merged[key] = Indicator(
            type=_meta(alert, "fallback_indicator"), host=host, ts=ts, peer=peer, port=port,
            proto=flow.proto if flow is not None else _proto(alert), community_id=cid, source="suricata",
            uids=[flow.uid] if flow is not None else [],
            evidence={
                "signature": str(rule.get("signature", "")),
                "sid": sid,
                "rev": int(rule.get("rev", 0)),
                "severity": _meta(alert, "signature_severity") or f"priority {rule.get('severity', '')}",
                "category": str(rule.get("category", "")),
                "mitre_technique_id": _meta(alert, "mitre_technique_id"),
                "flow_uid": flow.uid if flow is not None else "",
                "domain": domain,
                "count": 1,
            },
        )
    return list(merged.values())
