# @TEST-DOC: fallback_dns_tunnel: primary C2 over TCP fails, then a DNS tunnel: encoded high-entropy unique subdomains of one zone in TXT/NULL/CNAME queries.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_dns_tunnel_a.pcap >fallback_dns_tunnel_a.out
# @TEST-EXEC: run-scenario fallback_dns_tunnel_b.pcap >fallback_dns_tunnel_b.out
# @TEST-EXEC: btest-diff fallback_dns_tunnel_a.out
# @TEST-EXEC: btest-diff fallback_dns_tunnel_b.out
