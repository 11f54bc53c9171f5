# @TEST-DOC: benign_captive_portal: guest Wi-Fi before login: HTTPS reset right after the ClientHello, the connectivity check redirected; the user logs in on the portal (a new name on 443, the same browser), then the sites work
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# written by Scripts/label-baselines from the labels, to be confirmed with a real Zeek (btest -d).
#
# @TEST-EXEC: run-scenario benign_captive_portal_a.pcap >benign_captive_portal_a.out
# @TEST-EXEC: run-scenario benign_captive_portal_b.pcap >benign_captive_portal_b.out
# @TEST-EXEC: btest-diff benign_captive_portal_a.out
# @TEST-EXEC: btest-diff benign_captive_portal_b.out
