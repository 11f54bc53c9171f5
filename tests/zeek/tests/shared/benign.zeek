# @TEST-DOC: Real benign captures (Zeek's own test traces, ../shared/pcaps/benign): no failed_then_fallback, dns_tunnel or icmp_tunnel; the baseline is real Zeek 7.0.11 output.
# @TEST-REQUIRES: test -d "$SHARED_PCAPS/benign"
# @TEST-EXEC: shared-summary benign >out
# @TEST-EXEC: btest-diff out
# @TEST-EXEC: ! grep -E 'failed_then_fallback|dns_tunnel|icmp_tunnel' out
