"""numpy helpers over integer key columns: runs of equal values, ranks inside runs, stable orders, masks, and the
64-bit mixing step of the hashes that group flow keys and make uids.

Stable orders of integer keys are one plain sort of the keys packed with their positions (``stable_argsort``):
numpy's stable sort of 64-bit values is many times slower."""
from __future__ import annotations

import numpy as np


def run_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """True where a run of equal values starts in a sorted array."""
    new = np.ones(sorted_keys.shape[0], dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return new


def run_bounds(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of every run of equal values in ``keys``."""
    first = np.flatnonzero(run_starts(keys))
    return first, np.append(first[1:], keys.shape[0])


def ranks(keys: np.ndarray) -> np.ndarray:
    """0, 1, 2 ... inside each run of equal values of ``keys``."""
    idx = np.arange(keys.shape[0])
    return idx - np.maximum.accumulate(np.where(run_starts(keys), idx, 0))


def mask_at(n: int, positions: np.ndarray | list[int]) -> np.ndarray:
    """Boolean array of length ``n``, True at ``positions``."""
    m = np.zeros(n, dtype=bool)
    m[positions] = True
    return m


def grouped_first(keys: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of every value of ``keys`` (non-negative ints), in position order."""
    order = stable_argsort(keys)
    return np.sort(order[run_starts(keys[order])])


def stable_argsort(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` of integer keys: when keys and positions fit in 63 bits, one plain sort of
    both packed together (numpy's stable sort of 64-bit ints is many times slower)."""
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    bits = max(n - 1, 1).bit_length()
    low, high = int(keys.min()), int(keys.max())
    if low < 0 or high.bit_length() + bits > 63:
        return np.argsort(keys, kind="stable")
    return np.sort((keys.astype(np.int64) << bits) | np.arange(n)) & ((1 << bits) - 1)


def mix(h: np.ndarray, v: np.ndarray) -> np.ndarray:
    h = (h ^ v) * np.uint64(0x9E3779B97F4A7C15)
    return h ^ (h >> np.uint64(29))
