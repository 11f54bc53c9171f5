# @TEST-DOC: benign_call_turn: a call's STUN checks to the relay's UDP 3478 go unanswered, then the call relays over TURN over TLS on 443 to the same server.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no): the output of a
# correct package, written from the labels with Scripts/expect-labels (a benign twin of a real app, added before
# it was run with real Zeek: `btest -U` confirms it, or the package must learn the app).
#
# @TEST-EXEC: run-scenario benign_call_turn_a.pcap >benign_call_turn_a.out
# @TEST-EXEC: run-scenario benign_call_turn_b.pcap >benign_call_turn_b.out
# @TEST-EXEC: btest-diff benign_call_turn_a.out
# @TEST-EXEC: btest-diff benign_call_turn_b.out
