"""Zeek logs through zat: read them (TSV or JSON, plain or .gz), join Zeek uids to the analyzer's flows, turn
Zeek's findings into indicators, and build flows from conn/dns/ssl logs when there is no capture (sensor-only).

Reading: zat's ``LogToDataFrame`` for TSV (it parses the ``#fields``/``#types`` header and types the columns) and
``JSONLogToDataFrame`` for JSON lines. Three zat 0.4.9 pitfalls are handled here, not worked around elsewhere:
the TSV reader loops forever on a file without a ``#fields`` line (so the header is checked first and JSON is
recognised by its first byte), it cannot read ``.gz`` (decompressed to a temporary file first), and its
``pandas.read_csv`` call treats ``#`` inside a field as a comment, ``"`` as a quote and "NA"/"null" as missing
values - all attacker-controlled in DNS names, URIs and certificates - so ``_zeek_tsv`` keeps zat's typing and
passes the literal-text options to ``read_csv``. Only the columns this module uses are read (zat's ``usecols``),
which is what keeps a million-line conn.log cheap. Unset fields arrive as NaN and are normalised by the column
helpers below.
"""
from __future__ import annotations

import csv
import ipaddress
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from ..config import Config, default_config
from ..config_schema import ZeekConfig
from .. import validate
from ..errors import InputError
from ..limits import NONE as NO_LIMITS, gunzip, is_gzip
from ..homenet import HomeNet
from ..model import INDICATOR_TYPES, DnsMessage, Flow, IcmpInfo, Indicator, TlsInfo

ID_COLUMNS = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]

#: The columns read from each log (others are skipped by zat's usecols). fallback/notice/weird are small.
COLUMNS: dict[str, list[str] | None] = {
    "conn": ["ts", "uid", *ID_COLUMNS, "proto", "service", "duration", "orig_bytes", "resp_bytes", "conn_state",
             "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "community_id"],
    "dns": ["ts", "uid", *ID_COLUMNS, "proto", "trans_id", "rtt", "query", "qtype", "qtype_name", "rcode",
            "rcode_name", "answers"],
    "ssl": ["ts", "uid", *ID_COLUMNS, "version", "server_name", "established", "next_protocol"],
    "notice": None,
    "weird": None,
    "fallback": None,
}

EMPTY_FIELD = "(empty)"
ICMP_ECHO_REQUESTS = (8, 128)  # ICMPv4 / ICMPv6 echo request types (conn.log orig_p of an echo flow)


@dataclass(slots=True)
class ZeekLogs:
    """One DataFrame per log type (None when DIR has no such log), with Zeek's column names."""

    directory: Path
    conn: pd.DataFrame | None = None
    dns: pd.DataFrame | None = None
    ssl: pd.DataFrame | None = None
    notice: pd.DataFrame | None = None
    weird: pd.DataFrame | None = None
    fallback: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)  # lines skipped (validate.Skipped), for the report's notes


# ---------------------------------------------------------------------------------------------------- reading


@cache
def _zeek_tsv() -> type:
    """zat's TSV reader with read_csv told that Zeek fields are literal text (see the module docstring). pandas and
    zat are imported here, when a log is first read: a run without Zeek logs never pays for their import."""
    import pandas as pd
    from zat.log_to_dataframe import LogToDataFrame

    class ZeekTsv(LogToDataFrame):
        def __init__(self, header_lines: int, data_lines: int) -> None:
            super().__init__()
            self._skip = header_lines
            self._rows = data_lines

        def _create_initial_df(self, log_filename, all_fields, usecols, dtypes):  # type: ignore[no-untyped-def]
            return pd.read_csv(log_filename, sep="\t", names=all_fields, usecols=usecols, dtype=dtypes,
                               skiprows=self._skip, nrows=self._rows, comment=None, quoting=csv.QUOTE_NONE,
                               na_values=["-"], keep_default_na=False, encoding_errors="replace")

    return ZeekTsv


def _tsv_layout(path: Path) -> tuple[list[str], int, int]:
    """(field names, header lines, data lines) of a Zeek TSV log; InputError when there is no #fields header."""
    names: list[str] = []
    header = 0
    with path.open("rb") as f:
        for line in f:
            if not line.startswith(b"#"):
                break
            header += 1
            if line.startswith(b"#fields\t"):
                names = line.rstrip(b"\r\n").decode("utf-8", "replace").split("\t")[1:]
    if not names:
        raise InputError(f"{path}: Zeek TSV log without a #fields header line")
    mapped = np.memmap(path, dtype=np.uint8, mode="r")  # not empty: it has a header
    newlines = int(np.count_nonzero(mapped == ord("\n")))
    lines = newlines + (1 if mapped.size and mapped[-1] != ord("\n") else 0)
    trailer = _trailing_comment_lines(bytes(mapped[-4096:]))
    return names, header, max(lines - header - trailer, 0)


