# @TEST-DOC: benign_cdn_failover: a name resolves to two IPs, the first refuses or times out on 443, the second works on 443 with the same SNI.
# Baseline written from pcaps/labels.json (expected indicators: yes, absent ones: no);
# confirm it with the first real Zeek run.
#
# @TEST-EXEC: run-scenario benign_cdn_failover_a.pcap >benign_cdn_failover_a.out
# @TEST-EXEC: run-scenario benign_cdn_failover_b.pcap >benign_cdn_failover_b.out
# @TEST-EXEC: btest-diff benign_cdn_failover_a.out
# @TEST-EXEC: btest-diff benign_cdn_failover_b.out
