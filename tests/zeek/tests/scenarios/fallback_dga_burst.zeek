# @TEST-DOC: fallback_dga_burst: a burst of one-shot random NXDOMAIN names (far above the host's usual misses) ends in one name that resolves; the implant checks in with it on a standard port.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
#
# @TEST-EXEC: run-scenario fallback_dga_burst_a.pcap >fallback_dga_burst_a.out
# @TEST-EXEC: run-scenario fallback_dga_burst_b.pcap >fallback_dga_burst_b.out
# @TEST-EXEC: btest-diff fallback_dga_burst_a.out
# @TEST-EXEC: btest-diff fallback_dga_burst_b.out