def _trailing_comment_lines(tail: bytes) -> int:
    """Comment lines (``#close``) at the end of a TSV log."""
    count = 0
    for line in reversed(tail.rstrip(b"\n").split(b"\n")):
        if not line.startswith(b"#"):
            break
        count += 1
    return count


def _misshapen_rows(path: Path, fields: int) -> int:
    """Data lines of a TSV log whose field count is not the #fields line's (counted on the whole file at once)."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    ends = np.flatnonzero(data == ord("\n"))
    if data.size and data[-1] != ord("\n"):
        ends = np.append(ends, data.size)
    tabs = np.concatenate(([0], np.cumsum(data == ord("\t"))))
    starts = np.concatenate(([0], ends[:-1] + 1))
    per_line = tabs[ends] - tabs[starts]
    comment = data[np.minimum(starts, data.size - 1)] == ord("#")
    blank = ends == starts
    return int(np.count_nonzero((per_line != fields - 1) & ~comment & ~blank))


def _well_shaped(path: Path, fields: int, tmp: Path) -> tuple[Path, validate.Skipped]:
    """A copy of a TSV log without the data lines whose field count is wrong; those are counted."""
    skipped = validate.Skipped()
    out = tmp / f"rows-{path.name}"
    with path.open("rb") as src, out.open("wb") as dst:
        for line in src:
            body = line.rstrip(b"\r\n")
            if body.startswith(b"#") or not body or body.count(b"\t") == fields - 1:
                dst.write(body + b"\n")
            else:
                skipped[f"not {fields} tab-separated fields"] += 1
    return out, skipped


def _read_tsv(path: Path, wanted: list[str] | None, tmp: Path | None = None) -> pd.DataFrame:
    """A TSV log; data lines that do not have the #fields line's field count are skipped and counted (a note in
    ``attrs["skipped"]``) rather than shifting columns or failing the whole log."""
    import pandas as pd

    names, header, rows = _tsv_layout(path)
    if rows and tmp is not None and _misshapen_rows(path, len(names)):
        shaped, skipped = _well_shaped(path, len(names), tmp)
        frame = _read_tsv(shaped, wanted)
        frame.attrs["skipped"] = skipped.note(f"zeek {path}")
        return frame
    usecols = [c for c in wanted if c in names] if wanted else None
    if rows == 0:
        return pd.DataFrame(columns=usecols or names)
    df = _zeek_tsv()(header, rows).create_dataframe(str(path), ts_index=False, aggressive_category=False,
                                                    usecols=usecols)
    if "ts" in df.columns:  # zat turns Zeek time into datetime64; the analyzer works in float seconds
        df["ts"] = _seconds(df["ts"])
    return df


def _json_objects(path: Path, tmp: Path) -> tuple[Path, validate.Skipped]:
    """The JSON-object lines of a JSON log, copied to ``tmp`` (zat reads files); lines that are not JSON objects
    (null, arrays, damage, nesting too deep) are skipped and counted."""
    skipped = validate.Skipped()
    kept = False
    out = tmp / f"objects-{path.name}"
    with path.open(encoding="utf-8", errors="surrogateescape") as src, out.open("w", encoding="utf-8",
                                                                                errors="surrogateescape") as dst:
        for line in src:
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except (ValueError, RecursionError):
                skipped["not JSON"] += 1
                continue
            if not isinstance(value, dict):
                skipped["not a JSON object"] += 1
                continue
            dst.write(line if line.endswith("\n") else line + "\n")
            kept = True
    if skipped and not kept:
        raise InputError(f"{path}: unreadable Zeek log: no line is a JSON object ({skipped.note('lines')})")
    return out, skipped


def _read_json(path: Path, wanted: list[str] | None) -> pd.DataFrame:
    import pandas as pd

    if not path.stat().st_size:
        return pd.DataFrame(columns=wanted or [])
    from zat.json_log_to_dataframe import JSONLogToDataFrame

    df = JSONLogToDataFrame().create_dataframe(str(path), ts_index=False)
    if "ts" in df.columns:
        df["ts"] = _seconds(df["ts"])
    return df[[c for c in wanted if c in df.columns]] if wanted else df


def _seconds(col: pd.Series) -> pd.Series:
    """datetime64 (zat's conversion of Zeek ``time``) -> float seconds since the epoch, NaN where unset."""
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(col):
        out = col.astype("int64").astype("float64") / 1e9
        return out.where(col.notna())
    return pd.to_numeric(col, errors="coerce").astype("float64")


def _decompressed(path: Path, tmp: Path) -> Path:
    """A .gz log decompressed into ``tmp`` (zat reads plain files only)."""
    out = tmp / path.name.removesuffix(".gz")
    try:
        with path.open("rb") as src, out.open("wb") as dst:
            gunzip(src, dst, NO_LIMITS, str(path))
    except OSError as exc:
        raise InputError(f"{path}: cannot decompress: {exc.strerror or exc}") from None
    return out


def _first_byte(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(4096).lstrip()[:1]


def read_log(path: Path, wanted: list[str] | None = None) -> pd.DataFrame:
    """One Zeek log (TSV or JSON lines, optionally gzip-compressed) as a DataFrame with Zeek's column names."""
    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="fallback-hunt-zeek-") as tmp:
        plain = _decompressed(path, Path(tmp)) if is_gzip(path) else path
        first = _first_byte(plain)
        try:
            if first == b"#":
                return _read_tsv(plain, wanted, Path(tmp))
            if first in (b"{", b"["):  # JSON lines (some of them maybe null or arrays: skipped, counted)
                objects, skipped = _json_objects(plain, Path(tmp))
                frame = _read_json(objects, wanted)
                if skipped:
                    frame.attrs["skipped"] = skipped.note(f"zeek {path}")
                return frame
            if first == b"":
                return pd.DataFrame(columns=wanted or [])
        except InputError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, OverflowError, OSError, UnicodeDecodeError,
                pd.errors.ParserError) as exc:  # IndexError: pandas on a #fields line shorter than the rows;
            # OverflowError: a value too large for the column's #types (both found by the fuzzer)
            raise InputError(f"{path}: unreadable Zeek log: "
                             f"{validate.quote(str(exc).splitlines()[0]) if str(exc) else type(exc).__name__}") from None
    raise InputError(f"{path}: not a Zeek log (neither TSV with a #fields header nor JSON lines)")


