"""Bidirectional flows with Zeek conn.log semantics, built chunk by chunk from PacketBatch rows.

A flow is a slot of the table's per-flow numpy columns (``Counters``: counters, times, key, TCP endpoint states,
history bookkeeping; slots of flows handed out are reused); the open flows are a dict from packed flow key (``KEY``)
to slot.  Only what cannot be a number lives in Python objects, per slot: retained payload pieces, datagrams
(``Retained``) and ICMP errors.  History letters are columns too (``History``: slot and sortable letter code), given
step by step in the order Zeek's code gives them, so the per-flow MAX_HISTORY cap (a count column) keeps the same
letters.

Per chunk, everything that touches every packet is vectorised:

1. canonical keys (ordered endpoints; ICMP type/code mapped to ports as Zeek and Community ID do) and one stable
   sort that groups the chunk's packets by key, in capture order inside each group;
2. idle-timeout splits from the time gaps inside each group;
3. flow segments: groups that are one whole ordinary new TCP connection (pure SYN, SYN-ACK, no RST, at most a FIN
   per side) and every non-TCP segment start get their flows, endpoint states and letters in one vectorised step; a
   short Python pass walks the few "event" packets of the other TCP groups (SYN/FIN/RST, and the first packet of
   each direction after a segment start or a SYN) on ``Open`` working copies loaded from the columns and written
   back: Zeek's endpoint state machine, the S/H/F/R/I/Q history letters, SYN retransmissions, and new connections
   on SYN reuse / attempt timeout;
4. per (flow, direction) counters with np.bincount / reduceat into the columns, first occurrence of the D/A
   history letters, retransmissions (T/t) from a grouped running maximum of sequence ends;
5. payload retention (bounded), touching only packets of flows whose buffers are not full, and ICMP errors tied
   back to the flow they quote.

Flow records are made in batches (``drain`` / ``finish`` through ``flow_records``): address text once per address,
Community IDs with one SHA-1 call per flow on inputs packed by numpy, uids mixed from the Community ID digest,
conn_state from the endpoint state columns, history letters sorted for all flows at once.

Memory grows with flows, never with packets; ``drain`` hands out flows that are over, so it stays bounded by the
concurrent flows.  Zeek rules followed: originator = SYN sender or first sender,
flipped by the likely-server-port guess (history "^"); idle timeouts per protocol (DNS flows: Zeek's 10 s DNS
session timeout); an unanswered SYN ends after tcp_attempt_timeout; a fresh SYN on a closed connection starts a new
one; a packet stamped more than a timeout before its predecessor (a clock stepped back) starts a new
one too; ICMP keyed by type/counterpart (one-way types keep their direction).  Known simplifications: no checksum (C),
zero window (W: no window column), content gap (g) letters; no SYN/SYN-ACK reversal flip; no IP reassembly
(non-first fragments are skipped); sequence arithmetic assumes < 2 GB per direction.

Modules, in the order of the pipeline: ``table`` (FlowTable: add / drain / finish and the per-chunk steps),
``chunk`` (canonical keys, grouping, the sorted chunk view), ``columns`` (per-flow columns, history letter store),
``tcp`` (Zeek's TCP endpoint state machine, history letters of walked packets, conn_state), ``icmp`` (counterpart
tables, the key an ICMP error quotes), ``retain`` (bounded payload retention and its per-slot stores), ``records``
(slots to Flow records), with ``grouping`` (numpy run / sort helpers) and ``protocol`` (protocol numbers, TCP flags
and endpoint states) below them all. After the table: ``arrow`` (Flow records <-> Arrow tables), ``store`` (the flow
store: ended flows on disk by bucket of hosts) and ``parquet`` (``--flows-out``, conn.log-like Parquet).
"""
from __future__ import annotations

from .table import FlowTable

__all__ = ["FlowTable"]
