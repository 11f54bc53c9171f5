"""Zeek uids onto the analyzer's flows: which conn.log line is which flow (Community ID, else the 5-tuple), and
their time spans overlapping."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..model import Flow
from .zeekcolumns import count, has_rows, number, text
from .zeeklogs import ID_COLUMNS, ZeekLogs

if TYPE_CHECKING:
    import pandas as pd


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

    start = number(conn, "ts")
    return pd.DataFrame({
        "uid": text(conn, "uid"),
        "community_id": text(conn, "community_id"),
        "zstart": start,
        "zend": start + np.nan_to_num(number(conn, "duration"), nan=0.0),
        "proto": text(conn, "proto"),
        "id.orig_h": text(conn, "id.orig_h"),
        "id.orig_p": count(conn, "id.orig_p"),
        "id.resp_h": text(conn, "id.resp_h"),
        "id.resp_p": count(conn, "id.resp_p"),
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

    if not flows or not has_rows(conn):
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
