# @TEST-DOC: fallback_sinkhole_hard_ip: the C2 name resolves to a sinkhole (0.0.0.0) or a DNS-filter block page, then the implant checks in with a hard-coded address on a standard port.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_sinkhole_hard_ip_a.pcap >fallback_sinkhole_hard_ip_a.out
# @TEST-EXEC: run-scenario fallback_sinkhole_hard_ip_b.pcap >fallback_sinkhole_hard_ip_b.out
# @TEST-EXEC: btest-diff fallback_sinkhole_hard_ip_a.out
# @TEST-EXEC: btest-diff fallback_sinkhole_hard_ip_b.out
# @TEST-EXEC: btest-diff fallback_sinkhole_hard_ip_a.fallback
# @TEST-EXEC: btest-diff fallback_sinkhole_hard_ip_b.fallback
