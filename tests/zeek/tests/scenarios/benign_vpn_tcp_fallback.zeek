# @TEST-DOC: benign_vpn_tcp_fallback: an OpenVPN client's resets to UDP 1194 go unanswered, then it connects over TCP 443 to the same server: a VPN (policy question), never a fallback.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no): the output of a
# correct package, written from the labels with Scripts/expect-labels (a benign twin of a real app, added before
# it was run with real Zeek: `btest -U` confirms it, or the package must learn the app).
#
# @TEST-EXEC: run-scenario benign_vpn_tcp_fallback_a.pcap >benign_vpn_tcp_fallback_a.out
# @TEST-EXEC: run-scenario benign_vpn_tcp_fallback_b.pcap >benign_vpn_tcp_fallback_b.out
# @TEST-EXEC: btest-diff benign_vpn_tcp_fallback_a.out
# @TEST-EXEC: btest-diff benign_vpn_tcp_fallback_b.out
