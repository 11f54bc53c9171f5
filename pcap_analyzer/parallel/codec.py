"""Flows <-> Arrow table, the one place the parallel engine converts them (what tasks return, what the client reads):
the flow store's lossless codec (``flows.arrow``).

``FlowBatch`` is how a task's flows travel: on the worker that made them they stay Flow objects (the next task there
reads them as they are); moved to another process (another worker, or the client) they go as an Arrow table, and
are made Flow objects again only when read there.  So a task result that stays where it is costs nothing, and one
that moves costs one Arrow table.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

import pyarrow as pa

from ..flows.arrow import from_table as from_arrow, to_table as to_arrow
from ..model import Flow

__all__ = ["FlowBatch", "from_arrow", "to_arrow"]

#: Rough bytes of one flow (Flow objects on a worker): what the scheduler is told a batch weighs.
FLOW_BYTES = 2_000


class FlowBatch:
    """Flows that are Flow objects in the process that holds them and an Arrow table on the way between two."""

    __slots__ = ("_flows", "_table")

    def __init__(self, flows: Sequence[Flow] | None = None, table: pa.Table | None = None) -> None:
        self._flows = list(flows) if flows is not None else None
        self._table = table

    @property
    def flows(self) -> list[Flow]:
        """The flows, as Flow objects (decoded once, on first use, when the batch came as a table)."""
        if self._flows is None:
            self._flows = from_arrow(self._table) if self._table is not None else []
            self._table = None
        return self._flows

    @property
    def table(self) -> pa.Table:
        """The flows as an Arrow table of ``flows.arrow.FLOW_SCHEMA``."""
        if self._table is None:
            self._table = to_arrow(self._flows or [])
        return self._table

    def __len__(self) -> int:
        return len(self._flows) if self._flows is not None else (self._table.num_rows if self._table else 0)

    def __reduce__(self):
        return FlowBatch, (None, self.table)

    def __sizeof__(self) -> int:  # Dask's sizeof (its memory accounting, where it places tasks)
        return sys.getsizeof(object()) + len(self) * FLOW_BYTES
