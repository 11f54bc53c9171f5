# @TEST-DOC: benign_vpn_tcp_fallback: an OpenVPN client's resets to UDP 1194 go unanswered, then it connects over TCP 443 to the same server: a VPN (policy question), never a fallback.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_vpn_tcp_fallback_a.pcap >benign_vpn_tcp_fallback_a.out
# @TEST-EXEC: run-scenario benign_vpn_tcp_fallback_b.pcap >benign_vpn_tcp_fallback_b.out
# @TEST-EXEC: btest-diff benign_vpn_tcp_fallback_a.out
# @TEST-EXEC: btest-diff benign_vpn_tcp_fallback_b.out
# @TEST-EXEC: btest-diff benign_vpn_tcp_fallback_a.fallback
# @TEST-EXEC: btest-diff benign_vpn_tcp_fallback_b.fallback
