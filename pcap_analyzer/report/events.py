"""``--events FILE``: the findings as NDJSON for a SIEM, one event per indicator and one per host verdict, with
Elastic Common Schema (ECS) field names; the field types used are checked by data/events.schema.json.

Indicator events are ``event.kind: alert`` (``event.category: network, intrusion_detection``); host verdict events
are ``event.kind: enrichment`` (``intrusion_detection``) and carry the verdict, the score and the reasons. Fields
that are not ECS live under ``fallback_hunt.*``. Benign hosts get no event unless ``[events] benign_hosts``.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__, attack
from ..config import Config
from ..homenet import is_ip
from ..model import Flow, HostReport, Indicator, Report
from ..pivot import bpf_filter, display_filter
from ..decide.verdict import describe
from .common import (
    atomic_write, escape_surrogates, evidence_text, flow_index, indicator_flow, iso_time, ordered_hosts,
)
from .json_report import plain

MODULE = "fallback_hunt"
OBSERVER = {"vendor": "fallback-hunt", "product": "fallback-hunt", "type": "ids", "version": __version__}
SEVERITY = {"escalate": 73, "investigate": 47, "benign": 21}  # ECS-style 0-100: high, medium, low
DNS_TYPES = ("dynamic_dns", "dns_tunnel")


def _threat(ids: list[str]) -> dict[str, Any]:
    return {"framework": attack.FRAMEWORK, "technique": {
        "id": ids, "name": attack.names(ids), "reference": [attack.REFERENCE.format(i.replace(".", "/")) for i in ids]}}


def _event_id(*parts: Any) -> str:
    """A stable id: the same finding in the same report gets the same id (lets a SIEM de-duplicate re-imports)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _ip_version(addr: str) -> str:
    return f"ipv{ipaddress.ip_address(addr).version}"


def _question(ind: Indicator, flow: Flow | None) -> str:
    """The DNS name an indicator is about, if any."""
    if ind.type in DNS_TYPES and ind.peer and not is_ip(ind.peer):
        return ind.peer
    fallback = ind.evidence.get("fallback")
    if isinstance(fallback, dict) and fallback.get("service") == "dns" and fallback.get("domain"):
        return str(fallback["domain"])
    if flow is not None:
        return next((m.qname for m in flow.dns if not m.is_response and m.qname), "")
    return ""


def _network(ind: Indicator, flow: Flow | None) -> dict[str, Any]:
    net: dict[str, Any] = {"transport": (flow.proto if flow else ind.proto) or None,
                           "community_id": ind.community_id or (flow.community_id if flow else "") or None}
    if flow is not None:
        net["type"] = _ip_version(flow.orig_h)
        if flow.service:
            net["protocol"] = flow.service
        net["packets"] = flow.orig_pkts + flow.resp_pkts
        net["bytes"] = flow.orig_ip_bytes + flow.resp_ip_bytes
    return net


def _endpoints(ind: Indicator, flow: Flow | None) -> tuple[dict[str, Any], dict[str, Any]]:
    if flow is not None:
        return ({"ip": flow.orig_h, "port": flow.orig_p} if flow.proto in ("tcp", "udp") else {"ip": flow.orig_h},
                {"ip": flow.resp_h, "port": flow.resp_p} if flow.proto in ("tcp", "udp") else {"ip": flow.resp_h})
    dest: dict[str, Any] = {"ip": ind.peer} if is_ip(ind.peer) else {"domain": ind.peer} if ind.peer else {}
    if ind.port is not None and ind.proto in ("tcp", "udp"):
        dest["port"] = ind.port
    return {"ip": ind.host}, dest


