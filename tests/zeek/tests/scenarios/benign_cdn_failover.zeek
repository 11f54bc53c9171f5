# @TEST-DOC: benign_cdn_failover: a name resolves to two IPs, the first refuses or times out on 443, the second works on 443 with the same SNI.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario benign_cdn_failover_a.pcap >benign_cdn_failover_a.out
# @TEST-EXEC: run-scenario benign_cdn_failover_b.pcap >benign_cdn_failover_b.out
# @TEST-EXEC: btest-diff benign_cdn_failover_a.out
# @TEST-EXEC: btest-diff benign_cdn_failover_b.out
