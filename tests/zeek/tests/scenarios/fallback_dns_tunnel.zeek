# @TEST-DOC: fallback_dns_tunnel: primary C2 over TCP fails, then a DNS tunnel: encoded high-entropy unique subdomains of one zone in TXT/NULL/CNAME queries.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_dns_tunnel_a.pcap >fallback_dns_tunnel_a.out
# @TEST-EXEC: run-scenario fallback_dns_tunnel_b.pcap >fallback_dns_tunnel_b.out
# @TEST-EXEC: btest-diff fallback_dns_tunnel_a.out
# @TEST-EXEC: btest-diff fallback_dns_tunnel_b.out
# @TEST-EXEC: btest-diff fallback_dns_tunnel_a.fallback
# @TEST-EXEC: btest-diff fallback_dns_tunnel_b.fallback
