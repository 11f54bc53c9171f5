"""Per-flow state as numpy columns, one slot per flow (``Counters``), and the history letter store (``History``):
letters as sortable codes (packet order, then the flip mark "^" before that packet's letters), kept per slot until
the flow is handed out."""
from __future__ import annotations

from typing import Any

import numpy as np

from .protocol import INACTIVE

LETTER = 0x80  # bit of a letter code that sorts a packet's letters after its flip mark "^"
ONCE_BITS = {"I": 1, "Q": 2, "i": 4, "q": 8}  # the walk's once-per-side letters, as Counters.once bits


def letter_code(order: int, char: str, flip: bool = False) -> int:
    """A history letter as one sortable int: packet order, then the flip mark "^" before that packet's letters, then
    the letter itself."""
    return order << 8 | (0 if flip else LETTER) | ord(char)


def letter_codes(order: np.ndarray, char: np.ndarray | int) -> np.ndarray:
    """letter_code of many packets (never the flip mark)."""
    return (order << 8) | LETTER | char


#: Per-flow columns of Counters: name -> (2 for one value per key side, else 0; dtype; value of a free slot).
COLUMNS: dict[str, tuple[int, Any, Any]] = {
    "pkts": (2, np.int64, 0), "ip_bytes": (2, np.int64, 0), "payload": (2, np.int64, 0),
    "fragments": (0, np.int64, 0),
    "last_ts": (0, np.float64, -np.inf),  # newest packet
    "prev_ts": (0, np.float64, 0.0),  # time of the last packet in capture order (the idle-split reference)
    "timeout": (0, np.float64, 0.0),  # inactivity timeout
    "key": (7, np.uint64, 0),  # proto, a_hi, a_lo, b_hi, b_lo, pa, pb
    "room": (2, np.int64, 0),  # payload bytes (TCP) or datagrams still to retain
    "later_n": (2, np.int64, 0),  # payload packets past the head (retain.Retained.later)
    "start": (0, np.float64, 0.0),  # first packet
    "orig": (0, np.int8, 0),  # key side of the originator
    "ip_ver": (0, np.int8, 0),
    "one_way": (0, bool, False),  # ICMP type without a counterpart: endpoints never swapped
    "nhist": (0, np.int32, 0),  # history letters given (the MAX_HISTORY cap)
    "da": (0, np.uint8, 0),  # history letters D, A, d, a given (bits 1, 2, 4, 8)
    "once": (0, np.uint8, 0),  # history letters I, Q, i, q given (ONCE_BITS)
    # TCP: sequence base (the SYN's seq or first seq - 1; -1 = no packet yet), highest relative sequence end sent
    # and highest relative ack received, per key side
    "base": (2, np.int64, -1), "max_end": (2, np.int64, 0), "max_ack": (2, np.int64, 0),
    # TCP: Zeek's endpoint states and letter bookkeeping (Endpoint), retransmissions per side, originator SYNs and
    # the first one's time (-1: none)
    "state": (2, np.int8, INACTIVE), "prev_state": (2, np.int8, INACTIVE), "fin": (2, bool, False),
    "last_syn": (2, np.int64, -1), "last_fin": (2, np.int64, -1), "last_rst": (2, np.int64, -1),
    "rxmit": (2, np.int64, 0), "syns": (0, np.int64, 0), "syn_ts": (0, np.float64, -1.0),
}


class Counters:
    """Per-flow state as numpy columns (``COLUMNS``), one slot per flow in the table (slots of flows handed out are
    reused), so the per-chunk steps update every flow at once."""

    pkts: np.ndarray
    ip_bytes: np.ndarray
    payload: np.ndarray
    fragments: np.ndarray
    last_ts: np.ndarray
    prev_ts: np.ndarray
    timeout: np.ndarray
    key: np.ndarray
    room: np.ndarray
    later_n: np.ndarray
    start: np.ndarray
    orig: np.ndarray
    ip_ver: np.ndarray
    one_way: np.ndarray
    nhist: np.ndarray
    da: np.ndarray
    once: np.ndarray
    base: np.ndarray
    max_end: np.ndarray
    max_ack: np.ndarray
    state: np.ndarray
    prev_state: np.ndarray
    fin: np.ndarray
    last_syn: np.ndarray
    last_fin: np.ndarray
    last_rst: np.ndarray
    rxmit: np.ndarray
    syns: np.ndarray
    syn_ts: np.ndarray

    def __init__(self, capacity: int = 4096) -> None:
        self.used = 0
        self.free: list[int] = []
        for name, (width, dtype, fill) in COLUMNS.items():
            setattr(self, name, np.full((capacity, width) if width else capacity, fill, dtype=dtype))

    @property
    def capacity(self) -> int:
        return self.last_ts.shape[0]

    def alloc(self, timeout: float, room: int) -> int:
        if self.free:
            slot = self.free.pop()
        else:
            if self.used == self.capacity:
                self._grow()
            slot, self.used = self.used, self.used + 1
        self.timeout[slot] = timeout
        self.room[slot] = room
        return slot

    def alloc_many(self, n: int, timeout: float | np.ndarray, room: int | np.ndarray) -> np.ndarray:
        """``n`` slots at once (free ones first) with their timeouts and rooms."""
        reuse = min(n, len(self.free))
        taken = self.free[len(self.free) - reuse:]
        del self.free[len(self.free) - reuse:]
        while self.used + n - reuse > self.capacity:
            self._grow()
        slots = np.array(taken + list(range(self.used, self.used + n - reuse)), dtype=np.int64)
        self.used += n - reuse
        self.timeout[slots] = timeout
        self.room[slots] = np.asarray(room).reshape(-1, 1)
        return slots

    def release(self, slots: np.ndarray) -> None:
        """Reset the slots of flows handed out and make them free."""
        for name, (_, _, fill) in COLUMNS.items():
            getattr(self, name)[slots] = fill
        self.free.extend(slots.tolist())

    def _grow(self) -> None:
        for name, (_, _, fill) in COLUMNS.items():
            col = getattr(self, name)
            setattr(self, name, np.concatenate([col, np.full_like(col, fill)]))


class History:
    """History letters of the flows not handed out yet: (slot, letter code) columns, one piece per step that gave
    letters; a flow's letters are taken out when it is handed out (sorting its codes orders them)."""

    def __init__(self) -> None:
        self._slots: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []

    def add(self, slots: np.ndarray, codes: np.ndarray) -> None:
        if slots.shape[0]:
            self._slots.append(slots.astype(np.int64, copy=False))
            self._codes.append(codes.astype(np.int64, copy=False))

    def take(self, handed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Remove and return (slots, codes) of the letters of the slots where mask ``handed`` is true."""
        if not self._slots:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        slots, codes = np.concatenate(self._slots), np.concatenate(self._codes)
        out = handed[slots]
        keep = ~out
        self._slots, self._codes = ([slots[keep]], [codes[keep]]) if keep.any() else ([], [])
        return slots[out], codes[out]
