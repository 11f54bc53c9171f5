# @TEST-DOC: benign_push_fallback: a push client's connections on its own port (APNs 5223, FCM 5228) time out, then it keeps its connection on 443 to the same service name: one service, no fallback
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_push_fallback_a.pcap >benign_push_fallback_a.out
# @TEST-EXEC: run-scenario benign_push_fallback_b.pcap >benign_push_fallback_b.out
# @TEST-EXEC: btest-diff benign_push_fallback_a.out
# @TEST-EXEC: btest-diff benign_push_fallback_b.out
# @TEST-EXEC: btest-diff benign_push_fallback_a.fallback
# @TEST-EXEC: btest-diff benign_push_fallback_b.fallback
