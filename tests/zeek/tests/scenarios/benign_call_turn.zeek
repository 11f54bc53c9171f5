# @TEST-DOC: benign_call_turn: a call's STUN checks to the relay's UDP 3478 go unanswered, then the call relays over TURN over TLS on 443 to the same server.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_call_turn_a.pcap >benign_call_turn_a.out
# @TEST-EXEC: run-scenario benign_call_turn_b.pcap >benign_call_turn_b.out
# @TEST-EXEC: btest-diff benign_call_turn_a.out
# @TEST-EXEC: btest-diff benign_call_turn_b.out
# @TEST-EXEC: btest-diff benign_call_turn_a.fallback
# @TEST-EXEC: btest-diff benign_call_turn_b.fallback
