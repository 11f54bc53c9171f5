# @TEST-DOC: benign_nas_dyndns: a home NAS name under a dynamic-DNS provider is looked up and used over TLS, no failures.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario benign_nas_dyndns_a.pcap >benign_nas_dyndns_a.out
# @TEST-EXEC: run-scenario benign_nas_dyndns_b.pcap >benign_nas_dyndns_b.out
# @TEST-EXEC: btest-diff benign_nas_dyndns_a.out
# @TEST-EXEC: btest-diff benign_nas_dyndns_b.out
