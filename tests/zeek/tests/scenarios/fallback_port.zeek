# @TEST-DOC: fallback_port: TLS to the C2 IP on 443 times out (S0 with SYN retransmits), then periodic TLS beacons to the same IP on a non-standard port.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_port_a.pcap >fallback_port_a.out
# @TEST-EXEC: run-scenario fallback_port_b.pcap >fallback_port_b.out
# @TEST-EXEC: btest-diff fallback_port_a.out
# @TEST-EXEC: btest-diff fallback_port_b.out
