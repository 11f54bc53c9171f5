# @TEST-DOC: fallback_tls_reset_ja4: an inline filter resets the implant's TLS right after its ClientHello; it then reaches a server resolved long before on an odd port. Its hellos shuffle their extension order (a new JA3 each time): linked only by JA4
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_tls_reset_ja4_a.pcap >fallback_tls_reset_ja4_a.out
# @TEST-EXEC: run-scenario fallback_tls_reset_ja4_b.pcap >fallback_tls_reset_ja4_b.out
# @TEST-EXEC: btest-diff fallback_tls_reset_ja4_a.out
# @TEST-EXEC: btest-diff fallback_tls_reset_ja4_b.out
