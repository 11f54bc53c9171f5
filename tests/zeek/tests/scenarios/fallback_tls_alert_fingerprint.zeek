# @TEST-DOC: fallback_tls_alert_fingerprint: an inspecting firewall answers the implant's ClientHello with a fatal alert; the implant then reaches a server it resolved long before, on an odd port: linked only by its client fingerprint (JA3).
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_tls_alert_fingerprint_a.pcap >fallback_tls_alert_fingerprint_a.out
# @TEST-EXEC: run-scenario fallback_tls_alert_fingerprint_b.pcap >fallback_tls_alert_fingerprint_b.out
# @TEST-EXEC: btest-diff fallback_tls_alert_fingerprint_a.out
# @TEST-EXEC: btest-diff fallback_tls_alert_fingerprint_b.out
