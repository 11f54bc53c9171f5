# @TEST-DOC: benign_captive_portal: guest Wi-Fi before login: HTTPS reset right after the ClientHello, the connectivity check redirected; the user logs in on the portal (a new name on 443, the same browser), then the sites work
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_captive_portal_a.pcap >benign_captive_portal_a.out
# @TEST-EXEC: run-scenario benign_captive_portal_b.pcap >benign_captive_portal_b.out
# @TEST-EXEC: btest-diff benign_captive_portal_a.out
# @TEST-EXEC: btest-diff benign_captive_portal_b.out
# @TEST-EXEC: btest-diff benign_captive_portal_a.fallback
# @TEST-EXEC: btest-diff benign_captive_portal_b.fallback
