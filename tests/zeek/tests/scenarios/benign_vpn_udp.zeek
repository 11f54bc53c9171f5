# @TEST-DOC: benign_vpn_udp: a long-lived high-entropy UDP VPN session (WireGuard or OpenVPN style).
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario benign_vpn_udp_a.pcap >benign_vpn_udp_a.out
# @TEST-EXEC: run-scenario benign_vpn_udp_b.pcap >benign_vpn_udp_b.out
# @TEST-EXEC: btest-diff benign_vpn_udp_a.out
# @TEST-EXEC: btest-diff benign_vpn_udp_b.out
