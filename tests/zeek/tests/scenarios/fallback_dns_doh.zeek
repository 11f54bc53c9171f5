# @TEST-DOC: fallback_dns_doh: the host's DNS fails by policy (ICMP administratively prohibited from the firewall, or REFUSED), then DNS-over-HTTPS / DNS-over-TLS to a public resolver takes over.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
#
# @TEST-EXEC: run-scenario fallback_dns_doh_a.pcap >fallback_dns_doh_a.out
# @TEST-EXEC: run-scenario fallback_dns_doh_b.pcap >fallback_dns_doh_b.out
# @TEST-EXEC: btest-diff fallback_dns_doh_a.out
# @TEST-EXEC: btest-diff fallback_dns_doh_b.out
