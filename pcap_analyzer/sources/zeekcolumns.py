"""Zeek log columns as plain arrays: zat leaves unset fields as NaN and Zeek writes "(empty)" for empty sets."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

EMPTY_FIELD = "(empty)"


def text(df: pd.DataFrame, col: str) -> np.ndarray:
    """A column as an object array of str: unset (NaN) and Zeek's "(empty)" become ""."""
    if col not in df.columns:
        return np.full(len(df), "", dtype=object)
    values = df[col].astype(object)
    out = values.where(values.notna(), "").astype(str).to_numpy(dtype=object)
    out[out == EMPTY_FIELD] = ""
    return out


def number(df: pd.DataFrame, col: str) -> np.ndarray:
    """A numeric column as float64, NaN where unset; zat's timedelta (Zeek interval) in seconds."""
    import pandas as pd

    if col not in df.columns:
        return np.full(len(df), np.nan)
    values = df[col]
    if pd.api.types.is_timedelta64_dtype(values):
        return values.dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def count(df: pd.DataFrame, col: str) -> np.ndarray:
    """A count/port column as int64, 0 where unset."""
    return np.nan_to_num(number(df, col), nan=0.0).astype(np.int64)


def items(value: Any) -> list[str]:
    """A Zeek set/vector field: a list (JSON) or comma-separated text (TSV)."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if not isinstance(value, str) or value in ("", EMPTY_FIELD):
        return []
    return value.split(",")


def has_rows(df: pd.DataFrame | None) -> bool:
    return df is not None and len(df) > 0
