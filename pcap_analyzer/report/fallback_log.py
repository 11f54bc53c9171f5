"""OUTDIR/fallback.log: one row per indicator, in Zeek's TSV log format, columns shared with the Zeek package."""
from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import Config
from ..homenet import is_ip
from ..model import Flow, Indicator, Report
from .common import (
    atomic_write, escape_surrogates, evidence_text, flow_index, hex_match, indicator_flow, shorten,
)

#: (name, Zeek type) of every column, the same as zeek_scripts' fallback.log.
FIELDS: tuple[tuple[str, str], ...] = (
    ("ts", "time"),
    ("uid", "string"),
    ("community_id", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("indicator", "string"),
    ("primary", "string"),
    ("fallback", "string"),
    ("detail", "string"),
)

SEPARATOR = "\t"
SET_SEPARATOR = ","
EMPTY_FIELD = "(empty)"
UNSET_FIELD = "-"


#: What Zeek's ASCII writer escapes in a string field: control characters, DEL, backslash, and bytes that were not
#: valid UTF-8 (lone surrogates, from surrogateescape). One regex pass; a clean string (the usual case) is one search.
_ZEEK_UNSAFE = re.compile("[\x00-\x1f\x7f\\\\\ud800-\udfff]")


def zeek_escape(text: str) -> str:
    """A string field as Zeek's ASCII writer (UTF-8 enabled) writes it.

    Control characters, DEL and backslash become ``\\xHH``; bytes that were not valid UTF-8 (decoded with
    surrogateescape) too; valid non-ASCII characters pass through. A value that reads like the unset or empty
    marker gets its first character escaped.
    """
    if not text:
        return EMPTY_FIELD
    if text in (UNSET_FIELD, EMPTY_FIELD):
        return f"\\x{ord(text[0]):02x}{text[1:]}"
    return _ZEEK_UNSAFE.sub(hex_match, text) if _ZEEK_UNSAFE.search(text) else text


def _value(value: Any, zeek_type: str) -> str:
    if value is None or (value == "" and zeek_type != "string"):
        return UNSET_FIELD
    if zeek_type == "time":
        return f"{float(value):.6f}"
    if zeek_type == "port":
        return str(int(value))
    if zeek_type == "addr":
        return str(ipaddress.ip_address(value)) if is_ip(str(value)) else UNSET_FIELD
    return zeek_escape(str(value))


def channel_text(channel: dict[str, Any], failed: bool = False) -> str:
    """A channel as the Zeek package writes it: ``<domain or peer>:<port> <proto>/<service>[ <failure>]``."""
    where = str(channel.get("domain") or channel.get("peer") or "")
    port = channel.get("port")
    text = f"{where}:{port}" if port not in (None, "") else where
    text += f" {channel.get('proto') or '-'}/{channel.get('service') or '-'}"
    state = channel.get("state")
    return f"{text} {state}" if failed and state else text


def indicator_row(ind: Indicator, index: dict, max_text: int) -> dict[str, Any]:
    """The fallback.log columns of one indicator; the 4-tuple comes from its flow when it can be joined.

    As in the Zeek package, ``primary`` is always set (the indicator's own channel when it names no pair) and an
    absent fallback or detail is an empty string.
    """
    flow = indicator_flow(ind, index)
    if flow is not None:
        orig_h, orig_p, resp_h, resp_p = flow.orig_h, flow.orig_p, flow.resp_h, flow.resp_p
        uid = (flow.zeek_uids or ind.uids or [flow.uid])[0]  # Zeek's uid first: the one conn.log knows
    else:
        orig_h, orig_p = ind.host, None
        resp_h, resp_p = ind.peer or None, ind.port
        uid = ind.uids[0] if ind.uids else None
    primary, fallback = ind.evidence.get("primary"), ind.evidence.get("fallback")
    if not isinstance(primary, dict):  # one channel involved: the indicator's own
        primary = {"peer": ind.peer, "port": ind.port, "proto": ind.proto, "service": flow.service if flow else ""}
    rest = {k: v for k, v in ind.evidence.items() if k not in ("primary", "fallback")}
    return {
        "ts": ind.ts,
        "uid": uid,
        "community_id": ind.community_id or (flow.community_id if flow else "") or None,
        "id.orig_h": orig_h,
        "id.orig_p": orig_p,
        "id.resp_h": resp_h,
        "id.resp_p": resp_p,
        "indicator": ind.type,
        "primary": channel_text(primary, failed=isinstance(fallback, dict)),
        "fallback": channel_text(fallback) if isinstance(fallback, dict) else "",
        "detail": shorten(evidence_text(rest, max_text), max_text),
    }


def _stamp(now: float) -> str:
    return time.strftime("%Y-%m-%d-%H-%M-%S", time.localtime(now))


def fallback_log(report: Report, cfg: Config, now: float | None = None, index: dict[str, Flow] | None = None
                 ) -> str:
    """The whole fallback.log text: header, one row per indicator (time order), #close."""
    return "".join(fallback_log_lines(report, cfg, now, index))


def fallback_log_lines(report: Report, cfg: Config, now: float | None = None,
                       index: dict[str, Flow] | None = None) -> Iterator[str]:
    """fallback.log line by line (each with its newline): written as it is made, never held whole. ``index``: the
    report's ``flow_index`` when the caller has it already."""
    now = time.time() if now is None else now
    index = flow_index(report.flows) if index is None else index
    indicators = sorted((i for h in report.hosts for i in h.indicators), key=lambda i: (i.ts, i.host, i.type))
    names = [name for name, _ in FIELDS]
    header = [
        "#separator " + "".join(f"\\x{ord(c):02x}" for c in SEPARATOR),
        f"#set_separator{SEPARATOR}{SET_SEPARATOR}",
        f"#empty_field{SEPARATOR}{EMPTY_FIELD}",
        f"#unset_field{SEPARATOR}{UNSET_FIELD}",
        f"#path{SEPARATOR}fallback",
        f"#open{SEPARATOR}{_stamp(now)}",
        SEPARATOR.join(["#fields", *names]),
        SEPARATOR.join(["#types", *(t for _, t in FIELDS)]),
    ]
    yield from (line + "\n" for line in header)
    for ind in indicators:
        row = indicator_row(ind, index, cfg.report.max_text)
        yield SEPARATOR.join(_value(row[name], zeek_type) for name, zeek_type in FIELDS) + "\n"
    yield f"#close{SEPARATOR}{_stamp(now)}\n"


def _json_value(value: Any, zeek_type: str) -> Any:
    """A column as Zeek's JSON writer (``LogAscii::use_json``, ``JSON::TS_EPOCH``) writes it: times as epoch numbers,
    ports as numbers, addresses and strings as strings; invalid UTF-8 bytes as ``\\xHH``. None = left out."""
    if value is None or (value == "" and zeek_type != "string"):
        return None
    if zeek_type == "time":
        return round(float(value), 6)
    if zeek_type == "port":
        return int(value)
    if zeek_type == "addr":
        return str(ipaddress.ip_address(value)) if is_ip(str(value)) else None
    return escape_surrogates(str(value))


def fallback_log_json(report: Report, cfg: Config, index: dict[str, Flow] | None = None) -> str:
    """fallback.log as Zeek writes it with ``redef LogAscii::use_json = T``: one JSON object per line, no header,
    unset fields left out, the same columns as the TSV log."""
    index = flow_index(report.flows) if index is None else index
    indicators = sorted((i for h in report.hosts for i in h.indicators), key=lambda i: (i.ts, i.host, i.type))
    lines = []
    for ind in indicators:
        row = indicator_row(ind, index, cfg.report.max_text)
        values = ((name, _json_value(row[name], zeek_type)) for name, zeek_type in FIELDS)
        lines.append(json.dumps({k: v for k, v in values if v is not None}, ensure_ascii=False,
                                separators=(",", ":")))
    return "".join(line + "\n" for line in lines)


#: ``--log-format`` values -> the writer of fallback.log's text (TSV: line by line, never held whole).
LOG_FORMATS = {"tsv": fallback_log_lines, "json": fallback_log_json}


def write_fallback_log(report: Report, cfg: Config, path: Path, log_format: str = "tsv",
                       index: dict[str, Flow] | None = None) -> None:
    atomic_write(path, LOG_FORMATS[log_format](report, cfg, index=index))
