# @TEST-DOC: c2_idle_then_active: one long TCP channel on an odd port idles with cleartext keepalives (more than the head sample), then carries random-looking data: measured on its active part.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario c2_idle_then_active_a.pcap >c2_idle_then_active_a.out
# @TEST-EXEC: run-scenario c2_idle_then_active_b.pcap >c2_idle_then_active_b.out
# @TEST-EXEC: btest-diff c2_idle_then_active_a.out
# @TEST-EXEC: btest-diff c2_idle_then_active_b.out
# @TEST-EXEC: btest-diff c2_idle_then_active_a.fallback
# @TEST-EXEC: btest-diff c2_idle_then_active_b.fallback
