# @TEST-DOC: fallback_tcp53: primary TLS on 443 fails, then raw high-entropy non-DNS TCP on port 53 to the C2 IP.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_tcp53_a.pcap >fallback_tcp53_a.out
# @TEST-EXEC: run-scenario fallback_tcp53_b.pcap >fallback_tcp53_b.out
# @TEST-EXEC: btest-diff fallback_tcp53_a.out
# @TEST-EXEC: btest-diff fallback_tcp53_b.out
# @TEST-EXEC: btest-diff fallback_tcp53_a.fallback
# @TEST-EXEC: btest-diff fallback_tcp53_b.fallback
