# @TEST-DOC: fallback_icmp_tunnel: primary fails with ICMP destination unreachable, then an ICMP echo tunnel with large varying high-entropy payloads, some carrying an IPv4 packet.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_icmp_tunnel_a.pcap >fallback_icmp_tunnel_a.out
# @TEST-EXEC: run-scenario fallback_icmp_tunnel_b.pcap >fallback_icmp_tunnel_b.out
# @TEST-EXEC: btest-diff fallback_icmp_tunnel_a.out
# @TEST-EXEC: btest-diff fallback_icmp_tunnel_b.out
# @TEST-EXEC: btest-diff fallback_icmp_tunnel_a.fallback
# @TEST-EXEC: btest-diff fallback_icmp_tunnel_b.fallback
