"""Flows <-> Arrow table, the one place the parallel read converts them (what tasks return, what the client reads):
the flow store's lossless codec (``flows.arrow``)."""
from __future__ import annotations

from ..flows.arrow import from_table as from_arrow, to_table as to_arrow

__all__ = ["from_arrow", "to_arrow"]
