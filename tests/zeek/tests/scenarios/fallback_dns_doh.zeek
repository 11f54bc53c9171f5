# @TEST-DOC: fallback_dns_doh: the host's DNS fails by policy (ICMP administratively prohibited from the firewall, or REFUSED), then DNS-over-HTTPS / DNS-over-TLS to a public resolver takes over.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_dns_doh_a.pcap >fallback_dns_doh_a.out
# @TEST-EXEC: run-scenario fallback_dns_doh_b.pcap >fallback_dns_doh_b.out
# @TEST-EXEC: btest-diff fallback_dns_doh_a.out
# @TEST-EXEC: btest-diff fallback_dns_doh_b.out
# @TEST-EXEC: btest-diff fallback_dns_doh_a.fallback
# @TEST-EXEC: btest-diff fallback_dns_doh_b.fallback
