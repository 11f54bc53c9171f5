# @TEST-DOC: benign_proxy_blocked_telemetry: the proxy refuses the OS telemetry agent's CONNECTs (403 / 407), the user keeps browsing through the proxy and direct: nothing links the two.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
#
# @TEST-EXEC: run-scenario benign_proxy_blocked_telemetry_a.pcap >benign_proxy_blocked_telemetry_a.out
# @TEST-EXEC: run-scenario benign_proxy_blocked_telemetry_b.pcap >benign_proxy_blocked_telemetry_b.out
# @TEST-EXEC: btest-diff benign_proxy_blocked_telemetry_a.out
# @TEST-EXEC: btest-diff benign_proxy_blocked_telemetry_b.out
