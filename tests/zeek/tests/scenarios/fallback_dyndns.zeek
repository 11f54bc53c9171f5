# @TEST-DOC: fallback_dyndns: the primary C2 domain gets NXDOMAIN repeatedly, then a backup domain under a dynamic-DNS provider resolves and the host talks to that IP.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_dyndns_a.pcap >fallback_dyndns_a.out
# @TEST-EXEC: run-scenario fallback_dyndns_b.pcap >fallback_dyndns_b.out
# @TEST-EXEC: btest-diff fallback_dyndns_a.out
# @TEST-EXEC: btest-diff fallback_dyndns_b.out
# @TEST-EXEC: btest-diff fallback_dyndns_a.fallback
# @TEST-EXEC: btest-diff fallback_dyndns_b.fallback
