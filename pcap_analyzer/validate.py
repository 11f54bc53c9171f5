"""Side inputs, line by line: a schema-level check of each EVE alert (and helpers shared by every reader of side
inputs: quoting at most ``QUOTE`` characters of any input, and counting the lines skipped).

A bad line is skipped and counted, never fatal: one corrupt line of a sensor's log must not cost the whole report.
The counts go into the report's notes ("eve: 3 lines skipped: 2 not JSON, 1 alert with a non-integer
signature_id").  Only a file with no usable line at all, after bad ones, is an error.
"""
from __future__ import annotations

import sys
from collections import Counter
from typing import Any

QUOTE = 200  # characters of any input an error message quotes
MAX_INT_DIGITS = 20  # an id longer than this is not an id (Python refuses str->int beyond 4,300 digits)


def quote(text: object, limit: int = QUOTE) -> str:
    """At most ``limit`` characters of an input value, for an error message."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


class Skipped(Counter):
    """Lines skipped per reason; ``note(what)`` says it in one line for the report."""

    def note(self, what: str) -> str:
        total = sum(self.values())
        reasons = ", ".join(f"{n} {why}" for why, n in self.most_common())
        return f"{what}: {total} line{'s' if total != 1 else ''} skipped ({reasons})"


def warning_notes(caught: list[Any], limit: int = 5) -> list[str]:
    """Library warnings caught during a run (warnings.catch_warnings(record=True)) as report notes: one per
    distinct message, at most ``limit``, each quoted short."""
    seen: dict[str, None] = {}
    for w in caught:
        seen.setdefault(f"{w.category.__name__}: {quote(str(w.message).splitlines()[0] if str(w.message) else '', 160)}")
    notes = [f"library warning (the results are not affected unless it says so): {text}" for text in seen]
    if len(notes) > limit:
        notes = notes[:limit] + [f"{len(notes) - limit} more library warnings not shown"]
    return notes


def small_int(value: Any) -> int | None:
    """``value`` as an int when it is one (or its short decimal text), else None (bools, floats, huge numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10 ** MAX_INT_DIGITS else None
    if isinstance(value, str) and 0 < len(value) <= MAX_INT_DIGITS and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [sys.intern(v) for v in value if isinstance(v, str)][:4]
    return [sys.intern(value)] if isinstance(value, str) else []


def eve_alert_problem(event: dict[str, Any]) -> str | None:
    """Why an EVE alert event cannot be used (None when it can)."""
    alert = event.get("alert")
    if not isinstance(alert, dict):
        return "alert that is not an object"
    if small_int(alert.get("signature_id")) is None:
        return "alert with a missing or non-integer signature_id"
    if "rev" in alert and small_int(alert.get("rev")) is None:
        return "alert with a non-integer rev"
    if not isinstance(event.get("timestamp", ""), str):
        return "alert with a non-text timestamp"
    for key in ("src_ip", "dest_ip", "proto", "community_id", "app_proto", "direction"):
        if not isinstance(event.get(key, ""), str):
            return f"alert with a non-text {key}"
    for key in ("src_port", "dest_port", "icmp_type", "icmp_code"):
        if key in event and small_int(event[key]) is None:
            return f"alert with a non-integer {key}"
    return None


def slim_alert(event: dict[str, Any]) -> dict[str, Any]:
    """The fields of an (already checked) alert the analysis reads, in the shape read_eve returns, with the
    repeated texts interned: a few hundred bytes per alert instead of the whole event (200,000 alerts held)."""
    alert = event["alert"]
    meta = alert.get("metadata")
    meta = {k: _strings(v) for k, v in meta.items() if isinstance(k, str)} if isinstance(meta, dict) else {}
    out: dict[str, Any] = {k: sys.intern(event[k]) for k in ("timestamp", "src_ip", "dest_ip", "proto", "app_proto",
                                                              "direction") if isinstance(event.get(k), str)}
    out.update({k: small_int(event[k]) for k in ("src_port", "dest_port", "icmp_type", "icmp_code") if k in event})
    if isinstance(event.get("community_id"), str):
        out["community_id"] = event["community_id"]
    out["alert"] = {
        "signature_id": small_int(alert["signature_id"]), "rev": small_int(alert.get("rev", 0)) or 0,
        "signature": sys.intern(str(alert.get("signature", ""))[:QUOTE]),
        "category": sys.intern(str(alert.get("category", ""))[:QUOTE]),
        "severity": alert.get("severity") if small_int(alert.get("severity")) is not None else "",
        "metadata": {k: v for k, v in meta.items()
                     if k in ("fallback_indicator", "signature_severity", "mitre_technique_id")},
    }
    for key, field in (("dns", None), ("tls", "sni"), ("http", "hostname")):
        value = event.get(key)
        if not isinstance(value, dict):
            continue
        if field is not None and isinstance(value.get(field), str):
            out[key] = {field: value[field][:253]}
        elif field is None:
            queries = value.get("query") or value.get("queries")
            if isinstance(queries, list) and queries and isinstance(queries[0], dict) \
                    and isinstance(queries[0].get("rrname"), str):
                out[key] = {"query": [{"rrname": queries[0]["rrname"][:253]}]}
    return out