def indicator_event(ind: Indicator, host: HostReport, flow: Flow | None, generated: str) -> dict[str, Any]:
    """One ECS alert for one indicator (joined to its flow when it can be)."""
    ids = attack.techniques(ind)
    source, destination = _endpoints(ind, flow)
    event: dict[str, Any] = {
        "@timestamp": iso_time(ind.ts),
        "message": describe(ind),
        "event": {"kind": "alert", "category": ["network", "intrusion_detection"], "type": ["info"],
                  "module": MODULE, "dataset": f"{MODULE}.indicator", "provider": ind.source,
                  "severity": SEVERITY.get(host.verdict, 0), "risk_score": host.score, "created": generated,
                  "id": _event_id(host.ip, ind.type, ind.ts, ind.community_id, ind.peer, ind.source)},
        "rule": {"name": ind.type, "ruleset": "fallback-hunt", "category": "Command and Control"},
        "source": source,
        "destination": destination,
        "network": _network(ind, flow),
        "host": {"ip": [host.ip]},
        "threat": _threat(ids),
        "observer": OBSERVER,
        "related": {"ip": sorted({a for a in (ind.host, ind.peer, *(
            (flow.orig_h, flow.resp_h) if flow else ())) if a and is_ip(a)})},
        MODULE: {"indicator": ind.type, "verdict": host.verdict, "uids": list(ind.uids),
                 "detail": evidence_text(ind.evidence)},
    }
    if flow is not None:
        event["event"]["start"], event["event"]["end"] = iso_time(flow.ts), iso_time(flow.last_ts)
        event[MODULE]["bpf"], event[MODULE]["display_filter"] = bpf_filter(flow), display_filter(flow)
    qname = _question(ind, flow)
    if qname:
        event["dns"] = {"question": {"name": qname}}
        event["related"]["hosts"] = [qname]
    tls = flow.tls if flow is not None else None
    if tls is not None and (tls.sni or tls.ja3):
        event["tls"] = {"client": {k: v for k, v in (("server_name", tls.sni), ("ja3", tls.ja3)) if v}}
    return _pruned(event)


def host_event(host: HostReport, generated: str) -> dict[str, Any]:
    """One ECS enrichment event for one host's verdict."""
    ids = list(dict.fromkeys(i for ind in host.indicators for i in attack.techniques(ind)))
    first = min((ind.ts for ind in host.indicators), default=None)
    return _pruned({
        "@timestamp": iso_time(first) if first is not None else generated,
        "message": f"{host.ip} {host.verdict} (score {host.score:g}): " + "; ".join(host.reasons),
        "event": {"kind": "enrichment", "category": ["intrusion_detection"], "type": ["info"], "module": MODULE,
                  "dataset": f"{MODULE}.verdict", "severity": SEVERITY.get(host.verdict, 0),
                  "risk_score": host.score, "created": generated, "id": _event_id(host.ip, host.verdict, first)},
        "rule": {"name": f"fallback-hunt verdict {host.verdict}", "ruleset": "fallback-hunt"},
        "source": {"ip": host.ip},
        "host": {"ip": [host.ip]},
        "threat": _threat(ids) if ids else None,
        "observer": OBSERVER,
        MODULE: {"verdict": host.verdict, "score": host.score, "reasons": list(host.reasons),
                 "indicators": sorted({ind.type for ind in host.indicators}),
                 "same_pattern_hosts": len(host.same_pattern_hosts)},
    })


def _pruned(value: Any) -> Any:
    """Nested dicts without None / empty values (a SIEM reads an absent field, not a null one); bytes that were not
    UTF-8 (kept by surrogateescape) as ``\\xHH`` text, so every line is valid UTF-8."""
    if isinstance(value, dict):
        out = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    if isinstance(value, str):
        return escape_surrogates(value)
    return value


def events(report: Report, cfg: Config, generated: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every event of a report: per host (escalate first), its verdict event, then one per indicator (time order)."""
    stamp = iso_time((generated or datetime.now(timezone.utc)).timestamp())
    index = flow_index(report.flows)
    for host in ordered_hosts(report.hosts):
        if host.verdict == "benign" and not cfg.events.benign_hosts:
            continue
        yield plain(host_event(host, stamp))
        for ind in sorted(host.indicators, key=lambda i: (i.ts, i.type)):
            yield plain(indicator_event(ind, host, indicator_flow(ind, index), stamp))


def events_text(report: Report, cfg: Config, generated: datetime | None = None) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
                   for e in events(report, cfg, generated))


def write_events(report: Report, cfg: Config, path: Path) -> None:
    atomic_write(path, events_text(report, cfg))
