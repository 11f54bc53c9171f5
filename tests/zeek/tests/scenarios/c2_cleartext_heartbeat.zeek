# @TEST-DOC: c2_cleartext_heartbeat: short TCP connections at a regular interval on an odd port carrying a printable home-made protocol no dissector knows.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline was written from the labels (what a correct package prints), not yet from a real Zeek run.
#
# @TEST-EXEC: run-scenario c2_cleartext_heartbeat_a.pcap >c2_cleartext_heartbeat_a.out
# @TEST-EXEC: run-scenario c2_cleartext_heartbeat_b.pcap >c2_cleartext_heartbeat_b.out
# @TEST-EXEC: btest-diff c2_cleartext_heartbeat_a.out
# @TEST-EXEC: btest-diff c2_cleartext_heartbeat_b.out
