# @TEST-DOC: fallback_dyndns: the primary C2 domain gets NXDOMAIN repeatedly, then a backup domain under a dynamic-DNS provider resolves and the host talks to that IP.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_dyndns_a.pcap >fallback_dyndns_a.out
# @TEST-EXEC: run-scenario fallback_dyndns_b.pcap >fallback_dyndns_b.out
# @TEST-EXEC: btest-diff fallback_dyndns_a.out
# @TEST-EXEC: btest-diff fallback_dyndns_b.out
