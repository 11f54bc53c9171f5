# @TEST-DOC: benign_quic_to_tcp: QUIC to a web server on udp/443 gets no answer, then TLS on tcp/443 to the same server (browser falling back from HTTP/3).
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario benign_quic_to_tcp_a.pcap >benign_quic_to_tcp_a.out
# @TEST-EXEC: run-scenario benign_quic_to_tcp_b.pcap >benign_quic_to_tcp_b.out
# @TEST-EXEC: btest-diff benign_quic_to_tcp_a.out
# @TEST-EXEC: btest-diff benign_quic_to_tcp_b.out
