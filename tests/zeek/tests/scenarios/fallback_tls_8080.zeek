# @TEST-DOC: fallback_tls_8080: primary HTTPS refused, then TLS (ClientHello/ServerHello + encrypted records) on 8080, an HTTP port.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_tls_8080_a.pcap >fallback_tls_8080_a.out
# @TEST-EXEC: run-scenario fallback_tls_8080_b.pcap >fallback_tls_8080_b.out
# @TEST-EXEC: btest-diff fallback_tls_8080_a.out
# @TEST-EXEC: btest-diff fallback_tls_8080_b.out
# @TEST-EXEC: btest-diff fallback_tls_8080_a.fallback
# @TEST-EXEC: btest-diff fallback_tls_8080_b.fallback
