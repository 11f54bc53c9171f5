# @TEST-DOC: fallback_tls_alert_fingerprint: an inspecting firewall answers the implant's ClientHello with a fatal alert; the implant then reaches a server it resolved long before, on an odd port: linked only by its client fingerprint (JA3).
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
# @TEST-KNOWN-FAILURE: the Zeek package does not implement issue 9's failure kinds and pairing rules yet
#
# @TEST-EXEC: run-scenario fallback_tls_alert_fingerprint_a.pcap >fallback_tls_alert_fingerprint_a.out
# @TEST-EXEC: run-scenario fallback_tls_alert_fingerprint_b.pcap >fallback_tls_alert_fingerprint_b.out
# @TEST-EXEC: btest-diff fallback_tls_alert_fingerprint_a.out
# @TEST-EXEC: btest-diff fallback_tls_alert_fingerprint_b.out
