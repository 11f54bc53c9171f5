# @TEST-DOC: benign_console: a game console's UDP 3074 game traffic gets no answer, it checks its NAT with STUN, then plays through the service's relay over TLS on 443.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_console_a.pcap >benign_console_a.out
# @TEST-EXEC: run-scenario benign_console_b.pcap >benign_console_b.out
# @TEST-EXEC: btest-diff benign_console_a.out
# @TEST-EXEC: btest-diff benign_console_b.out
# @TEST-EXEC: btest-diff benign_console_a.fallback
# @TEST-EXEC: btest-diff benign_console_b.fallback
