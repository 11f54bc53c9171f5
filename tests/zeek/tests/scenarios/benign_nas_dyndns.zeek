# @TEST-DOC: benign_nas_dyndns: a home NAS name under a dynamic-DNS provider is looked up and used over TLS, no failures.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_nas_dyndns_a.pcap >benign_nas_dyndns_a.out
# @TEST-EXEC: run-scenario benign_nas_dyndns_b.pcap >benign_nas_dyndns_b.out
# @TEST-EXEC: btest-diff benign_nas_dyndns_a.out
# @TEST-EXEC: btest-diff benign_nas_dyndns_b.out
# @TEST-EXEC: btest-diff benign_nas_dyndns_a.fallback
# @TEST-EXEC: btest-diff benign_nas_dyndns_b.fallback
