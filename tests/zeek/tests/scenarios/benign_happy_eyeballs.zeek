# @TEST-DOC: benign_happy_eyeballs: AAAA + A lookup, the IPv6 TCP/443 attempt fails, IPv4 TCP/443 to the same name works (RFC 8305).
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario benign_happy_eyeballs_a.pcap >benign_happy_eyeballs_a.out
# @TEST-EXEC: run-scenario benign_happy_eyeballs_b.pcap >benign_happy_eyeballs_b.out
# @TEST-EXEC: btest-diff benign_happy_eyeballs_a.out
# @TEST-EXEC: btest-diff benign_happy_eyeballs_b.out
