# @TEST-DOC: fallback_tcp53: primary TLS on 443 fails, then raw high-entropy non-DNS TCP on port 53 to the C2 IP.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_tcp53_a.pcap >fallback_tcp53_a.out
# @TEST-EXEC: run-scenario fallback_tcp53_b.pcap >fallback_tcp53_b.out
# @TEST-EXEC: btest-diff fallback_tcp53_a.out
# @TEST-EXEC: btest-diff fallback_tcp53_b.out
