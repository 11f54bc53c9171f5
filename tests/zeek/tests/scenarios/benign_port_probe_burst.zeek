# @TEST-DOC: benign_port_probe_burst: a NAT-type test / port probe: many ports of one server fail within seconds, then the app works with that server on 443.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
#
# @TEST-EXEC: run-scenario benign_port_probe_burst_a.pcap >benign_port_probe_burst_a.out
# @TEST-EXEC: run-scenario benign_port_probe_burst_b.pcap >benign_port_probe_burst_b.out
# @TEST-EXEC: btest-diff benign_port_probe_burst_a.out
# @TEST-EXEC: btest-diff benign_port_probe_burst_b.out
