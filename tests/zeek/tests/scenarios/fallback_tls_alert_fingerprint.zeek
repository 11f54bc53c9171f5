# @TEST-DOC: fallback_tls_alert_fingerprint: an inspecting firewall answers the implant's ClientHello with a fatal alert; the implant then reaches a server it resolved long before, on an odd port: linked only by its client fingerprint (JA3).
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_tls_alert_fingerprint_a.pcap >fallback_tls_alert_fingerprint_a.out
# @TEST-EXEC: run-scenario fallback_tls_alert_fingerprint_b.pcap >fallback_tls_alert_fingerprint_b.out
# @TEST-EXEC: btest-diff fallback_tls_alert_fingerprint_a.out
# @TEST-EXEC: btest-diff fallback_tls_alert_fingerprint_b.out
# @TEST-EXEC: btest-diff fallback_tls_alert_fingerprint_a.fallback
# @TEST-EXEC: btest-diff fallback_tls_alert_fingerprint_b.fallback
