"""Flow records <-> Apache Arrow tables, losslessly (annotated flows with their payload, and compacted ones).

One row per Flow, one column per field. Numbers and text are plain columns; the dissected parts are nested Arrow
types (``dns``, ``http``: lists of structs; ``tls``, ``icmp``, the four ``*_measures``: nullable structs), so the
flow store and ``--flows-out`` can be read by DuckDB, pandas or Spark without this package. Two open-ended dicts
(``quic``, ``app``: whatever a dissector read) are JSON text.

Columns are built field by field, never row by row from dicts: a struct column from one array per field, a list
of structs from the offsets of the lists and the struct array of all their items; read back the same way (one
Python list per field, objects made from their rows). So the codec stays a small share of the pipeline.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any

import numpy as np
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
                  ("ja4", pa.string()), ("ja4_raw", pa.string()),
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
    ("orig_later", pa.binary()), ("resp_later", pa.binary()), ("orig_sizes", pa.list_(pa.int32())),
    ("service", pa.string()), ("expected_service", pa.string()),
    ("dns", pa.list_(_DNS)), ("tls", _TLS), ("ssh_banners", pa.list_(pa.string())), ("http", pa.list_(_HTTP)),
    ("quic", pa.string()), ("icmp", _ICMP), ("app", pa.string()),
    *((name, _MEASURES) for name in _MEASURE_FIELDS),
    ("zeek_uids", pa.list_(pa.string())), ("orig_payload_seen", pa.bool_()), ("resp_payload_seen", pa.bool_()),
])

assert FLOW_SCHEMA.names == [f.name for f in fields(Flow)], "FLOW_SCHEMA must follow model.Flow"

#: The Python type of each struct's values: a model dataclass (fields in the struct's order) or a tuple.
_MAKERS: dict[pa.DataType, Callable[..., Any]] = {
    _DNS: DnsMessage, _HTTP: HttpInfo, _TLS: TlsInfo, _ICMP: IcmpInfo, _MEASURES: ChannelMeasures,
    _ANSWER: lambda *row: row, _DATAGRAM_TS: lambda *row: row, _ICMP_ERROR: lambda *row: row,
}
for _typ, _make in _MAKERS.items():
    assert not isinstance(_make, type) or [f.name for f in _typ] == [f.name for f in fields(_make)], _make
_JSON = ("quic", "app")
_TUPLES = ("orig_sizes",)  # list columns that are tuples in Flow


def to_table(flow_list: Sequence[Flow]) -> pa.Table:
    """The flows as one Arrow table of FLOW_SCHEMA, in their order."""
    with gc_paused():
        columns = []
        for f in FLOW_SCHEMA:
            values = list(map(attrgetter(f.name), flow_list))
            if f.name in _JSON:
                values = [None if v is None else json.dumps(v) for v in values]
            columns.append(_encode(values, f.type))
        return pa.Table.from_arrays(columns, schema=FLOW_SCHEMA)


def _encode(values: list[Any], typ: pa.DataType) -> pa.Array:
    """An Arrow array of ``typ`` from Python values: structs from dataclass objects or tuples (or None), lists of
    structs through their offsets and the struct array of every item."""
    if pa.types.is_nested(typ) and not any(values):  # no flow has this part (most columns of most batches)
        if pa.types.is_struct(typ):
            return pa.nulls(len(values), type=typ)
        empty = pa.array(np.zeros(len(values) + 1, dtype=np.int32))
        return pa.ListArray.from_arrays(empty, pa.array([], type=typ.value_type), type=typ)
    if pa.types.is_struct(typ):
        nulls = [v is None for v in values]
        present = [v for v in values if v is not None]
        by_position = bool(present) and isinstance(present[0], tuple)
        children = []
        for k, child in enumerate(typ):
            get = (lambda v, k=k: v[k]) if by_position else attrgetter(child.name)
            children.append(_encode([None if v is None else get(v) for v in values] if any(nulls)
                                    else list(map(get, values)), child.type))
        mask = pa.array(nulls, type=pa.bool_()) if any(nulls) else None
        return pa.StructArray.from_arrays(children, fields=list(typ), mask=mask)
    if pa.types.is_list(typ) and pa.types.is_struct(typ.value_type):
        offsets = np.zeros(len(values) + 1, dtype=np.int32)
        np.cumsum(np.fromiter(map(len, values), dtype=np.int32, count=len(values)), out=offsets[1:])
        items = _encode([item for v in values for item in v], typ.value_type)
        return pa.ListArray.from_arrays(pa.array(offsets), items, type=typ)
    return pa.array(values, type=typ)


def from_table(table: pa.Table) -> list[Flow]:
    """The Flow records of a table written by ``to_table`` (any column order; FLOW_SCHEMA's columns; other
    columns ignored)."""
    with gc_paused():  # many small acyclic objects (gcpause)
        columns = []
        for f in FLOW_SCHEMA:
            values = _decode(table.column(f.name).combine_chunks(), f.type)
            if f.name in _JSON:
                values = [None if v is None else json.loads(v) for v in values]
            elif f.name in _TUPLES:
                values = list(map(tuple, values))
            columns.append(values)
        return [Flow(*row) for row in zip(*columns)]  # FLOW_SCHEMA follows Flow's field order


def _decode(arr: pa.Array, typ: pa.DataType) -> list[Any]:
    """Python values of an array ``_encode`` made (structs back to their dataclass or tuple, lists to lists)."""
    n = len(arr)
    if pa.types.is_struct(typ):
        if arr.null_count == n:
            return [None] * n
        make = _MAKERS[typ]
        children = [_decode(arr.field(k), child.type) for k, child in enumerate(typ)]
        rows = [make(*row) for row in zip(*children)]
        if arr.null_count:
            rows = [None if null else row for row, null in zip(rows, arr.is_null().to_pylist())]
        return rows
    if pa.types.is_list(typ):
        offsets = arr.offsets.to_numpy()
        if offsets[-1] == offsets[0]:
            return [[] for _ in range(n)]
        if not pa.types.is_struct(typ.value_type):
            return arr.to_pylist()
        items = _decode(arr.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0])), typ.value_type)
        bounds = (offsets - offsets[0]).tolist()
        return [items[a:b] for a, b in zip(bounds, bounds[1:])]
    if pa.types.is_string(typ):
        return _strings(arr)
    return arr.to_pylist()


def _strings(arr: pa.Array) -> list[str | None]:
    """The values of a string array, one str object per distinct value: addresses, protocols, states, services,
    names repeat across flows, and a str per row would make a group of hosts' flows a fifth bigger."""
    encoded = arr.dictionary_encode()
    values = encoded.dictionary.to_pylist()
    if len(values) == len(arr):  # every value distinct and none null (uids, Community IDs): nothing to share
        return values
    values.append(None)  # the null rows' index, below
    return list(map(values.__getitem__, encoded.indices.fill_null(len(values) - 1).to_numpy().tolist()))
