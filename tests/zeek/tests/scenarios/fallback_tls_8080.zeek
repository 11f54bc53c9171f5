# @TEST-DOC: fallback_tls_8080: primary HTTPS refused, then TLS (ClientHello/ServerHello + encrypted records) on 8080, an HTTP port.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_tls_8080_a.pcap >fallback_tls_8080_a.out
# @TEST-EXEC: run-scenario fallback_tls_8080_b.pcap >fallback_tls_8080_b.out
# @TEST-EXEC: btest-diff fallback_tls_8080_a.out
# @TEST-EXEC: btest-diff fallback_tls_8080_b.out
