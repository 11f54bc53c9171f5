"""Flow records <-> Apache Arrow tables, losslessly (annotated flows with their payload, and compacted ones).

One row per Flow, one column per field. Numbers and text are plain columns; the dissected parts are nested Arrow
types (``dns``, ``http``: lists of structs; ``tls``, ``icmp``, the four ``*_measures``: nullable structs), so the
flow store and ``--flows-out`` can be read by DuckDB, pandas or Spark without this package. Two open-ended dicts
(``quic``, ``app``: whatever a dissector read) are JSON text.

Columns are built field by field from Python lists (one ``pa.array`` call per column, structs from their child
arrays), not row by row from dicts: the codec is a small share of the pipeline (``bench``).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

import pyarrow as pa

from ..gcpause import gc_paused
from ..model import ChannelMeasures, DnsMessage, Flow, HttpInfo, IcmpInfo, TlsInfo

_ANSWER = pa.struct([("rrname", pa.string()), ("type", pa.string()), ("rdata", pa.string())])
_DNS = pa.struct([("ts", pa.float64()), ("is_response", pa.bool_()), ("trans_id", pa.int32()),
                  ("qname", pa.string()), ("qtype", pa.int32()), ("qtype_name", pa.string()), ("rcode", pa.int32()),
                  ("rcode_name", pa.string()), ("answers", pa.list_(_ANSWER))])
_HTTP = pa.struct([("ts", pa.float64()), ("is_request", pa.bool_()), ("method", pa.string()), ("uri", pa.string()),
                   ("host", pa.string()), ("user_agent", pa.string()), ("status", pa.int32()),
                   ("version", pa.string())])
_TLS = pa.struct([("version", pa.string()), ("sni", pa.string()), ("ja3", pa.string()), ("ja3_string", pa.string()),
                  ("client_hello", pa.bool_()), ("server_hello", pa.bool_()), ("alpn", pa.list_(pa.string())),
                  ("server_alert", pa.int32())])
_ICMP = pa.struct([("echo_requests", pa.int64()), ("echo_replies", pa.int64()),
                   ("payload_sizes", pa.list_(pa.int64())), ("ip_in_payload", pa.int64()),
                   ("unreachable", pa.int64()), ("replies_differ", pa.int64())])
_MEASURES = pa.struct([("nbytes", pa.int64()), ("entropy", pa.float64()), ("chi2", pa.float64()),
                       ("chi2_p", pa.float64()), ("printable", pa.float64())])
_DATAGRAM_TS = pa.struct([("ts", pa.float64()), ("from_orig", pa.bool_())])
_ICMP_ERROR = pa.struct([("ts", pa.float64()), ("reporter", pa.string()), ("type", pa.int32()), ("code", pa.int32())])
_MEASURE_FIELDS = ("orig_measures", "resp_measures", "orig_later_measures", "resp_later_measures")

#: The Arrow schema of a table of flows: one field per Flow field, in Flow's order.
FLOW_SCHEMA = pa.schema([
    ("uid", pa.string()), ("ts", pa.float64()), ("last_ts", pa.float64()), ("proto", pa.string()),
    ("orig_h", pa.string()), ("orig_p", pa.int32()), ("resp_h", pa.string()), ("resp_p", pa.int32()),
    ("community_id", pa.string()), ("ip_ver", pa.int8()),
    ("orig_pkts", pa.int64()), ("resp_pkts", pa.int64()), ("orig_ip_bytes", pa.int64()),
    ("resp_ip_bytes", pa.int64()), ("orig_bytes", pa.int64()), ("resp_bytes", pa.int64()),
    ("conn_state", pa.string()), ("history", pa.string()), ("fragments", pa.int64()), ("retransmits", pa.int64()),
    ("orig_sample", pa.binary()), ("resp_sample", pa.binary()),
    ("orig_datagrams", pa.list_(pa.binary())), ("resp_datagrams", pa.list_(pa.binary())),
    ("datagram_ts", pa.list_(_DATAGRAM_TS)), ("icmp_errors", pa.list_(_ICMP_ERROR)),
    ("orig_later", pa.binary()), ("resp_later", pa.binary()),
    ("service", pa.string()), ("expected_service", pa.string()),
    ("dns", pa.list_(_DNS)), ("tls", _TLS), ("ssh_banners", pa.list_(pa.string())), ("http", pa.list_(_HTTP)),
    ("quic", pa.string()), ("icmp", _ICMP), ("app", pa.string()),
    *((name, _MEASURES) for name in _MEASURE_FIELDS),
    ("zeek_uids", pa.list_(pa.string())), ("orig_payload_seen", pa.bool_()), ("resp_payload_seen", pa.bool_()),
])

assert FLOW_SCHEMA.names == [f.name for f in fields(Flow)], "FLOW_SCHEMA must follow model.Flow"

_PLAIN = {f.name for f in FLOW_SCHEMA if not pa.types.is_nested(f.type)} - {"quic", "app"}
_STRUCTS: dict[str, type] = {"tls": TlsInfo, "icmp": IcmpInfo, **{name: ChannelMeasures for name in _MEASURE_FIELDS}}


def to_table(flow_list: Sequence[Flow]) -> pa.Table:
    """The flows as one Arrow table of FLOW_SCHEMA, in their order."""
    with gc_paused():
        return _to_table(flow_list)


def _to_table(flow_list: Sequence[Flow]) -> pa.Table:
    columns = []
    for f in FLOW_SCHEMA:
        name, typ = f.name, f.type
        values = [getattr(flow, name) for flow in flow_list]
        if name in _PLAIN:
            columns.append(pa.array(values, type=typ))
        elif name in ("quic", "app"):
            columns.append(pa.array([None if v is None else json.dumps(v) for v in values], type=typ))
        elif name in _STRUCTS:
            columns.append(_struct_array(values, typ))
        else:
            columns.append(_list_array(name, values, typ))
    return pa.Table.from_arrays(columns, schema=FLOW_SCHEMA)


def _struct_array(values: list[Any], typ: pa.StructType) -> pa.Array:
    """A nullable struct column from dataclass objects (or None), built from one child array per field."""
    mask = pa.array([v is None for v in values], type=pa.bool_())
    children = []
    for child in typ:
        attr = child.name
        children.append(pa.array([None if v is None else getattr(v, attr) for v in values], type=child.type))
    return pa.StructArray.from_arrays(children, fields=list(typ), mask=mask)


def _dns_row(m: DnsMessage) -> dict[str, Any]:
    return {"ts": m.ts, "is_response": m.is_response, "trans_id": m.trans_id, "qname": m.qname, "qtype": m.qtype,
            "qtype_name": m.qtype_name, "rcode": m.rcode, "rcode_name": m.rcode_name,
            "answers": [{"rrname": a[0], "type": a[1], "rdata": a[2]} for a in m.answers]}


def _http_row(h: HttpInfo) -> dict[str, Any]:
    return {"ts": h.ts, "is_request": h.is_request, "method": h.method, "uri": h.uri, "host": h.host,
            "user_agent": h.user_agent, "status": h.status, "version": h.version}


#: List columns whose items are not plain values: how one item becomes an Arrow struct value.
_ITEM_ROWS: dict[str, Callable[[Any], Any]] = {
    "dns": _dns_row, "http": _http_row,
    "datagram_ts": lambda t: {"ts": t[0], "from_orig": t[1]},
    "icmp_errors": lambda t: {"ts": t[0], "reporter": t[1], "type": t[2], "code": t[3]},
}


def _list_array(name: str, values: list[list[Any]], typ: pa.ListType) -> pa.Array:
    row = _ITEM_ROWS.get(name)
    if row is not None:  # most flows have none: convert only the non-empty lists
        values = [[row(item) for item in v] if v else v for v in values]
    return pa.array(values, type=typ)


def from_table(table: pa.Table) -> list[Flow]:
    """The Flow records of a table written by ``to_table`` (any column order; FLOW_SCHEMA's columns)."""
    with gc_paused():  # many small acyclic objects (gcpause)
        return _from_table(table)


def _from_table(table: pa.Table) -> list[Flow]:
    n = table.num_rows
    columns: dict[str, list[Any]] = {}
    for f in FLOW_SCHEMA:
        col = table.column(f.name)
        if col.null_count == n and n:
            columns[f.name] = [None] * n
            continue
        values = col.to_pylist()
        if f.name in ("quic", "app"):
            values = [None if v is None else json.loads(v) for v in values]
        elif f.name in _STRUCTS:
            cls = _STRUCTS[f.name]
            values = [None if v is None else cls(**v) for v in values]
        elif f.name in _LIST_ITEMS:
            item = _LIST_ITEMS[f.name]
            values = [[item(d) for d in v] if v else [] for v in values]
        columns[f.name] = values
    return [Flow(*row) for row in zip(*columns.values())]  # FLOW_SCHEMA follows Flow's field order


_LIST_ITEMS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "dns": lambda d: DnsMessage(**{**d, "answers": [(a["rrname"], a["type"], a["rdata"]) for a in d["answers"]]}),
    "http": lambda d: HttpInfo(**d),
    "datagram_ts": lambda d: (d["ts"], d["from_orig"]),
    "icmp_errors": lambda d: (d["ts"], d["reporter"], d["type"], d["code"]),
}
