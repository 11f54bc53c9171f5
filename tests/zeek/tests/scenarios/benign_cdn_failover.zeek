# @TEST-DOC: benign_cdn_failover: a name resolves to two IPs, the first refuses or times out on 443, the second works on 443 with the same SNI.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_cdn_failover_a.pcap >benign_cdn_failover_a.out
# @TEST-EXEC: run-scenario benign_cdn_failover_b.pcap >benign_cdn_failover_b.out
# @TEST-EXEC: btest-diff benign_cdn_failover_a.out
# @TEST-EXEC: btest-diff benign_cdn_failover_b.out
# @TEST-EXEC: btest-diff benign_cdn_failover_a.fallback
# @TEST-EXEC: btest-diff benign_cdn_failover_b.fallback
