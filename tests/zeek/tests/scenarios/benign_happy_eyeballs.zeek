# @TEST-DOC: benign_happy_eyeballs: AAAA + A lookup, the IPv6 TCP/443 attempt fails, IPv4 TCP/443 to the same name works (RFC 8305).
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_happy_eyeballs_a.pcap >benign_happy_eyeballs_a.out
# @TEST-EXEC: run-scenario benign_happy_eyeballs_b.pcap >benign_happy_eyeballs_b.out
# @TEST-EXEC: btest-diff benign_happy_eyeballs_a.out
# @TEST-EXEC: btest-diff benign_happy_eyeballs_b.out
# @TEST-EXEC: btest-diff benign_happy_eyeballs_a.fallback
# @TEST-EXEC: btest-diff benign_happy_eyeballs_b.fallback
