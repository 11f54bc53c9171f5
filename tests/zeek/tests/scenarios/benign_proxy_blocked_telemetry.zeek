# @TEST-DOC: benign_proxy_blocked_telemetry: the proxy refuses the OS telemetry agent's CONNECTs (403 / 407), the user keeps browsing through the proxy and direct: nothing links the two.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_proxy_blocked_telemetry_a.pcap >benign_proxy_blocked_telemetry_a.out
# @TEST-EXEC: run-scenario benign_proxy_blocked_telemetry_b.pcap >benign_proxy_blocked_telemetry_b.out
# @TEST-EXEC: btest-diff benign_proxy_blocked_telemetry_a.out
# @TEST-EXEC: btest-diff benign_proxy_blocked_telemetry_b.out
# @TEST-EXEC: btest-diff benign_proxy_blocked_telemetry_a.fallback
# @TEST-EXEC: btest-diff benign_proxy_blocked_telemetry_b.fallback
