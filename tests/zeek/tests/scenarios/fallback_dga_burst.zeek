# @TEST-DOC: fallback_dga_burst: a burst of one-shot random NXDOMAIN names (far above the host's usual misses) ends in one name that resolves; the implant checks in with it on a standard port.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_dga_burst_a.pcap >fallback_dga_burst_a.out
# @TEST-EXEC: run-scenario fallback_dga_burst_b.pcap >fallback_dga_burst_b.out
# @TEST-EXEC: btest-diff fallback_dga_burst_a.out
# @TEST-EXEC: btest-diff fallback_dga_burst_b.out
# @TEST-EXEC: btest-diff fallback_dga_burst_a.fallback
# @TEST-EXEC: btest-diff fallback_dga_burst_b.fallback