def log_files(directory: Path, name: str) -> list[Path]:
    """conn.log, conn.log.gz, conn.json(.gz) and rotated conn.<stamp>.log(.gz) files, sorted; also in the
    subdirectories (Zeek's archive keeps a directory per day)."""
    out = []
    for p in directory.rglob("*"):
        if not p.is_file():
            continue
        base = p.name.removesuffix(".gz")
        if base in (f"{name}.log", f"{name}.json") or (base.startswith(f"{name}.") and base.endswith((".log", ".json"))):
            out.append(p)
    return sorted(out)


#: Log files per log type -> per log type: (all its rows, or None without a file; notes of lines skipped).
FrameReader = Callable[[dict[str, list[Path]]], "dict[str, tuple[pd.DataFrame | None, list[str]]]"]


def frames_of(files: dict[str, list[Path]]) -> dict[str, tuple[pd.DataFrame | None, list[str]]]:
    """Every log type's files read here, one after the other (``parallel.zeeklogs``: as a Dask dataframe)."""
    out: dict[str, tuple[pd.DataFrame | None, list[str]]] = {}
    for name, paths in files.items():
        frames = [read_log(p, COLUMNS[name]) for p in paths]
        out[name] = (concat_frames(frames), [f.attrs["skipped"] for f in frames if "skipped" in f.attrs])
    return out


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    """The rows of ``frames`` in order (None for no frame)."""
    import pandas as pd

    if not frames:
        return None
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def read_logs(directory: Path, read_frames: FrameReader | None = None) -> ZeekLogs:
    """The conn, dns, ssl, notice, weird and fallback logs of a Zeek log directory (``read_frames`` reads them:
    by default ``frames_of``)."""
    directory = Path(directory)
    if not directory.exists():
        raise InputError(f"--zeek-logs: {directory} does not exist")
    if not directory.is_dir():
        raise InputError(f"--zeek-logs: {directory} is not a directory")
    logs = ZeekLogs(directory)
    found = False
    files = {name: log_files(directory, name) for name in COLUMNS}
    for name, (frame, notes) in (read_frames or frames_of)(files).items():
        logs.notes += notes
        if frame is not None:
            found = True
            setattr(logs, name, frame.reset_index(drop=True))
    if not found:
        raise InputError(f"--zeek-logs: {directory} has no Zeek logs ({', '.join(n + '.log' for n in COLUMNS)})")
    return logs


