# @TEST-DOC: benign_vpn_udp: a long-lived high-entropy UDP VPN session (WireGuard or OpenVPN style).
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_vpn_udp_a.pcap >benign_vpn_udp_a.out
# @TEST-EXEC: run-scenario benign_vpn_udp_b.pcap >benign_vpn_udp_b.out
# @TEST-EXEC: btest-diff benign_vpn_udp_a.out
# @TEST-EXEC: btest-diff benign_vpn_udp_b.out
# @TEST-EXEC: btest-diff benign_vpn_udp_a.fallback
# @TEST-EXEC: btest-diff benign_vpn_udp_b.fallback
