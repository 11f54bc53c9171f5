"""Zeek's findings as indicators: the package's fallback.log lines and notices, and Zeek's own protocol notices,
joined to the analyzer's flows (weird.log lines add evidence)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..config_schema import ZeekConfig
from ..homenet import HomeNet
from ..model import INDICATOR_TYPES, Flow, Indicator
from .zeekcolumns import count, has_rows, number, text
from .zeeklogs import ID_COLUMNS, ZeekLogs

if TYPE_CHECKING:
    import pandas as pd


@dataclass(slots=True)
class _Finding:
    """One Zeek finding (fallback.log line or notice) before it becomes an Indicator."""

    type: str
    ts: float
    uid: str
    community_id: str
    orig_h: str
    orig_p: int
    resp_h: str
    resp_p: int
    proto: str
    evidence: dict[str, Any]


def _rows(df: pd.DataFrame | None, columns: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Rows of a log as dicts of normalised values (text "", numbers NaN/0)."""
    if not has_rows(df):
        return iter(())
    assert df is not None
    numeric = {"ts": number, "id.orig_p": count, "id.resp_p": count, "p": count}
    cols = {c: numeric.get(c, text)(df, c) for c in columns}
    return ({c: cols[c][i] for c in cols} for i in range(len(df)))


FINDING_COLUMNS = ("ts", "uid", "community_id", *ID_COLUMNS, "proto")


def _fallback_findings(df: pd.DataFrame | None) -> Iterator[_Finding]:
    """fallback.log lines (the Zeek package's or the analyzer's own) with a known indicator name."""
    for row in _rows(df, (*FINDING_COLUMNS, "indicator", "primary", "fallback", "detail")):
        if row["indicator"] in INDICATOR_TYPES:
            yield _Finding(row["indicator"], row["ts"], row["uid"], row["community_id"], row["id.orig_h"],
                           row["id.orig_p"], row["id.resp_h"], row["id.resp_p"], row["proto"],
                           {"zeek_log": "fallback", "primary": row["primary"], "fallback": row["fallback"],
                            "detail": row["detail"]})


def _notice_type(note: str, sub: str, zcfg: ZeekConfig) -> str:
    """The indicator a notice stands for, "" when it stands for none."""
    prefix = zcfg.package_notice_prefix
    if note.startswith(prefix):
        name = note[len(prefix):].lower()
        return name if name in INDICATOR_TYPES else ""
    if note in zcfg.protocol_notices:
        return "nonstandard_port_encrypted" if sub.upper() in zcfg.encrypted_analyzers else "protocol_port_mismatch"
    return ""


def _notice_findings(df: pd.DataFrame | None, zcfg: ZeekConfig) -> Iterator[_Finding]:
    for row in _rows(df, (*FINDING_COLUMNS, "note", "msg", "sub", "src", "dst", "p")):
        kind = _notice_type(row["note"], row["sub"], zcfg)
        if not kind:
            continue
        orig = row["id.orig_h"] or row["src"]
        resp = row["id.resp_h"] or row["dst"]
        resp_p = row["id.resp_p"] or row["p"]
        yield _Finding(kind, row["ts"], row["uid"], row["community_id"], orig, row["id.orig_p"], resp, resp_p,
                       row["proto"], {"zeek_log": "notice", "note": row["note"], "msg": row["msg"],
                                      "sub": row["sub"]})


def _weird_by_uid(df: pd.DataFrame | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in _rows(df, ("uid", "name")):
        if row["uid"] and row["name"] not in out.setdefault(row["uid"], []):
            out[row["uid"]].append(row["name"])
    return out


def _conn_by_uid(conn: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """uid -> (community_id, proto) from conn.log, for notices that lack them."""
    if not has_rows(conn):
        return {}
    assert conn is not None
    return dict(zip(text(conn, "uid"), zip(text(conn, "community_id"), text(conn, "proto"))))


def _flows_by_key(flows: list[Flow]) -> tuple[dict[str, list[Flow]], dict[str, Flow]]:
    by_cid: dict[str, list[Flow]] = {}
    by_uid: dict[str, Flow] = {}
    for flow in flows:
        if flow.community_id:
            by_cid.setdefault(flow.community_id, []).append(flow)
        for uid in flow.zeek_uids:
            by_uid[uid] = flow
    return by_cid, by_uid


def _matching_flow(f: _Finding, by_cid: dict[str, list[Flow]], by_uid: dict[str, Flow]) -> Flow | None:
    """The analyzer flow a finding is about: by Zeek uid (after attach_uids), else the Community ID closest in time."""
    if f.uid in by_uid:
        return by_uid[f.uid]
    candidates = by_cid.get(f.community_id, [])
    if not candidates:
        return None
    return min(candidates, key=lambda fl: 0.0 if fl.ts <= f.ts <= fl.last_ts else min(abs(fl.ts - f.ts), abs(fl.last_ts - f.ts)))


def _sides(f: _Finding, home: HomeNet) -> tuple[str, str]:
    """(internal host the indicator is about, peer)."""
    if not home.is_internal(f.orig_h) and home.is_internal(f.resp_h):
        return f.resp_h, f.orig_h
    return f.orig_h, f.resp_h


def zeek_indicators(logs: ZeekLogs, flows: list[Flow], home: HomeNet, cfg: Config) -> list[Indicator]:
    """Zeek's findings as indicators (source "zeek"), joined to the analyzer's flows.

    fallback.log lines keep their indicator name; FallbackChannels::* notices map to theirs, ProtocolDetector
    notices to nonstandard_port_encrypted or protocol_port_mismatch by analyzer. A fallback.log line and the
    notice for the same finding become one indicator. Weird lines only add evidence to indicators of their
    connection. A finding with no analyzer flow (Zeek-only) is still an indicator, marked ``zeek_only``.
    """
    zcfg = cfg.zeek
    conn_info = _conn_by_uid(logs.conn)
    weird = _weird_by_uid(logs.weird)
    by_cid, by_uid = _flows_by_key(flows)
    merged: dict[tuple[str, str, str], Indicator] = {}
    for f in [*_fallback_findings(logs.fallback), *_notice_findings(logs.notice, zcfg)]:
        cid, proto = conn_info.get(f.uid, ("", ""))
        f.community_id = f.community_id or cid
        f.proto = f.proto or proto
        host, peer = _sides(f, home)
        key = (f.type, host, f.uid or f.community_id or f"{peer}:{f.resp_p}")
        known = merged.get(key)
        if known is not None:
            known.evidence.setdefault("zeek", []).append(f.evidence)
            continue
        flow = _matching_flow(f, by_cid, by_uid)
        uids = [u for u in (f.uid, flow.uid if flow else "") if u]
        evidence: dict[str, Any] = {"zeek": [f.evidence], "zeek_only": flow is None}
        if f.uid in weird:
            evidence["zeek_weird"] = weird[f.uid]
        merged[key] = Indicator(type=f.type, host=host, ts=float(f.ts) if f.ts == f.ts else 0.0, peer=peer,
                                port=int(f.resp_p) if f.resp_p else None, proto=f.proto or (flow.proto if flow else ""),
                                community_id=f.community_id or (flow.community_id if flow else ""),
                                evidence=evidence, source="zeek", uids=uids)
    return list(merged.values())
