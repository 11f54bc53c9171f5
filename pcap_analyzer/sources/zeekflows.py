"""Sensor-only flows: one Flow per conn.log line, with its DNS messages from dns.log and TLS from ssl.log, when
there is no capture."""
from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

import numpy as np

from ..config import Config, default_config
from ..model import DnsMessage, Flow, IcmpInfo, TlsInfo
from .zeekcolumns import count, has_rows, items, number, text
from .zeeklogs import ZeekLogs

if TYPE_CHECKING:
    import pandas as pd

ICMP_ECHO_REQUESTS = (8, 128)  # ICMPv4 / ICMPv6 echo request types (conn.log orig_p of an echo flow)


def _answer_type(rdata: str, qtype_name: str) -> str:
    """dns.log keeps answers as text only: addresses are A/AAAA, other answers to an address query are CNAMEs."""
    try:
        return "A" if ipaddress.ip_address(rdata).version == 4 else "AAAA"
    except ValueError:
        return "CNAME" if qtype_name in ("A", "AAAA") else qtype_name


def _dns_by_uid(dns: pd.DataFrame | None) -> dict[str, list[DnsMessage]]:
    """dns.log rows -> the query and (when answered) response messages, per uid."""
    out: dict[str, list[DnsMessage]] = {}
    if not has_rows(dns):
        return out
    assert dns is not None
    ts, rtt = number(dns, "ts"), np.nan_to_num(number(dns, "rtt"), nan=0.0)
    trans, qtype, rcode = count(dns, "trans_id"), count(dns, "qtype"), number(dns, "rcode")
    uid, query, qtype_name, rcode_name = (text(dns, c) for c in ("uid", "query", "qtype_name", "rcode_name"))
    answers = dns["answers"].to_numpy(dtype=object) if "answers" in dns.columns else np.full(len(dns), "")
    for i in range(len(dns)):
        qname = query[i].lower().rstrip(".")
        name = qtype_name[i] or f"TYPE{qtype[i]}"
        messages = out.setdefault(uid[i], [])
        messages.append(DnsMessage(float(ts[i]), False, int(trans[i]), qname, int(qtype[i]), name, -1, ""))
        if rcode[i] == rcode[i]:  # not NaN: a response was seen
            rrs = [(qname, _answer_type(a, name), a) for a in items(answers[i])]
            messages.append(DnsMessage(float(ts[i] + rtt[i]), True, int(trans[i]), qname, int(qtype[i]), name,
                                       int(rcode[i]), rcode_name[i], rrs))
    for messages in out.values():
        messages.sort(key=lambda m: m.ts)
    return out


def _tls_by_uid(ssl: pd.DataFrame | None) -> dict[str, TlsInfo]:
    out: dict[str, TlsInfo] = {}
    if not has_rows(ssl):
        return out
    assert ssl is not None
    uid, version, sni, alpn = (text(ssl, c) for c in ("uid", "version", "server_name", "next_protocol"))
    for i in range(len(ssl)):
        if uid[i] not in out:
            out[uid[i]] = TlsInfo(version=version[i], sni=sni[i].lower(), client_hello=True,
                                  server_hello=bool(version[i]), alpn=[alpn[i]] if alpn[i] else [])
    return out


def _service(zeek_service: str, names: dict[str, str]) -> str:
    """Zeek's service list ("ssl,http") -> the analyzer's name of the first one ("tls")."""
    first = zeek_service.split(",")[0].strip().lower()
    return names.get(first, first)


def flows_from_logs(logs: ZeekLogs, cfg: Config | None = None) -> list[Flow]:
    """One Flow per conn.log line (sensor-only mode), with DNS messages from dns.log and TLS from ssl.log."""
    conn = logs.conn
    if not has_rows(conn):
        return []
    assert conn is not None
    names = (cfg or default_config()).zeek.service_names
    dns, tls = _dns_by_uid(logs.dns), _tls_by_uid(logs.ssl)
    start = number(conn, "ts")
    end = start + np.nan_to_num(number(conn, "duration"), nan=0.0)
    services = {z: _service(z, names) for z in set(text(conn, "service"))}
    columns = [start.tolist(), end.tolist(),
               *(text(conn, c).tolist() for c in ("uid", "proto", "id.orig_h", "id.resp_h", "community_id",
                                                    "conn_state", "history", "service")),
               *(count(conn, c).tolist() for c in ("id.orig_p", "id.resp_p", "orig_pkts", "resp_pkts",
                                                     "orig_ip_bytes", "resp_ip_bytes", "orig_bytes", "resp_bytes"))]
    out = []
    for (ts, last_ts, uid, proto, orig_h, resp_h, cid, state, history, service, orig_p, resp_p, orig_pkts, resp_pkts,
         orig_ip_bytes, resp_ip_bytes, orig_bytes, resp_bytes) in zip(*columns):
        flow = Flow(uid=uid, ts=ts, last_ts=last_ts, proto=proto, orig_h=orig_h, orig_p=orig_p, resp_h=resp_h,
                    resp_p=resp_p, community_id=cid, ip_ver=6 if ":" in orig_h else 4, orig_pkts=orig_pkts,
                    resp_pkts=resp_pkts, orig_ip_bytes=orig_ip_bytes, resp_ip_bytes=resp_ip_bytes,
                    orig_bytes=orig_bytes, resp_bytes=resp_bytes, conn_state=state or "OTH", history=history,
                    service=services[service], dns=dns.get(uid, []), tls=tls.get(uid), zeek_uids=[uid] if uid else [])
        if proto == "icmp" and orig_p in ICMP_ECHO_REQUESTS:
            flow.icmp = IcmpInfo(echo_requests=orig_pkts, echo_replies=resp_pkts)
        out.append(flow)
    return out
