"""Zeek's TCP connection logic: the endpoint state machine (TCP_Endpoint states moved by SYN/FIN/RST and first
packets), the S/H/F/R/I/Q history letters of walked packets, connection reuse (a fresh SYN on a closed connection,
anything after an unanswered attempt), and conn_state from the two endpoint states
(base/protocols/conn/main.zeek), with the sizes TCP_Endpoint::Size() measures from the sequence space."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .columns import ONCE_BITS, Counters, letter_code
from .protocol import (ACK, CLOSED, ESTABLISHED, FIN, HALF_SEQ, INACTIVE, PARTIAL, RESET, RST, SEQ_SPACE, SYN,
                       SYN_ACK_SENT, SYN_SENT)

# Zeek 7 only calls an originator reset without responder "RSTOS0" when the history is SYN(s) then the RST.
RSTOS0_HISTORY = re.compile(r"\^?S[^HAFGIQ]*R.*")


@dataclass(slots=True)
class Endpoint:
    """One side of a TCP connection while the walk runs: Zeek's endpoint state plus what history needs (a copy of
    the Counters columns of the same names; the sequence ends and acks that measure its size stay columns)."""

    state: int = INACTIVE
    prev_state: int = INACTIVE
    base: int = -1  # sequence number of the SYN (first seq - 1 when no SYN was seen); -1 = no packet yet
    fin: bool = False
    last_syn: int = -1  # raw seq of the last SYN / FIN end / RST, for repeated S/F/R letters
    last_fin: int = -1
    last_rst: int = -1

    def set_state(self, state: int) -> None:
        self.prev_state, self.state = self.state, state


#: Endpoint fields kept as (capacity, 2) Counters columns of the same name, per key side.
ENDPOINT_FIELDS = ("state", "prev_state", "base", "fin", "last_syn", "last_fin", "last_rst")


class Open:
    """A TCP connection during the chunk's event walk: a working copy of its slot's endpoint and history columns
    (``FlowTable._load`` / ``_store``), with the letters the walk gives it.  Per side values are indexed by key side
    (0 = the canonical first endpoint)."""

    __slots__ = ("key", "slot", "orig", "max_history", "ep", "syns", "syn_ts", "nhist", "once", "letters")

    def __init__(self, key: bytes, slot: int, orig: int, max_history: int,
                 ep: tuple[Endpoint, Endpoint] | None = None) -> None:
        self.key, self.slot, self.orig, self.max_history = key, slot, orig, max_history
        self.ep = ep or (Endpoint(), Endpoint())
        self.syns = 0  # originator SYNs (without ACK)
        self.syn_ts = -1.0  # first originator SYN (Zeek's attempt timer)
        self.nhist = 0  # history letters the flow has (all steps): the MAX_HISTORY cap
        self.once = 0  # once-letters I/Q given (ONCE_BITS; D/A: Counters.da)
        self.letters: list[int] = []  # letters given by this walk, as letter_code

    def letter(self, order: int, side: int, char: str, once: bool = True) -> None:
        """Add history letter ``char`` (given upper case; lower case when ``side`` is the responder) of the packet
        of global ``order``; once-letters are recorded once per side.

        Repeatable letters (S/H/F/R with a new sequence number, T at 1, 10, 100...) stop at MAX_HISTORY letters so
        a hostile flow cannot grow the table with its packets."""
        if self.nhist >= self.max_history:
            return
        if side != self.orig:
            char = char.lower()
        if once:
            bit = ONCE_BITS[char]
            if self.once & bit:
                return
            self.once |= bit
        self.letters.append(letter_code(order, char))
        self.nhist += 1


def starts_new_tcp(o: Open, side: int, flags: int, seq: int, ts: float, attempt_timeout: float) -> bool:
    """Zeek's connection reuse: a fresh SYN on a closed connection, or anything after an unanswered attempt."""
    if o.syn_ts >= 0 and attempting(o) and ts > o.syn_ts + attempt_timeout:
        return True
    if not (flags & SYN) or (flags & ACK):
        return False
    closed = any(e.state in (CLOSED, RESET) for e in o.ep)  # type: ignore[union-attr]
    return closed and seq != o.ep[side].base  # type: ignore[index]


def tcp_packet(o: Open, side: int, flags: int, seq: int, ack: int, length: int, ts: float, order: int,
               cols: Counters) -> None:
    """History letters and Zeek's endpoint state machine for one TCP control/first packet."""
    ep, peer = o.ep[side], o.ep[1 - side]  # type: ignore[index]
    is_orig = side == o.orig
    syn, fin, rst, has_ack = bool(flags & SYN), bool(flags & FIN), bool(flags & RST), bool(flags & ACK)
    if ep.base < 0:  # first packet of this side: the sequence origin
        ep.base = cols.base[o.slot, side] = seq if syn else (seq - 1) % SEQ_SPACE
        cols.max_end[o.slot, side] = 1  # the SYN octet, or the virtual one before a partial connection's first byte
    if syn and not has_ack and is_orig:
        o.syns += 1
        if o.syn_ts < 0:
            o.syn_ts = ts
    _history(o, ep, side, syn, fin, rst, has_ack, seq, length, order)
    if fin:
        ep.fin = True
    st = ep.state
    if st == INACTIVE:
        if syn:
            if is_orig:
                ep.set_state(SYN_ACK_SENT if has_ack else SYN_SENT)
            else:
                if peer.state == SYN_SENT:
                    peer.set_state(ESTABLISHED)
                ep.set_state(ESTABLISHED)
        if fin:
            ep.set_state(CLOSED)
        if rst:
            ep.set_state(RESET)
        if ep.state == INACTIVE:
            orig_ep = o.ep[o.orig]  # type: ignore[index]
            if not is_orig and length == 0 and orig_ep.state == SYN_SENT:
                pass
            elif has_ack and peer.state == ESTABLISHED:
                ep.set_state(ESTABLISHED)
            else:
                ep.set_state(PARTIAL)
    elif st in (SYN_SENT, SYN_ACK_SENT):
        if fin:
            ep.set_state(CLOSED)
        if rst:
            ep.set_state(RESET)
    elif st in (ESTABLISHED, PARTIAL):
        if syn and st == PARTIAL and peer.state == INACTIVE and not has_ack:
            ep.set_state(SYN_SENT)
        if fin and not rst:
            ep.set_state(CLOSED)
            if peer.state == RESET and peer.prev_state == CLOSED:
                peer.set_state(CLOSED)
        if rst:
            ep.set_state(RESET)
    elif st == CLOSED:
        if rst and peer.state != CLOSED:
            ep.set_state(RESET)


