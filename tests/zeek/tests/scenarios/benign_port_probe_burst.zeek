# @TEST-DOC: benign_port_probe_burst: a NAT-type test / port probe: many ports of one server fail within seconds, then the app works with that server on 443.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_port_probe_burst_a.pcap >benign_port_probe_burst_a.out
# @TEST-EXEC: run-scenario benign_port_probe_burst_b.pcap >benign_port_probe_burst_b.out
# @TEST-EXEC: btest-diff benign_port_probe_burst_a.out
# @TEST-EXEC: btest-diff benign_port_probe_burst_b.out
# @TEST-EXEC: btest-diff benign_port_probe_burst_a.fallback
# @TEST-EXEC: btest-diff benign_port_probe_burst_b.fallback
