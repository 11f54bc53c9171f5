# @TEST-DOC: benign_internal_service_fail: an internal service (PBX over SIP, a printer) does not answer, then ordinary browsing, including TLS to an address not looked up in the capture.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_internal_service_fail_a.pcap >benign_internal_service_fail_a.out
# @TEST-EXEC: run-scenario benign_internal_service_fail_b.pcap >benign_internal_service_fail_b.out
# @TEST-EXEC: btest-diff benign_internal_service_fail_a.out
# @TEST-EXEC: btest-diff benign_internal_service_fail_b.out
# @TEST-EXEC: btest-diff benign_internal_service_fail_a.fallback
# @TEST-EXEC: btest-diff benign_internal_service_fail_b.fallback
