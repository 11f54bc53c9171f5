"""Flows <-> Arrow table, the one place the parallel read converts them (what tasks return, what the client reads).

Interim: every flow pickled in one binary column beside its identity columns, until the flow store's codec lands;
swapping is this module's two functions.
"""
from __future__ import annotations

import pickle

import pyarrow as pa

from ..model import Flow

SCHEMA = pa.schema([("ts", pa.float64()), ("uid", pa.string()), ("community_id", pa.string()),
                    ("flow", pa.binary())])


def to_arrow(flows: list[Flow]) -> pa.Table:
    """An Arrow table of ``flows`` (in their order)."""
    return pa.table([[f.ts for f in flows], [f.uid for f in flows], [f.community_id for f in flows],
                     [pickle.dumps(f, protocol=pickle.HIGHEST_PROTOCOL) for f in flows]], schema=SCHEMA)


def from_arrow(table: pa.Table) -> list[Flow]:
    """The flows of a table written by ``to_arrow``."""
    return [pickle.loads(b) for b in table.column("flow").to_pylist()]
