# @TEST-DOC: fallback_tls_reset_cadence: an inline filter resets the implant's TLS right after its ClientHello, at its check-in period; the same client (JA3) then checks in with another server on 443 at the same period.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_tls_reset_cadence_a.pcap >fallback_tls_reset_cadence_a.out
# @TEST-EXEC: run-scenario fallback_tls_reset_cadence_b.pcap >fallback_tls_reset_cadence_b.out
# @TEST-EXEC: btest-diff fallback_tls_reset_cadence_a.out
# @TEST-EXEC: btest-diff fallback_tls_reset_cadence_b.out
