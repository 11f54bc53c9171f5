# @TEST-DOC: c2_idle_then_active: one long TCP channel on an odd port idles with cleartext keepalives (more than the head sample), then carries random-looking data: measured on its active part.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline was written from the labels (what a correct package prints), not yet from a real Zeek run.
#
# @TEST-EXEC: run-scenario c2_idle_then_active_a.pcap >c2_idle_then_active_a.out
# @TEST-EXEC: run-scenario c2_idle_then_active_b.pcap >c2_idle_then_active_b.out
# @TEST-EXEC: btest-diff c2_idle_then_active_a.out
# @TEST-EXEC: btest-diff c2_idle_then_active_b.out
