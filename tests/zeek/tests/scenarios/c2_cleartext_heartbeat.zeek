# @TEST-DOC: c2_cleartext_heartbeat: short TCP connections at a regular interval on an odd port carrying a printable home-made protocol no dissector knows.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario c2_cleartext_heartbeat_a.pcap >c2_cleartext_heartbeat_a.out
# @TEST-EXEC: run-scenario c2_cleartext_heartbeat_b.pcap >c2_cleartext_heartbeat_b.out
# @TEST-EXEC: btest-diff c2_cleartext_heartbeat_a.out
# @TEST-EXEC: btest-diff c2_cleartext_heartbeat_b.out
# @TEST-EXEC: btest-diff c2_cleartext_heartbeat_a.fallback
# @TEST-EXEC: btest-diff c2_cleartext_heartbeat_b.fallback
