# @TEST-DOC: benign_internal_service_fail: an internal service (PBX over SIP, a printer) does not answer, then ordinary browsing, including TLS to an address not looked up in the capture.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
#
# @TEST-EXEC: run-scenario benign_internal_service_fail_a.pcap >benign_internal_service_fail_a.out
# @TEST-EXEC: run-scenario benign_internal_service_fail_b.pcap >benign_internal_service_fail_b.out
# @TEST-EXEC: btest-diff benign_internal_service_fail_a.out
# @TEST-EXEC: btest-diff benign_internal_service_fail_b.out
