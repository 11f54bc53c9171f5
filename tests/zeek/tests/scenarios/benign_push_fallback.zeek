# @TEST-DOC: benign_push_fallback: a push client's connections on its own port (APNs 5223, FCM 5228) time out, then it keeps its connection on 443 to the same service name: one service, no fallback
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# written by Scripts/label-baselines from the labels, to be confirmed with a real Zeek (btest -d).
#
# @TEST-EXEC: run-scenario benign_push_fallback_a.pcap >benign_push_fallback_a.out
# @TEST-EXEC: run-scenario benign_push_fallback_b.pcap >benign_push_fallback_b.out
# @TEST-EXEC: btest-diff benign_push_fallback_a.out
# @TEST-EXEC: btest-diff benign_push_fallback_b.out
