# @TEST-DOC: fallback_tls_reset_cadence: an inline filter resets the implant's TLS right after its ClientHello, at its check-in period; the same client (JA3) then checks in with another server on 443 at the same period.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
# @TEST-KNOWN-FAILURE: the Zeek package does not implement issue 9's failure kinds and pairing rules yet
#
# @TEST-EXEC: run-scenario fallback_tls_reset_cadence_a.pcap >fallback_tls_reset_cadence_a.out
# @TEST-EXEC: run-scenario fallback_tls_reset_cadence_b.pcap >fallback_tls_reset_cadence_b.out
# @TEST-EXEC: btest-diff fallback_tls_reset_cadence_a.out
# @TEST-EXEC: btest-diff fallback_tls_reset_cadence_b.out
