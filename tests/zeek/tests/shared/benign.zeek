# @TEST-DOC: Real benign captures (Zeek's own test traces, ../shared/pcaps/benign): no failed_then_fallback, dns_tunnel or icmp_tunnel line for any host, and no protocol_switch between standard services on their own ports (zeek-var-services-std-ports). Asserted, not diffed: the pairs are in `out` for reading.
# @TEST-REQUIRES: test -d "$SHARED_PCAPS/benign"
# @TEST-EXEC: shared-summary benign >out
# @TEST-EXEC: ! grep -E 'failed_then_fallback|dns_tunnel|icmp_tunnel' out
# @TEST-EXEC: ! grep -E '^zeek-var-services-std-ports:.*protocol_switch' out
