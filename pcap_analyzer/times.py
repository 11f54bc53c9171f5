"""Times as the reports and the answers spell them."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def iso_time(ts: Any) -> str:
    """Unix seconds as ISO 8601 UTC (``2023-12-08T01:47:49.742661Z``; whole seconds without a fraction)."""
    try:
        moment = datetime.fromtimestamp(float(ts), timezone.utc)
    except (OverflowError, OSError, ValueError, TypeError):
        return str(ts)
    spec = "seconds" if moment.microsecond == 0 else "microseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")
