# @TEST-DOC: c2_fast_reconnect: a C2 loop reconnecting every ~2 s over TLS without SNI is refused on its channel, then the same loop goes on to a backup address and port.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario c2_fast_reconnect_a.pcap >c2_fast_reconnect_a.out
# @TEST-EXEC: run-scenario c2_fast_reconnect_b.pcap >c2_fast_reconnect_b.out
# @TEST-EXEC: btest-diff c2_fast_reconnect_a.out
# @TEST-EXEC: btest-diff c2_fast_reconnect_b.out
# @TEST-EXEC: btest-diff c2_fast_reconnect_a.fallback
# @TEST-EXEC: btest-diff c2_fast_reconnect_b.fallback
