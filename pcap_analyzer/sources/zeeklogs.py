"""Zeek logs through zat: read them (TSV or JSON, plain or .gz) into one DataFrame per log type.

What is done with them lives beside this module: ``zeekjoin`` (Zeek uids onto the analyzer's flows),
``zeekfindings`` (Zeek's findings as indicators), ``zeekflows`` (flows from conn/dns/ssl logs when there is no
capture: sensor-only); ``zeekcolumns`` normalises their columns.

Reading: zat's ``LogToDataFrame`` for TSV (it parses the ``#fields``/``#types`` header and types the columns) and
``JSONLogToDataFrame`` for JSON lines. Three zat 0.4.9 pitfalls are handled here, not worked around elsewhere:
the TSV reader loops forever on a file without a ``#fields`` line (so the header is checked first and JSON is
recognised by its first byte), it cannot read ``.gz`` (decompressed to a temporary file first), and its
``pandas.read_csv`` call treats ``#`` inside a field as a comment, ``"`` as a quote and "NA"/"null" as missing
values - all attacker-controlled in DNS names, URIs and certificates - so ``_zeek_tsv`` keeps zat's typing and
passes the literal-text options to ``read_csv``. Only the columns this module uses are read (zat's ``usecols``),
which is what keeps a million-line conn.log cheap. Unset fields arrive as NaN (``zeekcolumns`` normalises them).
"""
from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import validate
from ..errors import InputError
from ..limits import NONE as NO_LIMITS, gunzip, is_gzip

if TYPE_CHECKING:
    import pandas as pd

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


#: Bytes of a TSV log looked at at once by the whole-file counts (cut at a line end): their temporary arrays stay a
#: few times this, however long the log.
SCAN_BYTES = 1 << 24


def _line_blocks(path: Path) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """A (non-empty) file in blocks of whole lines of about ``SCAN_BYTES`` (a longer line is a block of its own; the
    last block may lack its newline): each block's bytes and the offsets of its newlines."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    pos, size = 0, data.size
    while pos < size:
        span = SCAN_BYTES
        block = data[pos:pos + span]
        newlines = np.flatnonzero(block == ord("\n"))
        while pos + span < size and not newlines.size:  # a line longer than the block
            span *= 2
            block = data[pos:pos + span]
            newlines = np.flatnonzero(block == ord("\n"))
        if pos + span < size:  # the file goes on: the block ends with its last whole line
            block = block[:newlines[-1] + 1]
        yield block, newlines
        pos += block.size


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
    lines, last = 0, b""
    for block, newlines in _line_blocks(path):  # not empty: it has a header
        lines += newlines.size
        last = (last + block[-4096:].tobytes())[-4096:]
    lines += 1 if not last.endswith(b"\n") else 0
    trailer = _trailing_comment_lines(last)
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
    """Data lines of a TSV log whose field count is not the #fields line's (counted block by block of whole lines:
    the tabs between each line's start and end, from their positions)."""
    bad = 0
    for block, ends in _line_blocks(path):
        if block[-1] != ord("\n"):
            ends = np.append(ends, block.size)
        starts = np.concatenate(([0], ends[:-1] + 1))
        tabs = np.flatnonzero(block == ord("\t"))
        per_line = np.searchsorted(tabs, ends) - np.searchsorted(tabs, starts)
        comment = block[np.minimum(starts, block.size - 1)] == ord("#")
        blank = ends == starts
        bad += int(np.count_nonzero((per_line != fields - 1) & ~comment & ~blank))
    return bad


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
