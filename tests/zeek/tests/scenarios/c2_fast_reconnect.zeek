# @TEST-DOC: c2_fast_reconnect: a C2 loop reconnecting every ~2 s over TLS without SNI is refused on its channel, then the same loop goes on to a backup address and port.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline was written from the labels (what a correct package prints), not yet from a real Zeek run.
#
# @TEST-EXEC: run-scenario c2_fast_reconnect_a.pcap >c2_fast_reconnect_a.out
# @TEST-EXEC: run-scenario c2_fast_reconnect_b.pcap >c2_fast_reconnect_b.out
# @TEST-EXEC: btest-diff c2_fast_reconnect_a.out
# @TEST-EXEC: btest-diff c2_fast_reconnect_b.out