# ---------------------------------------------------------------------------------------------- column helpers


def _text(df: pd.DataFrame, col: str) -> np.ndarray:
    """A column as an object array of str: unset (NaN) and Zeek's "(empty)" become ""."""
    if col not in df.columns:
        return np.full(len(df), "", dtype=object)
    values = df[col].astype(object)
    out = values.where(values.notna(), "").astype(str).to_numpy(dtype=object)
    out[out == EMPTY_FIELD] = ""
    return out


def _number(df: pd.DataFrame, col: str) -> np.ndarray:
    """A numeric column as float64, NaN where unset; zat's timedelta (Zeek interval) in seconds."""
    import pandas as pd

    if col not in df.columns:
        return np.full(len(df), np.nan)
    values = df[col]
    if pd.api.types.is_timedelta64_dtype(values):
        return values.dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _count(df: pd.DataFrame, col: str) -> np.ndarray:
    """A count/port column as int64, 0 where unset."""
    return np.nan_to_num(_number(df, col), nan=0.0).astype(np.int64)


def _items(value: Any) -> list[str]:
    """A Zeek set/vector field: a list (JSON) or comma-separated text (TSV)."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if not isinstance(value, str) or value in ("", EMPTY_FIELD):
        return []
    return value.split(",")


def _has_rows(df: pd.DataFrame | None) -> bool:
    return df is not None and len(df) > 0


# ------------------------------------------------------------------------------------------------ joining


def _flow_frame(flows: list[Flow]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({
        "flow": np.arange(len(flows)),
        "community_id": [f.community_id for f in flows],
        "start": [f.ts for f in flows],
        "end": [f.last_ts for f in flows],
        "proto": [f.proto for f in flows],
        "id.orig_h": [f.orig_h for f in flows],
        "id.orig_p": [f.orig_p for f in flows],
        "id.resp_h": [f.resp_h for f in flows],
        "id.resp_p": [f.resp_p for f in flows],
    })


def _conn_frame(conn: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    start = _number(conn, "ts")
    return pd.DataFrame({
        "uid": _text(conn, "uid"),
        "community_id": _text(conn, "community_id"),
        "zstart": start,
        "zend": start + np.nan_to_num(_number(conn, "duration"), nan=0.0),
        "proto": _text(conn, "proto"),
        "id.orig_h": _text(conn, "id.orig_h"),
        "id.orig_p": _count(conn, "id.orig_p"),
        "id.resp_h": _text(conn, "id.resp_h"),
        "id.resp_p": _count(conn, "id.resp_p"),
    })


#: Zeek logs time with microseconds; an analyzer flow and a Zeek connection overlap within that resolution.
TIME_RESOLUTION = 1e-6


def join_conn(flows: list[Flow], conn: pd.DataFrame) -> pd.DataFrame:
    """(flow index, Zeek uid) pairs of conn.log lines that are the same connection as an analyzer flow.

    The key is the Community ID; where a flow or the log lacks one, the 5-tuple (either direction). A key matches
    when the Zeek connection's time span overlaps the flow's (Community IDs repeat across a capture's reuse of a
    5-tuple, and Zeek logs both halves of an ICMP echo exchange under one ID).
    """
    import pandas as pd

    if not flows or not _has_rows(conn):
        return pd.DataFrame({"flow": np.array([], dtype=np.int64), "uid": np.array([], dtype=object)})
    left, right = _flow_frame(flows), _conn_frame(conn)
    keyed = left["community_id"] != ""
    parts = [left[keyed].merge(right[right["community_id"] != ""], on="community_id")]
    by_tuple = left[~keyed] if (right["community_id"] != "").all() else left
    five = ["proto", *ID_COLUMNS]
    swapped = right.rename(columns={"id.orig_h": "id.resp_h", "id.resp_h": "id.orig_h",
                                    "id.orig_p": "id.resp_p", "id.resp_p": "id.orig_p"})
    parts += [by_tuple.merge(r, on=five, suffixes=("", "_z")) for r in (right, swapped)]
    pairs = pd.concat(parts, ignore_index=True)
    overlap = (pairs["zstart"] <= pairs["end"] + TIME_RESOLUTION) & (pairs["start"] <= pairs["zend"] + TIME_RESOLUTION)
    return pairs.loc[overlap, ["flow", "uid"]].drop_duplicates()


def attach_uids(flows: list[Flow], logs: ZeekLogs) -> None:
    """Add the uid of every matching conn.log line to ``flow.zeek_uids``."""
    if logs.conn is None:
        return
    pairs = join_conn(flows, logs.conn)
    for flow_index, uid in zip(pairs["flow"].tolist(), pairs["uid"].tolist()):
        flow = flows[flow_index]
        if uid and uid not in flow.zeek_uids:
            flow.zeek_uids.append(uid)


# ---------------------------------------------------------------------------------------------- indicators


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
    if not _has_rows(df):
        return iter(())
    assert df is not None
    numeric = {"ts": _number, "id.orig_p": _count, "id.resp_p": _count, "p": _count}
    cols = {c: numeric.get(c, _text)(df, c) for c in columns}
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
    if not _has_rows(conn):
        return {}
    assert conn is not None
    return dict(zip(_text(conn, "uid"), zip(_text(conn, "community_id"), _text(conn, "proto"))))


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


# ------------------------------------------------------------------------------------------- sensor-only flows


def _answer_type(rdata: str, qtype_name: str) -> str:
    """dns.log keeps answers as text only: addresses are A/AAAA, other answers to an address query are CNAMEs."""
    try:
        return "A" if ipaddress.ip_address(rdata).version == 4 else "AAAA"
    except ValueError:
        return "CNAME" if qtype_name in ("A", "AAAA") else qtype_name


def _dns_by_uid(dns: pd.DataFrame | None) -> dict[str, list[DnsMessage]]:
    """dns.log rows -> the query and (when answered) response messages, per uid."""
    out: dict[str, list[DnsMessage]] = {}
    if not _has_rows(dns):
        return out
    assert dns is not None
    ts, rtt = _number(dns, "ts"), np.nan_to_num(_number(dns, "rtt"), nan=0.0)
    trans, qtype, rcode = _count(dns, "trans_id"), _count(dns, "qtype"), _number(dns, "rcode")
    uid, query, qtype_name, rcode_name = (_text(dns, c) for c in ("uid", "query", "qtype_name", "rcode_name"))
    answers = dns["answers"].to_numpy(dtype=object) if "answers" in dns.columns else np.full(len(dns), "")
    for i in range(len(dns)):
        qname = query[i].lower().rstrip(".")
        name = qtype_name[i] or f"TYPE{qtype[i]}"
        messages = out.setdefault(uid[i], [])
        messages.append(DnsMessage(float(ts[i]), False, int(trans[i]), qname, int(qtype[i]), name, -1, ""))
        if rcode[i] == rcode[i]:  # not NaN: a response was seen
            rrs = [(qname, _answer_type(a, name), a) for a in _items(answers[i])]
            messages.append(DnsMessage(float(ts[i] + rtt[i]), True, int(trans[i]), qname, int(qtype[i]), name,
                                       int(rcode[i]), rcode_name[i], rrs))
    for messages in out.values():
        messages.sort(key=lambda m: m.ts)
    return out


def _tls_by_uid(ssl: pd.DataFrame | None) -> dict[str, TlsInfo]:
    out: dict[str, TlsInfo] = {}
    if not _has_rows(ssl):
        return out
    assert ssl is not None
    uid, version, sni, alpn = (_text(ssl, c) for c in ("uid", "version", "server_name", "next_protocol"))
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
    if not _has_rows(conn):
        return []
    assert conn is not None
    names = (cfg or default_config()).zeek.service_names
    dns, tls = _dns_by_uid(logs.dns), _tls_by_uid(logs.ssl)
    start = _number(conn, "ts")
    end = start + np.nan_to_num(_number(conn, "duration"), nan=0.0)
    services = {z: _service(z, names) for z in set(_text(conn, "service"))}
    columns = [start.tolist(), end.tolist(),
               *(_text(conn, c).tolist() for c in ("uid", "proto", "id.orig_h", "id.resp_h", "community_id",
                                                    "conn_state", "history", "service")),
               *(_count(conn, c).tolist() for c in ("id.orig_p", "id.resp_p", "orig_pkts", "resp_pkts",
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