def _history(o: Open, ep: Endpoint, side: int, syn: bool, fin: bool, rst: bool, has_ack: bool, seq: int,
             length: int, order: int) -> None:
    """S/H/F/R letters (repeated when the sequence number moves: the side's first one always counts, as the
    ``last_*`` numbers start at -1), I (FIN+RST) and Q (other multi-flag)."""
    if syn + fin + rst > 1:
        o.letter(order, side, "I" if fin and rst else "Q")
    elif syn:
        if seq != ep.last_syn:
            o.letter(order, side, "H" if has_ack else "S", once=False)
        ep.last_syn = seq
    elif fin:
        end = (seq + length) % SEQ_SPACE
        if end != ep.last_fin:
            o.letter(order, side, "F", once=False)
        ep.last_fin = end
    elif rst:
        if seq != ep.last_rst:
            o.letter(order, side, "R", once=False)
        ep.last_rst = seq


def attempting(o: Open) -> bool:
    """Originator sent a SYN and the responder has said nothing yet."""
    return o.ep[o.orig].state in (SYN_SENT, SYN_ACK_SENT) and o.ep[1 - o.orig].state == INACTIVE


def attempting_states(state: np.ndarray, orig: np.ndarray) -> np.ndarray:
    """attempting of many connections from their (n, 2) endpoint states and originator key sides."""
    rows = np.arange(state.shape[0])
    o_state, r_state = state[rows, orig], state[rows, 1 - orig]
    return ((o_state == SYN_SENT) | (o_state == SYN_ACK_SENT)) & (r_state == INACTIVE)


def closed_states(state: np.ndarray) -> np.ndarray:
    """TCP connections reset by either side, or closed with a FIN both ways, from their (n, 2) endpoint states."""
    return (state == RESET).any(axis=1) | (state == CLOSED).all(axis=1)


def rel(x: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Signed 32-bit distance of sequence numbers from a base (``& (SEQ_SPACE - 1)``: modulo SEQ_SPACE)."""
    return ((x - base + HALF_SEQ) & (SEQ_SPACE - 1)) - HALF_SEQ


def tcp_states(orig: np.ndarray, resp: np.ndarray, orig_size: np.ndarray, resp_size: np.ndarray,
               histories: list[str]) -> np.ndarray:
    """Zeek's conn_state from the two endpoint states of many connections (base/protocols/conn/main.zeek); the
    first rule that matches wins."""
    o_inactive = (orig == INACTIVE) | (orig == PARTIAL)
    r_inactive = (resp == INACTIVE) | (resp == PARTIAL)
    o_reset, r_reset = orig == RESET, resp == RESET
    o_closed, r_closed = orig == CLOSED, resp == CLOSED
    rstos0 = o_reset & r_inactive & ~r_reset  # RSTOS0 or OTH, by the history
    rules = [
        (r_reset & ((orig == SYN_SENT) | (orig == SYN_ACK_SENT) | (o_reset & (orig_size == 0) & (resp_size == 0))),
         "REJ"),
        (r_reset & o_inactive, "RSTRH"),
        (r_reset, "RSTR"),
        (o_reset & ~r_inactive, "RSTO"),
        (rstos0, "RSTOS0"),
        (r_closed & o_closed, "SF"),
        (o_closed & r_inactive, "SH"),
        (o_closed, "S2"),
        (r_closed & o_inactive, "SHR"),
        (r_closed, "S3"),
        ((orig == SYN_SENT) & (resp == INACTIVE), "S0"),
        ((orig == ESTABLISHED) & (resp == ESTABLISHED), "S1"),
    ]
    out = np.select([m for m, _ in rules], [s for _, s in rules], "OTH")
    for i in np.flatnonzero(rstos0).tolist():
        if not RSTOS0_HISTORY.fullmatch(histories[i]):
            out[i] = "OTH"
    return out


def udp_states(orig_pkts: np.ndarray, resp_pkts: np.ndarray) -> np.ndarray:
    """conn_state of UDP flows from who sent: both (SF), only the originator (S0), only the responder (SHR)."""
    return np.select([(orig_pkts > 0) & (resp_pkts > 0), orig_pkts > 0, resp_pkts > 0], ["SF", "S0", "SHR"], "OTH")


def tcp_sizes(extent: np.ndarray, fin: np.ndarray) -> np.ndarray:
    """Payload bytes from the sequence space, as Zeek's TCP_Endpoint::Size(): ``extent`` is the highest relative
    sequence end or peer ack, minus 1 (0 for a side without packets); a FIN takes one sequence number."""
    return np.maximum(extent - (fin & (extent > 0)), 0)
