# @TEST-DOC: benign_console: a game console's UDP 3074 game traffic gets no answer, it checks its NAT with STUN, then plays through the service's relay over TLS on 443.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no): the output of a
# correct package, written from the labels with Scripts/expect-labels (a benign twin of a real app, added before
# it was run with real Zeek: `btest -U` confirms it, or the package must learn the app).
#
# @TEST-EXEC: run-scenario benign_console_a.pcap >benign_console_a.out
# @TEST-EXEC: run-scenario benign_console_b.pcap >benign_console_b.out
# @TEST-EXEC: btest-diff benign_console_a.out
# @TEST-EXEC: btest-diff benign_console_b.out
