# @TEST-DOC: fallback_tls_reset_cadence: an inline filter resets the implant's TLS right after its ClientHello, at its check-in period; the same client (JA3) then checks in with another server on 443 at the same period.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_tls_reset_cadence_a.pcap >fallback_tls_reset_cadence_a.out
# @TEST-EXEC: run-scenario fallback_tls_reset_cadence_b.pcap >fallback_tls_reset_cadence_b.out
# @TEST-EXEC: btest-diff fallback_tls_reset_cadence_a.out
# @TEST-EXEC: btest-diff fallback_tls_reset_cadence_b.out
# @TEST-EXEC: btest-diff fallback_tls_reset_cadence_a.fallback
# @TEST-EXEC: btest-diff fallback_tls_reset_cadence_b.fallback
