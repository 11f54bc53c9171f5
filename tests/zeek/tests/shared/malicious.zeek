# @TEST-DOC: Real malicious captures (../shared/pcaps/malicious): dns_tunnel on the iodine, dnscat2 and dns2tcp tunnels, icmp_tunnel on the IP-over-ICMP tunnel, TLS on 80/tcp found. Asserted, not diffed: the pairs are in `out` for reading.
# @TEST-REQUIRES: test -d "$SHARED_PCAPS/malicious"
# @TEST-EXEC: shared-summary malicious >out
# @TEST-EXEC: grep -q '^ndpi-dns-tunnel-iodine:.*dns_tunnel' out
# @TEST-EXEC: grep -q '^ndpi-dns_exfiltration:.*dns_tunnel' out
# @TEST-EXEC: grep -q '^suricata-verify-dns-bug-1158:.*dns_tunnel' out
# @TEST-EXEC: grep -q '^ndpi-icmp-tunnel:.*icmp_tunnel' out
# @TEST-EXEC: grep -q '^ndpi-tls_port_80:.*nonstandard_port_encrypted' out
