# @TEST-DOC: fallback_sinkhole_hard_ip: the C2 name resolves to a sinkhole (0.0.0.0) or a DNS-filter block page, then the implant checks in with a hard-coded address on a standard port.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
#
# @TEST-EXEC: run-scenario fallback_sinkhole_hard_ip_a.pcap >fallback_sinkhole_hard_ip_a.out
# @TEST-EXEC: run-scenario fallback_sinkhole_hard_ip_b.pcap >fallback_sinkhole_hard_ip_b.out
# @TEST-EXEC: btest-diff fallback_sinkhole_hard_ip_a.out
# @TEST-EXEC: btest-diff fallback_sinkhole_hard_ip_b.out
