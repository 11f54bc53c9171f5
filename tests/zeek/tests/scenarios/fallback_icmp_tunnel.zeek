# @TEST-DOC: fallback_icmp_tunnel: primary fails with ICMP destination unreachable, then an ICMP echo tunnel with large varying high-entropy payloads, some carrying an IPv4 packet.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_icmp_tunnel_a.pcap >fallback_icmp_tunnel_a.out
# @TEST-EXEC: run-scenario fallback_icmp_tunnel_b.pcap >fallback_icmp_tunnel_b.out
# @TEST-EXEC: btest-diff fallback_icmp_tunnel_a.out
# @TEST-EXEC: btest-diff fallback_icmp_tunnel_b.out
