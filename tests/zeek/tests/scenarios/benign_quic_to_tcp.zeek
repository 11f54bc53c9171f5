# @TEST-DOC: benign_quic_to_tcp: QUIC to a web server on udp/443 gets no answer, then TLS on tcp/443 to the same server (browser falling back from HTTP/3).
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_quic_to_tcp_a.pcap >benign_quic_to_tcp_a.out
# @TEST-EXEC: run-scenario benign_quic_to_tcp_b.pcap >benign_quic_to_tcp_b.out
# @TEST-EXEC: btest-diff benign_quic_to_tcp_a.out
# @TEST-EXEC: btest-diff benign_quic_to_tcp_b.out
# @TEST-EXEC: btest-diff benign_quic_to_tcp_a.fallback
# @TEST-EXEC: btest-diff benign_quic_to_tcp_b.fallback
