# @TEST-DOC: fallback_tls_reset_ja4: an inline filter resets the implant's TLS right after its ClientHello; it then reaches a server resolved long before on an odd port. Its hellos shuffle their extension order (a new JA3 each time): linked only by JA4
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_tls_reset_ja4_a.pcap >fallback_tls_reset_ja4_a.out
# @TEST-EXEC: run-scenario fallback_tls_reset_ja4_b.pcap >fallback_tls_reset_ja4_b.out
# @TEST-EXEC: btest-diff fallback_tls_reset_ja4_a.out
# @TEST-EXEC: btest-diff fallback_tls_reset_ja4_b.out
# @TEST-EXEC: btest-diff fallback_tls_reset_ja4_a.fallback
# @TEST-EXEC: btest-diff fallback_tls_reset_ja4_b.fallback
