# @TEST-DOC: fallback_port: TLS to the C2 IP on 443 times out (S0 with SYN retransmits), then periodic TLS beacons to the same IP on a non-standard port.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_port_a.pcap >fallback_port_a.out
# @TEST-EXEC: run-scenario fallback_port_b.pcap >fallback_port_b.out
# @TEST-EXEC: btest-diff fallback_port_a.out
# @TEST-EXEC: btest-diff fallback_port_b.out
# @TEST-EXEC: btest-diff fallback_port_a.fallback
# @TEST-EXEC: btest-diff fallback_port_b.fallback
