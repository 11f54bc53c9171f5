# @TEST-DOC: Real application captures (../shared/pcaps/apps: calls, conferencing, VPNs, games, streaming, P2P): no failed_then_fallback, protocol_switch, dns_tunnel or icmp_tunnel line for any host. Asserted by Scripts/benign-quiet, not diffed against a baseline.
# @TEST-REQUIRES: test -d "$SHARED_PCAPS/apps"
# @TEST-EXEC: benign-quiet-all apps >noise
# @TEST-EXEC: test ! -s noise
