# @TEST-DOC: Real application captures (../shared/pcaps/apps: calls, conferencing, VPNs, games, streaming, P2P): no failed_then_fallback, protocol_switch, dns_tunnel or icmp_tunnel line for any host. Asserted by Scripts/benign-quiet, not diffed against a baseline.
# @TEST-KNOWN-FAILURE: real Zeek 7.0.11: 1 line (was 42 lines on 8 hosts at 68a8af0): ndpi-anyconnect-vpn pairs an NXDOMAIN of an internal host under a public domain's corp. subzone with a TLS/UDP 443 peer of the same domain
# @TEST-REQUIRES: test -d "$SHARED_PCAPS/apps"
# @TEST-EXEC: benign-quiet-all apps >noise
# @TEST-EXEC: test ! -s noise
